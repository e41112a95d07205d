"""Performance metrics at a threshold, computed with scikit-learn on the same predictions (their
definitions are in `catalogue`)."""

from __future__ import annotations

import numpy as np

from demo_models.metrics.catalogue import get_metric, keys_of, labels_of
from demo_models.vocabulary import UseCase

METRIC_KEYS = keys_of("performance")


def headline_metrics(labels: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, float]:
    """The catalogue's performance metrics at the threshold (ROC AUC, recall, precision, decision rates,
    accuracy); NaN where a metric is undefined (its catalogue entry says why), never 0."""
    return {key: get_metric(key).compute(labels, scores, threshold) for key in METRIC_KEYS}


def metric_labels(use_case: UseCase) -> dict[str, str]:
    """The catalogue's one label of each headline metric, in the use case's words."""
    return labels_of("performance", use_case)


def monthly_labels(use_case: UseCase) -> dict[str, str]:
    """Short business names of the columns of a performance-by-month table, in display order (the
    metrics under their catalogue labels)."""
    labels = metric_labels(use_case)
    return {
        "cases": "cases",
        "actual positive rate": f"Actual {use_case.words.outcome} rate",
        **{key: labels[key] for key in ("positive_rate", "roc_auc", "recall", "precision")},
    }
