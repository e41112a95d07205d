"""Engine parity: the same monitoring computation on the same 1,000,000-row decision log, on DuckDB over
Parquet, on PostgreSQL over a table and on Spark (local mode) over the same Parquet, gives identical counts
and histograms and the same PSI and tests (to 1e-9), and on Spark the same measured and estimated
performance. Slow: loading the million rows into PostgreSQL, starting Spark."""

import time
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from demo_models.monitoring.aggregates import log_aggregates
from demo_models.monitoring.log_performance import log_performance
from demo_models.monitoring.sources import Source
from tests.unit.monitoring.conftest import LOG_MAPPING, make_log
from tests.unit.monitoring.pg_logs import pg_log, pg_url, sql_source

ROWS = 1_000_000


@pytest.fixture(scope="module")
def million(tmp_path_factory):
    """The 1,000,000-row log as a frame and as a month-partitioned Parquet folder, with DuckDB's aggregates."""
    frame = make_log(ROWS, seed=11)
    folder = tmp_path_factory.mktemp("parity") / "log"
    frame.assign(day=frame["ts"].dt.strftime("%Y-%m")).to_parquet(folder, partition_cols=["day"])
    source = Source("parquet", str(folder), LOG_MAPPING)
    return frame, source, log_aggregates(source)


@pytest.mark.slow
def test_duckdb_and_postgresql_agree_on_a_million_decisions(million, monkeypatch):
    pg_url()  # skip early without a server
    frame, _source, on_duckdb = million
    with pg_log(frame) as table:
        start = time.perf_counter()
        on_postgres = log_aggregates(sql_source(monkeypatch, table, LOG_MAPPING))
        postgres_seconds = time.perf_counter() - start
    print(f"1M rows: PostgreSQL {postgres_seconds:.1f} s")
    assert_same_aggregates(on_postgres, on_duckdb)


@pytest.mark.slow
def test_duckdb_and_spark_agree_on_a_million_decisions(million):
    pytest.importorskip("pyspark")
    from demo_models.monitoring.spark import stop_spark

    _frame, source, on_duckdb = million
    on_spark_source = replace(source, engine="spark")
    try:
        start = time.perf_counter()
        on_spark = log_aggregates(on_spark_source)
        spark_seconds = time.perf_counter() - start
        performance = log_performance(on_spark_source, 0.3, on_spark.reference)
    finally:
        stop_spark()
    print(f"1M rows: Spark local mode {spark_seconds:.1f} s (session start included)")
    assert_same_aggregates(on_spark, on_duckdb)
    expected = log_performance(source, 0.3, on_duckdb.reference)
    for found, wanted in ((performance.realised, expected.realised), (performance.estimated, expected.estimated)):
        assert list(found.columns) == list(wanted.columns) and list(found.index) == list(wanted.index)
        np.testing.assert_allclose(found.to_numpy(float), wanted.to_numpy(float), rtol=1e-9, atol=1e-12)
    assert expected.realised["ROC AUC"].notna().sum() >= 3  # measured months exist: the comparison is not of NaNs


def assert_same_aggregates(found, on_duckdb) -> None:
    """Identical counts and histograms, PSI and tests to 1e-9, as computed on DuckDB."""
    on_postgres = found
    assert on_duckdb.decisions.sum() == ROWS
    assert list(on_postgres.decisions.items()) == list(on_duckdb.decisions.items())
    assert on_postgres.reference == on_duckdb.reference
    for column, counts in on_duckdb.histograms.items():
        pd.testing.assert_frame_equal(
            on_postgres.histograms[column], counts, check_names=False, check_column_type=False
        )
    np.testing.assert_allclose(on_postgres.psi.to_numpy(), on_duckdb.psi.to_numpy(), rtol=1e-9, atol=1e-12)
    assert on_duckdb.psi["p_default"].iloc[-1] > 0.1  # a drifting log: PSI is not trivially equal at 0
    np.testing.assert_allclose(on_postgres.labelled_share.to_numpy(), on_duckdb.labelled_share.to_numpy(), rtol=1e-12)
    for column, tests in on_duckdb.tests.items():
        found = on_postgres.tests[column]
        np.testing.assert_allclose(found["statistic"], tests["statistic"], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(found["p-value"], tests["p-value"], rtol=1e-9, atol=1e-300)
