"""AppTest of the Outcomes page (pages/7_Outcomes.py)."""

import numpy as np
import pytest
from sklearn.metrics import recall_score

from demo_models.iterations.registry import load_iteration
from demo_models.iterations.scoring import ScoredIteration
from demo_models.metrics.costs import case_costs, cost_curve, format_threshold, total_cost
from feedback.store.database import FeedbackStore
from feedback.store.goals import current_thresholds, save_criterion
from tests.app.apptest import open_app
from tests.helpers import CRITERION_SPECS, make_criterion

PAGE = "pages/7_Outcomes.py"
SLIDER = "outcome_threshold_credit_v3"


def _set_costs(at, fp=300.0, fraction=0.5):
    at.number_input(key="cost_fp").set_value(fp)
    at.selectbox(key="cost_column").set_value("credit_amount")
    at.number_input(key="cost_fraction").set_value(fraction)
    next(b for b in at.form_submit_button if b.label == "Save the cost matrix").click().run()
    return at


def test_moving_the_threshold_updates_metrics_and_errors(app_env, scored):
    at = open_app(PAGE)
    assert not at.exception
    at.slider(key=SLIDER).set_value(0.25).run()
    labels, scores = scored["v3"].iteration.labels, scored["v3"].scores.to_numpy()
    assert at.metric[1].value == f"{recall_score(labels, scores >= 0.25):.1%}"
    matrix = at.dataframe[0].value
    assert matrix.loc["actually defaulted", "declined"] == ((scores >= 0.25) & (labels == 1)).sum()
    assert matrix.to_numpy().sum() == 300


def test_a_cost_matrix_gives_the_optimal_threshold(app_env, scored):
    at = _set_costs(open_app(PAGE))
    assert not at.exception and at.success[0].value == "Cost matrix saved."
    it = scored["v3"]
    curve = cost_curve(it.iteration.labels, it.scores.to_numpy(), case_costs(it.features, 300, 0, "credit_amount", 0.5))
    assert at.metric[6].value == format_threshold(curve.optimal_threshold)
    at.button(key="use_optimal").click().run()
    assert at.slider(key=SLIDER).value == pytest.approx(round(curve.optimal_threshold, 3))
    cheaper = _set_costs(at, fp=50.0)
    moved = cost_curve(it.iteration.labels, it.scores.to_numpy(), case_costs(it.features, 50, 0, "credit_amount", 0.5))
    assert cheaper.metric[6].value == format_threshold(moved.optimal_threshold)
    assert moved.optimal_threshold < curve.optimal_threshold  # cheaper false declines: decline more


def test_the_saved_cost_optimal_threshold_is_the_exact_optimum_on_twenty_thousand_cases(app_env, registry_dir):
    at = open_app(PAGE, use_case="fraud")
    slider = at.slider[0].key
    version = slider.rsplit("_", 1)[-1]
    at.number_input(key="cost_fp").set_value(5.0)
    at.number_input(key="cost_fn").set_value(25.0)
    at.selectbox(key="cost_column").set_value("amount")
    at.number_input(key="cost_fraction").set_value(1.0)
    next(b for b in at.form_submit_button if b.label == "Save the cost matrix").click().run()
    it = ScoredIteration(load_iteration("fraud", version, registry_dir))
    labels, scores = it.iteration.labels, it.scores.to_numpy()
    assert len(scores) == 20_000
    costs = case_costs(it.features, 5, 25, "amount", 1.0)
    optimum = cost_curve(labels, scores, costs).optimal_threshold
    at.button(key="use_optimal").click().run()
    assert at.slider(key=slider).value == pytest.approx(round(optimum, 3))
    at.text_area(key="threshold_reason").input("cost-optimal under the agreed cost matrix")
    label = f"Save {format_threshold(optimum)} as the operating threshold"
    next(b for b in at.form_submit_button if b.label == label).click().run()
    assert not at.exception
    saved = current_thresholds(FeedbackStore(f"sqlite:///{app_env}"), "fraud")[version]
    assert saved == optimum
    # brute force over every distinct score: the saved threshold costs exactly the least possible
    best = min(total_cost(labels, scores, t, costs) for t in [*np.unique(scores), np.inf])
    assert total_cost(labels, scores, saved, costs) == pytest.approx(best, rel=1e-12)
    assert total_cost(labels, scores, round(optimum, 3), costs) > best  # what the rounded slider value cost
    assert at.metric[4].value == at.metric[5].value  # the page now says: current cost = optimal cost


def test_a_negative_cost_is_refused(app_env):
    at = _set_costs(open_app(PAGE), fp=-10.0)
    assert "must be a number of at least 0" in at.error[0].value


def test_saving_a_threshold_changes_every_page_and_the_scorecard(app_env):
    store = FeedbackStore(f"sqlite:///{app_env}")
    save_criterion(store, make_criterion(target=0.75), ("sex", "age"), specs=CRITERION_SPECS)
    at = open_app(user=("Rita", "risk"))
    assert at.dataframe[0].value.iloc[0]["v3"].startswith("FAIL")
    at.switch_page(PAGE).run()
    at.slider(key=SLIDER).set_value(0.25).run()
    at.text_area(key="threshold_reason").input("catch three defaults in four")
    next(b for b in at.form_submit_button if b.label.startswith("Save 0.250")).click().run()
    assert not at.exception
    assert at.success[0].value == "v3 now decides at 0.250 (was 0.400)."
    assert current_thresholds(store, "credit") == {"v3": 0.25}
    at.switch_page("app.py").run()
    assert at.dataframe[0].value.iloc[0]["v3"].startswith("pass")
    at.switch_page("pages/1_Explore.py").run()
    assert "at or above 25%" in at.caption[0].value


def test_a_business_user_cannot_save_a_threshold(app_env):
    at = open_app(PAGE, user=("Bo", "business user"))
    at.text_area(key="threshold_reason").input("I like it")
    next(b for b in at.form_submit_button if b.label.startswith("Save 0.400")).click().run()
    assert "A business user cannot change threshold" in at.error[0].value
    assert current_thresholds(FeedbackStore(f"sqlite:///{app_env}"), "credit") == {}


def test_latency_is_reported_in_plain_words(app_env):
    at = open_app(PAGE)
    assert "A decision and its reasons in" in at.markdown[-1].value
    assert "for 95 % of cases" in at.markdown[-1].value


def test_a_threshold_decided_against_a_stale_one_is_refused(app_env):
    from feedback.access import Actor
    from feedback.store.goals import save_threshold

    store = FeedbackStore(f"sqlite:///{app_env}")
    at = open_app(PAGE, user=("Rita", "risk"))
    at.slider(key=SLIDER).set_value(0.25).run()  # Rita decides against v3's 0.400
    save_threshold(store, "credit", "v3", 0.3, 0.4, Actor("Sam", "admin"), "meanwhile")
    at.text_area(key="threshold_reason").input("catch three defaults in four")
    next(b for b in at.form_submit_button if b.label.startswith("Save 0.250")).click().run()
    assert any(e.value.startswith("Not saved") and "Sam" in e.value for e in at.error), [e.value for e in at.error]
    assert current_thresholds(store, "credit") == {"v3": 0.3}


def test_calibration_shows_brier_and_ece_overall_and_per_group(app_env, scored):
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import brier_score_loss

    at = open_app(PAGE)
    assert not at.exception
    labels, scores = scored["v3"].iteration.labels, scored["v3"].scores.to_numpy()
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Brier score"] == f"{brier_score_loss(labels, scores):.4f}"
    observed, predicted = calibration_curve(labels, scores, n_bins=10)
    counts = np.histogram(scores, bins=np.linspace(0, 1, 11))[0]
    counts = counts[counts > 0]
    ece = float(np.sum(counts / counts.sum() * np.abs(observed - predicted)))
    assert tiles["Expected calibration error"] == f"{ece:.4f}"
    (by_group,) = [df.value for df in at.dataframe if {"ECE", "group"} <= set(df.value.columns)]
    assert by_group.iloc[0]["group"] == "all cases" and by_group.iloc[0]["cases"] == 300
    sexes = by_group[by_group["group"].str.startswith("sex: ")]
    assert sexes["cases"].sum() == 300 and len(sexes) == 2


def test_error_cohorts_split_the_cases_follow_the_threshold_and_show_feedback(app_env, scored):
    from feedback.store.records import add_feedback
    from tests.helpers import make_draft

    at = open_app(PAGE)
    assert not at.exception
    labels, scores = scored["v3"].iteration.labels, scored["v3"].scores.to_numpy()

    def cohorts():
        (table,) = [df.value for df in at.dataframe if {"cohort", "feedback"} <= set(df.value.columns)]
        return table

    table = cohorts()
    assert table["cases"].sum() == 300
    assert table["errors"].sum() == ((scores >= card_threshold(scored)) != (labels == 1)).sum()
    assert table["error rate"].is_monotonic_decreasing and (table["feedback disagreeing"] == "—").all()
    at.slider(key=SLIDER).set_value(0.25).run()
    assert cohorts()["errors"].sum() == ((scores >= 0.25) != (labels == 1)).sum()
    at.radio(key="error_kind").set_value("false_negatives").run()
    assert cohorts()["cases"].sum() == (labels == 1).sum()
    assert cohorts()["errors"].sum() == ((scores < 0.25) & (labels == 1)).sum()
    case = scored["v3"].scores.index[0]
    add_feedback(FeedbackStore(f"sqlite:///{app_env}"), make_draft(case_id=case, verdict="disagree"), {"v3"})
    at.radio(key="error_kind").set_value("errors").run()
    table = cohorts()
    assert table["feedback"].sum() == 1 and sorted(set(table["feedback disagreeing"])) == ["100%", "—"]


def card_threshold(scored):
    return scored["v3"].card.threshold


def test_cohorts_split_on_protected_attributes_only_when_asked(app_env):
    at = open_app(PAGE, iteration="v1")  # v1 takes sex and age as inputs
    shown = next(d.value for d in at.dataframe if "cohort" in d.value.columns and "errors" in d.value.columns)
    assert len(shown) and not shown["cohort"].str.contains("Age|Sex|sex", regex=True).any()
    assert not [w for w in at.warning if "protected attributes" in w.value]
    at.checkbox(key="cohorts_protected").check().run()
    assert not at.exception
    assert any("never as a reason for a decision" in w.value for w in at.warning)
