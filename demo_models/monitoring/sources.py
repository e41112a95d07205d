"""A decision-log source per use case: where a team's scoring service logs its decisions (Parquet, CSV, or a
SQL table or query behind a database URL) and which column plays which role. Kept in one small TOML file
beside the store data; a URL's `${NAME}` is read from the environment when connecting, never saved."""

from __future__ import annotations

import glob
import json
import logging
import os
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from demo_models.settings import data_dir

log = logging.getLogger(__name__)

KINDS = ("parquet", "csv", "sql")
ROLES = ("timestamp", "case_id", "inputs", "score", "decision", "version", "label", "label_date")
REQUIRED_ROLES = ("timestamp", "inputs", "score")
PREVIEW_ROWS = 1000
SQL_REFRESH_SECONDS = 300  # a SQL table has no files to watch: its aggregates are recomputed this often
EXPECTED = {"timestamp": "time", "label_date": "time", "score": "number", "label": "number"}


@dataclass(frozen=True)
class Source:
    """A decision log: its kind (parquet folder, csv glob or sql), where it is (a path, or a database URL), the
    column of each role, the reference months drift is measured against (empty: the log's first months), and
    for a SQL source the table (schema.table) or SELECT query holding the log, and for a file source the engine
    computing on it ("" or "duckdb": embedded DuckDB; "spark": Spark, `INVOLVE_SPARK_MASTER`)."""

    kind: str
    path: str
    mapping: dict[str, str | list[str]] = field(default_factory=dict)
    reference: tuple[str, ...] = ()
    table: str = ""
    engine: str = ""

    @property
    def inputs(self) -> list[str]:
        """The input columns."""
        value = self.mapping.get("inputs", [])
        return [value] if isinstance(value, str) else list(value)


def sources_file() -> Path:
    """The TOML file holding every use case's decision-log source."""
    return data_dir() / "monitoring_sources.toml"


def describe_source(source: Source) -> str:
    """Where the log is, as it may be shown (a URL's literal password hidden)."""
    from demo_models.monitoring.engines import safe_url

    if source.kind != "sql":
        return source.path
    return f"{safe_url(source.path)} ({source.table.strip()})"


def _files(source: Source) -> list[str]:
    if source.kind == "parquet" and Path(source.path).is_dir():
        return sorted(str(p) for p in Path(source.path).rglob("*.parquet"))
    return sorted(glob.glob(source.path, recursive=True))


def source_signature(source: Source) -> tuple:
    """What changes when the log does: each file's path, size and modification time (a cache key); for a
    SQL source, the current SQL_REFRESH_SECONDS period (a table has no files to watch)."""
    if source.kind == "sql":
        return (source.table, int(time.time() // SQL_REFRESH_SECONDS))
    signature = []
    for name in _files(source):
        try:
            stat = os.stat(name)
        except OSError:
            continue
        signature.append((name, stat.st_size, stat.st_mtime_ns))
    return tuple(signature)


def validate_source(source: Source) -> list[str]:
    """Problems of the source, one sentence each (empty when it can be monitored), from its first rows only."""
    if source.kind not in KINDS:
        return [f"The kind '{source.kind}' is not known: use one of {', '.join(KINDS)}."]
    if source.engine not in ("", "duckdb", "spark"):
        return [f"The engine '{source.engine}' is not known: use duckdb or spark (files), or a SQL source."]
    problems = [f"No column is mapped to the role '{role}'." for role in REQUIRED_ROLES if not source.mapping.get(role)]
    problems += [
        f"'{role}' is not a role: use one of {', '.join(ROLES)}." for role in source.mapping if role not in ROLES
    ]
    if source.kind == "sql":
        if not source.table.strip():
            problems.insert(0, "A SQL source needs a table or a query (`--table NAME` or `--query 'SELECT …'`).")
            return problems
    elif source.kind == "parquet" and not Path(source.path).exists():
        return [f"The folder or file {source.path} does not exist."] + problems
    elif not _files(source):
        what = "Parquet files" if source.kind == "parquet" else "CSV files"
        return [f"No {what} were found at {source.path}."] + problems
    from demo_models.monitoring.engines import EngineError, column_types

    try:
        types = column_types(source, PREVIEW_ROWS)
    except EngineError as error:
        return [str(error)] + problems
    for role in ROLES:
        for column in [source.mapping.get(role)] if role != "inputs" else source.inputs:
            if not column:
                continue
            if column not in types:
                problems.append(f"The column '{column}' (role '{role}') is not in the source.")
            elif role in EXPECTED and not _is_kind(types[column], EXPECTED[role]):
                wanted = "a date or timestamp" if EXPECTED[role] == "time" else "a number or boolean"
                problems.append(f"The column '{column}' (role '{role}') is {types[column]}, not {wanted}.")
    return problems


def _is_kind(dtype, kind: str) -> bool:
    if kind == "time":
        return dtype.is_timestamp() or dtype.is_date()
    return dtype.is_numeric() or dtype.is_boolean()


def _toml_value(value: str | list[str]) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    return "[" + ", ".join(json.dumps(v) for v in value) + "]"


def load_sources() -> dict[str, Source]:
    """Every configured source by use case (none when the file does not exist)."""
    path = sources_file()
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        raw = tomllib.load(handle)
    return {
        use_case: Source(
            str(table["kind"]),
            str(table["path"]),
            dict(table.get("mapping", {})),
            tuple(str(month) for month in table.get("reference", ())),
            str(table.get("table", table.get("query", ""))),
            str(table.get("engine", "")),
        )
        for use_case, table in raw.items()
    }


def load_source(use_case: str) -> Source | None:
    """The source of one use case, or None when none is configured."""
    return load_sources().get(use_case)


def save_source(use_case: str, source: Source) -> Path:
    """Write (or replace) the use case's source in the TOML file, atomically; return the file."""
    sources = load_sources() | {use_case: source}
    lines = []
    for name, item in sorted(sources.items()):
        lines += [f"[{json.dumps(name)}]", f"kind = {json.dumps(item.kind)}", f"path = {json.dumps(item.path)}"]
        if item.table:
            lines += [f"table = {json.dumps(item.table)}"]
        if item.engine:
            lines += [f"engine = {json.dumps(item.engine)}"]
        if item.reference:
            lines += [f"reference = {_toml_value(list(item.reference))}"]
        lines += [f"[{json.dumps(name)}.mapping]"]
        lines += [f"{json.dumps(role)} = {_toml_value(column)}" for role, column in item.mapping.items()] + [""]
    path = sources_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".toml")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write("\n".join(lines))
    os.replace(temporary, path)
    log.info("decision-log source of %s saved in %s", use_case, path)
    return path
