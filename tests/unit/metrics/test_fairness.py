import copy

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import MetricFrame, equalized_odds_difference, selection_rate, true_positive_rate

from demo_models.metrics.fairness import (
    FairnessError,
    _random_tables,
    bootstrap_gaps,
    chance_of_gaps,
    fairness_gaps,
    gap_metrics,
    gaps_by_threshold,
    group_table,
    weighted_gaps,
)


def test_group_table_equals_fairlearn_metricframe(scored):
    it = scored["v1"]
    declined = (it.scores >= it.threshold).to_numpy().astype(int)
    table = group_table(it, "sex")
    frame = MetricFrame(
        metrics={"tpr": true_positive_rate, "sel": selection_rate},
        y_true=it.iteration.labels,
        y_pred=declined,
        sensitive_features=it.features["sex"],
    )
    assert table["true positive rate"].to_dict() == pytest.approx(frame.by_group["tpr"].to_dict())
    assert table["favourable rate"].to_dict() == pytest.approx((1 - frame.by_group["sel"]).to_dict())
    assert table["cases"].sum() == 300
    female = it.features["sex"] == "female"
    approved = declined == 0
    assert table.loc["female", "positive rate among favourable"] == pytest.approx(
        it.iteration.labels[female & approved].mean()
    )
    assert table.loc["female", "mean score"] == pytest.approx(it.scores[female].mean())


def test_demographic_parity_is_on_approvals_not_defaults(scored):
    it = scored["v1"]
    declined = (it.scores >= it.threshold).to_numpy().astype(int)
    on = MetricFrame(
        metrics=selection_rate, y_true=it.iteration.labels, y_pred=1 - declined, sensitive_features=it.features["sex"]
    )
    off = MetricFrame(
        metrics=selection_rate, y_true=it.iteration.labels, y_pred=declined, sensitive_features=it.features["sex"]
    )
    gaps = fairness_gaps(it, "sex")
    assert gaps["dp_ratio"] == pytest.approx(on.ratio())
    assert gaps["dp_ratio"] != pytest.approx(off.ratio())
    assert gaps["equalized_odds_difference"] == pytest.approx(
        equalized_odds_difference(it.iteration.labels, declined, sensitive_features=it.features["sex"])
    )


@pytest.mark.parametrize("seed", range(5))
def test_the_fast_gaps_used_for_bootstrap_equal_fairlearn(seed):
    rng = np.random.default_rng(seed)
    n = 400
    labels, positive = rng.integers(0, 2, n), rng.integers(0, 2, n)
    groups = pd.Series(rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]))
    fast = weighted_gaps(np.ones((1, n)), labels, positive, pd.factorize(groups)[0])
    slow = gap_metrics(labels, positive, groups)
    assert {k: float(v[0]) for k, v in fast.items()} == pytest.approx(slow)
    counts = rng.multinomial(n, np.full(n, 1 / n))  # a bootstrap resample as weights = repeated rows
    rows = np.repeat(np.arange(n), counts)
    resampled = gap_metrics(labels[rows], positive[rows], groups.iloc[rows].reset_index(drop=True))
    weighted = weighted_gaps(counts[None, :].astype(float), labels, positive, pd.factorize(groups)[0])
    assert {k: float(v[0]) for k, v in weighted.items()} == pytest.approx(resampled)


def test_bootstrap_intervals_contain_the_value_and_are_seeded(scored):
    first = bootstrap_gaps(scored["v1"], "age", seed=3)
    assert ((first["low"] <= first["value"]) & (first["value"] <= first["high"])).all()
    pd.testing.assert_frame_equal(first, bootstrap_gaps(scored["v1"], "age", seed=3))


def test_gaps_by_threshold_equal_the_gaps_at_that_threshold(scored):
    sweep = gaps_by_threshold(scored["v2"], "sex", np.array([0.3, 0.5]))
    for threshold in (0.3, 0.5):
        assert sweep.loc[threshold].to_dict() == pytest.approx(fairness_gaps(scored["v2"], "sex", threshold))


def test_a_single_group_and_a_missing_attribute_are_clear_messages(scored):
    one = copy.copy(scored["v2"])
    one.features = scored["v2"].features.assign(sex="female")
    with pytest.raises(FairnessError, match="All evaluation cases are in one group"):
        group_table(one, "sex")
    with pytest.raises(FairnessError, match="not in the evaluation data"):
        group_table(scored["v2"], "religion")


def test_a_group_of_size_one_gives_numbers_not_a_crash(scored):
    tiny = copy.copy(scored["v2"])
    tiny.features = scored["v2"].features.assign(sex=["other"] + ["male"] * 299)
    table = group_table(tiny, "sex")
    assert table.loc["other", "cases"] == 1
    intervals = bootstrap_gaps(tiny, "sex", resamples=50)
    assert np.isfinite(intervals["value"]).all()


def _brute_force_chance(y, p, codes, key, shuffles, seed):
    """The permutation test written out: shuffle the group labels (within each actual outcome for the
    odds metrics), recompute the gap with fairlearn, count the shuffles at least as unequal."""
    rng = np.random.default_rng(seed)
    observed = gap_metrics(y, p, pd.Series(codes), only=(key,))[key]
    hits = 0
    for _ in range(shuffles):
        shuffled = codes.copy()
        if key.startswith("dp_"):
            shuffled = rng.permutation(codes)
        else:
            for value in (0, 1):
                rows = np.flatnonzero(y == value)
                shuffled[rows] = rng.permutation(codes[rows])
        gap = gap_metrics(y, p, pd.Series(shuffled), only=(key,))[key]  # fairlearn's function for that gap alone
        hits += gap <= observed + 1e-12 if key == "dp_ratio" else gap >= observed - 1e-12
    return hits / shuffles


@pytest.mark.parametrize("key", ["dp_ratio", "equal_opportunity_difference", "equalized_odds_difference"])
def test_the_chance_of_a_gap_equals_a_brute_force_permutation_test(key):
    rng = np.random.default_rng(4)
    n = 90
    codes = rng.integers(0, 3, n)
    y = rng.random(n) < 0.4
    p = rng.random(n) < np.where(codes == 0, 0.45, 0.6)
    fast = chance_of_gaps(y, p, codes, permutations=4000, seed=1)[key]
    assert fast == pytest.approx(_brute_force_chance(y, p, codes, key, shuffles=400, seed=2), abs=0.07)


def test_a_gap_from_groups_treated_alike_could_be_chance_though_its_interval_excludes_zero():
    """The gaps are distances, so their bootstrap interval never includes 0: the noise question needs
    the permutation test. Two groups with the same approve rate by construction."""
    rng = np.random.default_rng(0)
    n = 300
    codes = rng.integers(0, 2, n)
    y = rng.random(n) < 0.3
    p = rng.random(n) < 0.7
    chance = chance_of_gaps(y, p, codes)
    assert chance["dp_difference"] > 0.05 and chance["dp_ratio"] == pytest.approx(chance["dp_difference"])
    assert chance["equal_opportunity_difference"] > 0.05
    unequal = rng.random(n) < np.where(codes == 0, 0.5, 0.8)
    assert chance_of_gaps(y, unequal, codes)["dp_difference"] < 0.01


def test_random_tables_keep_the_group_sizes_and_the_kind_totals():
    table = np.array([[5, 3, 0, 2], [4, 4, 1, 1], [0, 2, 2, 2]])
    drawn = _random_tables(np.random.default_rng(0), table, [np.arange(4)], 200)
    assert (drawn.sum(axis=2) == table.sum(axis=1)).all() and (drawn.sum(axis=1) == table.sum(axis=0)).all()
    within = _random_tables(np.random.default_rng(0), table, [np.array([0, 1]), np.array([2, 3])], 200)
    assert (within[:, :, :2].sum(axis=2) == table[:, :2].sum(axis=1)).all()
    assert (within.sum(axis=1) == table.sum(axis=0)).all() and (within >= 0).all()
    assert len({tuple(t.ravel()) for t in drawn}) > 10  # the tables do vary


def test_bootstrap_gaps_give_the_chance_of_each_gap(scored):
    gaps = bootstrap_gaps(scored["v1"], "sex")
    assert gaps["chance"].between(0, 1).all()
    assert bootstrap_gaps(scored["v1"], "sex")["chance"].equals(gaps["chance"])  # seeded
