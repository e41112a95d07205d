"""Monitoring aggregates of a decision log, computed where the log is (DuckDB over the files, out of core, or
the team's database) as portable ibis expressions: only counts come back. The engine is chosen in
`engines.py`; nothing here is written in one engine's dialect.

The numbers are those of demo_models.metrics.drift: the same decile edges of the reference months
(numpy's linear quantiles = DuckDB's quantile_cont = PostgreSQL's percentile_cont), the same bins and the
same PSI of the counts; the KS and chi-square tests per month are scipy's on the raw rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import ibis
import numpy as np
import pandas as pd

from demo_models.metrics.drift import PSI_BINS, psi_of_counts
from demo_models.monitoring.drift_tests import tests_by_month
from demo_models.monitoring.engines import month_key, month_name, open_log
from demo_models.monitoring.sources import Source, describe_source

REFERENCE_MONTHS = 3
NUMBER_DISTINCT = 12  # a numeric column with more distinct values than this in the reference is a number
NUMBER_SAMPLE_ROWS = 100_000  # reference rows first looked at for them
NAN = float("nan")


@dataclass(frozen=True)
class LogAggregates:
    """Month by month (rows): decisions, share labelled (None without a label column), count per bin of
    each column (score included), PSI of each column against the reference months, and per column the
    test suited to its type (KS for numbers, chi-square for categories: test, statistic, p-value)."""

    decisions: pd.Series
    labelled_share: pd.Series | None
    histograms: dict[str, pd.DataFrame]
    psi: pd.DataFrame
    reference: list[str]
    tests: dict[str, pd.DataFrame] = field(default_factory=dict)


def as_int(condition: Any) -> Any:
    """1 where the condition holds, else 0 (PostgreSQL casts no boolean to a number)."""
    return ibis.ifelse(condition, 1, 0)


def bin_of(value: Any, inner: list[float]) -> Any:
    """The bin of a number among the inner edges: how many edges it reaches (numpy's searchsorted, right)."""
    code = ibis.literal(0, "int64")
    for edge in inner:
        code = code + as_int(value >= edge)
    return code


def list_months(source: Source) -> pd.Series:
    """Decisions per month of the log ('YYYY-MM')."""
    return count_months(open_log(source))[0]


def count_months(table: Any, label: str | None = None) -> tuple[pd.Series, pd.Series | None]:
    """Decisions per month and, with a label column, the share of them labelled: one scan."""
    metrics = {"n": ibis._.count()}
    if label:
        metrics["labelled"] = as_int(table[label].notnull()).sum()
    rows = table.group_by("__month").aggregate(**metrics).order_by("__month").execute()
    index = pd.Index([month_name(key) for key in rows["__month"]], name="month")
    decisions = pd.Series(rows["n"].astype(int).to_numpy(), index=index, name="decisions", dtype=int)
    if not label:
        return decisions, None
    share = pd.Series(rows["labelled"].astype(float).to_numpy() / decisions.to_numpy(), index=index)
    return decisions, share.rename("labelled share")


def _reference_summary(
    table: Any, columns: list[str], reference: list[str]
) -> tuple[dict[str, bool], dict[str, list[float]]]:
    """Whether each column is a number (a numeric type with more than 12 distinct values in the reference
    months) and each number's inner PSI bin edges (its deciles there, numpy's linear quantiles, duplicates
    merged): one scan of the reference months, after a look at their first rows."""
    typed = [column for column in columns if table[column].type().is_numeric()]
    numeric = {column: False for column in columns}
    if not typed:
        return numeric, {}
    in_reference = table.filter(table.__month.isin([month_key(m) for m in reference]))
    # more than 12 distinct values in the first rows of the reference means more than 12 in all of it: the
    # (costly) exact count over every reference row is left for the columns that this cheap look leaves open
    first = in_reference.limit(NUMBER_SAMPLE_ROWS)
    seen = first.aggregate(**{f"n{i}": first[c].nunique() for i, c in enumerate(typed)}).execute().iloc[0]
    open_columns = {i for i in range(len(typed)) if int(seen[f"n{i}"]) <= NUMBER_DISTINCT}
    quantiles = [float(q) for q in np.linspace(0, 1, PSI_BINS + 1)]
    metrics = {}
    for i, column in enumerate(typed):
        metrics[f"q{i}"] = in_reference[column].cast("float64").quantile(quantiles)
        if i in open_columns:
            metrics[f"n{i}"] = in_reference[column].nunique()
    row = in_reference.aggregate(**metrics).execute().iloc[0]
    edges = {}
    for i, column in enumerate(typed):
        numeric[column] = int(row[f"n{i}"] if i in open_columns else seen[f"n{i}"]) > NUMBER_DISTINCT
        if numeric[column]:
            edges[column] = [float(e) for e in np.unique(np.asarray(row[f"q{i}"], dtype=float))[1:-1]]
    return numeric, edges


def _number_histograms(
    table: Any, edges: dict[str, list[float]], months: list[str]
) -> tuple[dict[str, pd.DataFrame], dict[str, tuple[float, float]]]:
    """Count per month and bin of every number (missing values left out), and each number's smallest and
    largest value: a few numbers at a time, one scan counting each combination of their bins (fewer than
    HISTOGRAM_GROUPS a month), summed per number here."""
    histograms, ranges = {}, {}
    for group in _column_groups(edges):
        histograms_found, ranges_found = _binned_counts(table, {c: edges[c] for c in group}, months)
        histograms.update(histograms_found)
        ranges.update(ranges_found)
    return histograms, ranges


HISTOGRAM_GROUPS = 5_000  # most combinations of bins counted per month in one scan


def _column_groups(edges: dict[str, list[float]]) -> list[list[str]]:
    """The numbers in groups whose combinations of bins (each number's bins and 'missing') stay within
    HISTOGRAM_GROUPS."""
    groups: list[list[str]] = []
    size = HISTOGRAM_GROUPS + 1
    for column, inner in edges.items():
        bins = len(inner) + 2
        if size * bins > HISTOGRAM_GROUPS:
            groups.append([])
            size = 1
        groups[-1].append(column)
        size *= bins
    return groups


def _binned_counts(
    table: Any, edges: dict[str, list[float]], months: list[str]
) -> tuple[dict[str, pd.DataFrame], dict[str, tuple[float, float]]]:
    """Count per month and bin of each number of one group, and its smallest and largest value, in one scan:
    a GROUP BY the month and the numbers' bins (-1: missing)."""
    numbers = {f"b{c}": column for c, column in enumerate(edges)}
    values = {key: table[column].cast("float64") for key, column in numbers.items()}
    binned = table.mutate(
        **{key: ibis.ifelse(value.isnull(), -1, bin_of(value, edges[numbers[key]])) for key, value in values.items()},
        **{f"{key}_v": value for key, value in values.items()},
    )
    metrics = {"n": ibis._.count()}
    for key in numbers:
        metrics.update({f"{key}_low": binned[f"{key}_v"].min(), f"{key}_high": binned[f"{key}_v"].max()})
    rows = binned.group_by(["__month", *numbers]).aggregate(**metrics).execute()
    rows["__month"] = [month_name(key) for key in rows["__month"]]
    histograms, ranges = {}, {}
    for key, column in numbers.items():
        present = rows[rows[key] >= 0]
        bins = list(range(len(edges[column]) + 1))
        counts = present.pivot_table(index="__month", columns=key, values="n", aggfunc="sum", fill_value=0)
        counts = counts.reindex(index=months, columns=bins, fill_value=0).to_numpy(np.int64)
        # column by column in memory, as the counts always were (numpy then sums them in the same order)
        histograms[column] = pd.DataFrame(np.asfortranarray(counts), index=pd.Index(months, name="month"), columns=bins)
        ranges[column] = (float(present[f"{key}_low"].min()), float(present[f"{key}_high"].max()))
    return histograms, ranges


def _category_histogram(table: Any, column: str, months: list[str]) -> pd.DataFrame:
    """Count per month and value of a category (missing values as the category 'nan')."""
    rows = table.mutate(bin=table[column].cast("string").fill_null("nan"))
    counted = rows.group_by(["__month", "bin"]).aggregate(count=ibis._.count()).execute()
    counted["__month"] = [month_name(key) for key in counted["__month"]]
    bins = sorted(set(counted["bin"]))
    pivot = counted.rename(columns={"__month": "month"}).pivot_table(
        index="month", columns="bin", values="count", aggfunc="sum", fill_value=0
    )
    return pivot.reindex(index=months, columns=bins, fill_value=0).astype(np.int64)


def log_aggregates(
    source: Source, reference: list[str] | None = None, tests: bool = True, table: Any | None = None
) -> LogAggregates:
    """Counts, labelled share, histograms, PSI and (unless `tests` is False) KS / chi-square per month of the
    source's inputs and score, against the reference months (default: the first REFERENCE_MONTHS months).
    `table`: the log already opened with `open_log`, if it is."""
    table = open_log(source) if table is None else table
    months_found, labelled = count_months(table, source.mapping.get("label") or None)
    months = list(months_found.index)
    if not months:
        raise ValueError(f"The decision log at {describe_source(source)} has no decisions.")
    reference = [m for m in (reference or months[:REFERENCE_MONTHS]) if m in months]
    if not reference:
        raise ValueError("None of the reference months is in the decision log.")
    in_reference = np.isin(months, reference)
    columns = source.inputs + [str(source.mapping["score"])]
    numeric, edges = _reference_summary(table, columns, reference)
    found, ranges = _number_histograms(table, edges, months)
    histograms = {c: found[c] if numeric[c] else _category_histogram(table, c, months) for c in columns}
    psi = pd.DataFrame(
        {column: psi_of_counts(counts.to_numpy(), in_reference) for column, counts in histograms.items()},
        index=pd.Index(months, name="month"),
    )
    found_tests = tests_by_month(table, histograms, numeric, reference, ranges) if tests else {}
    return LogAggregates(months_found, labelled, histograms, psi, reference, found_tests)
