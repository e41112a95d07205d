"""The ROC AUC estimated without labels: the area under the expected ROC curve equals scikit-learn's
weighted ROC AUC of each case counted as a positive (weight: its calibrated rate) and as a negative
(weight: one minus it); undefined (NaN) when a class is expected empty; and its interval covers the realised
ROC AUC in at least nine months of ten when the scores are calibrated."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from demo_models.monitoring.estimation import estimate_roc_auc, expected_roc_auc, roc_auc_sd


def test_expected_auc_equals_scikit_learn_on_weighted_copies():
    rng = np.random.default_rng(3)
    counts = rng.integers(0, 40, 12).astype(float)
    rates = np.sort(rng.random(12))
    bins = np.repeat(np.arange(12), counts.astype(int))
    rate = rates[bins]
    labels = np.r_[np.ones(len(bins)), np.zeros(len(bins))]
    reference = roc_auc_score(labels, np.r_[bins, bins], sample_weight=np.r_[rate, 1 - rate])
    assert expected_roc_auc(counts, rates) == pytest.approx(reference, abs=1e-12)


def test_undefined_when_a_class_is_expected_empty():
    assert np.isnan(expected_roc_auc([10, 5], [0.0, 0.0]))
    assert np.isnan(expected_roc_auc([10, 5], [1.0, 1.0]))
    assert np.isnan(roc_auc_sd(0.8, 1, 100))
    result = estimate_roc_auc(pd.DataFrame({"month": ["2026-01"], "bin": [0], "count": [30]}), np.array([0.0]))
    assert result.loc["2026-01"].isna().all()  # undefined, never 0


def test_hanley_mcneil_standard_error():
    # Hanley & McNeil (1982), eq. 2 by hand for A = 0.8 over 50 positives and 50 negatives:
    # Q1 = 0.8 / 1.2, Q2 = 1.28 / 1.8; (0.16 + 49 (Q1 - 0.64) + 49 (Q2 - 0.64)) / 2500 = 0.0019805
    assert roc_auc_sd(0.8, 50, 50) == pytest.approx(0.0019805**0.5, rel=1e-4)


def test_interval_covers_the_realised_auc_in_nine_months_of_ten():
    rng = np.random.default_rng(2026)
    months, per_month, threshold = 220, 1_000, 0.4
    month = np.repeat(np.arange(months), per_month)
    shift = np.repeat(rng.normal(0, 0.6, months), per_month)  # each month its own population
    score = 1 / (1 + np.exp(-(rng.normal(-1.5, 1.2, len(month)) + shift)))
    frame = pd.DataFrame({"month": month, "s": score, "y": (rng.random(len(month)) < score) * 1.0})
    reference = frame[frame["month"] < 20]
    q = np.linspace(0, 1, 11)
    inner = np.unique(
        np.concatenate(
            [
                np.quantile(reference["s"][reference["s"] < threshold], q)[1:-1],
                np.quantile(reference["s"][reference["s"] >= threshold], q)[1:-1],
                [threshold],
            ]
        )
    )
    frame["bin"] = (frame["s"].to_numpy()[:, None] >= inner[None, :]).sum(axis=1)
    rates = frame[frame["month"] < 20].groupby("bin")["y"].mean().reindex(range(len(inner) + 1)).to_numpy()
    estimated = estimate_roc_auc(frame.groupby(["month", "bin"]).size().rename("count").reset_index(), rates)
    realised = frame.groupby("month").apply(lambda p: roc_auc_score(p["y"], p["s"]), include_groups=False)
    later = list(range(20, months))
    est, real = estimated.loc[later], realised.loc[later]
    covered = (est["ROC AUC low"] <= real) & (real <= est["ROC AUC high"])
    assert covered.mean() >= 0.9
    assert (est["ROC AUC high"] - est["ROC AUC low"]).median() < 0.1  # informative, not 0-1
    assert abs((est["ROC AUC"] - real).mean()) < 0.01
