"""Digests: at the digest time, the messages held for a person's daily or weekly digest become one message.

The held rows are locked while they are grouped (FOR UPDATE SKIP LOCKED on PostgreSQL, the write lock on
SQLite), the digest is queued with an idempotency key naming the recipient, cadence and digest time, and
the held rows are marked as carried by it, all in one transaction: two workers at once make one digest.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection
from datetime import datetime, timezone

from sqlalchemy import select, update

from feedback.notifications import DAILY, DIGESTED, HELD, WEEKLY, OutboxMessage
from feedback.notify_events import digest_message, digest_time
from feedback.store.database import FeedbackStore
from feedback.store.notifications import _message, enqueue
from feedback.store.notify_events import expand_fanouts
from feedback.store.schema import OUTBOX

log = logging.getLogger(__name__)


def build_digests(
    store: FeedbackStore,
    now: datetime | None = None,
    *,
    hour: int = 7,
    app_url: str = "http://localhost:8501",
    cadences: Collection[str] = (DAILY, WEEKLY),
    at_once: bool = False,
) -> list[OutboxMessage]:
    """Queue one digest per person and cadence for the messages held until the last digest time (with
    `at_once`, until now: `involve notify --digest`); the digests queued (none if nothing was held)."""
    now = now or datetime.now(timezone.utc)
    while expand_fanouts(store):  # the people's messages of a change are held here only once expanded
        pass
    digests = []
    for cadence in cadences:
        until = now if at_once else digest_time(cadence, now, hour)
        query = (
            select(OUTBOX)
            .where(OUTBOX.c.status == HELD, OUTBOX.c.cadence == cadence, OUTBOX.c.created_at <= until)
            .order_by(OUTBOX.c.id)
            .with_for_update(skip_locked=True)
        )
        with store.transaction(write=True) as conn:
            held: dict[str, list[OutboxMessage]] = defaultdict(list)
            for row in conn.execute(query).mappings():
                held[row["recipient"]].append(_message(row))
            for recipient, messages in sorted(held.items()):
                [digest] = enqueue(conn, [digest_message(recipient, cadence, until, messages, app_url)], now) or [None]
                if digest is None:  # this digest time's digest went out already: these wait for the next one
                    continue
                ids = [m.id for m in messages]
                conn.execute(update(OUTBOX).where(OUTBOX.c.id.in_(ids)).values(status=DIGESTED, digest_id=digest.id))
                digests.append(digest)
    for digest in digests:
        log.info("digest #%s queued for %s", digest.id, digest.recipient)
    return digests
