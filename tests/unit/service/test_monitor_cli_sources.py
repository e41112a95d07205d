"""`involve monitor connect|check` on bad sources: a missing column, a wrong type, an empty window, a path that
does not exist, an unreachable database, each a sentence on stderr and exit code 1 (no traceback); and a SQL
table source connected from the command line (INVOLVE_TEST_PG_URL)."""

import pytest

from demo_models.monitoring.sources import load_source
from demo_models.service.cli import main
from tests.unit.monitoring.conftest import make_log
from tests.unit.monitoring.pg_logs import pg_log

MAPS = ["--map", "timestamp=ts", "--map", "inputs=income,region", "--map", "score=p_default"]


@pytest.fixture
def log_file(tmp_path, monkeypatch):
    monkeypatch.setenv("INVOLVE_DATA_DIR", str(tmp_path / "data"))
    make_log(600).to_parquet(tmp_path / "log.parquet")
    return str(tmp_path / "log.parquet")


@pytest.mark.parametrize(
    ("maps", "expected"),
    [
        (["--map", "inputs=income,salary"], "- The column 'salary' (role 'inputs') is not in the source."),
        (["--map", "score=region"], "- The column 'region' (role 'score') is string, not a number or boolean."),
    ],
)
def test_missing_column_and_wrong_type(log_file, capsys, maps, expected):
    assert main(["monitor", "connect", "loans", "--parquet", log_file, *MAPS, *maps]) == 1
    captured = capsys.readouterr()
    assert expected in captured.err.splitlines() and "Traceback" not in captured.err
    assert "Not saved: 1 problem(s)." in captured.out and load_source("loans") is None


def test_missing_path_and_empty_window(log_file, tmp_path, capsys):
    missing = str(tmp_path / "nowhere")
    assert main(["monitor", "connect", "loans", "--parquet", missing, *MAPS]) == 1
    assert f"- The folder or file {missing} does not exist." in capsys.readouterr().err
    assert main(["monitor", "connect", "loans", "--parquet", log_file, *MAPS, "--reference", "1999-01"]) == 0
    capsys.readouterr()
    assert main(["monitor", "check", "loans"]) == 1
    assert "Not valid: the reference window has no decision in 1999-01." in capsys.readouterr().err
    make_log(600).iloc[:0].to_parquet(tmp_path / "empty.parquet")
    assert main(["monitor", "connect", "empty", "--parquet", str(tmp_path / "empty.parquet"), *MAPS]) == 1
    assert f"- The decision log at {tmp_path / 'empty.parquet'} holds no decision." in capsys.readouterr().err


def test_an_unreachable_database(log_file, monkeypatch, capsys):
    monkeypatch.setenv("LOG_PASSWORD", "s3cret")
    url = "postgresql://team:${LOG_PASSWORD}@127.0.0.1:1/warehouse"
    assert main(["monitor", "connect", "loans", "--sql", url, "--table", "decisions", *MAPS]) == 1
    err = capsys.readouterr().err
    assert f"- The database at {url} could not be reached: " in err and "s3cret" not in err and "Traceback" not in err
    assert main(["monitor", "connect", "loans", "--parquet", log_file, "--table", "decisions", *MAPS]) == 1
    assert "Not saved: --table and --query go with --sql URL." in capsys.readouterr().err


def test_a_postgresql_table_connected_and_checked(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("INVOLVE_DATA_DIR", str(tmp_path / "data"))
    frame = make_log(500)
    with pg_log(frame) as table:
        from tests.unit.monitoring.pg_logs import pg_url

        monkeypatch.setenv("TEAM_LOG_URL", pg_url())
        assert main(["monitor", "connect", "loans", "--sql", "${TEAM_LOG_URL}", "--table", table, *MAPS]) == 0
        assert "Saved the sql source of loans" in capsys.readouterr().out
        assert load_source("loans").path == "${TEAM_LOG_URL}"
        assert main(["monitor", "check", "loans"]) == 0
        out = capsys.readouterr().out
    months = frame["ts"].dt.strftime("%Y-%m").value_counts().sort_index()
    assert f"{len(months)} month(s)" in out and f"  {months.index[0]}\t{months.iloc[0]} decisions" in out


def test_engine_goes_with_files_only(log_file, capsys):
    url = "postgresql://monitor@127.0.0.1:1/prod"
    assert main(["monitor", "connect", "loans", "--sql", url, "--table", "log", "--engine", "spark", *MAPS]) == 1
    assert "Not saved: --engine goes with --parquet or --csv" in capsys.readouterr().err
    assert load_source("loans") is None


def test_an_unknown_engine_in_the_sources_file_is_a_sentence(log_file, capsys):
    from dataclasses import replace

    from demo_models.monitoring.sources import Source, save_source, validate_source

    source = Source("parquet", log_file, {"timestamp": "ts", "inputs": ["income"], "score": "p_default"})
    save_source("loans", replace(source, engine="flink"))
    assert load_source("loans").engine == "flink"
    assert validate_source(load_source("loans")) == [
        "The engine 'flink' is not known: use duckdb or spark (files), or a SQL source."
    ]


@pytest.mark.slow
def test_a_parquet_log_connected_on_spark(log_file, capsys):
    pytest.importorskip("pyspark")
    from demo_models.monitoring.spark import stop_spark

    try:
        assert main(["monitor", "connect", "loans", "--parquet", log_file, *MAPS, "--engine", "spark"]) == 0
        assert load_source("loans").engine == "spark"
        capsys.readouterr()
        assert main(["monitor", "check", "loans"]) == 0
        out = capsys.readouterr().out
        assert "2025-01" in out and "Traceback" not in out
    finally:
        stop_spark()
