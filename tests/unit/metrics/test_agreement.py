"""Agreement of a round: alpha equals `krippendorff.alpha` on the reviewers × cases matrix (missing answers
included), kappa equals statsmodels' Fleiss' kappa, rates and intervals equal `proportion_confint`, and
undefined is NaN with a reason, never 0 or 1."""

import math

import krippendorff
import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa
from statsmodels.stats.proportion import proportion_confint

from demo_models.metrics.agreement import compute_alpha, compute_fleiss, rate_of, summarise_agreement

DECISIONS = ("approve", "decline")
RNG = np.random.default_rng(5)


def _answers(matrix: np.ndarray, verdicts=None, clarity=None) -> pd.DataFrame:
    """Long answers from a reviewers × cases matrix of decision codes (NaN: not answered)."""
    rows = []
    for r, row in enumerate(matrix):
        for c, code in enumerate(row):
            if np.isnan(code):
                continue
            rows.append(
                {
                    "case_id": f"C{c:03d}",
                    "reviewer": f"demo:reviewer {r}",
                    "own_decision": DECISIONS[int(code)],
                    "verdict": None if verdicts is None else verdicts[r][c],
                    "clarity": np.nan if clarity is None else clarity[r][c],
                }
            )
    return pd.DataFrame(rows)


def _matrix(reviewers=4, cases=60, missing=0.2, agree=0.8):
    truth = RNG.integers(0, 2, cases)
    matrix = np.where(RNG.random((reviewers, cases)) < agree, truth, 1 - truth).astype(float)
    matrix[RNG.random((reviewers, cases)) < missing] = np.nan
    return matrix


def test_alpha_equals_krippendorff_with_missing_answers():
    matrix = _matrix()
    got = compute_alpha(_answers(matrix), samples=200)
    expected = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
    assert got.value == pytest.approx(expected, abs=1e-12)
    assert got.low < got.value < got.high
    assert compute_alpha(_answers(matrix), samples=200) == got  # seeded bootstrap


def test_alpha_is_undefined_for_one_category_or_no_overlap():
    one = compute_alpha(_answers(np.zeros((3, 10))))
    assert math.isnan(one.value) and "same decision" in one.note
    diagonal = np.full((3, 3), np.nan)
    np.fill_diagonal(diagonal, [0, 1, 0])
    alone = compute_alpha(_answers(diagonal))
    assert math.isnan(alone.value) and alone.cases == 0 and "two reviewers" in alone.note


def test_fleiss_equals_statsmodels():
    matrix = _matrix(reviewers=3, missing=0.0)
    table, _ = aggregate_raters(matrix.T.astype(int))
    assert compute_fleiss(_answers(matrix)).value == pytest.approx(fleiss_kappa(table, method="fleiss"), abs=1e-12)


def test_fleiss_with_missing_answers_uses_the_cases_with_the_most_common_rater_count():
    matrix = _matrix(reviewers=3, missing=0.0)
    matrix[0, :10] = np.nan  # ten cases with two raters, fifty with three
    got = compute_fleiss(_answers(matrix))
    table, _ = aggregate_raters(matrix[:, 10:].T.astype(int))
    assert got.cases == 50 and "50 cases with 3 reviewers" in got.note
    assert got.value == pytest.approx(fleiss_kappa(table, method="fleiss"), abs=1e-12)
    assert math.isnan(compute_fleiss(_answers(np.ones((3, 5)))).value)


def test_rates_equal_proportion_confint_and_zero_trials_is_undefined():
    low, high = proportion_confint(17, 23, alpha=0.05, method="wilson")
    rate = rate_of(17, 23)
    assert (rate.rate, rate.low, rate.high) == pytest.approx((17 / 23, low, high), abs=1e-12)
    assert all(math.isnan(v) for v in (rate_of(0, 0).rate, rate_of(0, 0).low, rate_of(0, 0).high))


def test_summary_against_a_brute_force():
    matrix = _matrix(reviewers=3, cases=40)
    verdicts = RNG.choice(["agree", "disagree", "unsure", None], size=matrix.shape)
    clarity = RNG.choice([1, 2, 3, 4, 5, np.nan], size=matrix.shape)
    answers = _answers(matrix, verdicts, clarity)
    model = pd.Series(RNG.choice(DECISIONS, 40), index=[f"C{c:03d}" for c in range(40)])
    cases = pd.DataFrame(
        {"decision": model, "strategy": RNG.choice(["flips", "random"], 40), "group": RNG.choice(["a", "b"], 40)}
    )
    summary = summarise_agreement(answers, cases)
    agreed = answers["own_decision"].to_numpy() == model[answers["case_id"]].to_numpy()
    assert (summary.with_model.successes, summary.with_model.trials) == (agreed.sum(), len(answers))
    for strategy, row in summary.by_strategy.iterrows():
        mine = (cases["strategy"][answers["case_id"]] == strategy).to_numpy()
        assert (row["agreed"], row["answers"]) == (agreed[mine].sum(), mine.sum())
        assert row["low"] == pytest.approx(proportion_confint(agreed[mine].sum(), mine.sum(), method="wilson")[0])
    assert set(summary.by_group.index) == {"a", "b"} and set(summary.by_decision.index) <= set(DECISIONS)
    definite = answers["verdict"].isin(["agree", "disagree"]).to_numpy()
    changed = definite & ((~agreed & (answers["verdict"] == "agree")) | (agreed & (answers["verdict"] == "disagree")))
    assert (summary.changed_mind.successes, summary.changed_mind.trials) == (changed.sum(), definite.sum())
    assert summary.verdicts["agree"] == (answers["verdict"] == "agree").sum()
    assert summary.clarity_mean == pytest.approx(answers["clarity"].mean())
    split = answers.groupby("case_id")["own_decision"].nunique()
    assert summary.split_cases == tuple(split.index[split > 1])


def test_summary_without_answers_is_undefined_not_zero():
    empty = pd.DataFrame(columns=["case_id", "reviewer", "own_decision", "verdict", "clarity"])
    summary = summarise_agreement(empty, pd.DataFrame({"decision": [], "strategy": []}))
    assert math.isnan(summary.with_model.rate) and math.isnan(summary.alpha.value)
    assert math.isnan(summary.changed_mind.rate) and math.isnan(summary.clarity_mean)
    assert summary.by_group.empty and summary.split_cases == ()
