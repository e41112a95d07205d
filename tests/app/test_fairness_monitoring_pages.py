"""AppTest of the Fairness (pages/9_Fairness.py) and Monitoring (pages/10_Monitoring.py) pages."""

import pytest

from demo_models.iterations.registry import load_iteration
from demo_models.iterations.scoring import ScoredIteration
from demo_models.metrics.fairness import fairness_gaps, group_table
from feedback.store.database import FeedbackStore
from feedback.store.telemetry import flush_events, usage_frame
from feedback.telemetry import event_counts
from tests.app.apptest import open_app

FAIRNESS, MONITORING = "pages/9_Fairness.py", "pages/10_Monitoring.py"


def test_fairness_for_credit_shows_groups_gaps_and_the_screen(app_env, scored):
    at = open_app(FAIRNESS, iteration="v1")
    assert not at.exception
    groups = at.dataframe[0].value
    expected = group_table(scored["v1"], "sex")
    assert groups["cases"].to_dict() == expected["cases"].to_dict()
    gaps = at.dataframe[1].value
    assert gaps.loc["Disparate impact ratio", "value"] == pytest.approx(fairness_gaps(scored["v1"], "sex")["dp_ratio"])
    assert "Four-fifths screen" in (at.error[0].value if at.error else at.success[0].value)
    at.selectbox(key="fairness_attribute").set_value("age").run()
    assert list(at.dataframe[0].value.index) == ["25–40", "over 40", "under 25"]


def test_fairness_for_fraud_and_iterations_compared(app_env, registry_dir):
    at = open_app(FAIRNESS, use_case="fraud")
    assert not at.exception
    assert at.selectbox(key="fairness_attribute").value == "customer_age_band"
    fraud_v2 = ScoredIteration(load_iteration("fraud", "v2", registry_dir))
    assert at.dataframe[0].value["cases"].sum() == len(fraud_v2.scores)
    compared = at.dataframe[-1].value
    assert list(compared.columns) == ["v1", "v2", "change"]


def test_monitoring_fraud_shows_the_drift_against_v1s_training_months(app_env):
    at = open_app(MONITORING, use_case="fraud", iteration="v1")
    assert not at.exception
    drift = _drift_table(at)
    assert drift.loc["Channel", "band"] == "act" and drift.loc["Channel", "PSI"] > 0.25
    assert next(m.value for m in at.metric if m.label.startswith("Columns to act")) == "1"
    assert any("Reference window: the months it was trained on, 2025-01 to 2025-06" in m.value for m in at.markdown)
    assert at.selectbox(key="monitor_month").options[0] == "2025-07"  # training months are the reference
    at.selectbox(key="monitor_month").set_value("2025-07").run()
    assert _drift_table(at).loc["Channel", "band"] == "act"
    # the built-in decision log, written on first use, is read by the same path as a team's
    assert "Your decision log" in [h.value for h in at.header]
    assert any("reference window 2025-01 to 2025-06" in m.value for m in at.markdown)


def _drift_table(at):
    return next(df.value for df in at.dataframe if "band" in df.value.columns)


def test_monitoring_credit_explains_why_there_is_no_time_view_and_shows_usage(app_env):
    at = open_app(MONITORING)
    assert not at.exception
    assert "has no month" in at.info[0].value
    at.switch_page("pages/1_Explore.py").run()
    at.session_state["cases"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    at.switch_page(MONITORING).run()
    assert flush_events()  # telemetry is written in the background: a rerun shows this view too
    at.run()
    counts = event_counts(usage_frame(FeedbackStore(f"sqlite:///{app_env}"), "credit"))
    assert counts["page view"] == 4 and counts["explanation viewed"] == 1  # Home, Monitoring, Explore, Monitoring
    assert at.metric[0].value == "4" and at.metric[1].value == "1"


def test_every_page_works_for_the_fraud_use_case(app_env):
    at = open_app(use_case="fraud")
    assert not at.exception and at.header[0].value == "Card fraud"
    for page in [
        "pages/1_Explore.py",
        "pages/2_What_if.py",
        "pages/3_Compare.py",
        "pages/4_Iterations.py",
        "pages/6_Goals.py",
        "pages/7_Outcomes.py",
        "pages/8_Inbox.py",
        "pages/9_Fairness.py",
        "pages/10_Monitoring.py",
    ]:
        at.switch_page(page).run()
        assert not at.exception, page
        assert not at.error, (page, [e.value for e in at.error])
    at.switch_page("pages/1_Explore.py").run()
    assert at.dataframe(key="cases").value.shape[0] == 20_000
    assert "flag at or above 5%" in at.caption[0].value
