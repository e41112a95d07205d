"""AppTest of Monitoring's shadow comparison (pages/_ui/shadow_view.py): on the built-in fraud log, v1's traffic
re-scored with v2 by default; the tables shown are the domain's for the window and sample size picked; a log
without the other iteration's inputs is a clear message."""

import pytest

from demo_models.iterations.registry import load_iteration
from demo_models.iterations.scoring import ScoredIteration
from demo_models.monitoring.shadow import shadow_compare
from demo_models.monitoring.shadow_tables import flip_table, flips_sentence, group_table, outcome_table
from demo_models.monitoring.sources import Source, load_source, save_source
from tests.app.apptest import open_app, tables_with
from tests.unit.monitoring.conftest import LOG_MAPPING, make_log

MONITORING = "pages/10_Monitoring.py"
SHARE = "share of the sample (95 % interval)"


@pytest.fixture(autouse=True)
def fresh_builtin_log():
    """The built-in fraud log is written once per process (a cached loader): written again in this test's
    data folder, so the test reads the log the page shows."""
    from pages._ui.loaders import _builtin_fraud_log

    _builtin_fraud_log.clear()


def _expected(registry_dir, month: str, size: int):
    v1, v2 = (ScoredIteration(load_iteration("fraud", v, registry_dir)) for v in ("v1", "v2"))
    return shadow_compare(load_source("fraud"), v1.card, v2, month, size), v2.use_case


def test_fraud_v1_traffic_shadowed_with_v2(app_env, registry_dir):
    at = open_app(MONITORING, use_case="fraud", iteration="v1")
    assert not at.exception
    assert "What another iteration would have decided (shadow comparison)" in [s.value for s in at.subheader]
    assert at.selectbox(key="shadow_against").value == "v2"
    assert at.selectbox(key="shadow_month").value == "2025-12"
    expected, use_case = _expected(registry_dir, "2025-12", 5000)
    assert tables_with(at, SHARE)[0].equals(flip_table(expected, use_case))
    assert any(m.value == f"**{flips_sentence(expected, use_case)}**" for m in at.markdown)

    at.selectbox(key="shadow_month").select("2025-07")
    at.number_input(key="shadow_sample").set_value(600)
    at.run()
    assert not at.exception
    july, _ = _expected(registry_dir, "2025-07", 600)
    assert july.size == 600 and july.sample.served_by == "v1"
    assert tables_with(at, SHARE)[0].equals(flip_table(july, use_case))
    assert tables_with(at, "Transactions")[0].equals(group_table(july, "customer_age_band", use_case))
    assert tables_with(at, "v1 (served)")[0].equals(outcome_table(july, use_case))
    assert any("seed 17" in c.value and "600 of the" in c.value for c in at.caption)
    assert any("Cost is undefined" in c.value for c in at.caption)  # no cost matrix in a fresh store


def test_a_log_without_the_other_iterations_inputs_is_a_message(app_env, tmp_path):
    frame = make_log()
    folder = tmp_path / "decision-log"
    frame.assign(day=frame["ts"].dt.strftime("%Y-%m")).to_parquet(folder, partition_cols=["day"])
    save_source("credit", Source("parquet", str(folder), LOG_MAPPING))
    at = open_app(MONITORING)
    assert not at.exception
    warning = next(w.value for w in at.warning if "No shadow comparison" in w.value)
    assert "The log has no column for" in warning


def test_with_a_cost_matrix_the_cost_of_each_iteration_is_shown(app_env, registry_dir):
    from feedback.goals import CostMatrix
    from feedback.store.database import FeedbackStore
    from feedback.store.goals import save_costs

    matrix = CostMatrix(
        "fraud", 5.0, 0.0, "Test", false_negative_column="amount", false_negative_fraction=1.0, currency="EUR"
    )
    save_costs(FeedbackStore(f"sqlite:///{app_env}"), matrix)
    at = open_app(MONITORING, use_case="fraud", iteration="v1")
    assert not at.exception
    at.selectbox(key="shadow_month").select("2025-07")
    at.run()
    v1, v2 = (ScoredIteration(load_iteration("fraud", v, registry_dir)) for v in ("v1", "v2"))
    expected = shadow_compare(load_source("fraud"), v1.card, v2, "2025-07", 5000, costs=matrix)
    shown = tables_with(at, "v1 (served)")[0]
    assert shown.equals(outcome_table(expected, v2.use_case))
    assert shown.loc["cost per 1,000 decisions", "v1 (served)"].endswith(" EUR") and not expected.why_no_costs
