"""The two-sample Kolmogorov-Smirnov statistic of a decision log's number, each month against the reference
months, exact (scipy's `ks_2samp` on the raw rows) and computed where the log is, without sorting every row.

The empirical CDFs F of a month and G of the reference are step functions that move only at values of the
log, so max |F - G| is reached at one of its values. The values are first counted per month in equal-width
buckets (one GROUP BY): F - G at each bucket's end is exact, and inside a bucket it can only leave
[D - g/n_ref, D + f/n_month] (D at the bucket's start, f and g the bucket's rows of the month and of the
reference). Only the few buckets whose bound passes the largest gap found at the ends are then counted per
distinct value (a second, filtered GROUP BY) to find the exact largest gap inside them. When those buckets
hold too many rows, one window sum ordered by the value over every row gives the same statistic."""

from __future__ import annotations

import logging
from typing import Any

import ibis
import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

NAN = float("nan")
KS_BUCKETS = 4096  # equal-width buckets of the first pass
KS_EXACT_ROWS = 1_000_000  # most rows the second pass reads back; beyond it the window sum is used
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


def _bucket_of(value: Any, low: float, high: float) -> Any:
    """The equal-width bucket of a value in [low, high] (a non-decreasing function of the value)."""
    scaled = ((value - low) / (high - low) * KS_BUCKETS).floor()
    return ibis.greatest(ibis.least(scaled, KS_BUCKETS - 1), 0).cast("int64")


def _bucketed(rows: Any, months: list[str], is_reference: np.ndarray, low: float, high: float) -> np.ndarray | None:
    """The statistic per month by the two passes; None when the buckets to search hold too many rows."""
    bucketed = rows.mutate(__b=_bucket_of(rows.__v, low, high))
    counted = bucketed.group_by(["__month", "__b"]).aggregate(__n=ibis._.count()).execute()
    counts = (
        counted.pivot_table(index="__month", columns="__b", values="__n", aggfunc="sum", fill_value=0)
        .reindex(index=months, columns=range(KS_BUCKETS), fill_value=0)
        .to_numpy(np.int64)
    )
    sizes = counts.sum(axis=1)
    reference = counts[is_reference].sum(axis=0)
    reference_size = int(reference.sum())
    month_cum, reference_cum = counts.cumsum(axis=1), reference.cumsum()
    ends = month_cum / sizes[:, None] - reference_cum / reference_size  # F - G after each bucket, as scipy has it
    largest = np.abs(ends).max(axis=1)
    starts = np.hstack([np.zeros((len(months), 1)), ends[:, :-1]])
    bound = np.maximum(np.abs(starts + counts / sizes[:, None]), np.abs(starts - reference / reference_size))
    # a bucket where one side has no row is crossed monotonically: its extremes are at its ends
    search = (counts > 0) & (reference > 0)[None, :] & (bound > largest[:, None] - KS_MARGIN)
    buckets = np.flatnonzero(search.any(axis=0))
    if not len(buckets):
        return largest
    if int(counts[:, buckets].sum()) > KS_EXACT_ROWS:
        return None
    picked = bucketed.filter(bucketed.__b.isin([int(b) for b in buckets]))
    found = picked.group_by(["__b", "__v", "__month"]).aggregate(__n=ibis._.count()).execute()
    values = (
        found.pivot_table(index=["__b", "__v"], columns="__month", values="__n", aggfunc="sum", fill_value=0)
        .reindex(columns=months, fill_value=0)
        .sort_index()
    )
    inside = values.groupby(level="__b").cumsum().to_numpy(np.int64)  # counts <= v within v's bucket
    bucket = values.index.get_level_values("__b").to_numpy(np.int64)
    before = month_cum - counts  # counts in the buckets below
    month_le = before[:, bucket].T + inside
    reference_le = (reference_cum - reference)[bucket] + inside[:, is_reference].sum(axis=1)
    gaps = np.abs(month_le / sizes[None, :] - (reference_le / reference_size)[:, None])
    return np.maximum(largest, gaps.max(axis=0))


def _by_window(rows: Any, months: list[str], is_reference: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The statistic per month from one GROUP BY the value (a count per month) and one window sum ordered by
    the value: F and G at every distinct value in a single sort."""
    names = {month: f"__c{i}" for i, month in enumerate(months)}
    counts = rows.group_by("__v").aggregate(
        **{name: rows.__v.count(where=rows.__month == m) for m, name in names.items()}
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
