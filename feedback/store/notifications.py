"""Persistence of notifications: the outbox (written in the transaction of the change that caused a
message), claiming due messages under row locks, each attempt's result, and people's subscriptions."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Collection, Iterable
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from sqlalchemy import Connection, bindparam, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from feedback.access import Actor, check_actor
from feedback.notifications import (
    DEAD,
    EXPANDED,
    FANOUT,
    IMMEDIATE,
    QUEUED,
    SENDING,
    DeliveryAttempt,
    OutboxMessage,
    Subscription,
    after_attempt,
    login_address,
    make_subscription,
    shown_to,
)
from feedback.store.database import FeedbackStore, insert_record, utc_row
from feedback.store.schema import NOTIFICATION_ATTEMPTS, OUTBOX, SUBSCRIPTIONS

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)  # a claimed message whose worker has not reported by then is due again
LOST_CLAIM = "claim lost"  # what record_attempt returns when another worker holds the message now


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


def _message(row) -> OutboxMessage:
    data = utc_row(dict(row))
    data["next_attempt_at"] = _aware(data["next_attempt_at"])
    data["delivered_to"] = tuple(json.loads(data["delivered_to"]))
    return OutboxMessage(**data)


#: built once, not per change: a statement built anew costs SQLAlchemy more than the database takes to run it
#: (about 0.1 ms each, most of what the outbox added to a triage change)
_ENQUEUE = {
    name: dialect_insert(OUTBOX)
    .on_conflict_do_nothing(index_elements=["idempotency_key"])
    .returning(OUTBOX.c.id, OUTBOX.c.idempotency_key)
    for name, dialect_insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
}
_SUBSCRIPTIONS_OF = select(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.subject.in_(bindparam("subjects", expanding=True)))


def enqueue(conn: Connection, messages: Iterable[OutboxMessage], now: datetime | None = None) -> list[OutboxMessage]:
    """In the caller's write transaction: add messages to the outbox (one whose idempotency key is there
    already is skipped, by the key's unique index); the messages added, with their ids."""
    now = now or datetime.now(timezone.utc)
    stored = {m.idempotency_key: m for m in messages}
    rows = [
        {k: v for k, v in m.__dict__.items() if k != "id"}
        | {"next_attempt_at": m.next_attempt_at or now, "created_at": now, "delivered_to": json.dumps(m.delivered_to)}
        for m in stored.values()
    ]
    if not rows:
        return []
    query = _ENQUEUE[conn.dialect.name]  # executed for many rows (SQLAlchemy's insertmanyvalues batches them)
    added = [
        replace(stored[key], id=new_id, next_attempt_at=stored[key].next_attempt_at or now, created_at=now)
        for new_id, key in conn.execute(query, rows)
    ]
    return sorted(added, key=lambda m: m.id)


def subscriptions_of(conn: Connection, subjects: Collection[str]) -> dict[str, Subscription]:
    """In a transaction: the subscriptions of these people, by subject."""
    if not subjects:
        return {}
    rows = conn.execute(_SUBSCRIPTIONS_OF, {"subjects": sorted(set(subjects))}).mappings()
    found = {}
    for row in rows:
        data = utc_row(dict(row))
        data["use_cases"], data["events"] = tuple(json.loads(data["use_cases"])), tuple(json.loads(data["events"]))
        found[data["subject"]] = Subscription(**data)
    return found


def subscription_of(store: FeedbackStore, subject: str | None) -> Subscription | None:
    """A person's subscription, or None."""
    if not subject:
        return None
    with store.transaction() as conn:
        return subscriptions_of(conn, [subject]).get(subject)


def save_subscription(
    store: FeedbackStore,
    actor: Actor,
    address: str,
    use_cases: Collection[str],
    events: Collection[str],
    known_use_cases: Collection[str],
    cadence: str = IMMEDIATE,
) -> Subscription:
    """Set where a person hears about what, and how often (NotificationError if invalid, AccessError if
    unnamed); it replaces their role's defaults."""
    actor = check_actor(actor, "subscribe to notifications")
    wanted = make_subscription(actor.subject, address, use_cases, events, known_use_cases, cadence, actor.role)
    values = {
        "address": wanted.address,
        "use_cases": json.dumps(wanted.use_cases),
        "events": json.dumps(wanted.events),
        "cadence": wanted.cadence,
        "role": wanted.role,
    }
    with store.transaction(write=True) as conn:
        old = subscriptions_of(conn, [actor.subject]).get(actor.subject)
        if old is None:
            saved = insert_record(conn, SUBSCRIPTIONS, wanted, **values)
        else:
            conn.execute(update(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.id == old.id).values(**values))
            saved = replace(wanted, id=old.id, created_at=old.created_at)
    log.info("subscription of %s saved: %s, %s", actor.name, saved.use_cases or "every use case", saved.events)
    return saved


def claim_due(
    store: FeedbackStore, now: datetime, limit: int = 50, ids: Collection[int] | None = None
) -> list[OutboxMessage]:
    """Claim up to `limit` due messages (queued, or sending past their lease) for this worker: rows locked
    FOR UPDATE SKIP LOCKED on PostgreSQL, under the store's write lock on SQLite; they become `sending`."""
    query = select(OUTBOX).where(
        OUTBOX.c.status.in_([QUEUED, SENDING]),
        or_(OUTBOX.c.next_attempt_at.is_(None), OUTBOX.c.next_attempt_at <= now),
    )
    if ids is not None:
        query = query.where(OUTBOX.c.id.in_(list(ids)))
    token = uuid.uuid4().hex
    with store.transaction(write=True) as conn:
        rows = conn.execute(query.order_by(OUTBOX.c.id).limit(limit).with_for_update(skip_locked=True)).mappings()
        claimed = [_message(row) for row in rows]
        if claimed:
            conn.execute(
                update(OUTBOX)
                .where(OUTBOX.c.id.in_([m.id for m in claimed]))
                .values(status=SENDING, next_attempt_at=now + LEASE, claim_token=token)
            )
    return [replace(m, status=SENDING, claim_token=token) for m in claimed]


def still_claimed(store: FeedbackStore, message: OutboxMessage) -> bool:
    """Whether this worker's claim on a message still holds (no other worker claimed it after its lease ran out)."""
    query = select(OUTBOX.c.id).where(
        OUTBOX.c.id == message.id, OUTBOX.c.status == SENDING, OUTBOX.c.claim_token == message.claim_token
    )
    with store.transaction() as conn:
        return conn.execute(query).first() is not None


def record_attempt(
    store: FeedbackStore,
    message: OutboxMessage,
    ok: bool,
    error: str | None,
    delivered_to: Collection[str],
    worker: str,
    max_attempts: int,
    now: datetime | None = None,
) -> OutboxMessage:
    """Log an attempt at a claimed message and set its status: sent, queued for a later retry, or dead.

    Only under the worker's own claim: if its lease ran out and another worker claimed the message since,
    the attempt is logged but the message is left to that worker (returned with status `LOST_CLAIM`)."""
    now = now or datetime.now(timezone.utc)
    attempts = message.attempts + 1
    status, next_at = after_attempt(attempts, ok, max_attempts, now)
    values = {
        "status": status,
        "attempts": attempts,
        "next_attempt_at": next_at or now,
        "last_error": None if ok else error,
        "delivered_to": json.dumps(sorted(set(delivered_to))),
    }
    mine = (OUTBOX.c.id == message.id) & (OUTBOX.c.status == SENDING) & (OUTBOX.c.claim_token == message.claim_token)
    with store.transaction(write=True) as conn:
        updated = conn.execute(update(OUTBOX).where(mine).values(**values | {"claim_token": None})).rowcount
        if not updated:
            why = "the claim had expired and another worker holds the message; its status was left to that worker"
            error = (f"{error}; " if error else "") + why
        insert_record(conn, NOTIFICATION_ATTEMPTS, DeliveryAttempt(message.id, attempts, ok, worker, error), now)
    if not updated:
        log.warning("message #%s: %s's claim had expired; its result (ok=%s) is logged only", message.id, worker, ok)
        return replace(message, status=LOST_CLAIM)
    (log.warning if status == DEAD else log.info)("message #%s attempt %s: %s", message.id, attempts, status)
    return replace(message, **values | {"delivered_to": tuple(sorted(set(delivered_to)))})


def delivery_log(
    store: FeedbackStore, use_case: str | None = None, statuses: Collection[str] = (), limit: int = 200
) -> list[OutboxMessage]:
    """The outbox's messages (of a use case, of some statuses), newest first; not the fan-out rows."""
    query = select(OUTBOX).where(OUTBOX.c.status.not_in([FANOUT, EXPANDED]))  # fan-out rows are not messages
    if use_case is not None:
        query = query.where(OUTBOX.c.use_case == use_case)
    if statuses:
        query = query.where(OUTBOX.c.status.in_(list(statuses)))
    with store.transaction() as conn:
        return [_message(row) for row in conn.execute(query.order_by(OUTBOX.c.id.desc()).limit(limit)).mappings()]


def delivery_log_for(store: FeedbackStore, actor: Actor, use_case: str, limit: int = 200) -> list[OutboxMessage]:
    """The delivery log of a use case as a person may see it (an admin: every message, dead ones too;
    anyone else: the messages to them, by login e-mail or subscription, and to team channels)."""
    subscription = subscription_of(store, actor.subject)
    addresses = {subscription.address if subscription else None, login_address(actor.subject)} - {None}
    return [m for m in delivery_log(store, use_case, limit=limit) if shown_to(m, actor.role, addresses)]


def attempts_of(store: FeedbackStore, message_id: int) -> list[DeliveryAttempt]:
    """Each attempt at a message, oldest first."""
    query = select(NOTIFICATION_ATTEMPTS).where(NOTIFICATION_ATTEMPTS.c.message_id == message_id)
    with store.transaction() as conn:
        rows = conn.execute(query.order_by(NOTIFICATION_ATTEMPTS.c.id)).mappings()
        return [DeliveryAttempt(**utc_row(dict(row))) for row in rows]


def add_messages(store: FeedbackStore, messages: Iterable[OutboxMessage]) -> list[OutboxMessage]:
    """Add messages to the outbox in a transaction of their own (e.g. a test message)."""
    with store.transaction(write=True) as conn:
        return enqueue(conn, messages)
