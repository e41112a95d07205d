"""An iteration's evaluation cases with their scores, without its model: what metrics, costs,
fairness and the goal scorecard need.

The scores are computed once, when the iteration is registered, and stored beside it
(`scores.parquet`, data only), so a page can judge an iteration at any threshold without importing
a model library or loading the model. Every number is computed by the same functions from the same
scores as for a loaded model (`ScoredIteration` is an `Evaluation` whose scores come from the model).
"""

from __future__ import annotations

import copy
import io
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from demo_models.registry import SCORES_FILE, Iteration, iteration_dir, load_iteration
from demo_models.usecases import UseCase, get_use_case

log = logging.getLogger(__name__)

SCORE_NAME = "score"


class Evaluation:
    """An iteration's card, evaluation cases and scores, operated at its threshold."""

    def __init__(self, iteration: Iteration, scores: pd.Series, use_case: UseCase | None = None) -> None:
        self.iteration = iteration
        self.card = iteration.card
        self.use_case = use_case or get_use_case(self.card.use_case, self.card.positive_class, self.card.favourable)
        self.features = iteration.features
        self.scores = scores

    @property
    def threshold(self) -> float:
        """The iteration's operating threshold on the score."""
        return self.card.threshold

    def decisions(self) -> pd.Series:
        """The decision for every evaluation case at the iteration's threshold."""
        positive = self.scores >= self.threshold
        return positive.map({True: self.use_case.positive_decision, False: self.use_case.negative_decision})

    def outcomes(self, case_ids) -> dict[str, str]:
        """"positive" or "negative" decision for each of the given case ids that it knows."""
        known = [c for c in dict.fromkeys(case_ids) if c in self.scores.index]
        return {c: "positive" if self.scores[c] >= self.threshold else "negative" for c in known}

    def at_threshold(self, threshold: float):
        """The same iteration operated at another threshold (shares the cases and the scores)."""
        if threshold == self.threshold:
            return self
        clone = copy.copy(self)
        clone.card = replace(self.card, threshold=float(threshold))
        return clone


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
        log.warning("%s/%s: the stored scores do not match its evaluation cases; the model will score them", use_case, version)
        return None
    return Evaluation(iteration, scores)
