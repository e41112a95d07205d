"""Engine parity: the same monitoring computation on the same 1,000,000-row decision log, on DuckDB over
Parquet and on PostgreSQL over a table, gives identical counts and histograms and the same PSI and tests
(to 1e-9). Slow: most of the time is loading the million rows into PostgreSQL."""

import time

import numpy as np
import pandas as pd
import pytest

from demo_models.monitoring.aggregates import log_aggregates
from demo_models.monitoring.sources import Source
from tests.unit.monitoring.conftest import LOG_MAPPING, make_log
from tests.unit.monitoring.pg_logs import pg_log, pg_url, sql_source

ROWS = 1_000_000


@pytest.mark.slow
def test_duckdb_and_postgresql_agree_on_a_million_decisions(tmp_path, monkeypatch):
    pg_url()  # skip early without a server
    frame = make_log(ROWS, seed=11)
    folder = tmp_path / "log"
    frame.assign(day=frame["ts"].dt.strftime("%Y-%m")).to_parquet(folder, partition_cols=["day"])
    start = time.perf_counter()
    on_duckdb = log_aggregates(Source("parquet", str(folder), LOG_MAPPING))
    duckdb_seconds = time.perf_counter() - start
    with pg_log(frame) as table:
        start = time.perf_counter()
        on_postgres = log_aggregates(sql_source(monkeypatch, table, LOG_MAPPING))
        postgres_seconds = time.perf_counter() - start
    print(f"1M rows: DuckDB {duckdb_seconds:.1f} s, PostgreSQL {postgres_seconds:.1f} s")
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
