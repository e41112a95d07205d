"""Calibration against scikit-learn (calibration_curve, brier_score_loss), statsmodels' Wilson interval and a
brute force, on scores drawn here (a use case the project did not build) and on a built-in iteration."""

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss
from statsmodels.stats.proportion import proportion_confint

from demo_models.metrics.calibration import calibration_by_group, compute_brier, compute_ece, reliability_table

RNG = np.random.default_rng(7)
N = 2_000
TRUE_P = RNG.beta(1.2, 6.0, N)  # an imbalanced target, about 17 % positive
LABELS = (RNG.random(N) < TRUE_P).astype(int)
OVERCONFIDENT = np.clip(TRUE_P * 1.8, 0, 1)  # ranks exactly as well, but says 1.8x the probability


def test_the_reliability_curve_is_scikit_learns_with_wilson_intervals():
    table = reliability_table(LABELS, OVERCONFIDENT)
    observed, predicted = calibration_curve(LABELS, OVERCONFIDENT, n_bins=10, strategy="uniform")
    np.testing.assert_allclose(table["observed rate"], observed, rtol=1e-12)
    np.testing.assert_allclose(table["mean score"], predicted, rtol=1e-12)
    assert table["cases"].sum() == N
    for _, row in table.iterrows():
        low, high = proportion_confint(round(row["observed rate"] * row["cases"]), row["cases"], method="wilson")
        assert (row["interval low"], row["interval high"]) == pytest.approx((low, high), abs=1e-12)
        assert row["interval low"] <= row["observed rate"] <= row["interval high"]


def test_brier_and_ece_tell_a_calibrated_score_from_an_overconfident_one():
    assert compute_brier(LABELS, OVERCONFIDENT) == pytest.approx(brier_score_loss(LABELS, OVERCONFIDENT))
    calibrated, over = compute_ece(LABELS, TRUE_P), compute_ece(LABELS, OVERCONFIDENT)
    assert calibrated < 0.03 < 0.1 < over  # same ranking, very different calibration
    table = reliability_table(LABELS, OVERCONFIDENT)
    weighted = (table["cases"] / N * (table["observed rate"] - table["mean score"]).abs()).sum()
    assert over == pytest.approx(weighted, rel=1e-12)


def test_a_score_on_a_bin_edge_falls_where_scikit_learn_puts_it():
    labels, scores = np.array([0, 1, 1, 0]), np.array([0.0, 0.1, 0.2, 1.0])
    table = reliability_table(labels, scores)
    observed, predicted = calibration_curve(labels, scores, n_bins=10)
    np.testing.assert_allclose(table["observed rate"], observed)
    np.testing.assert_allclose(table["mean score"], predicted)


def test_per_group_figures_are_those_of_the_groups_cases_and_undefined_without_cases():
    groups = pd.DataFrame({"region": RNG.choice(["north", "south"], N)})
    by_group = calibration_by_group(LABELS, OVERCONFIDENT, groups).set_index("group")
    assert by_group.loc["all cases", "cases"] == N
    north = groups["region"].to_numpy() == "north"
    assert by_group.loc["region: north", "Brier"] == pytest.approx(
        brier_score_loss(LABELS[north], OVERCONFIDENT[north])
    )
    assert by_group.loc["region: south", "ECE"] == pytest.approx(compute_ece(LABELS[~north], OVERCONFIDENT[~north]))
    assert math.isnan(compute_brier([], [])) and math.isnan(compute_ece([], []))


def test_a_built_in_iteration(scored):
    it = scored["v3"]
    labels, scores = it.iteration.labels, it.scores.to_numpy()
    table = reliability_table(labels, scores)
    observed, _ = calibration_curve(labels, scores, n_bins=10)
    np.testing.assert_allclose(table["observed rate"], observed, rtol=1e-12)
    assert 0 < compute_ece(labels, scores) < 1
