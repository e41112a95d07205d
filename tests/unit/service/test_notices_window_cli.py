"""`involve notices USECASE VERSION --from DAY --to DAY --out notices.zip`: the notices of the declines an iteration
made in a window of the connected decision log, recorded in the audit log; one sentence for a use case with no log,
an empty window and malformed dates."""

import csv
import io
import zipfile

import pandas as pd
import pytest

from demo_models.iterations.registry import load_iteration
from demo_models.iterations.scoring import ScoredIteration
from demo_models.monitoring.builtin_log import ensure_fraud_log
from demo_models.service.cli import main
from feedback.store.database import FeedbackStore
from feedback.store.documents import list_documents


@pytest.fixture(scope="module")
def fraud_log(registry_dir, tmp_path_factory):
    """The built-in fraud log (served by v1), written once for the module's tests."""
    folder = tmp_path_factory.mktemp("data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("INVOLVE_DATA_DIR", str(folder))
        source = ensure_fraud_log(ScoredIteration(load_iteration("fraud", "v1", registry_dir)), 12_000)
    return folder, source


@pytest.fixture
def fraud_env(fraud_log, registry_dir, tmp_path, monkeypatch):
    folder, source = fraud_log
    monkeypatch.setenv("INVOLVE_DATA_DIR", str(folder))
    db = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    return source, db, ["--registry", str(registry_dir), "--db", db]


def test_the_window_s_flagged_transactions_are_written_and_recorded(fraud_env, tmp_path, capsys):
    source, db, options = fraud_env
    out = tmp_path / "notices.zip"
    window = ["--from", "2025-11-20", "--to", "2025-11-30"]
    assert main(["notices", "fraud", "v1", *window, "--out", str(out), *options]) == 0
    frame = pd.read_parquet(source.path)
    inside = (frame["ts"] >= "2025-11-20") & (frame["ts"] < "2025-12-01") & (frame["served_by"] == "v1")
    expected = frame[inside & (frame["decision"] == "flag")].sort_values(["ts", "transaction_id"])
    printed = capsys.readouterr().out
    assert (
        f"{len(expected)} notices, one per transaction v1 flagged in the decision log from 2025-11-20 to 2025-11-30 "
        f"(of its {int(inside.sum()):,} decisions there)" in printed
    )
    with zipfile.ZipFile(out) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("notices.csv").decode("utf-8"))))
    assert [r["case"] for r in rows] == list(expected["transaction_id"]) and len(rows) > 2
    (record,) = list_documents(FeedbackStore(db), "fraud")
    assert (record.kind, record.iteration, record.case_count, record.file_name) == (
        "notice batch (ZIP)",
        "v1",
        len(rows),
        "notices.zip",
    )
    assert list(record.references) == [r["reference"] for r in rows]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["credit", "v3", "--from", "2025-01-01", "--to", "2025-01-31"], "The use case 'credit' has no decision log"),
        (["fraud", "v1", "--from", "2026-01-01", "--to", "2026-01-31"], "There are no decisions served by v1 from"),
        (["fraud", "v2", "--from", "2025-12-01", "--to", "2025-12-31"], "the log names v1 as the serving iteration"),
        (["fraud", "v1", "--from", "2025-12-1x", "--to", "2025-12-31"], "The 'from' date '2025-12-1x' is not a date"),
        (["fraud", "v1", "--from", "2025-12-31", "--to", "2025-12-01"], "The window ends (2025-12-01) before it"),
        (["fraud", "v1", "--to", "2025-12-31"], "a window of the decision log needs both --from and --to"),
    ],
)
def test_what_gives_no_notices_is_one_sentence(fraud_env, tmp_path, capsys, arguments, message):
    _, db, options = fraud_env
    out = tmp_path / "n.zip"
    assert main(["notices", *arguments, "--out", str(out), *options]) == 1
    err = capsys.readouterr().err
    assert err.startswith("No notices written: ") and message in err and "Traceback" not in err
    assert not out.exists() and list_documents(FeedbackStore(db)) == []
