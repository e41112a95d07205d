"""Persistence of the lifecycle: its append-only audit log, and changes made under its lock.

A promotion is gated by the sign-offs that count since the iteration's last lifecycle change, and
a sign-off by the iteration's status, so both are decided under one lock (`lock_lifecycle`); the
reads that gate (`read_events`, `read_signoffs`, `read_current_signoffs`) are here, the sign-off
writes in `feedback.store.signoff`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection
from datetime import datetime, timezone

from sqlalchemy import Connection, select

from feedback.access import Actor, name_changer
from feedback.announcements import announce_events
from feedback.lifecycle import LifecycleError, LifecycleEvent, current_statuses, plan_change
from feedback.notifications import lifecycle_message
from feedback.signoff import SignOff, Snapshot, check_required_roles, current_signoffs
from feedback.store.database import FeedbackStore, insert_record, utc_row
from feedback.store.notifications import enqueue
from feedback.store.notify_events import queue_fanout
from feedback.store.schema import ANNOUNCEMENTS, LIFECYCLE, SIGNOFFS

log = logging.getLogger(__name__)


def read_events(conn: Connection, use_case: str) -> list[LifecycleEvent]:
    """In a transaction: the lifecycle audit log of a use case, oldest first."""
    query = select(LIFECYCLE).where(LIFECYCLE.c.use_case == use_case).order_by(LIFECYCLE.c.id)
    return [LifecycleEvent(**utc_row(dict(row))) for row in conn.execute(query).mappings()]


def read_signoffs(conn: Connection, use_case: str, iteration: str | None) -> list[SignOff]:
    """In a transaction: sign-offs and withdrawals of a use case (one iteration if given), oldest first."""
    query = select(SIGNOFFS).where(SIGNOFFS.c.use_case == use_case)
    if iteration is not None:
        query = query.where(SIGNOFFS.c.iteration == iteration)
    records = []
    for row in conn.execute(query.order_by(SIGNOFFS.c.id)).mappings():
        data = utc_row(dict(row))
        data["snapshot"] = Snapshot.from_json(data["snapshot"]) if data["snapshot"] else None
        data["acknowledged"] = tuple(json.loads(data["acknowledged"]))
        records.append(SignOff(**data))
    return records


def read_current_signoffs(
    conn: Connection, use_case: str, iteration: str
) -> tuple[list[LifecycleEvent], list[SignOff]]:
    """In a transaction: the use case's lifecycle events, and the sign-offs of `iteration` that
    count now (since its last lifecycle change, not withdrawn)."""
    events = read_events(conn, use_case)
    last = [e.created_at for e in events if e.iteration == iteration]
    return events, current_signoffs(read_signoffs(conn, use_case, iteration), last[-1] if last else None)


def lock_lifecycle(store: FeedbackStore, conn: Connection) -> None:
    """Serialise lifecycle changes and sign-offs (SQLite writes are serial already)."""
    store.lock_table(conn, LIFECYCLE)


def list_lifecycle_events(store: FeedbackStore, use_case: str) -> list[LifecycleEvent]:
    """The lifecycle audit log of a use case, oldest first."""
    with store.transaction() as conn:
        return read_events(conn, use_case)


def lifecycle_statuses(store: FeedbackStore, use_case: str, versions: Collection[str]) -> dict[str, str]:
    """The current status of each version of a use case."""
    return current_statuses(list_lifecycle_events(store, use_case), versions)


def change_lifecycle(
    store: FeedbackStore,
    use_case: str,
    versions: Collection[str],
    version: str,
    to_status: str,
    actor: Actor,
    reason: str,
    *,
    required_signoffs: Collection[str],
    seen_status: str | None = None,
    notify: bool = True,
    **details,
) -> list[LifecycleEvent]:
    """Apply a lifecycle change under the rules (LifecycleError if refused), log it, announce it and queue
    it for the use case's team channels, all in one transaction.

    A promotion to live needs a current sign-off of every role in `required_signoffs`.
    `seen_status` (the status the person decided on) refuses it if someone changed it meanwhile.
    `notify=False` queues no message (the demo history: nobody is to hear of it).
    """
    required = check_required_roles(required_signoffs)
    with store.transaction(write=True) as conn:
        lock_lifecycle(store, conn)
        events, signoffs = read_current_signoffs(conn, use_case, version)
        statuses = current_statuses(events, versions)
        if seen_status is not None and statuses.get(version) != seen_status:
            last = next((e for e in reversed(events) if e.iteration == version), None)
            who = name_changer(actor, last.actor_subject, last.actor_name) if last else "someone else"
            raise LifecycleError(
                f"{version} was changed by {who} meanwhile "
                f"(now {statuses.get(version)}, you saw {seen_status}). Nothing was changed; look again and decide."
            )
        planned = plan_change(
            statuses,
            use_case,
            version,
            to_status,
            actor,
            reason,
            required_signoffs=required,
            signoffs=signoffs,
            **details,
        )
        now = datetime.now(timezone.utc)
        saved = [insert_record(conn, LIFECYCLE, change, now) for change in planned]
        for notice in announce_events(saved):
            insert_record(conn, ANNOUNCEMENTS, notice, now)
        if notify:
            enqueue(conn, [lifecycle_message(change) for change in saved], now)
            for change in saved:  # one row each; the worker queues it for the people (`expand_fanouts`)
                queue_fanout(conn, lifecycle_message(change), f"lifecycle:{change.id}", now)
    for change in saved:
        log.info(
            "%s/%s: %s -> %s by %s",
            use_case,
            change.iteration,
            change.from_status,
            change.to_status,
            change.actor_name,
        )
    return saved
