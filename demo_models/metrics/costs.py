"""The business cost of errors at a threshold, and the threshold that minimises it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class CaseCosts:
    """What each case costs if decided wrongly: a false positive and a missed positive."""

    false_positive: np.ndarray  # cost if the case is negative but gets the positive decision
    false_negative: np.ndarray  # cost if the case is positive but gets the negative decision


def case_costs(
    features: pd.DataFrame,
    false_positive_cost: float,
    false_negative_cost: float,
    false_negative_column: str | None = None,
    false_negative_fraction: float = 0.0,
) -> CaseCosts:
    """Per-case costs: fixed, plus a share of a column for missed positives (e.g. 50 % of the amount)."""
    n = len(features)
    missed = np.full(n, float(false_negative_cost))
    if false_negative_column and false_negative_fraction:
        if false_negative_column not in features.columns:
            raise ValueError(f"The cost column {false_negative_column!r} is not an input of this iteration.")
        values = pd.to_numeric(features[false_negative_column], errors="coerce").fillna(0).to_numpy(float)
        missed = missed + false_negative_fraction * values
    return CaseCosts(np.full(n, float(false_positive_cost)), missed)


def total_cost(labels: np.ndarray, scores: np.ndarray, threshold: float, costs: CaseCosts) -> float:
    """Total cost of the errors when cases at or above the threshold get the positive decision."""
    labels = np.asarray(labels, dtype=bool)
    positive = np.asarray(scores) >= threshold
    return float(costs.false_positive[positive & ~labels].sum() + costs.false_negative[~positive & labels].sum())


@dataclass(frozen=True)
class CostCurve:
    """Total cost at every distinct cut of the scores, and the cheapest one."""

    thresholds: np.ndarray  # a threshold per cut, between two neighbouring distinct scores
    totals: np.ndarray  # total cost at each of them
    n_cases: int

    @property
    def best(self) -> int:
        """Index of the cheapest cut (the highest threshold among equally cheap ones)."""
        return int(np.argmin(self.totals))

    @property
    def optimal_threshold(self) -> float:
        """The cost-optimal threshold."""
        return float(self.thresholds[self.best])

    def per_thousand(self, total: float) -> float:
        """A total cost expressed per 1,000 cases."""
        return total / self.n_cases * 1000


def cost_curve(labels: np.ndarray, scores: np.ndarray, costs: CaseCosts) -> CostCurve:
    """Total cost for every way of cutting the sorted scores (all distinct thresholds), in O(n log n).

    Thresholds run from above the highest score (nobody gets the positive decision) down to the
    lowest score (everybody does); each lies midway between neighbouring distinct scores.
    """
    labels = np.asarray(labels, dtype=bool)
    scores = np.asarray(scores, dtype=float)
    order = np.argsort(-scores, kind="stable")
    s, y = scores[order], labels[order]
    fp_cum = np.concatenate([[0.0], np.cumsum(np.where(~y, costs.false_positive[order], 0.0))])
    fn_cum = np.concatenate([[0.0], np.cumsum(np.where(y, costs.false_negative[order], 0.0))])
    totals_all = fp_cum + (fn_cum[-1] - fn_cum)  # k cases (the top k) get the positive decision
    # a cut after position k is possible only between different scores
    cuts = np.concatenate([[0], np.nonzero(s[:-1] > s[1:])[0] + 1, [len(s)]])
    thresholds = np.empty(len(cuts))
    inner = (cuts > 0) & (cuts < len(s))
    above, below = s[cuts[inner] - 1], s[cuts[inner]]
    middle = (above + below) / 2
    thresholds[inner] = np.where(middle > below, middle, above)  # neighbouring floats: cut at the higher score
    thresholds[0] = (s[0] + 1.0) / 2 if s[0] < 1.0 else np.nextafter(1.0, 2.0)
    thresholds[-1] = s[-1]
    return CostCurve(thresholds=thresholds, totals=totals_all[cuts], n_cases=len(s))


THRESHOLD_DECIMALS = 3  # the resolution of the threshold slider


def resolve_threshold(position: float, exact: list[float]) -> float:
    """The threshold a slider position stands for: the first of the `exact` thresholds (the cost-optimal
    cut, the saved one) that rounds to the position, else the position itself."""
    for value in exact:
        if value is not None and round(float(value), THRESHOLD_DECIMALS) == round(float(position), THRESHOLD_DECIMALS):
            return float(value)
    return float(position)


def format_threshold(threshold: float) -> str:
    """A threshold as text: three decimals, six when it lies between two of them ("0.412", "0.412346")."""
    on_grid = round(threshold, THRESHOLD_DECIMALS) == threshold
    return f"{threshold:.{THRESHOLD_DECIMALS if on_grid else 6}f}"
