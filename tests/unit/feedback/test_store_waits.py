"""Reads never wait on writes, every write wait is bounded, a read-only store reads and refuses writes,
and telemetry never holds up a page."""

from __future__ import annotations

import sqlite3
import time

import pytest

from bench.locked_store import start_holder
from feedback.store.database import BUSY_MESSAGE, READ_ONLY_MESSAGE, FeedbackStore, StoreBusy, StoreError, StoreReadOnly
from feedback.store.records import add_feedback, list_feedback
from feedback.store.schema import LATEST_VERSION
from feedback.store.telemetry import dropped_events, flush_events, record_event, usage_frame
from tests.helpers import make_draft

KNOWN = {"v3"}


@pytest.fixture
def locked(tmp_path, monkeypatch):
    """A store with one entry, its writers' lock and an exclusive SQLite lock held by another process."""
    monkeypatch.setenv("INVOLVE_STORE_WAIT", "0.5")
    db = tmp_path / "store.sqlite3"
    store = FeedbackStore(f"sqlite:///{db}")
    add_feedback(store, make_draft(comment="before"), KNOWN)
    holder = start_holder(db, 60)
    yield store, db
    holder.kill()
    holder.wait()


def test_opening_and_reading_a_locked_store_does_not_wait(locked):
    _store, db = locked
    started = time.perf_counter()
    again = FeedbackStore(f"sqlite:///{db}")  # opening a current store writes nothing
    assert [f.comment for f in list_feedback(again, "credit")] == ["before"]
    assert again.is_busy()
    assert time.perf_counter() - started < 0.5


def test_a_write_to_a_locked_store_waits_its_bound_then_says_busy(locked):
    store, _db = locked
    started = time.perf_counter()
    with pytest.raises(StoreBusy, match="another process is writing"):
        add_feedback(store, make_draft(comment="during"), KNOWN)
    assert 0.5 <= time.perf_counter() - started < 1.5
    assert str(StoreBusy(BUSY_MESSAGE)) == BUSY_MESSAGE


def test_telemetry_never_waits_and_counts_what_it_drops(locked):
    store, _db = locked
    dropped = dropped_events()
    started = time.perf_counter()
    for _ in range(50):
        record_event(store, "credit", "Home", "risk", "page view", "v3")
    assert time.perf_counter() - started < 0.1  # queued, not written by the page
    assert flush_events(10)
    assert dropped_events() == dropped + 50
    assert usage_frame(store, "credit").empty


def test_telemetry_is_written_in_the_background(sqlite_store):
    record_event(sqlite_store, "credit", "Home", "risk", "page view", "v3")
    assert flush_events()
    assert list(usage_frame(sqlite_store, "credit")["page"]) == ["Home"]


def test_a_store_opened_read_only_reads_and_refuses_every_write(tmp_path, monkeypatch):
    db = tmp_path / "store.sqlite3"
    add_feedback(FeedbackStore(f"sqlite:///{db}"), make_draft(comment="kept"), KNOWN)
    before = db.read_bytes()
    monkeypatch.setenv("INVOLVE_STORE_READONLY", "1")
    store = FeedbackStore(f"sqlite:///{db}")
    assert store.read_only and "INVOLVE_STORE_READONLY" in store.read_only_reason
    assert [f.comment for f in list_feedback(store, "credit")] == ["kept"]
    with pytest.raises(StoreReadOnly, match=READ_ONLY_MESSAGE):
        add_feedback(store, make_draft(), KNOWN)
    dropped = dropped_events()
    record_event(store, "credit", "Home", "risk", "page view")
    assert dropped_events() == dropped + 1 and not store.is_busy()
    assert db.read_bytes() == before


def test_an_old_schema_in_a_read_only_store_is_refused_clearly_and_untouched(tmp_path, monkeypatch):
    db = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE involve_schema (version INTEGER PRIMARY KEY, description TEXT, applied_at TEXT)")
    conn.execute("INSERT INTO involve_schema VALUES (1, 'feedback records', '2026-01-01')")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    monkeypatch.setenv("INVOLVE_STORE_READONLY", "1")
    with pytest.raises(
        StoreError, match=f"schema version 1, older than this app's \\({LATEST_VERSION}\\).*cannot be upgraded"
    ):
        FeedbackStore(f"sqlite:///{db}")
    assert db.read_bytes() == before


def test_a_missing_store_in_a_read_only_deployment_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("INVOLVE_STORE_READONLY", "1")
    with pytest.raises(StoreError, match="There is no feedback store at .* cannot be created"):
        FeedbackStore(f"sqlite:///{tmp_path / 'none.sqlite3'}")
    assert list(tmp_path.iterdir()) == []


def test_postgresql_lock_waits_are_bounded_too(monkeypatch):
    from tests.conftest import _postgres_store

    monkeypatch.setenv("INVOLVE_STORE_WAIT", "0.5")
    with _postgres_store() as store:
        add_feedback(store, make_draft(comment="before"), KNOWN)
        other = store.engine.connect()
        other.exec_driver_sql("LOCK TABLE feedback IN EXCLUSIVE MODE")  # readers pass, writers wait
        try:
            started = time.perf_counter()
            assert [f.comment for f in list_feedback(store, "credit")] == ["before"]
            assert time.perf_counter() - started < 0.5
            with pytest.raises(StoreBusy, match="another process is writing"):
                add_feedback(store, make_draft(comment="during"), KNOWN)
            assert 0.5 <= time.perf_counter() - started < 2
        finally:
            other.rollback()
            other.close()
        assert [f.comment for f in list_feedback(store, "credit")] == ["before"]
