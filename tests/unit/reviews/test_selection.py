"""Choosing a round's cases: each strategy equals a brute force over the evaluation cases, the same seed
gives the same cases, quotas are honoured or the shortfall stated, and no case is shown twice."""

import numpy as np
import pandas as pd
import pytest

from demo_models.metrics.costs import case_costs
from demo_models.metrics.groups import group_frame
from demo_models.reviews.selection import STRATEGIES, SelectionError, select_round_cases

QUOTAS = {"flips": 8, "borderline": 6, "costliest": 5, "flagged": 4, "random": 12}


@pytest.fixture(scope="module")
def pair(scored):
    return scored["v3"], scored["v2"]


def _costs(it):
    return case_costs(it.features, 250, 500, "credit_amount", 0.5)


def _flagged(it):
    return {case_id: 1 + i % 3 for i, case_id in enumerate(it.scores.index[::17])}


def _select(pair, seed=3, quotas=QUOTAS, **kwargs):
    new, old = pair
    kwargs = {"other": old, "costs": _costs(new), "flagged": _flagged(new), "currency": "DM", **kwargs}
    return select_round_cases(new, quotas, seed=seed, **kwargs)


def test_same_seed_same_cases_and_no_case_twice(pair):
    first, again, other = _select(pair), _select(pair), _select(pair, seed=4)
    pd.testing.assert_frame_equal(first.cases, again.cases)
    assert not first.cases.index.equals(other.cases.index)  # the sampled strategies follow the seed
    assert first.cases.index.is_unique
    assert first.chosen == QUOTAS and first.shortfall == {}
    assert first.cases["strategy"].value_counts().to_dict() == QUOTAS
    assert list(dict.fromkeys(first.cases["strategy"])) == [s for s in STRATEGIES if s in QUOTAS]


def test_each_strategy_equals_a_brute_force(pair):
    new, old = pair
    flips = _select(pair, quotas={"flips": 10}).cases
    assert (new.decisions()[flips.index] != old.decisions()[flips.index]).all()
    assert flips["why"].str.contains(f"{old.card.version} would ").all()

    borderline = _select(pair, quotas={"borderline": 7}).cases
    nearest = (new.scores - new.threshold).abs().sort_values(kind="stable").index[:7]
    assert list(borderline.index) == list(nearest)

    costliest = _select(pair, quotas={"costliest": 6}).cases
    labels = np.asarray(new.iteration.labels, bool)
    wrong = (new.scores.to_numpy() >= new.threshold) != labels
    costs = _costs(new)
    cost = pd.Series(np.where(labels, costs.false_negative, costs.false_positive), index=new.scores.index)[wrong]
    assert list(costliest.index) == list(cost.sort_values(ascending=False, kind="stable").index[:6])
    assert costliest["why"].str.contains("DM").all()

    flagged = _select(pair, quotas={"flagged": 5}).cases
    assert set(flagged.index) <= set(_flagged(new))


def test_the_random_sample_is_stratified_by_decision_and_group(pair):
    new, _ = pair
    sample = _select(pair, quotas={"random": 40}).cases
    attribute = new.card.protected_attributes[0]
    strata = new.decisions() + " · " + group_frame(new.features, (attribute,), new.use_case)[attribute].astype(str)
    share = strata.value_counts(normalize=True)
    got = strata[sample.index].value_counts()
    for stratum, expected in (share * 40).items():  # largest remainders: floor or ceiling of the exact share
        assert np.floor(expected) <= got.get(stratum, 0) <= np.ceil(expected)
    assert got.sum() == 40


def test_shortfalls_are_stated(pair):
    new, _ = pair
    no_other = select_round_cases(new, {"flips": 5, "costliest": 3, "flagged": 2}, seed=1)
    assert no_other.chosen == {"flips": 0, "costliest": 0, "flagged": 0}
    assert "no iteration to compare with" in no_other.shortfall["flips"]
    assert "no cost matrix" in no_other.shortfall["costliest"]
    assert "no earlier feedback" in no_other.shortfall["flagged"]
    everything = _select(pair, quotas={"borderline": 10, "random": 10_000})
    assert everything.chosen["random"] == len(new.scores) - 10
    assert everything.shortfall["random"].startswith(f"{10_000 - (len(new.scores) - 10):,} fewer than asked")


@pytest.mark.parametrize("quotas", [{"nearest": 3}, {"random": -1}, {"random": 2.5}, {"random": True}])
def test_unreadable_quotas_are_refused(pair, quotas):
    with pytest.raises(SelectionError):
        _select(pair, quotas=quotas)
