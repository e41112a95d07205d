"""The score's calibration bins of a decision log (confidence-based performance estimation, `log_performance`):
their edges, the labelled reference scores' quantiles on each side of the threshold, and per month, bin and side
the decisions, labelled ones and positives. Both are asked of the engine as parts of scans Monitoring makes
anyway (the reference months' quantiles, the histograms' GROUP BY), or on their own when performance is
measured alone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis
import numpy as np
import pandas as pd

from demo_models.monitoring.engines import as_int, bin_of, month_key, month_name

CALIBRATION_BINS = 20  # reference score quantiles whose observed rate calibrates the scores (CBPE)
NAN = float("nan")


@dataclass(frozen=True)
class Calibration:
    """What the calibration bins are cut on: the score and label columns and the iteration's threshold."""

    score: str
    label: str
    threshold: float


@dataclass(frozen=True)
class ScoreBins:
    """The calibration bins' inner edges and, per month, bin and side of the threshold, the decisions
    (`count`), labelled ones and positives (`bin_counts`)."""

    inner: list[float]
    counts: pd.DataFrame


def edge_quantiles(in_reference: Any, calibration: Calibration) -> dict[str, Any]:
    """The aggregates of the reference months' rows that give the edges (`inner_edges`): the labelled scores'
    quantiles below and at or above the threshold."""
    rows_labelled = in_reference[calibration.label].notnull() & in_reference[calibration.score].notnull()
    value = in_reference[calibration.score].cast("float64")
    quantiles = [float(q) for q in np.linspace(0, 1, CALIBRATION_BINS // 2 + 1)]
    below, above = rows_labelled & (value < calibration.threshold), rows_labelled & (value >= calibration.threshold)
    return {
        "calibration_below": value.quantile(quantiles, where=below),
        "calibration_above": value.quantile(quantiles, where=above),
    }


def _quantile_list(found: Any, size: int) -> np.ndarray:
    """A list quantile's values as floats (all NaN where the engine found no row: NULL)."""
    if found is None or (np.ndim(found) == 0 and pd.isna(found)):
        return np.full(size, NAN)
    return np.asarray(found, dtype=float)


def inner_edges(found: Any, threshold: float) -> list[float]:
    """Inner edges of the calibration bins from `edge_quantiles`' results: the threshold, and the quantiles on
    each side of it (half the bins each), so no bin mixes the decisions."""
    size = CALIBRATION_BINS // 2 + 1
    below, above = (_quantile_list(found[f"calibration_{side}"], size) for side in ("below", "above"))
    sides = [side[1:-1] for side in (below, above) if not np.isnan(side).all()]
    if not sides:
        raise ValueError("The reference months hold no labelled decision to calibrate the scores on.")
    return [float(e) for e in np.unique(np.concatenate([*sides, [threshold]]))]


def bin_keys(table: Any, calibration: Calibration, inner: list[float]) -> dict[str, Any]:
    """Columns to group by for the bins: the score's bin (-1: no score) and whether it reaches the threshold."""
    value = table[calibration.score].cast("float64")
    return {
        "__score_bin": ibis.ifelse(value.isnull(), -1, bin_of(value, inner)),
        "__decided": as_int(value >= calibration.threshold),
    }


def bin_metrics(table: Any, calibration: Calibration) -> dict[str, Any]:
    """Aggregates per group for the bins: the labelled decisions and the positives among them."""
    label = table[calibration.label]
    return {"__labelled": label.count(), "__positives": label.cast("float64").sum()}


_NAMES = {
    "__score_bin": "bin",
    "__decided": "decided",
    "n": "count",
    "__labelled": "labelled",
    "__positives": "positives",
}


def bin_counts(rows: pd.DataFrame) -> pd.DataFrame:
    """Per month, calibration bin and side of the threshold: decisions (`count`), labelled ones and positives,
    from rows grouped by (at least) `__month`, `bin_keys` with `n` and `bin_metrics` (scored decisions only)."""
    scored = rows[rows["__score_bin"] >= 0]
    counted = (
        scored.groupby(["__month", "__score_bin", "__decided"], sort=True)[["n", "__labelled", "__positives"]]
        .sum()
        .reset_index()
        .rename(columns=_NAMES)
    )
    month = counted.pop("__month")
    return counted.assign(month=[month if isinstance(month, str) else month_name(month) for month in month])


def calibration_edges(table: Any, calibration: Calibration, reference: list[str]) -> list[float]:
    """The calibration bins' inner edges (`inner_edges`), in a query of the reference months of their own (the
    engine holds every value a quantile is taken of: with the numbers' deciles, more than it may hold)."""
    in_reference = table.filter(table.__month.isin([month_key(m) for m in reference]))
    return inner_edges(
        in_reference.aggregate(**edge_quantiles(in_reference, calibration)).execute().iloc[0], calibration.threshold
    )


def count_score_bins(table: Any, calibration: Calibration, reference: list[str]) -> ScoreBins:
    """The calibration bins in two queries of their own: their edges, then their counts."""
    inner = calibration_edges(table, calibration, reference)
    keyed = table.mutate(**bin_keys(table, calibration, inner))
    metrics = bin_metrics(keyed, calibration)
    rows = keyed.group_by(["__month", "__score_bin", "__decided"]).aggregate(n=ibis._.count(), **metrics).execute()
    return ScoreBins(inner, bin_counts(rows))
