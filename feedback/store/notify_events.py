"""Who hears of an event, queued in the transaction of the change that caused it: the people whose choice
(or, until they choose, whose role's defaults) want it, on their address and at their cadence, and the use
case's team channels.

The people are everyone the store knows by their stable subject: who gave feedback (and on which use
cases), who signed off, who subscribed. Only an address is written to the outbox, never a channel URL.

A change that may tell hundreds of people (a lifecycle change, a notice, an outage, a monitoring alert, a
sign-off request) writes one fan-out row instead (`queue_fanout`), in its own transaction; the worker expands
it into one message per person (`expand_fanouts`) under a row lock, so the change pays for one insert, not
for reading the people.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import Connection, func, select, update

from feedback.access import subject_of
from feedback.notifications import (
    EVERY_TEAM,
    EXPANDED,
    FANOUT,
    QUEUED,
    TEAM_PREFIX,
    OutboxMessage,
    audience_roles,
    fanout_audience,
    for_person,
    wanted_by,
)
from feedback.store.database import FeedbackStore
from feedback.store.notifications import _message, enqueue, subscriptions_of
from feedback.store.schema import FEEDBACK, OUTBOX, SIGNOFFS, SUBSCRIPTIONS

log = logging.getLogger(__name__)


@dataclass
class Person:
    """Someone the store knows: their latest role and the use cases they gave feedback on."""

    subject: str
    role: str
    gave_feedback_on: set[str] = field(default_factory=set)


def known_people(conn: Connection) -> dict[str, Person]:
    """In a transaction: everyone who gave feedback, signed off or subscribed, by subject (their latest role)."""
    people: dict[str, Person] = {}

    def seen(subject: str | None, name: str, role: str | None, use_case: str | None = None) -> None:
        key = subject_of(subject, name or "")
        if not key:
            return
        person = people.setdefault(key, Person(key, role or ""))
        person.role = role or person.role
        if use_case:
            person.gave_feedback_on.add(use_case)

    who = (FEEDBACK.c.reviewer_subject, FEEDBACK.c.reviewer_name, FEEDBACK.c.reviewer_role, FEEDBACK.c.use_case)
    feedback = select(*who, func.max(FEEDBACK.c.id).label("last")).group_by(*who).order_by("last")
    for *row, _ in conn.execute(feedback):  # one row per person, role and use case; the latest role last
        seen(*row)
    for row in conn.execute(select(SIGNOFFS.c.signer_subject, SIGNOFFS.c.signer_name, SIGNOFFS.c.signer_role)):
        seen(*row)
    for subject, role in conn.execute(select(SUBSCRIPTIONS.c.subject, SUBSCRIPTIONS.c.role)):
        seen(subject, subject, role)
    return people


def people_wanting(
    conn: Connection,
    use_case: str,
    event: str,
    *,
    roles: Collection[str] | None = None,
    only: Mapping[str, str] | None = None,
) -> list[tuple[str, str]]:
    """In a transaction: (address, cadence) of each person who wants this event of this use case ("" for every
    use case) — of `roles` if given, or only the subjects of `only` (subject -> role) — by subject."""
    people = known_people(conn)
    if only is not None:
        people = {s: people.get(s, Person(s, r)) for s, r in only.items()}
    if roles is not None:
        people = {s: p for s, p in people.items() if p.role in set(roles)}
    saved = subscriptions_of(conn, people)
    wanted = (
        wanted_by(saved.get(subject), subject, person.role, use_case, event, person.gave_feedback_on)
        for subject, person in sorted(people.items())
    )
    return [w for w in wanted if w is not None]


def queue_for_people(
    conn: Connection,
    use_case: str,
    event: str,
    build: Callable[[str], OutboxMessage],
    *,
    roles: Collection[str] | None = None,
    only: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> list[OutboxMessage]:
    """In the change's transaction: queue `build(address)` for each person who wants this event of this use
    case (`people_wanting`), at once or held for their digest; the messages added."""
    wanted = people_wanting(conn, use_case, event, roles=roles, only=only)
    return enqueue(conn, [for_person(build(address), cadence) for address, cadence in wanted], now)


def queue_for_team(
    conn: Connection, use_case: str | None, build: Callable[[str], OutboxMessage], now: datetime | None = None
) -> list[OutboxMessage]:
    """In the change's transaction: queue `build(recipient)` for a use case's team channels (None: every team's)."""
    return enqueue(conn, [build(f"{TEAM_PREFIX}{use_case}" if use_case else EVERY_TEAM)], now)


def queue_fanout(
    conn: Connection,
    template: OutboxMessage,
    key: str,
    now: datetime | None = None,
    roles: Collection[str] | None = None,
) -> list[OutboxMessage]:
    """In the change's transaction: one fan-out row asking the worker to queue `template` for each person who
    wants its event of its use case (of `roles` only, if given), each under the idempotency key
    `<key>:<address>`; the row added."""
    audience = fanout_audience(template.use_case, roles)
    row = replace(template, recipient=audience, idempotency_key=f"{key}:{audience}", status=FANOUT)
    return enqueue(conn, [row], now)


def expand_fanouts(store: FeedbackStore, limit: int = 20) -> int:
    """Queue the messages of up to `limit` fan-out rows for their people and mark the rows expanded, in one
    transaction under row locks (FOR UPDATE SKIP LOCKED; SQLite's write lock): two workers expand each row
    once, and the messages' idempotency keys make a second expansion a no-op. How many rows were expanded."""
    query = select(OUTBOX).where(OUTBOX.c.status == FANOUT).order_by(OUTBOX.c.id).limit(limit)
    with store.transaction(write=True) as conn:
        rows = [_message(row) for row in conn.execute(query.with_for_update(skip_locked=True)).mappings()]
        for fan in rows:
            key = fan.idempotency_key.removesuffix(f":{fan.recipient}")
            template = replace(fan, status=QUEUED, id=0, created_at=None)

            def build(to: str, template: OutboxMessage = template, key: str = key) -> OutboxMessage:
                return replace(template, recipient=to, idempotency_key=f"{key}:{to}")

            roles = audience_roles(fan.recipient, fan.use_case)
            told = queue_for_people(conn, fan.use_case, fan.event, build, roles=roles, now=fan.created_at)
            conn.execute(update(OUTBOX).where(OUTBOX.c.id == fan.id).values(status=EXPANDED))
            log.info("fan-out #%s (%s of %s): %s message(s) queued", fan.id, fan.event, fan.use_case, len(told))
    return len(rows)
