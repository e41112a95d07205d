"""The two-sample Kolmogorov-Smirnov statistic of a decision log's number, each month against the reference
months, exact (scipy's `ks_2samp` on the raw rows) and computed where the log is, without sorting every row.

The empirical CDFs F of a month and G of the reference are step functions that move only at values of the
log, so max |F - G| is reached at one of its values. The values are first counted per month in equal-width
buckets (one GROUP BY): F - G at each bucket's end is exact, and inside a bucket it can only leave
[D - g/n_ref, D + f/n_month] (D at the bucket's start, f and g the bucket's rows of the month and of the
reference). Only the few buckets whose bound passes the largest gap found at the ends are counted again, on
a grid 64 (or, while they hold many rows, 256) times finer (the grids nest: powers of two) while they hold
more than KS_EXACT_ROWS rows, then per distinct value (a filtered GROUP BY each) to find the exact largest gap
inside them. When the finest grid
still leaves too many, one window sum ordered by the value over every row gives the same statistic."""

from __future__ import annotations

import logging
from typing import Any

import ibis
import numpy as np
import pandas as pd

from demo_models.monitoring.engines import month_key

log = logging.getLogger(__name__)

NAN = float("nan")
KS_FIRST_BITS = 12  # the first grid: 2**12 equal-width buckets
KS_STEP_BITS = 6  # each finer grid splits the buckets to search in 2**6 …
KS_WIDE_STEP_BITS = 8  # … or in 2**8 while they hold more than KS_WIDE_ROWS rows (fewer scans of a large log)
KS_WIDE_ROWS = 4_000_000
KS_MAX_BITS = 30  # the finest grid
KS_EXACT_ROWS = 100_000  # most rows read back value by value; more, and a finer grid is counted first
KS_MAX_BUCKETS = 20_000  # most buckets searched at once; more (or too many rows on the finest grid): window sum
KS_MARGIN = 1e-12  # a bucket whose bound is within this of the largest gap is searched too (rounding)


def ks_statistics(
    table: Any, column: str, reference: list[str], sizes: pd.Series, value_range: tuple[float, float] | None = None
) -> pd.DataFrame:
    """Per month: the KS statistic of the column against the reference months (NaN for a month without a
    value, or without reference values), and `n`, the month's values (`sizes`: its histogram's total).
    `value_range`: the column's smallest and largest value, if known (else read)."""
    months = [str(m) for m in sizes.index if int(sizes[m]) > 0]
    frame = pd.DataFrame({"statistic": NAN, "n": sizes.astype(float)}, index=sizes.index.rename("month"))
    is_reference = np.isin(months, reference)
    if not months or not is_reference.any():
        return frame
    value = table[column].cast("float64")
    rows = table.filter(value.notnull()).mutate(__v=value)
    if value_range is None:
        found = rows.aggregate(low=rows.__v.min(), high=rows.__v.max()).execute().iloc[0]
        value_range = (float(found["low"]), float(found["high"]))
    low, high = value_range
    if not high > low:  # one value: both CDFs jump to 1 there
        frame.loc[months, "statistic"] = 0.0
        return frame
    statistic = _bucketed(rows, months, is_reference, low, high)
    if statistic is None:
        log.info("KS of %s: the candidate buckets hold too many rows; window sum over every value", column)
        statistic = _by_window(rows, months, is_reference, sizes[months].to_numpy(np.int64))
    frame.loc[months, "statistic"] = statistic
    return frame


def _bucket_of(value: Any, low: float, width: float, bits: int) -> Any:
    """The bucket of a value among 2**bits of equal width from `low`: non-decreasing in the value, and each
    grid nested in the coarser ones (scaling by a power of two is exact)."""
    scaled = ((value - low) / width * float(2**bits)).floor()
    return ibis.greatest(ibis.least(scaled, 2**bits - 1), 0).cast("int64")


def _gaps(counts: np.ndarray, below: np.ndarray, is_reference: np.ndarray, sizes: np.ndarray) -> tuple:
    """For buckets (rows) by month (columns), with the counts in them and below them: |F - G| at each
    bucket's end, and the bound |F - G| cannot pass inside it."""
    reference_size = int(sizes[is_reference].sum())
    reference, reference_below = counts[:, is_reference].sum(axis=1), below[:, is_reference].sum(axis=1)
    ends = (below + counts) / sizes - ((reference_below + reference) / reference_size)[:, None]  # as scipy has it
    starts = below / sizes - (reference_below / reference_size)[:, None]
    bound = np.maximum(np.abs(starts + counts / sizes), np.abs(starts - (reference / reference_size)[:, None]))
    # a bucket where one side has no row is crossed monotonically: its extremes are at its ends
    bound[(counts == 0) | (reference == 0)[:, None]] = 0.0
    return np.abs(ends), bound


def _bucketed(rows: Any, months: list[str], is_reference: np.ndarray, low: float, high: float) -> np.ndarray | None:
    """The statistic per month by bucket counts on ever finer grids, then values; None when the buckets to
    search still hold too many rows on the finest grid."""
    width, scope, largest, sizes = high - low, rows, np.zeros(len(months)), None
    names = {month_key(m): m for m in months}
    parent: tuple | None = None  # (bits, bucket ids, counts below them) of the buckets being refined
    bits = KS_FIRST_BITS
    while True:
        bucketed = scope.mutate(__b=_bucket_of(scope.__v, low, width, bits))
        counted = bucketed.group_by(["__b", "__month"]).aggregate(__n=ibis._.count()).execute()
        counted["__month"] = counted["__month"].map(names)
        table = counted.pivot_table(index="__b", columns="__month", values="__n", aggfunc="sum", fill_value=0)
        table = table.reindex(columns=months, fill_value=0).sort_index()
        ids, counts = table.index.to_numpy(np.int64), table.to_numpy(np.int64)
        if parent is None:
            sizes = counts.sum(axis=0)
            below = counts.cumsum(axis=0) - counts
        else:
            owner = ids >> (bits - parent[0])
            below = parent[2][np.searchsorted(parent[1], owner)] + table.groupby(owner).cumsum().to_numpy() - counts
        ends, bound = _gaps(counts, below, is_reference, sizes)
        largest = np.maximum(largest, ends.max(axis=0))
        searched = (bound > largest[None, :] - KS_MARGIN).any(axis=1)
        if not searched.any():
            return largest
        if len(ids[searched]) > KS_MAX_BUCKETS:
            return None
        scope = bucketed.filter(bucketed.__b.isin([int(b) for b in ids[searched]]))
        rows_searched = int(counts[searched].sum())
        if rows_searched <= KS_EXACT_ROWS:
            return np.maximum(largest, _by_value(scope, months, is_reference, sizes, ids[searched], below[searched]))
        if bits >= KS_MAX_BITS:
            return None
        parent = (bits, ids[searched], below[searched])
        scope = scope.drop("__b")
        bits = min(KS_MAX_BITS, bits + (KS_WIDE_STEP_BITS if rows_searched > KS_WIDE_ROWS else KS_STEP_BITS))


def _by_value(
    scope: Any, months: list[str], is_reference: np.ndarray, sizes: np.ndarray, ids: np.ndarray, below: np.ndarray
) -> np.ndarray:
    """The largest |F - G| at the values of the buckets `ids` (with the counts `below` them), per month."""
    names = {month_key(m): m for m in months}
    found = scope.group_by(["__b", "__v", "__month"]).aggregate(__n=ibis._.count()).execute()
    found["__month"] = found["__month"].map(names)
    values = (
        found.pivot_table(index=["__b", "__v"], columns="__month", values="__n", aggfunc="sum", fill_value=0)
        .reindex(columns=months, fill_value=0)
        .sort_index()
    )
    bucket = values.index.get_level_values("__b").to_numpy(np.int64)
    counts = values.to_numpy(np.int64)
    inside = values.groupby(level="__b").cumsum().to_numpy(np.int64) - counts  # below v within its bucket
    ends, _ = _gaps(counts, below[np.searchsorted(ids, bucket)] + inside, is_reference, sizes)
    return ends.max(axis=0)


def _by_window(rows: Any, months: list[str], is_reference: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The statistic per month from one GROUP BY the value (a count per month) and one window sum ordered by
    the value: F and G at every distinct value in a single sort."""
    names = {month: f"__c{i}" for i, month in enumerate(months)}
    counts = rows.group_by("__v").aggregate(
        **{name: rows.__v.count(where=rows.__month == month_key(m)) for m, name in names.items()}
    )
    upto = ibis.window(order_by=counts.__v, preceding=None, following=0)  # the values are distinct: <= v
    cumulated = counts.select(**{name: counts[name].sum().over(upto) for name in names.values()})
    reference = [m for m, flag in zip(months, is_reference) if flag]
    reference_size = int(sizes[is_reference].sum())
    reference_cdf = sum(cumulated[names[m]] for m in reference).cast("float64") / reference_size
    gaps = {
        name: ((cumulated[name].cast("float64") / int(n)) - reference_cdf).abs().max()
        for (m, name), n in zip(names.items(), sizes)
    }
    found = cumulated.aggregate(**gaps).execute().iloc[0]
    return np.array([float(found[names[m]]) for m in months])
