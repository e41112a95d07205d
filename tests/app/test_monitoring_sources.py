"""AppTest of Monitoring on bad decision-log sources — a missing column, a wrong type, an empty window, a path
that does not exist, an unreachable database: each a clear message on the page, no traceback — and on a
PostgreSQL table (INVOLVE_TEST_PG_URL): computed there, with the month-by-month drift tests shown."""

import pytest

from demo_models.monitoring.sources import Source, save_source
from tests.app.apptest import open_app
from tests.unit.monitoring.conftest import LOG_MAPPING, make_log
from tests.unit.monitoring.pg_logs import pg_log, pg_url

MONITORING = "pages/10_Monitoring.py"


def _parquet(tmp_path) -> str:
    make_log(1500).to_parquet(tmp_path / "log.parquet")
    return str(tmp_path / "log.parquet")


def _errors(at) -> list[str]:
    assert not at.exception
    assert "Your decision log" in [h.value for h in at.header]
    return [e.value.replace("\\", "").replace("\u200b", "") for e in at.error]  # shown escaped (markdown guard)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"inputs": ["income", "salary"]}, "The column 'salary' (role 'inputs') is not in the source."),
        ({"label": "region"}, "The column 'region' (role 'label') is string, not a number or boolean."),
    ],
)
def test_missing_column_and_wrong_type(app_env, tmp_path, change, expected):
    save_source("credit", Source("parquet", _parquet(tmp_path), LOG_MAPPING | change))
    assert expected in _errors(open_app(MONITORING))


def test_empty_window_and_missing_path(app_env, tmp_path):
    save_source("credit", Source("parquet", _parquet(tmp_path), LOG_MAPPING, ("1999-01",)))
    errors = _errors(open_app(MONITORING))
    assert "The decision log could not be aggregated: None of the reference months is in the decision log." in errors
    save_source("credit", Source("parquet", str(tmp_path / "nowhere"), LOG_MAPPING))
    assert f"The folder or file {tmp_path / 'nowhere'} does not exist." in _errors(open_app(MONITORING))


def test_an_unreachable_database(app_env, monkeypatch):
    monkeypatch.setenv("LOG_PASSWORD", "s3cret")
    url = "postgresql://team:${LOG_PASSWORD}@127.0.0.1:1/warehouse"
    save_source("credit", Source("sql", url, LOG_MAPPING, (), "decisions"))
    at = open_app(MONITORING)
    errors = _errors(at)
    assert any(e.startswith(f"The database at {url} could not be reached: ") for e in errors), errors
    assert not any("s3cret" in m.value for m in [*at.markdown, *at.error])


def test_a_postgresql_table_is_computed_there(app_env, monkeypatch):
    monkeypatch.setenv("TEAM_LOG_URL", pg_url())
    with pg_log(make_log()) as table:
        save_source("credit", Source("sql", "${TEAM_LOG_URL}", LOG_MAPPING, (), table))
        at = open_app(MONITORING)
        assert not at.exception and not at.error
    assert any("6,000 decisions over 8 months" in m.value and "Computed by PostgreSQL" in m.value for m in at.markdown)
    # the shadow comparison samples the table in the database too: here it stops only at the log's columns
    shadow = next(w.value for w in at.warning if "No shadow comparison" in w.value)
    assert "The log has no column for" in shadow and "SQL" not in shadow
    tests = next(df.value for df in at.dataframe if "score" in df.value.columns and "KS" in str(df.value.iloc[0, -1]))
    assert tests.shape[0] == 8 and str(tests.iloc[-1]["score"]).startswith("KS ")
