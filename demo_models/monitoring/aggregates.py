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

from demo_models.metrics.drift import PSI_BINS, psi_of_counts
from demo_models.monitoring.sources import Source, scan_sql

REFERENCE_MONTHS = 3
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
