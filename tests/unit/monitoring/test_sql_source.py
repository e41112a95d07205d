"""A decision log in PostgreSQL (INVOLVE_TEST_PG_URL), read as a SQL table or query: the same aggregates as
the same log in Parquet on DuckDB, validation on its first rows, and a clear sentence when it cannot be read."""

import numpy as np
import pandas as pd
import pytest

from demo_models.monitoring.aggregates import list_months, log_aggregates
from demo_models.monitoring.engines import EngineError, connect_engine, engine_label, safe_url
from demo_models.monitoring.log_performance import log_performance
from demo_models.monitoring.log_summary import summarise_log
from demo_models.monitoring.sources import Source, describe_source, load_source, save_source, validate_source
from tests.unit.monitoring.conftest import LOG_MAPPING, make_log
from tests.unit.monitoring.pg_logs import pg_log, sql_source


def _assert_same(found, expected):
    assert list(found.decisions.items()) == list(expected.decisions.items())
    assert found.reference == expected.reference
    for column, counts in expected.histograms.items():
        pd.testing.assert_frame_equal(found.histograms[column], counts, check_names=False, check_column_type=False)
    np.testing.assert_allclose(found.psi.to_numpy(), expected.psi.to_numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(found.labelled_share.to_numpy(), expected.labelled_share.to_numpy(), rtol=1e-12)
    for column, tests in expected.tests.items():
        assert list(found.tests[column]["test"]) == list(tests["test"])
        np.testing.assert_allclose(found.tests[column]["statistic"], tests["statistic"], rtol=1e-9, atol=1e-12)


def test_a_postgresql_table_gives_the_numbers_of_the_same_log_on_duckdb(partitioned_log, monkeypatch):
    folder, frame = partitioned_log
    on_duckdb = log_aggregates(Source("parquet", str(folder), LOG_MAPPING))
    with pg_log(frame) as table:
        source = sql_source(monkeypatch, table, LOG_MAPPING)
        assert validate_source(source) == []
        assert engine_label(source) == "PostgreSQL"
        _assert_same(log_aggregates(source), on_duckdb)
        measured = log_performance(source, 0.3).realised
        expected = log_performance(Source("parquet", str(folder), LOG_MAPPING), 0.3).realised
        pd.testing.assert_frame_equal(measured, expected, rtol=1e-9, check_dtype=False)
        query = sql_source(monkeypatch, f"SELECT * FROM {table} WHERE region <> 'east'", LOG_MAPPING)
        months = list_months(query)
        assert months.sum() == (frame["region"] != "east").sum() and months.sum() < len(frame)


def test_validation_names_what_is_missing_or_mistyped_in_the_table(monkeypatch):
    with pg_log(make_log(200)) as table:
        mapping = LOG_MAPPING | {"inputs": ["income", "salary"], "timestamp": "loan_id"}
        assert validate_source(sql_source(monkeypatch, table, mapping)) == [
            "The column 'loan_id' (role 'timestamp') is string, not a date or timestamp.",
            "The column 'salary' (role 'inputs') is not in the source.",
        ]
        problems = validate_source(sql_source(monkeypatch, table + "_nowhere", LOG_MAPPING))
        assert problems == [f"The table {table}_nowhere is not in the database (or not visible to its user)."]
        assert validate_source(sql_source(monkeypatch, "", LOG_MAPPING))[0].startswith("A SQL source needs a table")


def test_an_empty_table_and_an_empty_window_are_sentences(monkeypatch):
    frame = make_log(300)
    with pg_log(frame.iloc[:0]) as empty, pg_log(frame) as table:
        assert validate_source(sql_source(monkeypatch, empty, LOG_MAPPING))[0].endswith("holds no decision.")
        summary = summarise_log(sql_source(monkeypatch, table, LOG_MAPPING, ("1999-01",)), 0.3)
        assert summary.problems == [
            "The decision log could not be aggregated: None of the reference months is in the decision log."
        ]


def test_an_unreachable_database_and_a_missing_variable_are_one_sentence(monkeypatch):
    monkeypatch.setenv("LOG_PASSWORD", "s3cret")
    source = Source("sql", "postgresql://team:${LOG_PASSWORD}@127.0.0.1:1/warehouse", LOG_MAPPING, (), "decisions")
    problems = validate_source(source)
    assert len(problems) == 1 and problems[0].startswith(
        "The database at postgresql://team:${LOG_PASSWORD}@127.0.0.1:1/warehouse could not be reached: "
    )
    assert "s3cret" not in problems[0] and "\n" not in problems[0]
    assert safe_url("postgresql://team:s3cret@db/x") == "postgresql://team:***@db/x"
    monkeypatch.delenv("LOG_PASSWORD")
    with pytest.raises(EngineError, match="The environment variable LOG_PASSWORD named in the source URL is not set"):
        connect_engine(source)
    assert validate_source(Source("sql", "oracle://x/y", LOG_MAPPING, (), "t"))[0].startswith(
        "The source URL oracle://x/y names no supported database"
    )


def test_a_sql_source_round_trips_with_its_variable_unexpanded(tmp_path, monkeypatch):
    monkeypatch.setenv("INVOLVE_DATA_DIR", str(tmp_path))
    source = Source(
        "sql", "postgresql://team:${LOG_PASSWORD}@db/warehouse", LOG_MAPPING, ("2025-01",), "logs.decisions"
    )
    save_source("loans", source)
    assert load_source("loans") == source
    assert "${LOG_PASSWORD}" in (tmp_path / "monitoring_sources.toml").read_text()
    assert describe_source(source) == "postgresql://team:${LOG_PASSWORD}@db/warehouse (logs.decisions)"
