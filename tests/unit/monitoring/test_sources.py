import pytest

from demo_models.monitoring.sources import Source, load_source, save_source, sources_file, validate_source
from tests.unit.monitoring.conftest import LOG_MAPPING


def test_a_good_source_has_no_problem_and_round_trips(partitioned_log, tmp_path, monkeypatch):
    monkeypatch.setenv("INVOLVE_DATA_DIR", str(tmp_path / "data"))
    source = Source("parquet", str(partitioned_log[0]), dict(LOG_MAPPING))
    assert validate_source(source) == []
    save_source("loans", source)
    save_source('odd "name"', Source("csv", str(tmp_path / "a'b\\*.csv"), {"timestamp": "t", "inputs": ["x"]}))
    assert sources_file().parent == tmp_path / "data"
    assert load_source("loans") == source
    assert load_source('odd "name"').path == str(tmp_path / "a'b\\*.csv")
    assert load_source("missing") is None


def test_missing_column_is_named(partitioned_log):
    mapping = LOG_MAPPING | {"inputs": ["income", "salary"], "label": "default_flag"}
    problems = validate_source(Source("parquet", str(partitioned_log[0]), mapping))
    assert problems == [
        "The column 'salary' (role 'inputs') is not in the source.",
        "The column 'default_flag' (role 'label') is not in the source.",
    ]


def test_wrong_type_is_named(partitioned_log):
    mapping = LOG_MAPPING | {"timestamp": "loan_id", "score": "region"}
    problems = validate_source(Source("parquet", str(partitioned_log[0]), mapping))
    assert problems == [
        "The column 'loan_id' (role 'timestamp') is string, not a date or timestamp.",
        "The column 'region' (role 'score') is string, not a number or boolean.",
    ]


def test_unmapped_and_unknown_roles(partitioned_log):
    problems = validate_source(Source("parquet", str(partitioned_log[0]), {"timestamp": "ts", "colour": "x"}))
    assert problems[:3] == [
        "No column is mapped to the role 'inputs'.",
        "No column is mapped to the role 'score'.",
        "'colour' is not a role: use one of timestamp, case_id, inputs, score, decision, version, label, label_date.",
    ]


@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_empty_folder_and_missing_path(tmp_path, kind):
    (tmp_path / "empty").mkdir()
    path = str(tmp_path / "empty") if kind == "parquet" else str(tmp_path / "empty" / "*.csv")
    problems = validate_source(Source(kind, path, LOG_MAPPING))
    assert problems == [f"No {kind.capitalize() if kind == 'parquet' else 'CSV'} files were found at {path}."]
    if kind == "parquet":
        missing = str(tmp_path / "nowhere")
        assert validate_source(Source(kind, missing, LOG_MAPPING)) == [f"The folder or file {missing} does not exist."]


def test_unreadable_file_is_one_sentence(tmp_path):
    (tmp_path / "log").mkdir()
    (tmp_path / "log" / "part.parquet").write_bytes(b"not a parquet file at all")
    problems = validate_source(Source("parquet", str(tmp_path / "log"), LOG_MAPPING))
    assert len(problems) == 1 and problems[0].startswith(f"The source at {tmp_path / 'log'} could not be read: ")
    assert "\n" not in problems[0]


def test_unknown_kind():
    assert validate_source(Source("excel", "x.xlsx", LOG_MAPPING)) == [
        "The kind 'excel' is not known: use one of parquet, csv, sql."
    ]
