"""An iteration's evaluation cases with their scores, without its model: what metrics, costs,
fairness and the goal scorecard need, and the scorecard's judging of criteria.

The scores are computed once, when the iteration is registered, and stored beside it
(`scores.parquet`, data only), so a page can judge an iteration at any threshold without loading the
model. The headline metrics and fairness gaps at the registered threshold are stored too
(`judged.json`): at that threshold they are read, at any other they are computed (scikit-learn,
fairlearn), so a changed threshold is never served the registered numbers. Every number comes from
the same functions on the same scores as for a loaded model (`ScoredIteration` is an `Evaluation`
whose scores come from the model).
"""

from __future__ import annotations

import copy
import io
import json
import logging
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from demo_models.iterations.registry import JUDGED_FILE, SCORES_FILE, Iteration, iteration_dir, load_iteration
from demo_models.metrics.costs import CaseCosts, case_costs
from demo_models.metrics.outcomes import Latency, metric_value
from demo_models.vocabulary import UseCase, get_use_case
from feedback.goals import CostMatrix, Criterion, CriterionResult, judge

if TYPE_CHECKING:
    from demo_models.iterations.review_evidence import ReviewEvidence

log = logging.getLogger(__name__)

SCORE_NAME = "score"


class Evaluation:
    """An iteration's card, evaluation cases and scores, operated at its threshold."""

    def __init__(
        self, iteration: Iteration, scores: pd.Series, use_case: UseCase | None = None, judged: dict | None = None
    ) -> None:
        self.iteration = iteration
        self.card = iteration.card
        self.use_case = use_case or get_use_case(self.card.use_case, self.card.positive_class, self.card.favourable)
        self.features = iteration.features
        self.scores = scores
        self._judged = judged  # `judge_at_threshold` of these scores, stored at registration

    def _judged_here(self) -> dict | None:
        judged = self._judged
        if (
            judged is None
            or judged.get("threshold") != self.threshold
            or judged.get("favourable") != self.card.favourable
        ):
            return None
        return judged

    def headline(self) -> dict[str, float]:
        """`headline_metrics` at the threshold: as stored at registration when it is that threshold."""
        judged = self._judged_here()
        if judged is not None:
            return dict(judged["headline"])
        from demo_models.metrics.performance import headline_metrics

        return headline_metrics(self.iteration.labels, self.scores.to_numpy(), self.threshold)

    def gap(self, attribute: str, name: str) -> float:
        """One of `fairness_gaps` for an attribute at the threshold: as stored at registration when it
        is that threshold; FairnessError if the gaps cannot be assessed."""
        judged = self._judged_here()
        stored = judged["gaps"].get(attribute) if judged is not None else None
        if stored is not None and name in stored:
            return stored[name]
        from demo_models.metrics.fairness import fairness_gaps

        return fairness_gaps(self, attribute, only=(name,))[name]

    @property
    def threshold(self) -> float:
        """The iteration's operating threshold on the score."""
        return self.card.threshold

    def decisions(self) -> pd.Series:
        """The decision for every evaluation case at the iteration's threshold."""
        positive = self.scores >= self.threshold
        return positive.map({True: self.use_case.positive_decision, False: self.use_case.negative_decision})

    def outcomes(self, case_ids) -> dict[str, str]:
        """ "positive" or "negative" decision for each of the given case ids that it knows."""
        known = [c for c in dict.fromkeys(case_ids) if c in self.scores.index]
        return {c: "positive" if self.scores[c] >= self.threshold else "negative" for c in known}

    def at_threshold(self, threshold: float) -> Evaluation:
        """The same iteration operated at another threshold (shares the cases and the scores)."""
        if threshold == self.threshold:
            return self
        clone = copy.copy(self)
        clone.card = replace(self.card, threshold=float(threshold))
        return clone


def judge_at_threshold(evaluation: Evaluation) -> dict:
    """What is stored beside an iteration at registration: its headline metrics and the fairness gaps
    of each protected attribute that has them, at its threshold (JSON: NaN for undefined)."""
    from demo_models.metrics.fairness import FairnessError, fairness_gaps

    gaps = {}
    for attribute in evaluation.card.protected_attributes:
        try:
            gaps[attribute] = fairness_gaps(evaluation, attribute)
        except FairnessError:
            pass  # computed (and refused with its reason) when asked
    return {
        "threshold": evaluation.threshold,
        "favourable": evaluation.card.favourable,
        "headline": evaluation.headline(),  # computed: registration passes none stored
        "gaps": gaps,
    }


def score_cases(model: Any, features: pd.DataFrame, positive_index: int) -> pd.Series:
    """The model's probability of the positive class for every evaluation case, by case id."""
    proba = model.predict_proba(features)[:, positive_index]
    return pd.Series(np.asarray(proba, dtype=float), index=features.index, name=SCORE_NAME)


def scores_bytes(scores: pd.Series) -> bytes:
    """The scores as the Parquet file stored beside an iteration (float64: exact)."""
    buffer = io.BytesIO()
    scores.to_frame().to_parquet(buffer)
    return buffer.getvalue()


def load_evaluation(use_case: str, version: str, registry_dir: Path | None = None) -> Evaluation | None:
    """An iteration's evaluation cases and stored scores, without loading its model; None when no
    scores are stored (registered before they were) or they do not match its cases."""
    folder = iteration_dir(use_case, version, registry_dir)
    iteration = load_iteration(use_case, version, registry_dir, with_model=False)
    try:
        scores = pd.read_parquet(folder / SCORES_FILE)[SCORE_NAME]
    except (OSError, ValueError, KeyError):
        return None
    if not scores.index.equals(iteration.eval_data.index) or scores.dtype != np.float64:
        log.warning(
            "%s/%s: the stored scores do not match its evaluation cases; the model will score them", use_case, version
        )
        return None
    try:
        judged = json.loads((folder / JUDGED_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        judged = None  # every number is computed from the scores
    return Evaluation(iteration, scores, judged=judged if isinstance(judged, dict) else None)


def costs_for(scored: Evaluation, costs: CostMatrix | None) -> tuple[CaseCosts | None, str]:
    """Per-case costs of an iteration's cases under the cost matrix, or None and why."""
    if costs is None:
        return None, "no cost matrix has been agreed for this use case"
    try:
        return case_costs(
            scored.features,
            costs.false_positive_cost,
            costs.false_negative_cost,
            costs.false_negative_column,
            costs.false_negative_fraction,
        ), ""
    except ValueError as err:
        return None, str(err)


def measure_metric(
    scored: Evaluation,
    metric: str,
    attribute: str | None = None,
    costs: CaseCosts | None = None,
    latency: Latency | None = None,
    reviews: ReviewEvidence | None = None,
) -> tuple[float | None, str, tuple[float, float] | None]:
    """A catalogue metric of the iteration at its threshold: value (None and why not) and, for a review
    metric (read from `reviews`, `demo_models.iterations.review_evidence`), the 95 % interval it is judged by."""
    from demo_models.metrics.catalogue import METRICS, canonical_key

    entry = METRICS.get(canonical_key(metric))
    if entry is not None and entry.family == "review":
        if reviews is None:
            return None, "the review rounds were not read", None
        found = reviews.measure(entry.key)
        return found.value, found.why, found.interval
    value, why = metric_value(scored, metric, attribute, costs, latency)
    return value, why, None


def evaluate_criteria(
    scored: Evaluation,
    criteria: list[Criterion],
    costs: CostMatrix | None,
    latency: Latency | None = None,
    reviews: ReviewEvidence | None = None,
) -> list[CriterionResult]:
    """Judge every criterion for the iteration at its threshold (a review metric by its interval, from `reviews`)."""
    matrix, why_no_costs = costs_for(scored, costs)
    results = []
    for criterion in criteria:
        value, why, interval = measure_metric(scored, criterion.metric, criterion.attribute, matrix, latency, reviews)
        results.append(judge(criterion, value, why or why_no_costs, interval))
    return results


def verdict(result: CriterionResult) -> str:
    """A result in one cell: "pass · 0.83", "FAIL · 0.71", "not yet decided (interval …) · 0.86", or
    "no value: why"; a review metric with its interval."""
    if result.value is None:
        return f"no value: {result.note}"
    interval = f" (95% interval {result.interval[0]:.2f}–{result.interval[1]:.2f})" if result.interval else ""
    if result.passed is None:
        return f"{result.note} · {result.value:.4g}"
    return f"{'pass' if result.passed else 'FAIL'} · {result.value:.4g}{interval}"
