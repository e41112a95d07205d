"""Persistence of sign-offs: sign, withdraw, and read which count (append-only, like the lifecycle).

Decided under the lifecycle's lock, with its reads (`feedback.store.lifecycle`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection
from dataclasses import replace
from datetime import datetime, timezone

from feedback.access import Actor, check_actor
from feedback.lifecycle import current_statuses
from feedback.notifications import (
    FANOUT_PREFIX,
    SIGNOFF_CHANGE,
    SIGNOFF_REQUEST,
    NotificationError,
    OutboxMessage,
    for_person,
)
from feedback.notify_events import signoff_change_message, signoff_request_message
from feedback.signoff import (
    SignOff,
    SignoffError,
    Snapshot,
    check_required_roles,
    missing_roles,
    plan_signoff,
    plan_withdrawal,
)
from feedback.store.database import FeedbackStore, insert_record
from feedback.store.lifecycle import lock_lifecycle, read_current_signoffs, read_signoffs
from feedback.store.notify_events import people_wanting, queue_fanout, queue_for_people, queue_for_team
from feedback.store.schema import SIGNOFFS

log = logging.getLogger(__name__)


def _insert(conn, record: SignOff) -> SignOff:
    return insert_record(
        conn,
        SIGNOFFS,
        record,
        snapshot=record.snapshot.to_json() if record.snapshot else None,
        acknowledged=json.dumps(list(record.acknowledged)),
    )


def _queue_change(conn, record: SignOff) -> None:
    """In the sign-off's transaction: tell the use case's team channels and the people who want to hear."""
    queue_for_team(conn, record.use_case, lambda to: signoff_change_message(record, to), record.created_at)
    queue_for_people(
        conn, record.use_case, SIGNOFF_CHANGE, lambda to: signoff_change_message(record, to), now=record.created_at
    )


def sign_off(
    store: FeedbackStore,
    use_case: str,
    versions: Collection[str],
    iteration: str,
    actor: Actor,
    comment: str,
    snapshot: Snapshot,
    acknowledged: Collection[str] = (),
    *,
    required_signoffs: Collection[str],
    notify: bool = True,
) -> SignOff:
    """Record a sign-off with the snapshot the signer saw and queue its message (SignoffError / AccessError if
    refused; `notify=False`: the demo history)."""
    actor = check_actor(actor, "sign off")
    required = check_required_roles(required_signoffs)
    draft = SignOff(
        use_case,
        iteration,
        actor.name,
        actor.role,
        comment,
        snapshot,
        tuple(acknowledged),
        signer_subject=actor.subject,
    )
    with store.transaction(write=True) as conn:
        lock_lifecycle(store, conn)
        events, current = read_current_signoffs(conn, use_case, iteration)
        status = current_statuses(events, versions).get(iteration, "unknown")
        saved = _insert(conn, plan_signoff(current, required, status, draft))
        if notify:
            _queue_change(conn, saved)
    log.info("%s/%s signed off by %s (%s)", use_case, iteration, saved.signer_name, saved.signer_role)
    return saved


def withdraw_signoff(
    store: FeedbackStore, use_case: str, iteration: str, signoff_id: int, actor: Actor, reason: str
) -> SignOff:
    """Withdraw a sign-off that still counts (the signer or an admin; SignoffError if refused)."""
    actor = check_actor(actor, "sign off")
    with store.transaction(write=True) as conn:
        lock_lifecycle(store, conn)
        _, current = read_current_signoffs(conn, use_case, iteration)
        earlier = next((r for r in read_signoffs(conn, use_case, iteration) if r.withdraws == signoff_id), None)
        if earlier is not None and all(s.id != signoff_id for s in current):
            raise SignoffError(
                f"Sign-off #{signoff_id} was withdrawn already, by {earlier.signer_name} (meanwhile, if it still "
                "showed as current to you); nothing was changed."
            )
        saved = _insert(conn, plan_withdrawal(current, signoff_id, actor, reason))
        _queue_change(conn, saved)
    log.info("%s/%s sign-off #%s withdrawn by %s", use_case, iteration, signoff_id, saved.signer_name)
    return saved


def current_signoffs_of(store: FeedbackStore, use_case: str, iteration: str) -> list[SignOff]:
    """The sign-offs of an iteration that count for its next promotion."""
    with store.transaction() as conn:
        return read_current_signoffs(conn, use_case, iteration)[1]


def list_signoffs(store: FeedbackStore, use_case: str, iteration: str | None = None) -> list[SignOff]:
    """Sign-offs and withdrawals of a use case (one iteration if given), oldest first."""
    with store.transaction() as conn:
        return read_signoffs(conn, use_case, iteration)


def request_signoffs(
    store: FeedbackStore,
    use_case: str,
    iteration: str,
    actor: Actor,
    note: str = "",
    *,
    required_signoffs: Collection[str],
) -> list[OutboxMessage]:
    """Ask the people of each required role that has not signed off yet for their sign-off (NotificationError
    if every required role has signed, AccessError if unnamed): one fan-out row in the request's transaction,
    which the worker expands for them. The messages it will queue, as the people want it now (a read after
    the request; none: nobody reachable)."""
    actor = check_actor(actor, "sign off")
    required = check_required_roles(required_signoffs)
    now = datetime.now(timezone.utc)
    with store.transaction(write=True) as conn:
        lock_lifecycle(store, conn)
        _, current = read_current_signoffs(conn, use_case, iteration)
        missing = missing_roles(required, current)
        if not missing:
            raise NotificationError(f"Every required role has signed off {use_case} {iteration}; nobody to ask.")
        key = f"{use_case}:{iteration}:{now.isoformat()}"

        def build(address: str) -> OutboxMessage:
            return signoff_request_message(use_case, iteration, missing, address, actor.name, note, key)

        queue_fanout(conn, build(FANOUT_PREFIX), f"signoff-request:{key}", now, roles=missing)
    with store.transaction() as conn:  # who the worker will tell, for the page to say; not in the request
        wanted = people_wanting(conn, use_case, SIGNOFF_REQUEST, roles=missing)
    told = [replace(for_person(build(address), cadence), created_at=now) for address, cadence in wanted]
    log.info("%s asked %s for sign-off of %s/%s: %s person(s)", actor.name, missing, use_case, iteration, len(told))
    return told
