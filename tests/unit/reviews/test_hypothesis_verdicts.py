"""Judging an iteration's hypothesis and the review-metric criteria: confirmed / refuted / waiting, by the 95 %
interval for review metrics (exact against statsmodels), by the goals' function for model metrics (exact
against scikit-learn), and "waiting for a round" — never met — while there is no data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW

from demo_models.iterations.evaluation import evaluate_criteria, verdict
from demo_models.iterations.hypotheses import describe_verdict, judge_claim, judge_hypothesis
from demo_models.iterations.review_evidence import review_evidence
from demo_models.presentation.report_inputs import compose_snapshot
from feedback.access import Actor
from feedback.goals import Criterion, meets_target
from feedback.hypotheses import CONFIRMED, REFUTED, WAITING, Claim, Hypothesis
from feedback.store.expectations import save_pinned
from tests.helpers import CRITERION_SPECS, hold_round

DEE = Actor("Dee", "data scientist")


def _wilson(successes: int, trials: int) -> tuple[float, float]:
    return proportion_confint(successes, trials, alpha=0.05, method="wilson")


def _claim(metric="agreement_with_model", comparator=">=", target=0.85, versus_parent=False) -> Claim:
    return Claim(metric, comparator, target, versus_parent)


# --- the one rule (no store) -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "successes, trials, expected",
    [(95, 100, True), (60, 100, False), (17, 20, None), (85, 100, None)],
)
def test_an_interval_decides_only_when_it_lies_on_one_side_of_the_target(successes, trials, expected):
    low, high = _wilson(successes, trials)
    passed, note = meets_target(">=", 0.85, successes / trials, (low, high))
    assert passed is expected
    assert (low >= 0.85) is (expected is True) and (high < 0.85) is (expected is False)
    if expected is None:
        assert note == f"not yet decided (interval {low:.2f}–{high:.2f} straddles 0.85)"
    # "at most": met when the upper bound is at most the target, not met when the lower bound is above it
    assert meets_target("<=", 0.5, 0.3, (0.2, 0.45)) == (True, "")
    assert meets_target("<=", 0.5, 0.6, (0.55, 0.7)) == (False, "")
    assert meets_target("<=", 0.5, 0.48, (0.4, 0.56))[0] is None


def test_no_value_is_never_met():
    assert meets_target(">=", 0.8, None) == (None, "")
    assert meets_target(">=", 0.8, float("nan"), (float("nan"), float("nan")))[0] is None
    assert meets_target(">=", 0.8, 0.9, (float("nan"), float("nan")))[0] is None
    assert meets_target(">=", 0.8, 0.9) == (True, "")  # a model metric: the value decides


# --- on the store --------------------------------------------------------------------------------------
def test_agreement_and_clarity_are_judged_by_the_rounds_intervals(store, scored):
    hold_round(store, scored["v3"], agreed=38, cases=40, clarity=(4, 5, 5, 4, 3))
    evidence = review_evidence(store, scored["v3"])
    agreement = evidence.measure("agreement_with_model")
    assert agreement.value == 38 / 40 and agreement.interval == pytest.approx(_wilson(38, 40), abs=1e-12)
    assert agreement.source.endswith("38 of 40 blind decisions")
    ratings = np.array([(4, 5, 5, 4, 3)[i % 5] for i in range(40)], dtype=float)
    clarity = evidence.measure("clarity")
    assert clarity.value == pytest.approx(ratings.mean(), abs=1e-12)
    assert clarity.interval == pytest.approx(DescrStatsW(ratings).tconfint_mean(alpha=0.05), abs=1e-12)
    low, high = _wilson(38, 40)
    assert low < 0.85 < high  # 0.83–0.99: 0.85 is not yet decided, 0.8 is confirmed, 0.995 refuted
    hypothesis = Hypothesis(
        "credit",
        "v3",
        "Monotone constraints make the explanations make sense",
        (
            _claim(),
            _claim(target=0.8),
            _claim(target=0.995),
            _claim("clarity", target=3.5),
            _claim("clarity", target=4.0),
        ),
        "demo:dee",
        "Dee",
        "data scientist",
        parent="v2",
    )
    judged = judge_hypothesis(hypothesis, scored["v3"], scored["v2"], evidence)
    assert [v.outcome for v in judged.verdicts] == [WAITING, CONFIRMED, REFUTED, CONFIRMED, WAITING]
    assert judged.verdicts[0].note == f"not yet decided (interval {low:.2f}–{high:.2f} straddles 0.85)"
    c_low, c_high = clarity.interval  # mean 4.2, 3.96–4.44
    assert 3.5 <= c_low < 4.0 < c_high
    assert judged.verdicts[4].note == f"not yet decided (interval {c_low:.2f}–{c_high:.2f} straddles 4)"
    assert judged.verdicts[0].value == 0.95  # the value is shown, but does not decide
    assert judged.summary() == "2 of 5 claims confirmed, 1 refuted, 2 waiting"
    assert describe_verdict(judged.verdicts[1]).startswith(
        f"confirmed: Agreement with the model >= 0.8 — 0.95 (95% interval {low:.2f}–{high:.2f}); round #"
    )


def test_without_a_round_a_review_claim_waits_and_a_criterion_is_not_met(store, scored):
    evidence = review_evidence(store, scored["v3"])
    verdict_ = judge_claim(_claim(), "agreement", scored["v3"], None, evidence)
    assert (verdict_.outcome, verdict_.value) == (WAITING, None)
    assert verdict_.note == "waiting for a round: no review round of v3 has been held yet"
    assert evidence.measure("expectations_met").why == "waiting for a round: no expectation can be checked on v3 yet"
    criterion = Criterion("credit", "k1", "agreement_with_model", ">=", 0.8, "Ann", None, "Ann")
    [result] = evaluate_criteria(scored["v3"], [criterion], None, reviews=evidence)
    assert (result.value, result.passed) == (None, None) and verdict(result).startswith("no value: waiting for a round")
    snapshot = compose_snapshot(scored["v3"], [result], [])
    assert snapshot.unmet() == [criterion.describe(CRITERION_SPECS)]  # to acknowledge at sign-off, never met
    hold_round(store, scored["v3"], agreed=5, cases=5, close=False)
    still = review_evidence(store, scored["v3"]).measure("agreement_with_model")
    assert still.value is None and "“Monotone check” is still open" in still.why


def test_a_review_criterion_passes_on_the_lower_bound(store, scored):
    hold_round(store, scored["v3"], agreed=45, cases=50)
    low, high = _wilson(45, 50)
    criteria = [
        Criterion("credit", k, "agreement_with_model", ">=", target, "Ann", None, "Ann")
        for k, target in (("a", 0.75), ("b", 0.85), ("c", 0.97))
    ]
    results = evaluate_criteria(scored["v3"], criteria, None, reviews=review_evidence(store, scored["v3"]))
    assert low < 0.85 < high < 0.97 and low >= 0.75
    assert [r.passed for r in results] == [True, None, False]
    assert verdict(results[0]) == f"pass · 0.9 (95% interval {low:.2f}–{high:.2f})"
    assert verdict(results[1]) == f"not yet decided (interval {low:.2f}–{high:.2f} straddles 0.85) · 0.9"


def test_expectations_met_is_met_of_checked_with_its_wilson_interval(store, scored):
    model = scored["v3"].decisions()
    flip = {"approve": "decline", "decline": "approve"}
    for i, case in enumerate(model.index[:12]):
        expected = model[case] if i < 10 else flip[model[case]]
        save_pinned(store, DEE, "credit", case, "v3", expected, "known", decisions=("approve", "decline"))
    measure = review_evidence(store, scored["v3"]).measure("expectations_met")
    assert measure.value == 10 / 12 and measure.interval == pytest.approx(_wilson(10, 12), abs=1e-12)
    assert measure.source == "10 of 12 expectations"


def test_a_claim_vs_the_parent_is_the_change_judged_by_the_goals_function(store, scored):
    v3, v2 = scored["v3"], scored["v2"]
    change = roc_auc_score(v3.iteration.labels, v3.scores) - roc_auc_score(v2.iteration.labels, v2.scores)
    for target, outcome in ((change - 0.001, CONFIRMED), (change + 0.001, REFUTED)):
        judged = judge_claim(_claim("roc_auc", ">=", target, True), "ROC AUC vs v2", v3, v2, None)
        assert judged.outcome == outcome and judged.value == pytest.approx(change, abs=1e-12)
        assert judged.interval is None and judged.note.endswith("on v2")
    waiting = judge_claim(_claim("roc_auc", ">=", -0.01, True), "ROC AUC vs v2", v3, None, None)
    assert (waiting.outcome, waiting.note) == (WAITING, "the parent iteration cannot be read")
    absolute = judge_claim(_claim("roc_auc", ">=", 0.5), "ROC AUC", v3, None, None)
    assert absolute.outcome == CONFIRMED and math.isclose(absolute.value, roc_auc_score(v3.iteration.labels, v3.scores))
    no_costs = judge_claim(_claim("expected_cost_per_case", "<=", 10.0), "cost", v3, None, None)
    assert (no_costs.outcome, no_costs.note) == (WAITING, "no cost matrix has been agreed for this use case")
