"""`involve monitor connect|check|shadow`: connect a use case to its decision log, check it, and shadow it with
another iteration (`shadow_cli`)."""

from __future__ import annotations

import argparse
import sys
import tomllib

from demo_models.monitoring.aggregates import list_months
from demo_models.monitoring.engines import ENGINE_ERRORS, first_line
from demo_models.monitoring.sources import ROLES, Source, describe_source, load_source, save_source, validate_source
from demo_models.service.shadow_cli import add_shadow_parser, run_shadow


def add_monitor_parser(commands: argparse._SubParsersAction) -> None:
    """Add `monitor connect`, `monitor check` and `monitor shadow` to the command line."""
    monitor = commands.add_parser("monitor", help="connect a use case to its decision log, check it")
    actions = monitor.add_subparsers(dest="monitor_command", required=True)
    connect = actions.add_parser("connect", help="validate and save the decision-log source of a use case")
    connect.add_argument("use_case")
    where = connect.add_mutually_exclusive_group(required=True)
    where.add_argument("--parquet", help="a Parquet folder (hive-partitioned or not) or file")
    where.add_argument("--csv", help="a glob of CSV files")
    where.add_argument(
        "--sql", help="a database URL, e.g. postgresql://user:${PGPASSWORD}@host/db (${NAME}: from the environment)"
    )
    relation = connect.add_mutually_exclusive_group()
    relation.add_argument("--table", default="", help="with --sql: the table (schema.table) holding the log")
    relation.add_argument("--query", default="", help="with --sql: a SELECT query returning the log")
    connect.add_argument(
        "--map", action="append", default=[], help="role=column (inputs=a,b,c); roles: " + ", ".join(ROLES)
    )
    connect.add_argument(
        "--engine",
        choices=("duckdb", "spark"),
        default="",
        help="with --parquet or --csv: compute on embedded DuckDB (default) or on Spark (INVOLVE_SPARK_MASTER)",
    )
    connect.add_argument(
        "--reference",
        default="",
        help="the months drift is measured against, e.g. 2025-01,2025-02 (default: the first 3)",
    )
    check = actions.add_parser("check", help="validate the saved source and list its months")
    check.add_argument("use_case")
    add_shadow_parser(actions)


def _mapping(pairs: list[str]) -> dict[str, str | list[str]] | str:
    mapping: dict[str, str | list[str]] = {}
    for pair in pairs:
        role, sep, column = pair.partition("=")
        if not sep or not role.strip() or not column.strip():
            return f"'{pair}' is not role=column."
        mapping[role.strip()] = [c.strip() for c in column.split(",")] if role.strip() == "inputs" else column.strip()
    return mapping


def run_monitor(args: argparse.Namespace) -> int:
    """Run `monitor connect`, `monitor check` or `monitor shadow`; 0 when the source is valid (the comparison made)."""
    if args.monitor_command == "shadow":
        return run_shadow(args)
    if args.monitor_command == "connect":
        mapping = _mapping(args.map)
        if isinstance(mapping, str):
            print(f"Not saved: {mapping}", file=sys.stderr)
            return 1
        reference = tuple(m.strip() for m in args.reference.split(",") if m.strip())
        relation = args.table or args.query
        if relation and not args.sql:
            print("Not saved: --table and --query go with --sql URL.", file=sys.stderr)
            return 1
        if args.engine and args.sql:
            print(
                "Not saved: --engine goes with --parquet or --csv (a SQL source is computed in its database).",
                file=sys.stderr,
            )
            return 1
        kind = "parquet" if args.parquet else "csv" if args.csv else "sql"
        engine = "" if args.engine == "duckdb" else args.engine
        source = Source(kind, args.parquet or args.csv or args.sql, mapping, reference, relation, engine)
    else:
        try:
            source = load_source(args.use_case)
        except (tomllib.TOMLDecodeError, KeyError) as error:
            print(f"The sources file could not be read ({error}): fix or remove it.", file=sys.stderr)
            return 1
        if source is None:
            print(f"No decision-log source is connected for {args.use_case}: run `involve monitor connect`.")
            return 1
    problems = validate_source(source)
    for problem in problems:
        print(f"- {problem}", file=sys.stderr)
    if problems:
        print(f"{'Not saved' if args.monitor_command == 'connect' else 'Not valid'}: {len(problems)} problem(s).")
        return 1
    if args.monitor_command == "connect":
        print(f"Saved the {source.kind} source of {args.use_case} in {save_source(args.use_case, source)}.")
        return 0
    try:
        months = list_months(source)
    except ENGINE_ERRORS as error:
        print(f"The months could not be read: {first_line(error)}", file=sys.stderr)
        return 1
    missing = [month for month in source.reference if month not in months.index]
    if missing:
        print(f"Not valid: the reference window has no decision in {', '.join(missing)}.", file=sys.stderr)
        return 1
    print(f"{args.use_case}: {source.kind} source at {describe_source(source)} is valid; {len(months)} month(s):")
    for month, count in months.items():
        print(f"  {month}\t{count} decisions")
    return 0
