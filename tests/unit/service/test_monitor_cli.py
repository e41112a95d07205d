from demo_models.service.cli import main
from tests.unit.monitoring.conftest import make_log


def test_connect_then_check(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("INVOLVE_DATA_DIR", str(tmp_path / "data"))
    frame = make_log(600)
    frame.to_parquet(tmp_path / "log.parquet")
    maps = ["--map", "timestamp=ts", "--map", "inputs=income,region", "--map", "score=p_default"]
    assert main(["monitor", "check", "loans"]) == 1
    assert "No decision-log source is connected for loans" in capsys.readouterr().out
    assert main(["monitor", "connect", "loans", "--parquet", str(tmp_path / "log.parquet"), "--map", "score"]) == 1
    assert "'score' is not role=column." in capsys.readouterr().err
    assert main(["monitor", "connect", "loans", "--parquet", str(tmp_path / "log.parquet"), *maps[:4]]) == 1
    assert "- No column is mapped to the role 'score'." in capsys.readouterr().err
    assert main(["monitor", "connect", "loans", "--parquet", str(tmp_path / "log.parquet"), *maps]) == 0
    assert "Saved the parquet source of loans" in capsys.readouterr().out
    assert main(["monitor", "check", "loans"]) == 0
    out = capsys.readouterr().out
    months = frame["ts"].dt.strftime("%Y-%m").value_counts().sort_index()
    assert f"{len(months)} month(s)" in out
    assert f"  {months.index[0]}\t{months.iloc[0]} decisions" in out


def test_a_broken_sources_file_is_a_message(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("INVOLVE_DATA_DIR", str(tmp_path))
    (tmp_path / "monitoring_sources.toml").write_text("[loans\nkind = ", encoding="utf-8")
    assert main(["monitor", "check", "loans"]) == 1
    assert "The sources file could not be read" in capsys.readouterr().err
