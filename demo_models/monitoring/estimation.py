"""ROC AUC estimated without labels from calibrated scores (confidence-based performance estimation,
as NannyML's CBPE does it): the area under the ROC curve of the *expected* confusion counts, and the
interval the realised area would fall in if each outcome were drawn from its calibrated rate."""

from __future__ import annotations

import numpy as np
import pandas as pd

Z95 = 1.959963984540054  # the normal quantile of a 95 % two-sided interval


def expected_roc_auc(counts: np.ndarray, rates: np.ndarray) -> float:
    """The ROC AUC of the expected curve over score bins ordered from low to high (`counts` cases in each,
    each a positive with the bin's calibrated `rates`): every pair (positive in a higher bin, negative in a
    lower one) counts 1 and a pair within one bin ½ (their scores share one rate); NaN if either class is
    expected to be empty."""
    counts, rates = np.asarray(counts, dtype=float), np.asarray(rates, dtype=float)
    positives, negatives = counts * rates, counts * (1 - rates)
    total_p, total_n = positives.sum(), negatives.sum()
    if total_p <= 0 or total_n <= 0:
        return float("nan")
    below = np.concatenate([[0.0], np.cumsum(negatives)[:-1]])  # expected negatives in lower bins
    return float((positives * (below + negatives / 2)).sum() / (total_p * total_n))


def roc_auc_sd(auc: float, positives: float, negatives: float) -> float:
    """Hanley and McNeil's (1982) standard error of an ROC AUC over `positives` and `negatives` cases."""
    if not (positives > 1 and negatives > 1) or np.isnan(auc):
        return float("nan")
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    variance = (auc * (1 - auc) + (positives - 1) * (q1 - auc**2) + (negatives - 1) * (q2 - auc**2)) / (
        positives * negatives
    )
    return float(np.sqrt(max(variance, 0.0)))


def estimate_roc_auc(binned: pd.DataFrame, rates: np.ndarray) -> pd.DataFrame:
    """Per month (`binned`: one row per month and score bin with columns month, bin, count), the expected
    ROC AUC with its 95 % interval (`ROC AUC`, `ROC AUC low`, `ROC AUC high`; NaN where undefined)."""
    rows = {}
    for month, part in binned.groupby("month", sort=True):
        per_bin = part.groupby("bin")["count"].sum().sort_index()
        counts, rate = per_bin.to_numpy(float), rates[per_bin.index.to_numpy(int)]
        auc = expected_roc_auc(counts, rate)
        sd = roc_auc_sd(auc, float((counts * rate).sum()), float((counts * (1 - rate)).sum()))
        rows[month] = {
            "ROC AUC": auc,
            "ROC AUC low": float(np.clip(auc - Z95 * sd, 0, 1)),
            "ROC AUC high": float(np.clip(auc + Z95 * sd, 0, 1)),
        }
    columns = ["ROC AUC", "ROC AUC low", "ROC AUC high"]
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns).rename_axis("month")
