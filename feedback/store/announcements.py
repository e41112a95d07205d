"""Persistence of the notice board: post, list, and per-person dismissal of announcements."""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from dataclasses import replace
from datetime import datetime, timezone

from sqlalchemy import Connection, insert, or_, select
from sqlalchemy.exc import IntegrityError

from feedback.access import Actor, check_actor
from feedback.announcements import Announcement, announce_health, validate_notice
from feedback.notifications import FANOUT_PREFIX, MONITORING_ALERT, OUTAGE, TEAM_NOTICE
from feedback.notify_events import announcement_message
from feedback.store.database import FeedbackStore, StoreError, insert_record, utc_row
from feedback.store.notify_events import queue_fanout, queue_for_team
from feedback.store.schema import ANNOUNCEMENTS, DISMISSALS

log = logging.getLogger(__name__)


def _queue_notice(conn: Connection, notice: Announcement, event: str) -> None:
    """In the posting transaction: queue the notice for its use case's team channels (every team's if it is for
    everyone), and one fan-out row that the worker expands for the people who want this event."""
    queue_for_team(conn, notice.use_case, lambda to: announcement_message(notice, event, to), notice.created_at)
    template = announcement_message(notice, event, FANOUT_PREFIX)  # recipient and key set per person
    queue_fanout(conn, template, f"announcement:{notice.id}", notice.created_at)


def post_notice(
    store: FeedbackStore, notice: Announcement, actor: Actor, iterations: Collection[str] = (), notify: bool = True
) -> Announcement:
    """Post a team notice and queue it for the team channels and (one fan-out row) the people who want it, in one
    transaction (AnnouncementError if invalid, AccessError if the role may not post; `notify=False`: demo history)."""
    actor = check_actor(actor, "post notices")
    clean = validate_notice(
        replace(notice, author_name=actor.name, author_role=actor.role, author_subject=actor.subject), iterations
    )
    with store.transaction(write=True) as conn:
        saved = insert_record(conn, ANNOUNCEMENTS, clean)
        if notify:
            _queue_notice(conn, saved, TEAM_NOTICE)
    log.info("notice #%s posted by %s: %s", saved.id, actor.name, saved.title)
    return saved


def list_announcements(store: FeedbackStore, use_case: str | None = None) -> list[Announcement]:
    """Announcements for a use case and for everyone (all of them if None), newest first."""
    query = select(ANNOUNCEMENTS)
    if use_case is not None:
        query = query.where(or_(ANNOUNCEMENTS.c.use_case == use_case, ANNOUNCEMENTS.c.use_case.is_(None)))
    with store.transaction() as conn:
        rows = conn.execute(query.order_by(ANNOUNCEMENTS.c.id.desc())).mappings().all()
    return [Announcement(**utc_row(dict(row))) for row in rows]


def dismissed_items(store: FeedbackStore, person: str) -> set[str]:
    """What a person has dismissed (announcement items, the orientation)."""
    if not person:
        return set()
    with store.transaction() as conn:
        return set(conn.execute(select(DISMISSALS.c.item).where(DISMISSALS.c.person == person)).scalars())


def dismiss(store: FeedbackStore, person: str, items: Iterable[str]) -> None:
    """Remember that a person dismissed these items (dismissing twice is harmless)."""
    if not person:
        raise ValueError("Only a named person's dismissals are kept.")
    new = set(items) - dismissed_items(store, person)
    if not new:
        return
    now = datetime.now(timezone.utc)
    try:
        with store.transaction(write=True) as conn:
            conn.execute(
                insert(DISMISSALS), [{"person": person, "item": item, "created_at": now} for item in sorted(new)]
            )
    except StoreError as err:
        if not isinstance(err.__cause__, IntegrityError):  # else dismissed at the same moment elsewhere
            raise


def record_health(store: FeedbackStore, failing: list[tuple[str, str]]) -> Announcement | None:
    """Post an outage when health checks start failing and its end when they pass; the notice or None."""
    query = select(ANNOUNCEMENTS).where(ANNOUNCEMENTS.c.source == "health").order_by(ANNOUNCEMENTS.c.id.desc()).limit(1)
    with store.transaction(write=True) as conn:
        store.lock_table(conn, ANNOUNCEMENTS)  # two replicas' health checks post one outage
        row = conn.execute(query).mappings().first()
        notice = announce_health(Announcement(**utc_row(dict(row))) if row else None, failing)
        if notice is None:
            return None
        saved = insert_record(conn, ANNOUNCEMENTS, notice)
        _queue_notice(conn, saved, OUTAGE)
    log.warning("health notice posted: %s — %s", saved.title, saved.body)
    return saved


def record_alerts(store: FeedbackStore, alerts: Iterable[Announcement]) -> list[Announcement]:
    """Post the monitoring alerts not posted before (same use case and title), under the store's write lock,
    so two sessions or processes post each once; the alerts posted now."""
    alerts = list(alerts)
    if not alerts:
        return []
    use_cases = {alert.use_case for alert in alerts}
    query = select(ANNOUNCEMENTS.c.use_case, ANNOUNCEMENTS.c.title).where(
        ANNOUNCEMENTS.c.source == "monitoring", ANNOUNCEMENTS.c.use_case.in_(use_cases)
    )
    posted = []
    with store.transaction(write=True) as conn:
        store.lock_table(conn, ANNOUNCEMENTS)  # read-decide-write: PostgreSQL's writers queue here
        seen = {(row.use_case, row.title) for row in conn.execute(query)}
        for alert in alerts:
            if (alert.use_case, alert.title) not in seen:
                posted.append(insert_record(conn, ANNOUNCEMENTS, alert))
                _queue_notice(conn, posted[-1], MONITORING_ALERT)
                seen.add((alert.use_case, alert.title))
    for alert in posted:
        log.warning("monitoring alert posted for %s: %s", alert.use_case, alert.title)
    return posted
