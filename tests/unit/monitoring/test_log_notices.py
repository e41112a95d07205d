"""Batch notices over a window of the decision log (monitoring/log_notices.py): the window's declines the iteration
served, read through the engine, each notice's reasons its reason codes (checked against a brute force in pandas over
the log's files and the PDFs' text), the window's bounds, and one sentence for what cannot give notices."""

import csv
import io
import zipfile
from datetime import date

import pandas as pd
import pytest
from pypdf import PdfReader

from demo_models.iterations.registry import load_iteration
from demo_models.iterations.scoring import ScoredIteration
from demo_models.monitoring.builtin_log import MAPPING, build_fraud_log, ensure_fraud_log
from demo_models.monitoring.log_notices import (
    BY_DECISION,
    BY_SCORE,
    WindowError,
    parse_window,
    read_window_declines,
    write_window_batch,
)
from demo_models.monitoring.sources import Source
from demo_models.presentation.notices import build_notice, decline_reasons

ISSUED = date(2026, 1, 5)


def _pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture(scope="module")
def v1(registry_dir):
    return ScoredIteration(load_iteration("fraud", "v1", registry_dir))


@pytest.fixture
def fraud_source(v1, tmp_path, monkeypatch):
    monkeypatch.setenv("INVOLVE_DATA_DIR", str(tmp_path))
    return ensure_fraud_log(v1, 24_000)


def _logged(source: Source) -> pd.DataFrame:
    """The whole log read with pandas (the brute force the engine's window is checked against)."""
    return pd.read_parquet(source.path)


def test_the_notices_are_the_declines_v1_served_in_the_window_with_their_reason_codes(v1, fraud_source, tmp_path):
    start, end = date(2025, 12, 1), date(2025, 12, 10)
    declines = read_window_declines(fraud_source, v1, start, end)
    frame = _logged(fraud_source)
    inside = (frame["ts"] >= "2025-12-01") & (frame["ts"] < "2025-12-11") & (frame["served_by"] == "v1")
    expected = frame[inside & (frame["decision"] == "flag")].sort_values(["ts", "transaction_id"])
    assert declines.found_by == BY_DECISION and declines.window_decisions == int(inside.sum())
    assert list(declines.rows.index) == list(expected["transaction_id"]) and len(expected) > 10
    assert declines.not_repeated == ()  # the built-in log was scored by v1 itself
    batch = write_window_batch(v1, declines, tmp_path / "window.zip", ISSUED)
    with zipfile.ZipFile(batch.path) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("notices.csv").decode("utf-8"))))
        texts = {r["case"]: _pdf_text(archive.read(r["file"])) for r in rows}
    assert [r["case"] for r in rows] == list(expected["transaction_id"]) == list(batch.case_ids)
    assert [r["decided at"] for r in rows] == list(expected["ts"].dt.strftime("%Y-%m-%d %H:%M:%S"))
    for row, (_, logged) in zip(rows, expected.iterrows()):
        inputs = pd.DataFrame([logged[list(v1.card.features)]], index=[logged["transaction_id"]])
        inputs = inputs.astype(v1.features.dtypes.to_dict())
        explanation = v1.explain_raw(inputs)
        assert explanation.score == pytest.approx(logged["score"], abs=1e-9)  # v1's score is the logged one
        notice = build_notice(v1, explanation, ISSUED)
        assert row["decision"] == "flag" and row["reference"] == notice.reference
        assert row["reason codes"] == "; ".join(r.text for r in explanation.reasons[:4])
        assert row["reason codes"] == "; ".join(r.text for r in decline_reasons(v1, explanation))
        assert row["statements"] == "; ".join(notice.statements)
        text = texts[row["case"]]
        assert notice.reference in text
        places = [text.index(f"{i}. {statement}") for i, statement in enumerate(notice.statements, 1)]
        assert places == sorted(places)
        assert "age band" not in text.lower() and "customer_age_band" not in row["reason codes"]


def _write_log(frame: pd.DataFrame, folder) -> Source:
    frame.to_parquet(folder, partition_cols=["month"], index=False)
    return Source("parquet", str(folder), dict(MAPPING))


def test_the_window_holds_its_first_and_last_day_whole_and_nothing_beyond(v1, tmp_path):
    frame = build_fraud_log(v1, 6_000, seed=4)
    flagged = frame.index[frame["decision"] == "flag"][:4]
    stamps = ["2025-06-10 00:00:00", "2025-06-12 23:59:59", "2025-06-13 00:00:00", "2025-06-09 23:59:59"]
    frame.loc[flagged, "ts"] = pd.to_datetime(stamps)
    frame.loc[flagged, "month"] = "2025-06"
    source = _write_log(frame, tmp_path / "log")
    declines = read_window_declines(source, v1, date(2025, 6, 10), date(2025, 6, 12))
    ids = set(declines.rows.index)
    assert {frame.loc[flagged[0], "transaction_id"], frame.loc[flagged[1], "transaction_id"]} <= ids
    assert not {frame.loc[flagged[2], "transaction_id"], frame.loc[flagged[3], "transaction_id"]} & ids
    inside = (frame["ts"] >= "2025-06-10") & (frame["ts"] < "2025-06-13")
    assert ids == set(frame.loc[inside & (frame["decision"] == "flag"), "transaction_id"])


def test_a_logged_decline_the_iteration_does_not_repeat_gets_no_notice_and_is_named(v1, tmp_path):
    frame = build_fraud_log(v1, 6_000, seed=4)
    passed = frame.index[(frame["decision"] == "pass") & (frame["month"] == "2025-03")][0]
    frame.loc[passed, "decision"] = "flag"  # the service flagged it; v1's own score does not
    source = _write_log(frame, tmp_path / "log")
    declines = read_window_declines(source, v1, date(2025, 3, 1), date(2025, 3, 31))
    assert declines.not_repeated == (frame.loc[passed, "transaction_id"],)
    assert frame.loc[passed, "transaction_id"] not in set(declines.rows.index)


def test_decisions_logged_in_other_words_are_told_by_the_logged_score(v1, tmp_path):
    frame = build_fraud_log(v1, 6_000, seed=4)
    frame["decision"] = (frame["decision"] == "flag").astype(int)  # 0/1, not the use case's words
    source = _write_log(frame, tmp_path / "log")
    declines = read_window_declines(source, v1, date(2025, 3, 1), date(2025, 3, 31))
    march = frame[(frame["month"] == "2025-03") & (frame["score"] >= v1.threshold)]
    assert declines.found_by == BY_SCORE and set(declines.rows.index) == set(march["transaction_id"])


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2025-02-30", "2025-03-01", "The 'from' date '2025-02-30' is not a date: write it as YYYY-MM-DD."),
        ("2025-03-01", "March", "The 'to' date 'March' is not a date"),
        ("2025-03-02", "2025-03-01", "The window ends (2025-03-01) before it starts (2025-03-02)."),
    ],
)
def test_malformed_or_reversed_dates_are_one_sentence(start, end, message):
    with pytest.raises(WindowError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        parse_window(start, end)


def test_what_cannot_give_notices_is_one_sentence(v1, registry_dir, fraud_source, tmp_path):
    v2 = ScoredIteration(load_iteration("fraud", "v2", registry_dir))
    with pytest.raises(WindowError, match=r"no decisions served by v2 .* the log names v1 as the serving iteration"):
        read_window_declines(fraud_source, v2, date(2025, 12, 1), date(2025, 12, 31))
    with pytest.raises(
        WindowError, match=r"from 2026-02-01 to 2026-02-03 \(the log runs from 2025-01-01 to 2025-12-31\)"
    ):
        read_window_declines(fraud_source, v1, date(2026, 2, 1), date(2026, 2, 3))
    no_case = Source("parquet", fraud_source.path, {k: v for k, v in MAPPING.items() if k != "case_id"})
    with pytest.raises(WindowError, match="maps no column to the role 'case_id'"):
        read_window_declines(no_case, v1, date(2025, 12, 1), date(2025, 12, 31))


def test_a_postgresql_log_gives_the_same_window_as_its_parquet_files(v1, tmp_path, monkeypatch):
    from tests.unit.monitoring.pg_logs import pg_log, sql_source

    frame = build_fraud_log(v1, 6_000, seed=4)
    on_files = read_window_declines(_write_log(frame, tmp_path / "log"), v1, date(2025, 5, 3), date(2025, 6, 20))
    with pg_log(frame.drop(columns=["chargeback_known"])) as table:
        source = sql_source(monkeypatch, table, {k: v for k, v in MAPPING.items() if k != "label_date"})
        in_database = read_window_declines(source, v1, date(2025, 5, 3), date(2025, 6, 20))
    assert list(in_database.rows.index) == list(on_files.rows.index) and len(on_files.rows) > 5
    assert in_database.decided_at == on_files.decided_at and in_database.window_decisions == on_files.window_decisions
    pd.testing.assert_frame_equal(in_database.rows, on_files.rows, check_dtype=False)
