"""Whether a store is fresh (nothing a person made is in it), and a lock to fill one exactly once.

A store is fresh while it holds no feedback, triage, report on the app, lifecycle change, goal,
criterion, cost matrix, saved threshold, sign-off or announcement (the health checks' own notices
aside). What merely looking leaves behind — usage telemetry, dismissed banners — does not count, so
a person who opened a page while the app was still preparing does not make the store "used".
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, select

try:
    import fcntl
except ImportError:  # not on Windows: a single app process is assumed there
    fcntl = None

from feedback.store.database import FeedbackStore
from feedback.store.schema import (
    ADJUDICATIONS,
    ANNOUNCEMENTS,
    APP_REPORTS,
    COST_MATRICES,
    CRITERIA,
    FEEDBACK,
    GOAL_STATEMENTS,
    LIFECYCLE,
    REVIEW_ROUNDS,
    SIGNOFFS,
    THRESHOLD_CHANGES,
    TRIAGE_EVENTS,
)

#: the tables whose rows someone made on purpose
PERSON_TABLES = (
    FEEDBACK,
    TRIAGE_EVENTS,
    APP_REPORTS,
    LIFECYCLE,
    GOAL_STATEMENTS,
    CRITERIA,
    COST_MATRICES,
    THRESHOLD_CHANGES,
    SIGNOFFS,
    ANNOUNCEMENTS,
    REVIEW_ROUNDS,
    ADJUDICATIONS,
)


def count_person_records(store: FeedbackStore) -> dict[str, int]:
    """Rows per table that a person made (health-check notices are not counted); read only."""
    counts = {}
    with store.transaction() as conn:
        for table in PERSON_TABLES:
            query = select(func.count()).select_from(table)
            if table is ANNOUNCEMENTS:
                query = query.where(ANNOUNCEMENTS.c.source != "health")
            counts[table.name] = int(conn.execute(query).scalar_one())
    return counts


def is_fresh(store: FeedbackStore) -> bool:
    """Whether nothing a person made is in the store yet."""
    return not any(count_person_records(store).values())


@contextmanager
def exclusive(store: FeedbackStore, name: str) -> Iterator[None]:
    """Hold a lock named `name` across processes sharing the store, for as long as the block runs.

    SQLite: an OS file lock next to the database file; PostgreSQL: a session advisory lock on a
    connection of its own (so replicas of the app on one database wait for each other too).
    """
    if store.is_sqlite:
        database = store.engine.url.database
        if not database or database == ":memory:" or database.startswith("file:") or fcntl is None:
            yield  # a private database: no other process can write it
            return
        path = Path(f"{database}.{name}.lock")
        with open(path, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    key = zlib.crc32(f"involve:{name}".encode())
    with store.engine.connect() as conn:
        conn.exec_driver_sql(f"SELECT pg_advisory_lock({key})")
        conn.commit()
        try:
            yield
        finally:
            conn.exec_driver_sql(f"SELECT pg_advisory_unlock({key})")
            conn.commit()
