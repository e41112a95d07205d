"""A heat map of where an iteration errs over any two inputs: each input binned on the data (quantiles of a
number, the most frequent values of a category, missing values as a bin of their own), and per cell its
cases, errors, error rate and the cost of its errors. A cell with too few cases has no rate: undefined, not 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from demo_models.metrics.costs import CaseCosts
from demo_models.metrics.errors import errors_of
from demo_models.vocabulary import UseCase

if TYPE_CHECKING:
    from demo_models.iterations.evaluation import Evaluation

HEAT_BINS = 5  # quantile bins of a number
MAX_CATEGORIES = 8  # the most frequent values of a category; the rest together as "other values"
MIN_CELL_CASES = 10  # a cell with fewer cases has no rate or cost (undefined)
MISSING, OTHER = "missing", "other values"


@dataclass(frozen=True)
class ErrorHeatMap:
    """Errors over two inputs: `x` across, `y` down, one row of each matrix per `y` bin (y bins × x bins).
    `rate` and `cost` are NaN where a cell holds fewer than `min_cases` (or no costs were given)."""

    kind: str
    x: str
    y: str
    x_bins: tuple[str, ...]
    y_bins: tuple[str, ...]
    cases: np.ndarray
    errors: np.ndarray
    rate: np.ndarray
    cost: np.ndarray
    min_cases: int
    overall_rate: float

    def table(self) -> pd.DataFrame:
        """One row per cell that holds cases: both bins, cases, errors, rate and cost (NaN where undefined)."""
        rows = [
            {
                self.y: y,
                self.x: x,
                "cases": int(self.cases[i, j]),
                "errors": int(self.errors[i, j]),
                "error rate": self.rate[i, j],
                "cost of errors": self.cost[i, j],
            }
            for i, y in enumerate(self.y_bins)
            for j, x in enumerate(self.x_bins)
            if self.cases[i, j]
        ]
        return pd.DataFrame(rows, columns=[self.y, self.x, "cases", "errors", "error rate", "cost of errors"])


def _is_number(values: pd.Series, column: str, use_case: UseCase) -> bool:
    return (
        pd.api.types.is_numeric_dtype(values)
        and not pd.api.types.is_bool_dtype(values)
        and column not in use_case.value_labels
    )


def _edge(value: float) -> str:
    """A bin edge to four significant digits without scientific notation: "250", "18,424", "0.0001235"."""
    text = f"{value:,.4g}"
    if "e" not in text:
        return text
    if abs(value) >= 1:
        return f"{value:,.0f}"
    return f"{value:.{3 - math.floor(math.log10(abs(value)))}f}".rstrip("0")


def bin_input(values: pd.Series, column: str, use_case: UseCase, bins: int = HEAT_BINS) -> pd.Series:
    """Each case's bin of one input, as an ordered categorical of labels in business words: a number with more
    distinct values than `bins` in quantile bins ("1,000–2,500", the first closed on both sides, the others
    open below), otherwise each value; categories beyond the `MAX_CATEGORIES` most frequent as "other values";
    missing values as "missing" (last)."""
    if _is_number(values, column, use_case) and values.nunique() > bins:
        numbers = values.astype(float)
        edges = np.unique(np.nanquantile(numbers, np.linspace(0, 1, bins + 1)))
        unit = use_case.units.get(column, "")
        names = [f"{_edge(lo)}–{_edge(hi)}{' ' + unit if unit else ''}" for lo, hi in zip(edges, edges[1:])]
        codes = np.clip(np.searchsorted(edges, numbers.to_numpy(), side="left") - 1, 0, len(names) - 1)
        labels = np.where(numbers.isna(), MISSING, np.asarray(names, dtype=object)[codes])
    else:
        counts = values.value_counts(sort=True)
        kept = list(counts.index[:MAX_CATEGORIES])
        if _is_number(values, column, use_case) or column in use_case.value_labels:
            kept = sorted(kept)
        described = {v: use_case.describe_value(column, v) for v in kept}
        names = list(dict.fromkeys(described.values()))
        labels = np.where(
            values.isna(), MISSING, values.map(lambda v: described.get(v, OTHER)).astype(object).to_numpy()
        )
        if len(counts) > MAX_CATEGORIES:
            names.append(OTHER)
    present = set(labels)
    order = [n for n in names if n in present] + ([MISSING] if MISSING in present else [])
    return pd.Series(pd.Categorical(labels, categories=order, ordered=True), index=values.index)


def error_heat_map(
    scored: Evaluation,
    x: str,
    y: str,
    kind: str = "errors",
    costs: CaseCosts | None = None,
    threshold: float | None = None,
    bins: int = HEAT_BINS,
    min_cases: int = MIN_CELL_CASES,
) -> ErrorHeatMap:
    """The errors of one kind (`errors.ERROR_KINDS`) at `threshold` (the iteration's own by default) over
    inputs `x` and `y`; ValueError with a sentence for an unknown input or the same input twice."""
    for column in (x, y):
        if column not in scored.features.columns:
            raise ValueError(f"{column!r} is not an input of iteration {getattr(scored.card, 'version', '')}.")
    if x == y:
        raise ValueError("Choose two different inputs.")
    among, wrong, cost_of = errors_of(scored, kind, costs, threshold)
    features = scored.features.loc[among]
    use_case = scored.use_case
    x_bin, y_bin = bin_input(features[x], x, use_case, bins), bin_input(features[y], y, use_case, bins)
    shape = (len(y_bin.cat.categories), len(x_bin.cat.categories))
    cell = y_bin.cat.codes.to_numpy() * shape[1] + x_bin.cat.codes.to_numpy()
    size = shape[0] * shape[1]
    cases = np.bincount(cell, minlength=size).reshape(shape)
    errors = np.bincount(cell, wrong.astype(float), size).reshape(shape).astype(int)
    cost = np.bincount(cell, np.where(wrong, np.nan_to_num(cost_of), 0.0), size).reshape(shape)
    enough = cases >= min_cases
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(enough, errors / np.maximum(cases, 1), np.nan)
    cost = np.where(enough & (costs is not None), cost, np.nan)
    return ErrorHeatMap(
        kind=kind,
        x=x,
        y=y,
        x_bins=tuple(x_bin.cat.categories),
        y_bins=tuple(y_bin.cat.categories),
        cases=cases,
        errors=errors,
        rate=rate,
        cost=cost,
        min_cases=min_cases,
        overall_rate=float(wrong.mean()) if len(wrong) else float("nan"),
    )


def heat_map_inputs(scored: Evaluation) -> list[str]:
    """The inputs a heat map can be drawn over, the most important first (mean |SHAP|), then the rest."""
    columns = list(scored.features.columns)
    try:
        ranked = [c for c in scored.global_importance().index if c in columns]
    except (AttributeError, KeyError, ValueError):
        ranked = []
    return ranked + [c for c in columns if c not in ranked]
