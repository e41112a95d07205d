"""Outcomes of an iteration at a threshold: errors, curves, cost, fairness gaps, criterion values."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from demo_models.metrics.catalogue import canonical_key, compute_cost_per_case, get_metric
from demo_models.metrics.costs import CaseCosts

if TYPE_CHECKING:  # scikit-learn is imported where a curve or a matrix is computed: not for Home's scorecard
    from demo_models.iterations.evaluation import Evaluation
    from demo_models.iterations.scoring import ScoredIteration

LATENCY_MAX_CASES = 300
LATENCY_BUDGET_SECONDS = 5.0


def confusion(labels: np.ndarray, scores: np.ndarray, threshold: float) -> pd.DataFrame:
    """2x2 counts: actual outcome (rows: negative, positive) by decision (columns), scikit-learn's."""
    from sklearn.metrics import confusion_matrix

    decisions = (np.asarray(scores) >= threshold).astype(int)
    matrix = confusion_matrix(np.asarray(labels, dtype=int), decisions, labels=[0, 1])
    return pd.DataFrame(matrix, index=["negative", "positive"], columns=["negative", "positive"])


@dataclass(frozen=True)
class Curves:
    """ROC and precision-recall curves of the scores (scikit-learn's)."""

    fpr: np.ndarray
    tpr: np.ndarray
    precision: np.ndarray
    recall: np.ndarray


def compute_curves(labels: np.ndarray, scores: np.ndarray) -> Curves:
    """ROC and precision-recall curves."""
    from sklearn.metrics import precision_recall_curve, roc_curve

    fpr, tpr, _ = roc_curve(labels, scores)
    precision, recall, _ = precision_recall_curve(labels, scores)
    return Curves(fpr, tpr, precision, recall)


def fairness_value(scored: Evaluation, metric: str, attribute: str) -> tuple[float | None, str]:
    """A fairness gap of the catalogue (e.g. the disparate impact ratio, under its key or a stored alias)
    across the groups, on the favourable outcome (the Fairness page's `fairness_gaps`), or None and why
    it has no value."""
    from demo_models.metrics.groups import FairnessError

    if attribute not in scored.features.columns:
        return None, f"{attribute!r} is not in this iteration's evaluation data"
    key = canonical_key(metric)
    try:
        value = scored.gap(attribute, key)
    except FairnessError:  # the attribute is present, so the only refusal left: one group
        return None, f"{attribute!r} has a single group in the evaluation data"
    if np.isnan(value):
        return None, get_metric(key).undefined_reason(scored.use_case)
    return value, ""


@dataclass(frozen=True)
class Latency:
    """Time to score and explain one raw case (encoding included), over evaluation cases."""

    p50_ms: float
    p95_ms: float
    cases: int


def measure_latency(
    scored: ScoredIteration, max_cases: int = LATENCY_MAX_CASES, budget_seconds: float = LATENCY_BUDGET_SECONDS
) -> Latency:
    """Median and p95 of score + grouped SHAP + reason codes for raw cases, within a time budget."""
    features = scored.features
    times = []
    deadline = time.perf_counter() + budget_seconds
    for i in range(min(len(features), max_cases)):
        start = time.perf_counter()
        scored.explain_raw(features.iloc[[i]])
        times.append(time.perf_counter() - start)
        if time.perf_counter() > deadline and len(times) >= 5:
            break
    ms = np.array(times) * 1000
    return Latency(float(np.percentile(ms, 50)), float(np.percentile(ms, 95)), len(ms))


def metric_value(
    scored: Evaluation,
    metric: str,
    attribute: str | None = None,
    costs: CaseCosts | None = None,
    latency: Latency | None = None,
) -> tuple[float | None, str]:
    """The value of a criterion metric for the iteration at its threshold, or None and why not."""
    labels, scores = scored.iteration.labels, scored.scores.to_numpy()
    try:
        entry = get_metric(metric)
    except KeyError:
        return None, f"unknown metric {metric!r}"
    if entry.family == "fairness":
        return fairness_value(scored, entry.key, attribute or "")
    if entry.family == "cost":
        if costs is None:
            return None, "no cost matrix has been agreed for this use case"
        return compute_cost_per_case(labels, scores, scored.threshold, costs), ""
    if entry.family == "latency":
        return (latency.p95_ms, "") if latency else (None, "latency has not been measured")
    value = scored.headline()[entry.key]
    return (None, entry.undefined_reason(scored.use_case)) if np.isnan(value) else (value, "")
