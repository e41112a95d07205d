"""Performance metrics at a threshold, computed with scikit-learn on the same predictions."""

from __future__ import annotations

import numpy as np

from demo_models.vocabulary import UseCase

METRIC_KEYS = ("roc_auc", "recall", "precision", "positive_rate", "negative_rate", "accuracy")


def headline_metrics(labels: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, float]:
    """ROC AUC, and recall, precision, decision rates and accuracy at the threshold; NaN where a
    metric is undefined (`undefined_reason` says why), never 0."""
    from sklearn.metrics import accuracy_score, precision_score, recall_score, roc_auc_score  # ~1.5 s: not on Home

    labels = np.asarray(labels, dtype=int)
    decisions = (np.asarray(scores) >= threshold).astype(int)
    both_classes = len(np.unique(labels)) == 2
    positive_rate = float(decisions.mean()) if len(decisions) else float("nan")
    return {
        "roc_auc": float(roc_auc_score(labels, scores)) if both_classes else float("nan"),
        "recall": float(recall_score(labels, decisions, zero_division=np.nan)),
        "precision": float(precision_score(labels, decisions, zero_division=np.nan)),
        "positive_rate": positive_rate,
        "negative_rate": 1.0 - positive_rate,
        "accuracy": float(accuracy_score(labels, decisions)),
    }


def undefined_reason(metric: str, use_case: UseCase) -> str:
    """Why a headline metric has no value on these cases (it divides by zero)."""
    reasons = {
        "roc_auc": f"undefined: the cases hold a single outcome (no “{use_case.positive_outcome}” or none without it)",
        "recall": f"undefined: no case had the outcome “{use_case.positive_outcome}”",
        "precision": f"undefined: no case got “{use_case.positive_decision}”",
    }
    return reasons.get(metric, "undefined: there are no cases")


def metric_labels(use_case: UseCase) -> dict[str, str]:
    """Business labels of the headline metrics for a use case."""
    words = use_case.words
    return {
        "roc_auc": "ROC AUC",
        "recall": f"Recall: share of {words.positive_cases} {words.positive_past}",
        "precision": f"Precision: share of {words.positive_decisions} that were {words.positive_cases}",
        "positive_rate": f"{words.positive_decision.capitalize()} rate",
        "negative_rate": f"{words.negative_decision.capitalize()} rate",
        "accuracy": "Accuracy",
    }


def monthly_labels(use_case: UseCase) -> dict[str, str]:
    """Short business names of the columns of a performance-by-month table, in display order."""
    return {
        "cases": "cases",
        "actual positive rate": f"Actual {use_case.words.outcome} rate",
        "positive_rate": f"{use_case.words.positive_decision.capitalize()} rate",
        "roc_auc": "ROC AUC",
        "recall": "Recall",
        "precision": "Precision",
    }
