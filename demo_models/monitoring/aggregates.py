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
from demo_models.monitoring.engines import as_int, bin_of, month_key, month_name, months_from_files, open_log
from demo_models.monitoring.score_bins import (
    Calibration,
    ScoreBins,
    bin_counts,
    bin_keys,
    bin_metrics,
    calibration_edges,
)
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
    score_bins: ScoreBins | None = None  # CBPE's counts, when asked for (`calibration`) and found in these scans


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


@dataclass(frozen=True)
class _Reference:
    """What the reference months tell: which columns are numbers, each number's inner PSI bin edges, and each
    column's distinct values in their first rows."""

    numeric: dict[str, bool]
    edges: dict[str, list[float]]
    distinct: dict[str, int]


def _reference_summary(table: Any, columns: list[str], reference: list[str]) -> _Reference:
    """Whether each column is a number (a numeric type with more than 12 distinct values in the reference
    months), each number's inner PSI bin edges (its deciles there, numpy's linear quantiles, duplicates
    merged) and each column's distinct values in the reference's first rows: one scan of the reference
    months, after a look at their first rows."""
    in_reference = table.filter(table.__month.isin([month_key(m) for m in reference]))
    # more than 12 distinct values in the first rows of the reference means more than 12 in all of it: the
    # (costly) exact count over every reference row is left for the columns that this cheap look leaves open
    first = in_reference.limit(NUMBER_SAMPLE_ROWS)
    seen = first.aggregate(**{f"n{i}": first[c].nunique() for i, c in enumerate(columns)}).execute().iloc[0]
    distinct = {column: int(seen[f"n{i}"]) for i, column in enumerate(columns)}
    typed = [column for column in columns if table[column].type().is_numeric()]
    open_columns = {c for c in typed if distinct[c] <= NUMBER_DISTINCT}
    quantiles = [float(q) for q in np.linspace(0, 1, PSI_BINS + 1)]
    metrics = {}
    for i, column in enumerate(typed):
        metrics[f"q{i}"] = in_reference[column].cast("float64").quantile(quantiles)
        if column in open_columns:
            metrics[f"n{i}"] = in_reference[column].nunique()
    row = in_reference.aggregate(**metrics).execute().iloc[0] if metrics else {}
    numeric, edges = {column: False for column in columns}, {}
    for i, column in enumerate(typed):
        numeric[column] = int(row[f"n{i}"] if column in open_columns else distinct[column]) > NUMBER_DISTINCT
        if numeric[column]:
            edges[column] = [float(e) for e in np.unique(np.asarray(row[f"q{i}"], dtype=float))[1:-1]]
    return _Reference(numeric, edges, distinct)


HISTOGRAM_GROUPS = 5_000  # most combinations of bins counted per month in one scan
COMBINED_CATEGORIES = 50  # a category with more values in the reference's first rows is counted on its own


def _histograms(
    table: Any,
    summary: _Reference,
    categories: list[str],
    months: list[str],
    calibration: tuple[Calibration, list[float]] | None,
) -> tuple[dict[str, pd.DataFrame], dict[str, tuple[float, float]], ScoreBins | None]:
    """Count per month and bin of every number (missing values left out) and per month and value of every
    category (missing: 'nan'), each number's smallest and largest value and, with `calibration` (and the
    bins' inner edges), the score's calibration bins: a few columns at a time, one scan counting each
    combination of their bins and values (fewer than HISTOGRAM_GROUPS a month, as far as the reference's first
    rows tell), summed per column here. A category with more than COMBINED_CATEGORIES values there is counted
    on its own."""
    edges = summary.edges
    sizes = {column: len(bins) + 2 for column, bins in edges.items()}
    sizes.update({c: summary.distinct[c] + 1 for c in categories if summary.distinct[c] <= COMBINED_CATEGORIES})
    if calibration and calibration[0].score in sizes:  # its bins follow the score's: a few more combinations
        sizes[calibration[0].score] += len(calibration[1]) + 2
    histograms, ranges, score_bins = {}, {}, None
    for group in _column_groups(sizes):
        numbers = {c: edges[c] for c in group if c in edges}
        asked = calibration if calibration and calibration[0].score in group else None
        found, ranges_found, bins = _binned_counts(table, numbers, months, group, asked)
        histograms.update(found)
        ranges.update(ranges_found)
        score_bins = bins or score_bins
    for column in categories:
        if column not in histograms:
            histograms[column] = _category_histogram(table, column, months)
    return histograms, ranges, score_bins


def _column_groups(sizes: dict[str, int]) -> list[list[str]]:
    """The columns in groups whose combinations of codes (`sizes`: each column's count of them) stay within
    HISTOGRAM_GROUPS."""
    groups: list[list[str]] = []
    size = HISTOGRAM_GROUPS + 1
    for column, codes in sizes.items():
        if size * codes > HISTOGRAM_GROUPS:
            groups.append([])
            size = 1
        groups[-1].append(column)
        size *= codes
    return groups


def _as_categories(counted: Any, keys: list[str]) -> Any:
    """Grouped rows with each category key as it is counted: its text, missing as 'nan' (cast after the GROUP BY
    the raw values, so only the groups are cast, not every row)."""
    return counted.mutate(**{key: counted[key].cast("string").fill_null("nan") for key in keys})


def _binned_counts(
    table: Any,
    edges: dict[str, list[float]],
    months: list[str],
    columns: list[str],
    calibration: tuple[Calibration, list[float]] | None = None,
) -> tuple[dict[str, pd.DataFrame], dict[str, tuple[float, float]], ScoreBins | None]:
    """Count per month and bin of each number of one group (`edges`) and per month and value of each of its
    categories (the other `columns`), each number's smallest and largest value, and the calibration bins if
    asked, in one scan: a GROUP BY the month, the numbers' bins (-1: missing) and the categories' values. A
    score that is a number is binned once on its PSI and calibration edges together (`_split_codes`)."""
    numbers = {f"b{c}": column for c, column in enumerate(edges)}
    categories = {f"c{c}": column for c, column in enumerate(c for c in columns if c not in edges)}
    score_key = next((k for k, c in numbers.items() if calibration and c == calibration[0].score), None)
    cut = {
        key: sorted(set(edges[c]) | set(calibration[1])) if key == score_key else edges[c] for key, c in numbers.items()
    }
    values = {key: table[column].cast("float64") for key, column in numbers.items()}
    binned = table.mutate(
        **{key: ibis.ifelse(value.isnull(), -1, bin_of(value, cut[key])) for key, value in values.items()},
        **{f"{key}_v": value for key, value in values.items()},
        **{key: table[column] for key, column in categories.items()},
        **(bin_keys(table, *calibration) if calibration and score_key is None else {}),
    )
    metrics = {"n": ibis._.count(), **(bin_metrics(binned, calibration[0]) if calibration else {})}
    for key in numbers:
        metrics.update({f"{key}_low": binned[f"{key}_v"].min(), f"{key}_high": binned[f"{key}_v"].max()})
    keys = ["__month", *numbers, *categories, *(["__score_bin", "__decided"] if calibration and not score_key else [])]
    rows = _as_categories(binned.group_by(keys).aggregate(**metrics), list(categories)).execute()
    rows["__month"] = [month_name(key) for key in rows["__month"]]
    if score_key:
        _split_codes(rows, score_key, cut[score_key], edges[numbers[score_key]], calibration)
    histograms, ranges = {}, {}
    for key, column in numbers.items():
        present = rows[rows[key] >= 0]
        bins = list(range(len(edges[column]) + 1))
        counts = present.pivot_table(index="__month", columns=key, values="n", aggfunc="sum", fill_value=0)
        counts = counts.reindex(index=months, columns=bins, fill_value=0).to_numpy(np.int64)
        # column by column in memory, as the counts always were (numpy then sums them in the same order)
        histograms[column] = pd.DataFrame(np.asfortranarray(counts), index=pd.Index(months, name="month"), columns=bins)
        ranges[column] = (float(present[f"{key}_low"].min()), float(present[f"{key}_high"].max()))
    for key, column in categories.items():
        histograms[column] = _pivot_category(rows.rename(columns={key: "bin", "__month": "month"}), months)
    return histograms, ranges, ScoreBins(calibration[1], bin_counts(rows)) if calibration else None


def _split_codes(
    rows: pd.DataFrame, key: str, cut: list[float], edges: list[float], calibration: tuple[Calibration, list[float]]
) -> None:
    """The score's PSI bin, calibration bin and side of the threshold from its code on all their edges at once:
    a value reaching `code` of the sorted edges reaches exactly those of each set among them (-1: no score)."""
    code = rows[key].to_numpy(np.int64)
    reached = np.asarray([-np.inf, *cut])[np.maximum(code, 0)]  # the highest edge the value reaches
    scored = code >= 0
    rows[key] = np.where(scored, np.searchsorted(edges, reached, side="right"), -1)
    rows["__score_bin"] = np.where(scored, np.searchsorted(calibration[1], reached, side="right"), -1)
    rows["__decided"] = (scored & (reached >= calibration[0].threshold)).astype(np.int64)


def _pivot_category(counted: pd.DataFrame, months: list[str]) -> pd.DataFrame:
    """Counts per month (rows) and value (columns, sorted) from counted rows (`month`, `bin`, `n`)."""
    bins = sorted(set(counted["bin"]))
    pivot = counted.pivot_table(index="month", columns="bin", values="n", aggfunc="sum", fill_value=0)
    return pivot.reindex(index=months, columns=bins, fill_value=0).astype(np.int64)


def _category_histogram(table: Any, column: str, months: list[str]) -> pd.DataFrame:
    """Count per month and value of a category (missing values as the category 'nan'), in a scan of its own."""
    rows = table.mutate(bin=table[column])
    counted = _as_categories(rows.group_by(["__month", "bin"]).aggregate(n=ibis._.count()), ["bin"]).execute()
    counted["__month"] = [month_name(key) for key in counted["__month"]]
    return _pivot_category(counted.rename(columns={"__month": "month"}), months)


def log_aggregates(
    source: Source,
    reference: list[str] | None = None,
    tests: bool = True,
    table: Any | None = None,
    calibration: Calibration | None = None,
) -> LogAggregates:
    """Counts, labelled share, histograms, PSI and (unless `tests` is False) KS / chi-square per month of the
    source's inputs and score, against the reference months (default: the first REFERENCE_MONTHS months).
    `table`: the log already opened with `open_log`, if it is; `calibration`: count the score's calibration
    bins in the same scans, for `log_performance`."""
    table = months_from_files(open_log(source)) if table is None else table
    months_found, labelled = count_months(table, source.mapping.get("label") or None)
    months = list(months_found.index)
    if not months:
        raise ValueError(f"The decision log at {describe_source(source)} has no decisions.")
    reference = [m for m in (reference or months[:REFERENCE_MONTHS]) if m in months]
    if not reference:
        raise ValueError("None of the reference months is in the decision log.")
    in_reference = np.isin(months, reference)
    columns = source.inputs + [str(source.mapping["score"])]
    summary = _reference_summary(table, columns, reference)
    numeric = summary.numeric
    try:
        bins = (calibration, calibration_edges(table, calibration, reference)) if calibration else None
    except ValueError:  # no labelled reference decision: performance says so when it is asked for
        bins = None
    found, ranges, score_bins = _histograms(table, summary, [c for c in columns if not numeric[c]], months, bins)
    histograms = {c: found[c] for c in columns}
    psi = pd.DataFrame(
        {column: psi_of_counts(counts.to_numpy(), in_reference) for column, counts in histograms.items()},
        index=pd.Index(months, name="month"),
    )
    found_tests = tests_by_month(table, histograms, numeric, reference, ranges) if tests else {}
    return LogAggregates(months_found, labelled, histograms, psi, reference, found_tests, score_bins)
