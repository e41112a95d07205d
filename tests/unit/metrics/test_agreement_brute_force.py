"""Agreement figures of a round against brute force: Krippendorff's alpha from its coincidence matrix (missing
answers included), Fleiss' kappa from its formula, and, for two reviewers whose decisions have the same shares,
Fleiss' kappa equal to scikit-learn's Cohen's kappa (the two coincide when the raters' marginals are equal)."""

import itertools

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from demo_models.metrics.agreement import compute_alpha, compute_fleiss
from tests.unit.metrics.test_agreement import DECISIONS, _answers


def _alpha_by_coincidences(answers: pd.DataFrame) -> float:
    """Nominal alpha by the book: o_ck over pairable units, n_c its margins, 1 - (n - 1) D_o / D_e."""
    categories = sorted(answers["own_decision"].unique())
    o = {(c, k): 0.0 for c in categories for k in categories}
    for _, unit in answers.groupby("case_id"):
        values = list(unit["own_decision"])
        m = len(values)
        if m < 2:
            continue
        for i, j in itertools.permutations(range(m), 2):
            o[(values[i], values[j])] += 1 / (m - 1)
    n_c = {c: sum(o[(c, k)] for k in categories) for c in categories}
    n = sum(n_c.values())
    disagree = sum(v for (c, k), v in o.items() if c != k)
    expected = sum(n_c[c] * n_c[k] for c in categories for k in categories if c != k)
    return 1 - (n - 1) * disagree / expected


def _fleiss_by_formula(table: np.ndarray) -> float:
    """Fleiss' kappa from a cases × categories count table with the same number of raters per case."""
    cases, raters = len(table), table.sum(axis=1)[0]
    p_j = table.sum(axis=0) / (cases * raters)
    p_i = ((table**2).sum(axis=1) - raters) / (raters * (raters - 1))
    return (p_i.mean() - (p_j**2).sum()) / (1 - (p_j**2).sum())


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_alpha_equals_its_coincidence_matrix_with_missing_answers(seed):
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 2, 40)
    matrix = np.array([np.where(rng.random(40) < 0.75, truth, 1 - truth) for _ in range(4)], dtype=float)
    matrix[rng.random(matrix.shape) < 0.3] = np.nan
    answers = _answers(matrix)
    assert compute_alpha(answers, samples=50).value == pytest.approx(_alpha_by_coincidences(answers), abs=1e-12)


def test_fleiss_equals_its_formula():
    rng = np.random.default_rng(8)
    truth = rng.integers(0, 2, 50)
    matrix = np.array([np.where(rng.random(50) < 0.7, truth, 1 - truth) for _ in range(3)], dtype=float)
    answers = _answers(matrix)
    table = pd.crosstab(answers["case_id"], answers["own_decision"]).to_numpy()
    assert compute_fleiss(answers).value == pytest.approx(_fleiss_by_formula(table), abs=1e-12)


def test_two_reviewers_with_equal_shares_fleiss_equals_sklearn_cohen_kappa():
    rng = np.random.default_rng(4)
    first = rng.integers(0, 2, 60)
    second = first.copy()
    flip = (
        rng.choice(np.flatnonzero(first == 0), 7, replace=False),
        rng.choice(np.flatnonzero(first == 1), 7, replace=False),
    )
    second[flip[0]], second[flip[1]] = 1, 0  # 7 each way: the same shares, 14 disagreements
    assert first.sum() == second.sum()
    answers = _answers(np.array([first, second], dtype=float))
    cohen = cohen_kappa_score([DECISIONS[i] for i in first], [DECISIONS[i] for i in second])
    assert compute_fleiss(answers).value == pytest.approx(cohen, abs=1e-12)
    assert 0 < cohen < 1
