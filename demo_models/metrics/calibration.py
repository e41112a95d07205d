"""Calibration: does "30 %" mean 30 %? The reliability of the scores in bins, with Wilson intervals on
each bin's observed rate, the Brier score and the expected calibration error, overall and per group.

A well-ranked but badly calibrated score (high ROC AUC, observed rates far from the scores) misleads a
cost-based threshold, which assumes the score is the probability of the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from demo_models.metrics.groups import group_frame

if TYPE_CHECKING:
    from demo_models.iterations.evaluation import Evaluation

CALIBRATION_BINS = 10  # equal-width bins of the score: [0, 0.1], (0.1, 0.2], …, (0.9, 1.0]
RELIABILITY_COLUMNS = ["scores", "cases", "mean score", "observed rate", "interval low", "interval high"]


def _bin_codes(scores: np.ndarray, bins: int) -> np.ndarray:
    """Each score's bin, as scikit-learn's `calibration_curve` bins them: (low, high], the first from 0."""
    return np.searchsorted(np.linspace(0.0, 1.0, bins + 1)[1:-1], np.asarray(scores, dtype=float))


def wilson_interval(successes: int, trials: int) -> tuple[float, float]:
    """The 95 % Wilson score interval of successes / trials (statsmodels' `proportion_confint`)."""
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(successes, trials, alpha=0.05, method="wilson")
    return float(low), float(high)


def compute_brier(labels: np.ndarray, scores: np.ndarray) -> float:
    """Mean squared difference between score and outcome (scikit-learn's `brier_score_loss`); NaN without cases."""
    from sklearn.metrics import brier_score_loss

    labels = np.asarray(labels, dtype=int)
    return float(brier_score_loss(labels, scores, pos_label=1)) if len(labels) else float("nan")


def compute_ece(labels: np.ndarray, scores: np.ndarray, bins: int = CALIBRATION_BINS) -> float:
    """Expected calibration error: |observed rate − mean score| per equal-width bin, weighted by the bin's
    share of cases; NaN without cases."""
    labels, scores = np.asarray(labels, dtype=float), np.asarray(scores, dtype=float)
    if not len(labels):
        return float("nan")
    codes = _bin_codes(scores, bins)
    counts = np.bincount(codes, minlength=bins)
    gap = np.abs(np.bincount(codes, labels, bins) - np.bincount(codes, scores, bins))
    return float(gap.sum() / counts.sum())


def reliability_table(labels: np.ndarray, scores: np.ndarray, bins: int = CALIBRATION_BINS) -> pd.DataFrame:
    """Per score bin that holds cases: its range, cases, mean score, observed rate of the positive outcome and
    the rate's 95 % Wilson interval (statsmodels)."""
    labels, scores = np.asarray(labels, dtype=int), np.asarray(scores, dtype=float)
    codes = _bin_codes(scores, bins)
    counts = np.bincount(codes, minlength=bins)
    positives = np.bincount(codes, labels, bins)
    mean_score = np.bincount(codes, scores, bins)
    rows = []
    for b in np.flatnonzero(counts):
        low, high = wilson_interval(int(positives[b]), int(counts[b]))
        rows.append(
            {
                "scores": f"{b / bins:.1f}–{(b + 1) / bins:.1f}",
                "cases": int(counts[b]),
                "mean score": mean_score[b] / counts[b],
                "observed rate": positives[b] / counts[b],
                "interval low": low,
                "interval high": high,
            }
        )
    return pd.DataFrame(rows, columns=RELIABILITY_COLUMNS)


def calibration_by_group(labels: np.ndarray, scores: np.ndarray, groups: pd.DataFrame) -> pd.DataFrame:
    """Cases, Brier score and expected calibration error for all cases and for each group of each column of
    `groups` (one label per case, as `metrics.groups.group_frame` gives)."""
    labels, scores = np.asarray(labels, dtype=int), np.asarray(scores, dtype=float)
    rows = [{"group": "all cases", "cases": len(labels), "Brier": compute_brier(labels, scores),
             "ECE": compute_ece(labels, scores)}]  # fmt: skip
    for attribute in groups.columns:
        column = groups[attribute].to_numpy()
        for value in pd.unique(column):
            keep = column == value
            rows.append(
                {
                    "group": f"{attribute}: {value}",
                    "cases": int(keep.sum()),
                    "Brier": compute_brier(labels[keep], scores[keep]),
                    "ECE": compute_ece(labels[keep], scores[keep]),
                }
            )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class CalibrationSummary:
    """An iteration's calibration: the reliability table, the figures overall and per protected group."""

    reliability: pd.DataFrame
    by_group: pd.DataFrame
    brier: float
    ece: float


def summarise_calibration(scored: Evaluation) -> CalibrationSummary:
    """The calibration of an iteration's scores on its evaluation cases, per protected attribute it names."""
    labels, scores = np.asarray(scored.iteration.labels, dtype=int), scored.scores.to_numpy()
    attributes = tuple(a for a in scored.card.protected_attributes if a in scored.features.columns)
    groups = group_frame(scored.features, attributes, scored.use_case)
    return CalibrationSummary(
        reliability_table(labels, scores),
        calibration_by_group(labels, scores, groups),
        compute_brier(labels, scores),
        compute_ece(labels, scores),
    )
