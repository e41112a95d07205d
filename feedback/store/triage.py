"""Persistence of triage: move entries to a triage status (bulk, role-gated, under a lock) and its log."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timezone

from sqlalchemy import Connection, insert, select, update

from feedback.access import Actor, check_actor, check_acts_on, name_changer, subject_of
from feedback.notifications import FEEDBACK_STATUS, IMMEDIATE, address_of, feedback_status_message, for_person
from feedback.store.database import FeedbackStore, utc_row
from feedback.store.notifications import enqueue, subscriptions_of
from feedback.store.schema import FEEDBACK, TRIAGE_EVENTS
from feedback.triage import TriageChange, TriageError, plan_triage


def triage_feedback(
    store: FeedbackStore,
    ids: Collection[int],
    to_status: str,
    actor: Actor,
    note: str = "",
    *,
    duplicate_of: int | None = None,
    fixed_in: str | None = None,
    known_iterations: Collection[str] = (),
    seen: Mapping[int, str] | None = None,
    notify: bool = True,
) -> list[TriageChange]:
    """Move entries to a triage status, all or none, logging who, when and why (AccessError, TriageError),
    and tell each person who gave one and has an address, in the same transaction (the outbox).

    The entries are locked while deciding (rows FOR UPDATE on PostgreSQL; SQLite writers are
    serial). `seen` (id -> the status the person decided on) refuses the change if another person
    changed one of them meanwhile. `notify=False` queues no message (the demo history).
    """
    actor = check_actor(actor, "triage feedback")
    now = datetime.now(timezone.utc)
    with store.transaction(write=True) as conn:
        wanted = list(dict.fromkeys(int(i) for i in ids))
        query = select(
            FEEDBACK.c.id,
            FEEDBACK.c.triage_status,
            FEEDBACK.c.reviewer_name,
            FEEDBACK.c.reviewer_subject,
            FEEDBACK.c.use_case,
            FEEDBACK.c.iteration,
            FEEDBACK.c.case_id,
        )
        rows = conn.execute(query.where(FEEDBACK.c.id.in_(wanted)).order_by(FEEDBACK.c.id).with_for_update()).all()
        current = {row.id: row.triage_status for row in rows}
        for row in rows:
            check_acts_on(actor, row.reviewer_subject, row.reviewer_name, f"Feedback #{row.id}")
        missing = sorted(set(wanted) - set(current))
        if missing:
            raise TriageError(f"There is no feedback entry {', '.join(f'#{i}' for i in missing)}.")
        _check_unchanged(conn, current, seen or {}, actor)
        known_ids = set()
        if duplicate_of is not None:
            known_ids = {r[0] for r in conn.execute(select(FEEDBACK.c.id).where(FEEDBACK.c.id == duplicate_of))}
        changes = plan_triage(
            current,
            to_status,
            note,
            duplicate_of=duplicate_of,
            fixed_in=fixed_in,
            known_ids=known_ids,
            known_iterations=known_iterations,
        )
        entries = {row.id: row for row in rows}
        givers = {row.id: subject_of(row.reviewer_subject, row.reviewer_name) for row in rows}
        subscriptions = subscriptions_of(conn, set(givers.values())) if notify else {}
        messages = []
        for change in changes:
            conn.execute(
                update(FEEDBACK)
                .where(FEEDBACK.c.id == change.feedback_id)
                .values(
                    triage_status=change.to_status,
                    duplicate_of=change.duplicate_of,
                    fixed_in=change.fixed_in,
                    triage_note=change.note or None,
                )
            )
            event_id = conn.execute(
                insert(TRIAGE_EVENTS)
                .values(
                    created_at=now,
                    feedback_id=change.feedback_id,
                    from_status=change.from_status,
                    to_status=change.to_status,
                    duplicate_of=change.duplicate_of,
                    fixed_in=change.fixed_in,
                    note=change.note,
                    actor_name=actor.name,
                    actor_role=actor.role,
                    actor_subject=actor.subject,
                )
                .returning(TRIAGE_EVENTS.c.id)
            ).scalar_one()
            entry = entries[change.feedback_id]
            subject = givers[change.feedback_id]
            address = address_of(subject, subscriptions.get(subject), entry.use_case, FEEDBACK_STATUS)
            if address and notify:
                message = feedback_status_message(
                    change, entry.use_case, entry.iteration, entry.case_id, address, event_id
                )
                saved = subscriptions.get(subject)
                messages.append(for_person(message, saved.cadence if saved else IMMEDIATE))
        enqueue(conn, messages, now)
    return changes


def _check_unchanged(conn: Connection, current: Mapping[int, str], seen: Mapping[int, str], actor: Actor) -> None:
    """TriageError naming who changed an entry since the person saw it."""
    changed = sorted(i for i, status in current.items() if i in seen and seen[i] != status)
    if not changed:
        return
    last = conn.execute(
        select(TRIAGE_EVENTS.c.actor_name, TRIAGE_EVENTS.c.actor_subject)
        .where(TRIAGE_EVENTS.c.feedback_id == changed[0])
        .order_by(TRIAGE_EVENTS.c.id.desc())
    ).first()
    who = name_changer(actor, last.actor_subject, last.actor_name) if last else "someone else"
    raise TriageError(
        f"#{changed[0]} was changed by {who} meanwhile (now {current[changed[0]]}, you saw {seen[changed[0]]})"
        + (f", and {len(changed) - 1} more of the selected" if len(changed) > 1 else "")
        + ". Nothing was changed; look again and decide."
    )


def triage_history(store: FeedbackStore, feedback_id: int) -> list[dict]:
    """The triage log of one entry, oldest first."""
    query = select(TRIAGE_EVENTS).where(TRIAGE_EVENTS.c.feedback_id == feedback_id).order_by(TRIAGE_EVENTS.c.id)
    with store.transaction() as conn:
        return [utc_row(dict(row)) for row in conn.execute(query).mappings()]
