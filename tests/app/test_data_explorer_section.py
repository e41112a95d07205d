"""AppTest: Outcomes' "The data behind it" on credit (no reference data held: said so) and on fraud (the
evaluation cases against the monitoring stream's reference months); every table equals the domain function's,
a protected attribute is labelled so."""

from __future__ import annotations

import os

import pytest

from demo_models.iterations.registry import load_iteration
from demo_models.iterations.scoring import ScoredIteration
from demo_models.metrics.data_explorer import compare_with_reference, missing_by_group, profile_input
from demo_models.monitoring.stream import build_stream, reference_cases
from tests.app.apptest import decode, open_app, plotly_figures
from tests.helpers import register_approvals

PAGE = "pages/7_Outcomes.py"


TABLES = {  # a display dataframe has no key AppTest can look up: each by columns only it has
    "explorer_groups": ("group", "missing share", "missing"),
    "explorer_missing": ("input", "missing share"),
    "explorer_drift": ("input", "PSI", "band"),
}


def _table(at, key: str):
    return next(d.value for d in at.dataframe if all(c in d.value.columns for c in TABLES[key]))


def test_credit_input_by_protected_group_and_no_reference_held(app_env, scored):
    at = open_app(PAGE, iteration="v3")
    assert not at.exception
    at.selectbox(key="explorer_input_credit").select("age")
    at.radio(key="explorer_by_credit").set_value("sex").run()
    assert not at.exception
    assert "Age (protected)" in at.selectbox(key="explorer_input_credit").format_func("age")
    expected = profile_input(scored["v3"], "age", "sex")
    shown = _table(at, "explorer_groups")
    assert list(shown["group"]) == list(expected.groups["group"]) and list(shown["cases"]) == [
        int(c) for c in expected.groups["cases"]
    ]
    bars = plotly_figures(at)["explorer_bars"]
    assert [trace.name for trace in bars.data] == list(expected.groups["group"])
    missing = _table(at, "explorer_missing")
    assert list(missing["input"]) == list(missing_by_group(scored["v3"], "sex")["input"])
    assert any("protected attribute" in c.value for c in at.caption)
    at.toggle(key="explorer_reference").set_value(True).run()
    assert not at.exception
    assert any("holds no reference data" in i.value for i in at.info)


def test_fraud_against_the_reference_months_equals_compare_with_reference(app_env, registry_dir):
    at = open_app(PAGE, use_case="fraud", iteration="v1")
    assert not at.exception
    at.selectbox(key="explorer_input_fraud").select("channel")
    at.radio(key="explorer_by_fraud").set_value("decision").run()
    v1 = ScoredIteration(load_iteration("fraud", "v1", registry_dir))
    expected = profile_input(v1, "channel", "decision")
    assert list(_table(at, "explorer_groups")["cases"]) == [int(c) for c in expected.groups["cases"]]
    at.toggle(key="explorer_reference").set_value(True).run()
    assert not at.exception
    reference, months = reference_cases(v1, build_stream(v1, int(os.environ["INVOLVE_MONITOR_ROWS"])))
    comparison = compare_with_reference(v1.features, reference, "channel", v1.use_case, time_column="month")
    drift = _table(at, "explorer_drift")
    assert list(drift["PSI"]) == pytest.approx(list(comparison.drift["PSI"]))
    assert "month" not in set(comparison.drift.index) and "month" in v1.features  # chosen by month: not drift
    assert any("the reference months are chosen by it" in c.value for c in at.caption)
    figure = plotly_figures(at)["explorer_reference_bars"]
    reference_share = comparison.table[comparison.table["source"] == "reference data"]["share"]
    assert list(decode(figure.data[1].y)) == pytest.approx(list(reference_share))
    assert any(months[0] in c.value and months[-1] in c.value for c in at.caption)


@pytest.fixture(scope="module")
def loans_only(tmp_path_factory):
    root = tmp_path_factory.mktemp("loans-explorer") / "registry"
    register_approvals(root)
    return root


def test_a_brought_model_with_missing_incomes_by_protected_region(app_env, loans_only, monkeypatch):
    monkeypatch.setenv("INVOLVE_REGISTRY_DIR", str(loans_only))
    at = open_app(PAGE, use_case="loans", iteration="v1")
    assert not at.exception
    at.selectbox(key="explorer_input_loans").select("income")
    at.radio(key="explorer_by_loans").set_value("region").run()
    assert not at.exception
    v1 = ScoredIteration(load_iteration("loans", "v1", loans_only))
    frame = v1.iteration.eval_data
    shown = _table(at, "explorer_groups").set_index("group")
    by_region = frame["income"].isna().groupby(frame["region"])
    assert list(shown["missing"]) == [int(n) for n in by_region.sum()] and shown["missing"].sum() > 0
    assert list(shown["missing share"]) == pytest.approx(list(by_region.mean()))
    missing = _table(at, "explorer_missing").set_index("input")
    assert missing.loc["Income", "missing"] == frame["income"].isna().sum()
    assert "Region (protected)" in missing.index
    at.toggle(key="explorer_reference").set_value(True).run()
    assert any("holds no reference data" in i.value for i in at.info)
