"""The metric catalogue: every entry's function equals its reference (scikit-learn, fairlearn, numpy) on
cases drawn here (not the project's data), its declared range holds, and its texts are complete."""

import math

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equalized_odds_difference,
)
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    confusion_matrix,
    precision_score,
    recall_score,
    roc_auc_score,
)

from demo_models.metrics.catalogue import (
    CATALOGUE,
    METRICS,
    canonical_key,
    criterion_keys,
    criterion_specs,
    get_metric,
    keys_of,
)
from demo_models.metrics.costs import CaseCosts
from demo_models.vocabulary import CREDIT, FRAUD, get_use_case

USE_CASES = [CREDIT, FRAUD, get_use_case("churn", "churn")]
RNG = np.random.default_rng(20261202)
N = 400
LABELS = RNG.integers(0, 2, N)
GROUPS = pd.Series(RNG.choice(["a", "b", "c"], N, p=[0.5, 0.3, 0.2]))
# informative, not perfect; group c's positive cases score lower (its gaps differ by outcome)
SCORES = np.clip(0.35 * LABELS + RNG.normal(0.35, 0.2, N) - 0.3 * ((GROUPS == "c") & (LABELS == 1)), 0, 1)
THRESHOLD = 0.45
DECISIONS = (SCORES >= THRESHOLD).astype(int)
DESERVED, FAVOURED = 1 - LABELS, 1 - DECISIONS  # the favourable side is the negative one, as for credit
FP_COST, FN_COST = 7.0, 31.0
TIMES_MS = RNG.gamma(2.0, 4.0, 250)
# review metrics: one value per answer (drawn after the rest, so the draws above are unchanged)
AGREED, RATINGS, MET = RNG.random(61) < 0.8, RNG.integers(1, 6, 45), RNG.random(33) < 0.7
REVIEW_ANSWERS = {"agreement_with_model": AGREED, "clarity": RATINGS, "expectations_met": MET}


def _reference_cost() -> float:
    tn, fp, fn, tp = confusion_matrix(LABELS, DECISIONS, labels=[0, 1]).ravel()
    return (fp * FP_COST + fn * FN_COST) / N


def _reference_ece() -> float:
    """Brute force: each case put in its tenth of [0, 1] by a loop, the gap of each bin weighted by its size."""
    bins: dict[int, list[int]] = {}
    for i, score in enumerate(SCORES):
        bins.setdefault(max(math.ceil(score * 10) - 1, 0), []).append(i)  # (0.1, 0.2] is the second
    return sum(len(ix) / N * abs(LABELS[ix].mean() - SCORES[ix].mean()) for ix in bins.values())


REFERENCES = {
    "roc_auc": lambda: roc_auc_score(LABELS, SCORES),
    "recall": lambda: recall_score(LABELS, DECISIONS),
    "precision": lambda: precision_score(LABELS, DECISIONS),
    "positive_rate": lambda: np.mean(DECISIONS),
    "negative_rate": lambda: 1 - np.mean(DECISIONS),
    "accuracy": lambda: accuracy_score(LABELS, DECISIONS),
    "expected_cost_per_case": _reference_cost,
    "latency_p95_ms": lambda: np.quantile(TIMES_MS, 0.95),
    "brier": lambda: brier_score_loss(LABELS, SCORES),
    "ece": lambda: _reference_ece(),
    "dp_ratio": lambda: demographic_parity_ratio(DESERVED, FAVOURED, sensitive_features=GROUPS),
    "dp_difference": lambda: demographic_parity_difference(DESERVED, FAVOURED, sensitive_features=GROUPS),
    "equalized_odds_difference": lambda: equalized_odds_difference(DESERVED, FAVOURED, sensitive_features=GROUPS),
    "equal_opportunity_difference": lambda: equal_opportunity_difference(DESERVED, FAVOURED, sensitive_features=GROUPS),
    # brute force: counted by a loop
    "agreement_with_model": lambda: sum(1 for a in AGREED if a) / len(AGREED),
    "clarity": lambda: sum(int(r) for r in RATINGS) / len(RATINGS),
    "expectations_met": lambda: sum(1 for m in MET if m) / len(MET),
}


def _computed(key: str) -> float:
    metric = METRICS[key]
    if metric.family == "performance":
        return metric.compute(LABELS, SCORES, THRESHOLD)
    if metric.family == "fairness":
        return metric.compute(DESERVED, FAVOURED, GROUPS)
    if metric.family == "calibration":
        return metric.compute(LABELS, SCORES)
    if metric.family == "review":
        return metric.compute(REVIEW_ANSWERS[key])
    if metric.family == "cost":
        return metric.compute(LABELS, SCORES, THRESHOLD, CaseCosts(np.full(N, FP_COST), np.full(N, FN_COST)))
    return metric.compute(TIMES_MS)


def test_every_entry_has_a_reference_and_the_references_tell_the_metrics_apart():
    assert set(REFERENCES) == set(METRICS)
    values = [round(float(reference()), 9) for reference in REFERENCES.values()]
    assert len(set(values)) == len(values)  # a function swapped for another entry's would fail its test


@pytest.mark.parametrize("key", list(METRICS))
def test_each_function_equals_its_reference(key):
    value, reference = _computed(key), float(REFERENCES[key]())
    assert value == pytest.approx(reference, rel=1e-12, abs=1e-12)
    metric = METRICS[key]
    assert metric.low <= value <= metric.high
    assert 0 < reference < (1 if metric.high == 1 else math.inf)  # a case where a wrong formula would show


@pytest.mark.parametrize("use_case", USE_CASES, ids=lambda u: u.name)
def test_every_entry_speaks_and_says_why_it_may_be_undefined(use_case):
    labels = [m.label(use_case) for m in CATALOGUE]
    assert len(set(labels)) == len(labels)  # one label per metric, none shared
    for metric in CATALOGUE:
        for text in (metric.label(use_case), metric.explanation(use_case), metric.formula):
            assert text.strip() and "{" not in text, (metric.key, text)
        assert metric.undefined_reason(use_case).startswith("undefined: "), metric.key
        assert metric.per_attribute == (metric.family == "fairness")


def test_undefined_is_nan_never_zero():
    one_outcome, nobody = np.zeros(10, dtype=int), np.zeros(10)
    assert math.isnan(get_metric("roc_auc").compute(one_outcome, nobody, 0.5))
    assert math.isnan(get_metric("recall").compute(one_outcome, nobody, 0.5))
    assert math.isnan(get_metric("precision").compute(one_outcome, nobody, 0.5))
    assert math.isnan(get_metric("brier").compute([], [])) and math.isnan(get_metric("ece").compute([], []))
    groups = pd.Series(["a"] * 5 + ["b"] * 5)
    assert math.isnan(get_metric("dp_ratio").compute(np.ones(10), np.zeros(10), groups))


def test_the_old_key_of_the_disparate_impact_ratio_is_an_alias():
    assert canonical_key("disparate_impact_ratio") == "dp_ratio" and canonical_key("recall") == "recall"
    assert get_metric("disparate_impact_ratio") is METRICS["dp_ratio"]
    specs = criterion_specs(CREDIT)
    assert specs["disparate_impact_ratio"] == specs["dp_ratio"]
    assert "disparate_impact_ratio" not in criterion_keys()  # new criteria are saved under the one key
    assert set(criterion_keys()) == {k for k in specs if canonical_key(k) == k}
    assert keys_of("fairness") == (
        "dp_ratio",
        "dp_difference",
        "equalized_odds_difference",
        "equal_opportunity_difference",
    )
