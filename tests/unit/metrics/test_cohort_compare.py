"""Two iterations side by side on the cases both were shown, and reviewer agreement per cohort, on a loan
book the project did not build (the good outcome as the positive class, missing values): each cohort's
errors under both equal a brute force over its rule, the paired test equals scipy's exact binomial test,
the calibration equals scikit-learn's, and agreement equals a count with statsmodels' Wilson interval."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss
from statsmodels.stats.proportion import proportion_confint

from demo_models.metrics.cohort_compare import BETTER, PairError, cohort_agreement, compare_cohorts
from demo_models.metrics.errors import find_error_cohorts, select_rule
from demo_models.vocabulary import get_use_case

N = 3_000


def _book(seed: int = 8):
    rng = np.random.default_rng(seed)
    features = pd.DataFrame(
        {
            "duration": rng.integers(6, 72, N).astype(float),
            "amount": rng.gamma(2.0, 4_000.0, N).round(),
            "purpose": rng.choice(["car", "education", "furniture"], N, p=[0.5, 0.2, 0.3]),
        },
        index=pd.Index([f"L{i:05d}" for i in range(N)], name="case_id"),
    )
    features.loc[rng.random(N) < 0.08, "amount"] = np.nan
    repaid = (rng.random(N) < 0.85).astype(int)
    clean = np.where(repaid == 1, rng.uniform(0.5, 1.0, N), rng.uniform(0.0, 0.5, N))
    planted = ((features["duration"] > 48) & (features["purpose"] == "education")).to_numpy()
    old_scores = np.where(planted & (rng.random(N) < 0.8), 1 - clean, clean)  # v1 is wrong there
    new_scores = np.clip(clean + rng.normal(0, 0.08, N), 0, 1)  # v2 fixed it
    use_case = get_use_case("loans", "repaid", favourable="positive")

    def iteration(version, scores, rows):
        part = features.iloc[rows]
        return SimpleNamespace(
            iteration=SimpleNamespace(labels=repaid[rows]),
            scores=pd.Series(scores[rows], index=part.index),
            threshold=0.5,
            features=part,
            use_case=use_case,
            card=SimpleNamespace(version=version, protected_attributes=()),
        )

    # v1 was shown the first 2,600 cases, v2 the last 2,700: 2,300 in common, in a different order
    return iteration("v1", old_scores, np.arange(2_600)), iteration("v2", new_scores, np.arange(N)[::-1][:2_700])


def test_each_cohort_under_both_equals_a_brute_force_on_the_shared_cases():
    old, new = _book()
    change = compare_cohorts(old, new)
    common = old.scores.index.intersection(new.scores.index)
    assert change.cases == len(common) == 2_300
    labels = pd.Series(new.iteration.labels, index=new.scores.index)[common].to_numpy()
    wrong_old = (old.scores[common].to_numpy() >= 0.5) != (labels == 1)
    wrong_new = (new.scores[common].to_numpy() >= 0.5) != (labels == 1)
    assert (change.errors_before, change.errors_after) == (wrong_old.sum(), wrong_new.sum())
    assert set(change.table["found on"]) == {"v1", "v2"}
    for _, row in change.table.iterrows():
        side = old if row["found on"] == "v1" else new
        rule = next(
            c.rule
            for c in find_error_cohorts(
                SimpleNamespace(
                    iteration=SimpleNamespace(labels=labels),
                    scores=side.scores[common],
                    threshold=0.5,
                    features=side.features.loc[common],
                    use_case=side.use_case,
                    card=side.card,
                ),
            ).cohorts
            if c.description == row["cohort"]
        )
        inside = common.isin(select_rule(side.features.loc[common], rule))
        assert row["cases"] == inside.sum()
        assert row["errors before"] == wrong_old[inside].sum() and row["errors after"] == wrong_new[inside].sum()
        assert row["rate after"] - row["rate before"] == pytest.approx(row["rate change"])
        fixed, broken = (wrong_old & ~wrong_new & inside).sum(), (~wrong_old & wrong_new & inside).sum()
        assert (row["fixed"], row["new errors"]) == (fixed, broken)
        if fixed + broken:
            assert row["p-value"] == pytest.approx(binomtest(int(fixed), int(fixed + broken), 0.5).pvalue)
        else:
            assert np.isnan(row["p-value"])
    worst_of_v1 = change.table[change.table["found on"] == "v1"].iloc[0]
    assert "education" in worst_of_v1["cohort"] and worst_of_v1["verdict"] == BETTER  # the planted region, fixed


def test_both_calibrations_equal_scikit_learn_on_the_shared_cases():
    old, new = _book()
    change = compare_cohorts(old, new)
    common = old.scores.index.intersection(new.scores.index)
    labels = pd.Series(new.iteration.labels, index=new.scores.index)[common].to_numpy()
    for side, it in zip(change.calibration, (old, new)):
        scores = it.scores[common].to_numpy()
        observed, predicted = calibration_curve(labels, scores, n_bins=10, strategy="uniform")
        assert side.version == it.card.version
        np.testing.assert_allclose(side.reliability["observed rate"], observed)
        np.testing.assert_allclose(side.reliability["mean score"], predicted)
        assert side.brier == pytest.approx(brier_score_loss(labels, scores))
        bins = np.clip(np.ceil(scores * 10) - 1, 0, 9)
        ece = sum(
            (bins == b).mean() * abs(labels[bins == b].mean() - scores[bins == b].mean()) for b in np.unique(bins)
        )
        assert side.ece == pytest.approx(ece)


def test_iterations_without_a_shared_case_are_a_message():
    old, new = _book()
    new.scores = new.scores.set_axis([f"X{i}" for i in range(len(new.scores))])
    with pytest.raises(PairError, match="share no evaluation cases"):
        compare_cohorts(old, new)


def test_reviewer_agreement_per_cohort_equals_a_count_with_wilson_intervals():
    _, new = _book()
    found = find_error_cohorts(new)
    rng = np.random.default_rng(3)
    picked = rng.choice(new.scores.index, 400, replace=False)
    reviewed = pd.DataFrame(
        {
            "case_id": np.repeat(picked, 2),
            "own_decision": "x",
            "verdict": rng.choice(["agree", "disagree", "unsure", None], 800, p=[0.5, 0.3, 0.1, 0.1]),
        }
    )
    table = cohort_agreement(found, reviewed)
    assert len(table) == len(found.cohorts)
    for cohort, (_, row) in zip(found.cohorts, table.iterrows()):
        here = reviewed[reviewed["case_id"].isin(cohort.case_ids) & reviewed["verdict"].notna()]
        assert row["reviewer verdicts"] == len(here)
        if len(here):
            agreed = int((here["verdict"] == "agree").sum())
            low, high = proportion_confint(agreed, len(here), alpha=0.05, method="wilson")
            assert row["reviewers agreeing"] == pytest.approx(agreed / len(here))
            assert (row["agreeing low"], row["agreeing high"]) == pytest.approx((low, high))
        else:
            assert np.isnan(row["reviewers agreeing"])
    none = cohort_agreement(found, None)
    assert (none["reviewer verdicts"] == 0).all() and none["reviewers agreeing"].isna().all()  # undefined, not 0


def test_beyond_the_fit_sample_the_tree_is_fitted_on_a_sample_and_counts_every_case(monkeypatch):
    from demo_models.metrics import errors

    _, new = _book()
    monkeypatch.setattr(errors, "FIT_SAMPLE", 1_000)
    found = errors.find_error_cohorts(new)
    assert found.fitted_on == 1_000 and found.cases == 2_700
    assert sum(c.cases for c in found.cohorts) == 2_700
    wrong = (new.scores.to_numpy() >= 0.5) != (new.iteration.labels == 1)
    for cohort in found.cohorts:
        inside = new.features.index.isin(select_rule(new.features, cohort.rule))
        assert (cohort.cases, cohort.errors) == (inside.sum(), wrong[inside].sum())
    monkeypatch.undo()
    assert find_error_cohorts(new).fitted_on == 2_700
