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

from demo_models.metrics.calibration import wilson_interval
from demo_models.metrics.drift import PSI_BINS, psi_of_counts
from demo_models.monitoring.drift_tests import tests_by_month
from demo_models.monitoring.engines import ENGINE_ERRORS, EngineError, first_line, month_key, month_name, open_log
from demo_models.monitoring.estimation import estimate_roc_auc
from demo_models.monitoring.sources import Source, describe_source, validate_source

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


def _as_int(condition: Any) -> Any:
    """1 where the condition holds, else 0 (PostgreSQL casts no boolean to a number)."""
    return ibis.ifelse(condition, 1, 0)


def _bin_of(value: Any, inner: list[float]) -> Any:
    """The bin of a number among the inner edges: how many edges it reaches (numpy's searchsorted, right)."""
    code = ibis.literal(0, "int64")
    for edge in inner:
        code = code + _as_int(value >= edge)
    return code


def list_months(source: Source) -> pd.Series:
    """Decisions per month of the log ('YYYY-MM')."""
    return _months(open_log(source))[0]


def _months(table: Any, label: str | None = None) -> tuple[pd.Series, pd.Series | None]:
    """Decisions per month and, with a label column, the share of them labelled: one scan."""
    metrics = {"n": ibis._.count()}
    if label:
        metrics["labelled"] = _as_int(table[label].notnull()).sum()
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
        **{key: ibis.ifelse(value.isnull(), -1, _bin_of(value, edges[numbers[key]])) for key, value in values.items()},
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
    months_found, labelled = _months(table, source.mapping.get("label") or None)
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


CALIBRATION_BINS = 20  # reference score quantiles whose observed rate calibrates the scores (CBPE)
Z95 = 1.959963984540054  # the normal quantile of a 95 % two-sided interval


@dataclass(frozen=True)
class LogPerformance:
    """Month by month: performance measured on the labelled decisions (`realised`: cases, labelled,
    actual positive rate, positive rate, recall and precision with 95 % Wilson intervals (`recall low`,
    `recall high` …), ROC AUC; NaN where undefined) and estimated on every decision from the calibrated
    scores (`estimated`: cases, positive rate, recall, precision and accuracy, each with the 95 % interval
    the realised figure would fall in if the reference link between score and outcome holds)."""

    realised: pd.DataFrame
    estimated: pd.DataFrame
    threshold: float


def _realised(table: Any, score: str, label: str, threshold: float) -> pd.DataFrame:
    """Counts at the threshold and the exact ROC AUC (Mann-Whitney, ties at their average rank) per month."""
    labelled = table.filter(table[label].notnull() & table[score].notnull())
    scored = labelled.select(m=labelled.__month, s=labelled[score].cast("float64"), y=labelled[label].cast("float64"))
    # a score's average rank among its ties is half the sum of its lowest rank (rank() + 1: ibis' starts at 0)
    # and its highest (the rows up to it, ties included): two windows over one sort, summed as integers
    lowest = ibis.rank().over(ibis.window(group_by=scored.m, order_by=scored.s)) + 1
    upto = ibis.range_window(group_by=scored.m, order_by=scored.s, preceding=None, following=0)
    highest = scored.s.count().over(upto)
    ranked = scored.mutate(rk=(lowest + highest).cast("int64"))
    decided = ranked.s >= threshold
    rows = (
        ranked.group_by("m")
        .aggregate(
            n=ranked.count(),
            p=ranked.y.sum(),
            pp=_as_int(decided).sum(),
            tp=ibis.ifelse(decided, ranked.y, 0.0).sum(),
            twice_rank_sum=ibis.ifelse(ranked.y == 1, ranked.rk, 0).sum(),
            low=ranked.y.min(),
            high=ranked.y.max(),
        )
        .execute()
    )
    frame = rows.assign(month=[month_name(key) for key in rows.pop("m")]).set_index("month")
    if len(frame) and ((frame["low"] < 0) | (frame["high"] > 1)).any():
        raise ValueError(f"The label column {label} holds values other than 0 and 1.")
    frame["rank_sum"] = frame.pop("twice_rank_sum").astype(np.int64) / 2  # exact: an integer or a half
    return frame.drop(columns=["low", "high"]).astype(float)


def _quantile_list(found: Any, size: int) -> np.ndarray:
    """A list quantile's values as floats (all NaN where the engine found no row: NULL)."""
    if found is None or (np.ndim(found) == 0 and pd.isna(found)):
        return np.full(size, NAN)
    return np.asarray(found, dtype=float)


def _calibration_edges(table: Any, score: str, label: str, reference: list[str], threshold: float) -> list[float]:
    """Inner edges of the calibration bins: the threshold, and the labelled reference scores' quantiles on
    each side of it (half the bins each), so no bin mixes the decisions."""
    in_reference = table.__month.isin([month_key(m) for m in reference])
    rows = table.filter(in_reference & table[label].notnull() & table[score].notnull())
    value = rows[score].cast("float64")
    quantiles = [float(q) for q in np.linspace(0, 1, CALIBRATION_BINS // 2 + 1)]
    found = (
        rows.aggregate(
            below=value.quantile(quantiles, where=value < threshold),
            above=value.quantile(quantiles, where=value >= threshold),
        )
        .execute()
        .iloc[0]
    )
    below, above = (_quantile_list(found[side], len(quantiles)) for side in ("below", "above"))
    sides = [side[1:-1] for side in (below, above) if not np.isnan(side).all()]
    if not sides:
        raise ValueError("The reference months hold no labelled decision to calibrate the scores on.")
    return [float(e) for e in np.unique(np.concatenate([*sides, [threshold]]))]


def _binned_scores(table: Any, score: str, label: str, inner: list[float], threshold: float) -> pd.DataFrame:
    """Per month, calibration bin and side of the threshold: decisions, labelled ones and positives (one scan)."""
    rows = table.filter(table[score].notnull())
    value = rows[score].cast("float64")
    counted = (
        rows.mutate(bin=_bin_of(value, inner), decided=_as_int(value >= threshold))
        .group_by(["__month", "bin", "decided"])
        .aggregate(count=ibis._.count(), labelled=ibis._[label].count(), positives=ibis._[label].cast("float64").sum())
        .execute()
    )
    return counted.assign(month=[month_name(key) for key in counted.pop("__month")])


def _calibration_rates(counts: pd.DataFrame, reference: list[str], bins: int) -> np.ndarray:
    """The observed positive rate of the labelled reference decisions in each calibration bin (a bin
    without any: interpolated from its neighbours)."""
    in_reference = counts[counts["month"].isin(reference)]
    sums = in_reference.groupby("bin")[["labelled", "positives"]].sum()
    rates = (sums["positives"] / sums["labelled"].where(sums["labelled"] > 0)).dropna()
    rates = pd.Series(rates.to_numpy(float), index=rates.index.astype(int)).reindex(range(bins))
    return rates.astype(float).interpolate(limit_direction="both").to_numpy(float)


def _interval(frame: pd.DataFrame, name: str, value: pd.Series, sd: pd.Series) -> None:
    """Add the metric and its 95 % normal interval (value ± 1.96 sd, within 0-1) as three columns."""
    frame[name] = value
    frame[f"{name} low"] = (value - Z95 * sd).clip(0, 1)
    frame[f"{name} high"] = (value + Z95 * sd).clip(0, 1)


def _estimated(binned: pd.DataFrame, rates: np.ndarray) -> pd.DataFrame:
    """Expected confusion counts per month from the calibrated rates (`binned`: `_binned_scores`), with the
    spread the realised metric would have if each outcome were drawn from its rate (independent Bernoulli;
    delta method for recall)."""
    counts = binned[["month", "bin", "decided", "count"]].copy()
    rate = rates[counts["bin"].to_numpy(int)]
    counts["expected"], counts["variance"] = counts["count"] * rate, counts["count"] * rate * (1 - rate)
    sums = counts.pivot_table(
        index="month", columns="decided", values=["count", "expected", "variance"], aggfunc="sum", fill_value=0.0
    ).reindex(columns=pd.MultiIndex.from_product([["count", "expected", "variance"], [0, 1]]), fill_value=0.0)
    pp, tp, var_tp = sums[("count", 1)], sums[("expected", 1)], sums[("variance", 1)]
    fn, var_fn = sums[("expected", 0)], sums[("variance", 0)]
    n = pp + sums[("count", 0)]
    estimated = pd.DataFrame({"cases": n.astype(int), "positive rate": pp / n}).rename_axis("month")
    positives = tp + fn
    recall_sd = np.sqrt(fn**2 * var_tp + tp**2 * var_fn) / positives**2
    _interval(estimated, "recall", (tp / positives).where(positives > 0), recall_sd)
    _interval(estimated, "precision", (tp / pp).where(pp > 0), np.sqrt(var_tp) / pp)
    accuracy = (tp + (sums[("count", 0)] - fn)) / n
    _interval(estimated, "accuracy", accuracy, np.sqrt(var_tp + var_fn) / n)
    return estimated.join(estimate_roc_auc(counts[["month", "bin", "count"]], rates))


def log_performance(
    source: Source,
    threshold: float,
    reference: list[str] | None = None,
    table: Any | None = None,
    months: list[str] | None = None,
) -> LogPerformance:
    """Performance by month at the iteration's threshold: measured where labels are in, and estimated for
    every month by confidence-based performance estimation (CBPE: each score replaced by the observed rate
    of its reference bin — quantiles on each side of the threshold — then expected confusion counts). The
    estimate assumes the link between score and outcome is the reference months' (no concept drift).
    `table` and `months`: the log already opened with `open_log` and its months, if they are."""
    if not source.mapping.get("label"):
        raise ValueError("No column is mapped to the role 'label': performance needs the actual outcomes.")
    table = open_log(source) if table is None else table
    months = list(_months(table)[0].index) if months is None else months
    reference = [m for m in (reference or months[:REFERENCE_MONTHS]) if m in months]
    if not reference:
        raise ValueError("None of the reference months is in the decision log.")
    score, label = str(source.mapping["score"]), str(source.mapping["label"])
    counts = _realised(table, score, label, threshold)
    inner = _calibration_edges(table, score, label, reference, threshold)
    binned = _binned_scores(table, score, label, inner, threshold)
    estimated = _estimated(binned, _calibration_rates(binned, reference, len(inner) + 1)).reindex(months)
    counts = counts.reindex(months)
    n, p, pp, tp = counts["n"], counts["p"], counts["pp"], counts["tp"]
    negatives = n - p
    realised = pd.DataFrame(
        {
            "cases": estimated["cases"],
            "labelled": n.fillna(0).astype(int),
            "actual positive rate": p / n,
            "positive rate": pp / n,
        },
        index=pd.Index(months, name="month"),
    )
    for name, hits, trials in (("recall", tp, p), ("precision", tp, pp)):
        realised[name] = (hits / trials).where(trials > 0)
        bounds = [
            wilson_interval(int(h), int(t)) if t > 0 else (NAN, NAN) for h, t in zip(hits.fillna(0), trials.fillna(0))
        ]
        realised[f"{name} low"], realised[f"{name} high"] = [b[0] for b in bounds], [b[1] for b in bounds]
    auc = (counts["rank_sum"] - p * (p + 1) / 2) / (p * negatives)
    realised["ROC AUC"] = auc.where((p > 0) & (negatives > 0))
    return LogPerformance(realised, estimated, float(threshold))


@dataclass(frozen=True)
class LogSummary:
    """What Monitoring shows of a connected decision log: the source's problems (nothing else when it has
    any), its aggregates, and its performance by month (None, with why, without usable labels)."""

    source: Source
    problems: list[str]
    aggregates: LogAggregates | None = None
    performance: LogPerformance | None = None
    why_no_performance: str = ""


def summarise_log(source: Source, threshold: float) -> LogSummary:
    """Validate the decision log and, when it can be monitored, aggregate it and measure its performance
    at the threshold; every failure is a sentence, never an exception."""
    problems = validate_source(source)
    if problems:
        return LogSummary(source, problems)
    try:
        table = open_log(source)  # one connection for every aggregate of the page
        aggregates = log_aggregates(source, list(source.reference) or None, table=table)
    except EngineError as error:
        return LogSummary(source, [str(error)])
    except ENGINE_ERRORS as error:  # the engine's own errors (duckdb.Error, psycopg.Error, …): one sentence
        return LogSummary(source, [f"The decision log could not be aggregated: {first_line(error)}"])
    try:
        performance = log_performance(source, threshold, aggregates.reference, table, list(aggregates.decisions.index))
    except ENGINE_ERRORS as error:  # ValueError says why; an engine's error is shown as its first line
        return LogSummary(source, [], aggregates, None, first_line(error))
    return LogSummary(source, [], aggregates, performance)
