"""Monitoring aggregates of a decision log, computed in DuckDB where the log is (out of core): only
counts come back. Every DuckDB statement of monitoring is in this module so that a portable layer
(ibis, for PostgreSQL and Spark) can replace it.

The numbers are those of demo_models.metrics.drift: the same decile edges of the reference months
(numpy's linear quantiles = DuckDB's quantile_cont), the same bins and the same PSI of the counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from demo_models.metrics.calibration import wilson_interval
from demo_models.metrics.drift import PSI_BINS, psi_of_counts
from demo_models.monitoring.sources import Source, scan_sql, validate_source

REFERENCE_MONTHS = 3
NAN = float("nan")
_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL", "U")


@dataclass(frozen=True)
class LogAggregates:
    """Month by month (rows): decisions, share labelled (None without a label column), count per bin of
    each column (score included), and PSI of each column against the reference months."""

    decisions: pd.Series
    labelled_share: pd.Series | None
    histograms: dict[str, pd.DataFrame]
    psi: pd.DataFrame
    reference: list[str]


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _view(connection: duckdb.DuckDBPyConnection, source: Source) -> None:
    month = f"strftime(CAST({_ident(str(source.mapping['timestamp']))} AS TIMESTAMP), '%Y-%m')"
    connection.execute(f"CREATE TEMP VIEW log AS SELECT *, {month} AS __month FROM {scan_sql(source)}")


def list_months(source: Source) -> pd.Series:
    """Decisions per month of the log ('YYYY-MM')."""
    with duckdb.connect() as connection:
        _view(connection, source)
        rows = connection.execute("SELECT __month, count(*) FROM log GROUP BY 1 ORDER BY 1").fetchall()
    return pd.Series({m: n for m, n in rows}, name="decisions", dtype=int).rename_axis("month")


def _is_numeric(connection: duckdb.DuckDBPyConnection, column: str, reference: list[str]) -> bool:
    kind = connection.execute(f"SELECT typeof({_ident(column)}) FROM log LIMIT 1").fetchone()[0].upper()
    if not kind.startswith(_NUMERIC) or kind.startswith("UUID"):
        return False
    distinct = connection.execute(
        f"SELECT count(DISTINCT {_ident(column)}) FROM log WHERE list_contains(?, __month)", [reference]
    ).fetchone()[0]
    return distinct > 12


def _histogram(connection: duckdb.DuckDBPyConnection, column: str, reference: list[str], months: list[str]):
    value = _ident(column)
    if _is_numeric(connection, column, reference):
        quantiles = [float(q) for q in np.linspace(0, 1, PSI_BINS + 1)]
        edges = connection.execute(
            f"SELECT quantile_cont(CAST({value} AS DOUBLE), ?::DOUBLE[]) FROM log "
            f"WHERE list_contains(?, __month) AND {value} IS NOT NULL",
            [quantiles, reference],
        ).fetchone()[0]
        inner = [float(e) for e in np.unique(np.asarray(edges, dtype=float))[1:-1]]
        code = " + ".join(f"CAST(CAST({value} AS DOUBLE) >= ? AS INTEGER)" for _ in inner) or "0"
        rows = connection.execute(
            f"SELECT __month, {code} AS bin, count(*) FROM log WHERE {value} IS NOT NULL GROUP BY 1, 2", inner
        ).fetchall()
        bins = list(range(len(inner) + 1))
    else:
        rows = connection.execute(
            f"SELECT __month, coalesce(CAST({value} AS VARCHAR), 'nan') AS bin, count(*) FROM log GROUP BY 1, 2"
        ).fetchall()
        bins = sorted({row[1] for row in rows})
    table = pd.DataFrame(rows, columns=["month", "bin", "count"]).pivot_table(
        index="month", columns="bin", values="count", aggfunc="sum", fill_value=0
    )
    return table.reindex(index=months, columns=bins, fill_value=0).astype(np.int64)


def log_aggregates(source: Source, reference: list[str] | None = None) -> LogAggregates:
    """Counts, labelled share, histograms and PSI per month of the source's inputs and score, against
    the reference months (default: the first REFERENCE_MONTHS months of the log)."""
    months_found = list_months(source)
    months = list(months_found.index)
    if not months:
        raise ValueError(f"The decision log at {source.path} has no decisions.")
    reference = [m for m in (reference or months[:REFERENCE_MONTHS]) if m in months]
    if not reference:
        raise ValueError("None of the reference months is in the decision log.")
    in_reference = np.isin(months, reference)
    with duckdb.connect() as connection:
        _view(connection, source)
        columns = source.inputs + [str(source.mapping["score"])]
        histograms = {column: _histogram(connection, column, reference, months) for column in columns}
        labelled = None
        if source.mapping.get("label"):
            rows = connection.execute(
                f"SELECT __month, avg(CAST({_ident(str(source.mapping['label']))} IS NOT NULL AS DOUBLE)) "
                "FROM log GROUP BY 1"
            ).fetchall()
            labelled = pd.Series(dict(rows), name="labelled share").reindex(months).rename_axis("month")
    psi = pd.DataFrame(
        {column: psi_of_counts(table.to_numpy(), in_reference) for column, table in histograms.items()},
        index=pd.Index(months, name="month"),
    )
    return LogAggregates(months_found, labelled, histograms, psi, reference)


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


def _realised(connection: duckdb.DuckDBPyConnection, score: str, label: str, threshold: float) -> pd.DataFrame:
    """Counts at the threshold and the exact ROC AUC (Mann-Whitney, ties at their average rank) per month."""
    rows = connection.execute(
        f"WITH l AS (SELECT __month AS m, CAST({score} AS DOUBLE) AS s, CAST({label} AS DOUBLE) AS y FROM log "
        f"WHERE {label} IS NOT NULL AND {score} IS NOT NULL), "
        "r AS (SELECT m, s, y, rank() OVER (PARTITION BY m ORDER BY s) "
        "+ (count(*) OVER (PARTITION BY m, s) - 1) / 2.0 AS rk FROM l) "
        "SELECT m, count(*), sum(y), sum(CAST(s >= ? AS INTEGER)), sum(CASE WHEN s >= ? THEN y ELSE 0 END), "
        "sum(CASE WHEN y = 1 THEN rk ELSE 0 END), min(y), max(y) FROM r GROUP BY m",
        [threshold, threshold],
    ).fetchall()
    frame = pd.DataFrame(rows, columns=["month", "n", "p", "pp", "tp", "rank_sum", "low", "high"]).set_index("month")
    if len(frame) and ((frame["low"] < 0) | (frame["high"] > 1)).any():
        raise ValueError(f"The label column {label} holds values other than 0 and 1.")
    return frame.drop(columns=["low", "high"]).astype(float)


def _calibration_rates(
    connection, score: str, label: str, reference: list[str], threshold: float
) -> tuple[list[float], np.ndarray]:
    """Inner edges of the calibration bins and the observed positive rate in each: the threshold, and the
    reference scores' quantiles on each side of it (half the bins each), so no bin mixes the decisions."""
    where = f"list_contains(?, __month) AND {label} IS NOT NULL AND {score} IS NOT NULL"
    quantiles = [float(q) for q in np.linspace(0, 1, CALIBRATION_BINS // 2 + 1)]
    below, above = connection.execute(
        "SELECT quantile_cont(s, ?::DOUBLE[]) FILTER (WHERE s < ?), "
        "quantile_cont(s, ?::DOUBLE[]) FILTER (WHERE s >= ?) "
        f"FROM (SELECT CAST({score} AS DOUBLE) AS s FROM log WHERE {where})",
        [quantiles, threshold, quantiles, threshold, reference],
    ).fetchone()
    if below is None and above is None:
        raise ValueError("The reference months hold no labelled decision to calibrate the scores on.")
    sides = [np.asarray(side, dtype=float)[1:-1] for side in (below, above) if side is not None]
    inner = [float(e) for e in np.unique(np.concatenate([*sides, [threshold]]))]
    code = " + ".join(f"CAST(CAST({score} AS DOUBLE) >= ? AS INTEGER)" for _ in inner) or "0"
    rows = connection.execute(
        f"SELECT {code} AS bin, avg(CAST({label} AS DOUBLE)) FROM log WHERE {where} GROUP BY 1", [*inner, reference]
    ).fetchall()
    rates = pd.Series(dict(rows)).reindex(range(len(inner) + 1))
    return inner, rates.interpolate(limit_direction="both").to_numpy(float)


def _interval(frame: pd.DataFrame, name: str, value: pd.Series, sd: pd.Series) -> None:
    """Add the metric and its 95 % normal interval (value ± 1.96 sd, within 0-1) as three columns."""
    frame[name] = value
    frame[f"{name} low"] = (value - Z95 * sd).clip(0, 1)
    frame[f"{name} high"] = (value + Z95 * sd).clip(0, 1)


def _estimated(connection, score: str, inner: list[float], rates: np.ndarray, threshold: float) -> pd.DataFrame:
    """Expected confusion counts per month from the calibrated rates, with the spread the realised metric
    would have if each outcome were drawn from its rate (independent Bernoulli; delta method for recall)."""
    code = " + ".join(f"CAST(CAST({score} AS DOUBLE) >= ? AS INTEGER)" for _ in inner) or "0"
    rows = connection.execute(
        f"SELECT __month, {code} AS bin, CAST(CAST({score} AS DOUBLE) >= ? AS INTEGER) AS decided, count(*) "
        f"FROM log WHERE {score} IS NOT NULL GROUP BY 1, 2, 3",
        [*inner, threshold],
    ).fetchall()
    counts = pd.DataFrame(rows, columns=["month", "bin", "decided", "count"])
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
    return estimated


def log_performance(source: Source, threshold: float, reference: list[str] | None = None) -> LogPerformance:
    """Performance by month at the iteration's threshold: measured where labels are in, and estimated for
    every month by confidence-based performance estimation (CBPE: each score replaced by the observed rate
    of its reference bin — quantiles on each side of the threshold — then expected confusion counts). The
    estimate assumes the link between score and outcome is the reference months' (no concept drift)."""
    if not source.mapping.get("label"):
        raise ValueError("No column is mapped to the role 'label': performance needs the actual outcomes.")
    months = list(list_months(source).index)
    reference = [m for m in (reference or months[:REFERENCE_MONTHS]) if m in months]
    if not reference:
        raise ValueError("None of the reference months is in the decision log.")
    score, label = _ident(str(source.mapping["score"])), _ident(str(source.mapping["label"]))
    with duckdb.connect() as connection:
        _view(connection, source)
        counts = _realised(connection, score, label, threshold)
        inner, rates = _calibration_rates(connection, score, label, reference, threshold)
        estimated = _estimated(connection, score, inner, rates, threshold).reindex(months)
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
        aggregates = log_aggregates(source, list(source.reference) or None)
    except (ValueError, duckdb.Error) as error:
        return LogSummary(source, [f"The decision log could not be aggregated: {_first_line(error)}"])
    try:
        performance = log_performance(source, threshold, aggregates.reference)
    except (ValueError, duckdb.Error) as error:
        return LogSummary(source, [], aggregates, None, _first_line(error))
    return LogSummary(source, [], aggregates, performance)


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
