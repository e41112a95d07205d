"""Persistence of usage telemetry: a queue and one background writer, and the events read back.

Events are queued and written by one background thread with a short lock wait, so telemetry is
never on a page's critical path: when the store is busy or read-only an event is dropped and counted.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
from datetime import datetime, timedelta, timezone

import pandas as pd
from sqlalchemy import insert, select

from feedback.store.database import FeedbackStore, StoreError
from feedback.store.schema import USAGE
from feedback.telemetry import EVENTS

log = logging.getLogger(__name__)
WRITE_WAIT_SECONDS = 0.5  # how long the writer thread waits for the store's lock before dropping
QUEUE_LIMIT = 10_000
BATCH = 200
_INSERT = insert(USAGE)
_queue: queue.Queue = queue.Queue(maxsize=QUEUE_LIMIT)
_state = {"dropped": 0, "thread": None}
_guard = threading.Lock()


def record_event(
    store: FeedbackStore,
    use_case: str,
    page: str,
    role: str,
    event: str,
    iteration: str | None = None,
    duration_ms: float | None = None,
) -> None:
    """Queue one usage event for the background writer; never waits and never fails a page."""
    if event not in EVENTS:
        raise ValueError(f"Unknown usage event {event!r}.")
    if store.read_only:  # nothing is written to a read-only store, by design: not worth a log line
        with _guard:
            _state["dropped"] += 1
        return
    values = dict(
        created_at=datetime.now(timezone.utc),
        use_case=use_case,
        iteration=iteration,
        page=page[:200],
        role=role[:50],
        event=event,
        duration_ms=duration_ms,
    )
    try:
        _queue.put_nowait((store, values))
    except queue.Full:
        _drop(1, "the telemetry queue is full")
        return
    _ensure_writer()


def dropped_events() -> int:
    """Usage events this process did not record (store busy or read-only, queue full)."""
    return _state["dropped"]


def flush_events(timeout: float = 5.0) -> bool:
    """Wait until every queued event is written or dropped (True), or `timeout` seconds (False)."""
    deadline = time.monotonic() + timeout
    while _queue.unfinished_tasks:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.005)
    return True


def _drop(count: int, why: str) -> None:
    with _guard:
        _state["dropped"] += count
    log.warning("%d usage event(s) not recorded: %s (%d so far)", count, why, _state["dropped"])


def _ensure_writer() -> None:
    with _guard:
        thread = _state["thread"]
        if thread is None or not thread.is_alive():
            _state["thread"] = threading.Thread(target=_write_forever, name="involve-telemetry", daemon=True)
            _state["thread"].start()


def _write_forever() -> None:
    while True:
        batch = [_queue.get()]
        while len(batch) < BATCH:
            try:
                batch.append(_queue.get_nowait())
            except queue.Empty:
                break
        try:
            _write_batch(batch)
        finally:
            for _ in batch:
                _queue.task_done()


def _write_batch(batch: list[tuple[FeedbackStore, dict]]) -> None:
    """Write queued events, one transaction per store; a store that is busy loses its events."""
    by_store: dict[int, tuple[FeedbackStore, list[dict]]] = {}
    for store, values in batch:
        by_store.setdefault(id(store), (store, []))[1].append(values)
    for store, rows in by_store.values():
        try:
            with store.transaction(write=True, wait=WRITE_WAIT_SECONDS) as conn:
                conn.execute(_INSERT, rows)
        except StoreError as err:
            _drop(len(rows), str(err))
        except Exception:  # noqa: BLE001 - the writer thread must outlive any one failure
            log.exception("usage events not recorded")
            _drop(len(rows), "unexpected error")


atexit.register(flush_events, 1.0)


def usage_frame(store: FeedbackStore, use_case: str, days: int = 90) -> pd.DataFrame:
    """The use case's usage events of the last `days` days."""
    since = datetime.now(timezone.utc) - timedelta(days=days)
    query = select(USAGE).where(USAGE.c.use_case == use_case, USAGE.c.created_at >= since).order_by(USAGE.c.id)
    with store.transaction() as conn:
        rows = conn.execute(query).mappings().all()
    return pd.DataFrame([dict(r) for r in rows], columns=[c.name for c in USAGE.columns])
