"""Where a decision log is computed: the one place that chooses an engine. Every monitoring aggregate is an
ibis expression over the table `open_log` returns, so the same code runs on DuckDB (embedded, out of core
over Parquet or CSV, no server), on the team's PostgreSQL and on Spark (a file source with engine "spark":
local mode by default, a cluster by `INVOLVE_SPARK_MASTER`); another engine needs only a factory in `ENGINES`."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ibis

from demo_models.monitoring.sources import Source

log = logging.getLogger(__name__)

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
LOG_VIEW = "involve_decision_log"
FILE_COLUMN = "__file"  # each row's file, where the engine reads files itself (DuckDB over Parquet)
MONTH_FILES = 1_000  # most files whose months are read from their names (a daily log of almost three years)


class EngineError(RuntimeError):
    """The engine holding a decision log cannot be reached or read; the message says why, in one sentence."""


def _engine_errors() -> tuple[type[BaseException], ...]:
    import duckdb
    from ibis.common.exceptions import IbisError, TableNotFound

    errors: list[type[BaseException]] = [EngineError, ValueError, duckdb.Error, IbisError, TableNotFound]
    try:
        import psycopg

        errors.append(psycopg.Error)
    except ImportError:  # pragma: no cover - psycopg comes with ibis-framework[postgres]
        pass
    try:  # the Spark extra: analysis errors (a missing path or column) and the JVM's own
        from py4j.protocol import Py4JError
        from pyspark.errors import PySparkException

        errors += [PySparkException, Py4JError]
    except ImportError:
        pass
    return tuple(errors)


ENGINE_ERRORS = _engine_errors()  # what computing on a log may raise: shown as one sentence, never a traceback


def expand_url(url: str) -> str:
    """The URL with each `${NAME}` replaced by the environment variable NAME (so passwords stay out of files)."""
    missing = [name for name in _VARIABLE.findall(url) if name not in os.environ]
    if missing:
        raise EngineError(f"The environment variable {missing[0]} named in the source URL is not set.")
    return _VARIABLE.sub(lambda match: os.environ[match.group(1)], url)


def safe_url(url: str) -> str:
    """The URL as it may be shown: a literal password replaced by ***, `${NAME}` left as written."""

    def hide(match: re.Match) -> str:
        password = match.group(2) if "${" in match.group(2) else "***"
        return match.group(1) + password + "@"

    return re.sub(r"(://[^:/@]+:)([^@]+)@", hide, url)


DUCKDB_MEMORY = "1GB"  # beyond it DuckDB spills to disk, so the app stays within 2 GB on any log size


def _duckdb(source: Source) -> Any:
    import tempfile

    spill = Path(tempfile.gettempdir()) / "involve-duckdb"
    return ibis.duckdb.connect(
        memory_limit=DUCKDB_MEMORY, temp_directory=str(spill), preserve_insertion_order=False, threads=os.cpu_count()
    )


def _postgres(source: Source) -> Any:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(expand_url(source.path))
    except ArgumentError as error:
        raise EngineError(f"The source URL {safe_url(source.path)} is not a database URL: {error}") from error
    options = {"schema": url.query["schema"]} if "schema" in url.query else {}
    return ibis.postgres.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=url.database,
        connect_timeout=int(os.environ.get("INVOLVE_SOURCE_TIMEOUT", "10")),
        **options,
    )


def _spark(source: Source) -> Any:
    from demo_models.monitoring.spark import SparkUnavailable, spark_backend

    if source.kind not in ("parquet", "csv"):
        raise EngineError("Spark computes on Parquet or CSV decision logs; a SQL source is computed in its database.")
    try:
        return spark_backend()
    except SparkUnavailable as error:
        raise EngineError(str(error)) from error


# The engine of each kind of source (and of each SQL URL scheme): a factory returning an ibis backend.
ENGINES: dict[str, Callable[[Source], Any]] = {
    "duckdb": _duckdb,
    "postgresql": _postgres,
    "postgres": _postgres,
    "spark": _spark,
}


def engine_name(source: Source) -> str:
    """The engine a source is computed on: DuckDB for files (Spark when the source says so), the URL's database
    for a SQL source."""
    if source.kind != "sql":
        return source.engine or "duckdb"
    try:
        url = expand_url(source.path)
    except EngineError:
        url = source.path
    return url.split("://", 1)[0].split("+", 1)[0].lower() if "://" in url else ""


def connect_engine(source: Source) -> Any:
    """An ibis backend on the engine holding the source; EngineError (one sentence) when it cannot be reached."""
    if source.kind == "sql":
        expand_url(source.path)  # a variable not set is said before anything else
    name = engine_name(source)
    factory = ENGINES.get(name)
    if factory is None:
        raise EngineError(
            f"The source URL {safe_url(source.path)} names no supported database: use postgresql://… "
            f"(supported: {', '.join(sorted(ENGINES))})."
        )
    try:
        return factory(source)
    except EngineError:
        raise
    except (*ENGINE_ERRORS, OSError) as error:  # drivers raise their own types (psycopg.OperationalError, …)
        raise EngineError(
            f"The database at {safe_url(source.path)} could not be reached: {first_line(error)}"
        ) from error


def _file_pattern(source: Source) -> str:
    path = Path(source.path)
    return str(path / "**" / f"*.{source.kind}") if path.is_dir() else source.path


def column_types(source: Source, rows: int) -> dict[str, Any]:
    """The ibis type of each column of the source, checked on its first `rows` rows (read, so an unreadable
    file or a query that fails says so here); EngineError when it cannot be read or holds no row."""
    table = open_log(source, with_month=False)
    try:
        preview = table.limit(rows).execute()
    except ENGINE_ERRORS as error:
        raise EngineError(f"The source at {describe(source)} could not be read: {first_line(error)}") from error
    if preview.empty:
        raise EngineError(f"The decision log at {describe(source)} holds no decision.")
    return dict(table.schema().items())


def describe(source: Source) -> str:
    """Where the log is, as it may be shown."""
    from demo_models.monitoring.sources import describe_source

    return describe_source(source)


def open_log(source: Source, backend: Any | None = None, with_month: bool = True) -> Any:
    """The decision log as an ibis table on its engine (nothing is read yet), with `__month`: the month as the
    integer YYYYMM (`month_key`; grouping by it costs a fraction of grouping by formatted text)."""
    backend = backend or connect_engine(source)
    try:
        if engine_name(source) == "spark":  # Spark finds a folder's hive partitions itself
            if source.kind == "parquet":
                table = backend.read_parquet(source.path, mergeSchema=True)
            else:
                table = backend.read_csv(source.path, header=True, inferSchema=True)
        elif source.kind == "parquet":
            files = {"filename": FILE_COLUMN} if with_month else {}  # for `months_from_files`
            table = backend.read_parquet(_file_pattern(source), hive_partitioning=True, union_by_name=True, **files)
        elif source.kind == "csv":
            # parsed once into DuckDB's columnar storage: re-sniffing the files costs about a second per query
            files = backend.read_csv(source.path, union_by_name=True)
            backend.raw_sql(f'CREATE OR REPLACE TEMP TABLE "{LOG_VIEW}" AS {ibis.to_sql(files, dialect="duckdb")}')
            table = backend.table(LOG_VIEW)
        else:
            table = _sql_table(backend, source.table)
    except EngineError:
        raise
    except ENGINE_ERRORS as error:
        raise EngineError(f"The source at {describe(source)} could not be read: {first_line(error)}") from error
    timestamp = table[str(source.mapping["timestamp"])] if source.mapping.get("timestamp") in table.columns else None
    if timestamp is None or not with_month:
        return table
    timestamp = timestamp.cast("timestamp")
    return table.mutate(__month=(timestamp.year() * 100 + timestamp.month()).cast("int64"))


def months_from_files(table: Any) -> Any:
    """The opened log with `__month` taken from each row's file when every file holds decisions of one month (a
    log partitioned by month or day, as scoring services write it): found in one scan of the timestamps here,
    after which a query reads no timestamp, and one about some months only the files of those months. Else (a
    file spanning months or without a timestamp, too many files) the log as it is, without its file names. A
    file written after this call has no month, so its rows count from the next view on."""
    if FILE_COLUMN not in table.columns:
        return table
    if "__month" not in table.columns:
        return table.drop(FILE_COLUMN)
    month = table.__month
    found = table.group_by(FILE_COLUMN).aggregate(low=month.min(), high=month.max(), missing=month.isnull().sum())
    files = found.limit(MONTH_FILES + 1).execute()
    if len(files) > MONTH_FILES or (files["low"] != files["high"]).any() or (files["missing"] > 0).any():
        return table.drop(FILE_COLUMN)
    months = {str(name): int(key) for name, key in zip(files[FILE_COLUMN], files["low"])}
    return table.mutate(__month=table[FILE_COLUMN].substitute(months, else_=ibis.null("int64")).cast("int64"))


def has_months_from_files(table: Any) -> bool:
    """Whether the log's months come from its files, for a log that went through `months_from_files` (which
    keeps the file names only then): a query about one month then reads that month's files only."""
    return FILE_COLUMN in table.columns


def as_int(condition: Any) -> Any:
    """1 where the condition holds, else 0 (PostgreSQL casts no boolean to a number)."""
    return ibis.ifelse(condition, 1, 0)


def bin_of(value: Any, inner: list[float]) -> Any:
    """The bin of a number among the inner edges (ascending): how many edges it reaches (numpy's searchsorted,
    right; 0 for a missing value), found by a binary search of nested CASEs, a few comparisons a row."""
    if any(b <= a for a, b in zip(inner, inner[1:])):
        raise ValueError("Bin edges must be strictly ascending.")

    def search(low: int, high: int) -> Any:  # the bin is between low and high
        if low == high:
            return ibis.literal(low, "int64")
        middle = (low + high) // 2
        return ibis.ifelse(value >= inner[middle], search(middle + 1, high), search(low, middle))

    return search(0, len(inner))


def month_key(month: str) -> int:
    """A month 'YYYY-MM' as the integer YYYYMM of `__month`."""
    return int(month[:4]) * 100 + int(month[5:7])


def month_name(key: Any) -> str:
    """The integer YYYYMM of `__month` as the month 'YYYY-MM'."""
    key = int(key)
    return f"{key // 100:04d}-{key % 100:02d}"


def _sql_table(backend: Any, relation: str) -> Any:
    """A table name (schema.table allowed) or a SELECT / WITH query, as an ibis table."""
    text = relation.strip().rstrip(";")
    if not text:
        raise EngineError("A SQL source needs a table or a query (`--table NAME` or `--query 'SELECT …'`).")
    if re.match(r"(?is)^\s*(select|with)\b", text):
        # a temporary view of the query on this connection (ibis' own `sql()` is broken with this sqlglot)
        backend.raw_sql(f'CREATE OR REPLACE TEMP VIEW "{LOG_VIEW}" AS {text}').close()
        return backend.table(LOG_VIEW)
    from ibis.common.exceptions import TableNotFound

    schema, _, name = text.rpartition(".")
    try:
        return backend.table(name.strip('"'), database=schema.strip('"') or None)
    except TableNotFound as error:
        raise EngineError(f"The table {text} is not in the database (or not visible to its user).") from error


def first_line(error: BaseException) -> str:
    """The first line of an error's message (its type when it has none)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


ENGINE_LABELS = {"duckdb": "DuckDB", "postgresql": "PostgreSQL", "postgres": "PostgreSQL", "spark": "Spark"}


def engine_label(source: Source) -> str:
    """The engine's name as shown: 'DuckDB', 'PostgreSQL', …"""
    name = engine_name(source)
    return ENGINE_LABELS.get(name, name)
