import copy

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import MetricFrame, selection_rate, true_positive_rate
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import confusion_matrix

from demo_models.metrics.costs import case_costs, cost_curve, format_threshold, resolve_threshold, total_cost
from demo_models.metrics.outcomes import confusion, fairness_value, measure_latency, metric_value
from feedback.goals import judge
from tests.helpers import make_criterion as _criterion


@settings(max_examples=150, deadline=None)
@given(
    scores=st.lists(st.floats(0, 1).map(lambda v: round(v, 2)), min_size=1, max_size=40),
    seed=st.integers(0, 10_000),
    fp=st.floats(0, 100),
    fn=st.floats(0, 100),
    fraction=st.floats(0, 1),
)
def test_cost_optimal_threshold_equals_a_brute_force_search(scores, seed, fp, fn, fraction):
    rng = np.random.default_rng(seed)
    scores = np.array(scores)
    labels = rng.random(len(scores)) < 0.4
    costs = case_costs(pd.DataFrame({"amount": rng.integers(100, 5000, len(scores))}), fp, fn, "amount", fraction)
    curve = cost_curve(labels, scores, costs)
    brute = min(total_cost(labels, scores, t, costs) for t in [*np.unique(scores), np.inf])
    assert curve.totals.min() == pytest.approx(brute)
    assert total_cost(labels, scores, curve.optimal_threshold, costs) == pytest.approx(brute)
    for threshold, total in zip(curve.thresholds, curve.totals):
        assert total_cost(labels, scores, threshold, costs) == pytest.approx(total)


def brute_force_minimum(labels, scores, costs) -> float:
    """The lowest total cost over every threshold that cuts the scores differently.

    Each distinct score, and one above all.
    """
    return min(total_cost(labels, scores, t, costs) for t in [*np.unique(scores), np.inf])


def test_the_slider_stands_for_the_exact_optimal_cut_on_twenty_thousand_cases():
    rng = np.random.default_rng(5)
    n = 20_000
    labels = rng.random(n) < 0.1
    scores = np.clip(rng.beta(2, 12, n) + 0.08 * labels, 0, 1)
    costs = case_costs(pd.DataFrame({"amount": rng.gamma(2, 60, n)}), 5, 25, "amount", 1.0)
    curve = cost_curve(labels, scores, costs)
    optimum = curve.optimal_threshold
    position = round(optimum, 3)  # what the slider shows after "Move to the cost-optimal threshold"
    chosen = resolve_threshold(position, [optimum, 0.4])
    assert chosen == optimum
    best = brute_force_minimum(labels, scores, costs)
    assert total_cost(labels, scores, chosen, costs) == pytest.approx(best, rel=1e-12)
    assert total_cost(labels, scores, position, costs) > best + 1  # rounding alone lands next to the optimum
    assert resolve_threshold(0.25, [optimum, 0.4]) == 0.25  # a position of its own is itself
    assert resolve_threshold(0.4, [None, 0.4000004]) == 0.4000004  # the saved threshold, unrounded


def test_a_cut_between_neighbouring_floats_keeps_them_apart():
    low = 0.4  # (0.4 + the next float) / 2 rounds back to 0.4
    high = np.nextafter(low, 1.0)
    labels, scores = np.array([True, False]), np.array([high, low])
    costs = case_costs(pd.DataFrame(index=range(2)), 10, 10)
    curve = cost_curve(labels, scores, costs)
    assert curve.totals[curve.best] == 0 and total_cost(labels, scores, curve.optimal_threshold, costs) == 0


def test_thresholds_read_with_the_precision_they_have():
    assert format_threshold(0.4) == "0.400" and format_threshold(0.25) == "0.250"
    assert format_threshold(0.41234567) == "0.412346"


def test_costs_scale_with_a_column_and_refuse_an_unknown_one():
    costs = case_costs(pd.DataFrame({"amount": [1000, 2000]}), 300, 10, "amount", 0.5)
    assert costs.false_positive.tolist() == [300, 300] and costs.false_negative.tolist() == [510, 1010]
    with pytest.raises(ValueError, match="not an input"):
        case_costs(pd.DataFrame({"x": [1]}), 1, 1, "amount", 0.5)


def test_confusion_matrix_equals_scikit_learn(scored):
    it = scored["v3"]
    labels, scores = it.iteration.labels, it.scores.to_numpy()
    for threshold in (0.2, 0.4, 0.7):
        ours = confusion(labels, scores, threshold).to_numpy()
        assert (ours == confusion_matrix(labels, (scores >= threshold).astype(int))).all()


def test_disparate_impact_is_on_approvals_and_equals_fairlearn(scored):
    it = scored["v1"]
    approved = (it.scores < it.threshold).to_numpy()
    declined = ~approved
    sex = it.features["sex"]
    frame = MetricFrame(metrics=selection_rate, y_true=it.iteration.labels, y_pred=approved, sensitive_features=sex)
    on_approvals = frame.by_group.min() / frame.by_group.max()
    on_declines = MetricFrame(
        metrics=selection_rate, y_true=it.iteration.labels, y_pred=declined, sensitive_features=sex
    )
    on_declines = on_declines.by_group.min() / on_declines.by_group.max()
    value, why = fairness_value(it, "disparate_impact_ratio", "sex")
    assert why == "" and value == pytest.approx(on_approvals)
    assert value != pytest.approx(on_declines)  # would pass only if computed on the unfavourable outcome


def test_equal_opportunity_difference_equals_fairlearn_on_good_outcomes(scored):
    it = scored["v2"]
    good = it.iteration.labels == 0
    approved = (it.scores < it.threshold).to_numpy()
    ages = pd.cut(it.features["age"], [-np.inf, 24.999, 40, np.inf], labels=["under 25", "25–40", "over 40"])
    frame = MetricFrame(metrics=true_positive_rate, y_true=good, y_pred=approved, sensitive_features=ages)
    value, _ = fairness_value(it, "equal_opportunity_difference", "age")
    assert value == pytest.approx(frame.difference())


def test_missing_inputs_give_a_reason_instead_of_a_verdict(scored):
    it = scored["v3"]
    assert metric_value(it, "expected_cost_per_case") == (None, "no cost matrix has been agreed for this use case")
    assert metric_value(it, "latency_p95_ms")[0] is None
    assert (
        metric_value(it, "disparate_impact_ratio", "religion")[1]
        == "'religion' is not in this iteration's evaluation data"
    )
    single = copy.copy(it)
    single.features = it.features.assign(sex="female")
    assert "single group" in fairness_value(single, "disparate_impact_ratio", "sex")[1]


def test_expected_cost_per_case(scored):
    it = scored["v3"]
    costs = case_costs(it.features, 300, 0, "credit_amount", 0.5)
    value, _ = metric_value(it, "expected_cost_per_case", costs=costs)
    labels, scores = it.iteration.labels, it.scores.to_numpy()
    declined = scores >= 0.4
    expected = (
        300 * (declined & (labels == 0)).sum()
        + 0.5 * it.features["credit_amount"].to_numpy()[~declined & (labels == 1)].sum()
    )
    assert value == pytest.approx(expected / 300)


def test_scorecard_flips_from_fail_to_pass_when_the_threshold_moves(scored):
    criterion = _criterion(metric="recall", target=0.75)
    it = scored["v3"]
    assert judge(criterion, *metric_value(it, "recall")).passed is False
    lower = it.at_threshold(0.25)
    assert lower.threshold == 0.25 and it.threshold == 0.4
    assert judge(criterion, *metric_value(lower, "recall")).passed is True


def test_latency_is_measured_on_raw_cases(scored):
    latency = measure_latency(scored["v3"], max_cases=20)
    assert latency.cases == 20 and 0 < latency.p50_ms <= latency.p95_ms < 1000
    value, _ = metric_value(scored["v3"], "latency_p95_ms", latency=latency)
    assert value == latency.p95_ms


def test_explaining_a_raw_case_equals_explaining_the_stored_one(scored):
    it = scored["v2"]
    case_id = it.scores.index[7]
    raw = it.explain_raw(it.features.loc[[case_id]])
    stored = it.explain_case(case_id)
    assert raw.case_id == case_id and raw.score == pytest.approx(stored.score, abs=1e-12)
    pd.testing.assert_series_equal(raw.contributions, stored.contributions)
