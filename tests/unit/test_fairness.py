import copy

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import MetricFrame, equalized_odds_difference, selection_rate, true_positive_rate

from demo_models.fairness import (
    FairnessError,
    bootstrap_gaps,
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
    frame = MetricFrame(metrics={"tpr": true_positive_rate, "sel": selection_rate}, y_true=it.iteration.labels,
                        y_pred=declined, sensitive_features=it.features["sex"])
    assert table["true positive rate"].to_dict() == pytest.approx(frame.by_group["tpr"].to_dict())
    assert table["favourable rate"].to_dict() == pytest.approx((1 - frame.by_group["sel"]).to_dict())
    assert table["cases"].sum() == 300
    female = it.features["sex"] == "female"
    approved = declined == 0
    assert table.loc["female", "positive rate among favourable"] == pytest.approx(it.iteration.labels[female & approved].mean())
    assert table.loc["female", "mean score"] == pytest.approx(it.scores[female].mean())


def test_demographic_parity_is_on_approvals_not_defaults(scored):
    it = scored["v1"]
    declined = (it.scores >= it.threshold).to_numpy().astype(int)
    on = MetricFrame(metrics=selection_rate, y_true=it.iteration.labels, y_pred=1 - declined, sensitive_features=it.features["sex"])
    off = MetricFrame(metrics=selection_rate, y_true=it.iteration.labels, y_pred=declined, sensitive_features=it.features["sex"])
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
