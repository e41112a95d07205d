"""`involve monitor shadow`: the figures of the shadow comparison on the built-in fraud log (v1's traffic
re-scored with v2), and one clear sentence for an unknown iteration, an empty window or no source."""

import pytest

from demo_models.iterations.registry import load_iteration
from demo_models.iterations.scoring import ScoredIteration
from demo_models.monitoring.builtin_log import ensure_fraud_log
from demo_models.monitoring.shadow import shadow_compare
from demo_models.monitoring.shadow_tables import flip_table, flips_sentence, outcome_table
from demo_models.service.cli import main


@pytest.fixture
def fraud_env(registry_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("INVOLVE_DATA_DIR", str(tmp_path))
    v1 = ScoredIteration(load_iteration("fraud", "v1", registry_dir))
    source = ensure_fraud_log(v1, 24_000)
    return source, ["--registry", str(registry_dir), "--db", f"sqlite:///{tmp_path / 'store.sqlite3'}"]


def test_shadow_prints_the_figures_of_the_comparison(fraud_env, registry_dir, capsys):
    source, options = fraud_env
    assert (
        main(["monitor", "shadow", "fraud", "--against", "v2", "--month", "2025-07", "--sample", "900", *options]) == 0
    )
    out = capsys.readouterr().out
    v1, v2 = (ScoredIteration(load_iteration("fraud", v, registry_dir)) for v in ("v1", "v2"))
    expected = shadow_compare(source, v1.card, v2, "2025-07", 900)  # the log names v1 as the serving iteration
    assert out.startswith("fraud: shadow of v1's traffic with v2")
    assert flips_sentence(expected, v2.use_case) in out
    assert flip_table(expected, v2.use_case).to_string() in out
    assert outcome_table(expected, v2.use_case).to_string() in out
    assert "Flips by customer age band" in out and "- Cost is undefined: no cost matrix" in out


def test_the_latest_month_is_the_default_window(fraud_env, registry_dir, capsys):
    source, options = fraud_env
    assert main(["monitor", "shadow", "fraud", "--against", "v2", "--sample", "300", *options]) == 0
    out = capsys.readouterr().out
    v1, v2 = (ScoredIteration(load_iteration("fraud", v, registry_dir)) for v in ("v1", "v2"))
    december = shadow_compare(source, v1.card, v2, "2025-12", 300)
    assert "decisions of 2025-12 served by v1" in out and outcome_table(december, v2.use_case).to_string() in out
    assert 0 < december.outcomes.loc["served", "labelled"] < 300  # December's chargebacks are partly in


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--against", "v9"], "No shadow comparison: There is no iteration 'v9' of the use case 'fraud'."),
        (["--against", "v1"], "No shadow comparison: v1 served these decisions: pick another iteration"),
        (
            ["--against", "v2", "--month", "2031-02"],
            "There are no decisions in the month 2031-02 (its months run from 2025-01 to 2025-12).",
        ),
        (["--against", "v2", "--sample", "0"], "The sample size must be between 1 and 200,000; 0 was asked for."),
    ],
)
def test_bad_requests_are_one_sentence(fraud_env, capsys, arguments, message):
    _, options = fraud_env
    assert main(["monitor", "shadow", "fraud", *arguments, *options]) == 1
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err + captured.out


def test_without_a_source_the_command_says_how_to_connect_one(registry_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("INVOLVE_DATA_DIR", str(tmp_path))
    assert main(["monitor", "shadow", "credit", "--against", "v3", "--registry", str(registry_dir)]) == 1
    assert "no decision-log source is connected for credit" in capsys.readouterr().err
