"""Announcements: what the notice board says, where it comes from, and who has seen it.

Lifecycle changes announce themselves (a new live iteration with its migration note, a planned
retirement with its date and replacement, a retirement); the team posts free-text notices, planned
maintenance or degraded service; the health checks post an outage and its end. Persistence is in
`feedback.store.announcements`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime

from feedback.access import demo_subject
from feedback.lifecycle import LifecycleEvent
from feedback.records import MAX_COMMENT_CHARS, MAX_TEXT_CHARS, FeedbackError, clean_text

LIVE, DEPRECATION, RETIREMENT = "new iteration live", "planned retirement", "retired"
DEGRADED, NOTICE = "degraded service", "notice"
KINDS = (LIVE, DEPRECATION, RETIREMENT, DEGRADED, NOTICE)
#: kinds the team may post by hand (the others come from the lifecycle or the health checks)
TEAM_KINDS = (NOTICE, DEGRADED, DEPRECATION)
HEALTH_AUTHOR = "Involve health checks"
MONITORING_AUTHOR = "Involve monitoring"
ORIENTATION = "orientation"


class AnnouncementError(ValueError):
    """A notice that cannot be posted; the message says what to change."""


@dataclass(frozen=True)
class Announcement:
    """One notice: its kind, title and text, whom it concerns, and who posted it."""

    kind: str
    title: str
    body: str
    author_name: str
    author_role: str
    use_case: str | None = None  # None: every use case
    iteration: str | None = None
    effective_date: date | None = None  # e.g. the retirement date
    replacement: str | None = None
    show_until: date | None = None  # shown as a banner until then (None: until dismissed)
    source: str = "team"  # team, lifecycle, health or monitoring
    author_subject: str | None = None  # who posted it (feedback.access); None for the health checks and older notices
    id: int = 0
    created_at: datetime | None = None

    @property
    def item(self) -> str:
        """The key under which a person's dismissal of this announcement is kept."""
        return f"announcement:{self.id}"

    def is_current(self, today: date) -> bool:
        """Whether it still belongs on the banner (not past its show-until date)."""
        return self.show_until is None or self.show_until >= today


def announce_events(events: Iterable[LifecycleEvent]) -> list[Announcement]:
    """The announcements that lifecycle changes make (a restored candidate makes none)."""
    notices = []
    for event in events:
        common = dict(
            author_name=event.actor_name,
            author_role=event.actor_role,
            author_subject=event.actor_subject,
            use_case=event.use_case,
            iteration=event.iteration,
            source="lifecycle",
        )
        if event.to_status == "live":
            notices.append(
                Announcement(
                    LIVE,
                    f"{event.iteration} is live",
                    f"What changes for you: {event.migration_note or 'nothing you will notice.'}",
                    **common,
                )
            )
        elif event.to_status == "deprecated":
            notices.append(
                Announcement(
                    DEPRECATION,
                    f"{event.iteration} will be retired on {event.sunset_date:%Y-%m-%d}",
                    f"{event.iteration} is deprecated and is replaced by {event.replacement}. {event.reason}",
                    effective_date=event.sunset_date,
                    replacement=event.replacement,
                    **common,
                )
            )
        elif event.to_status == "retired":
            notices.append(Announcement(RETIREMENT, f"{event.iteration} is retired", event.reason, **common))
    return notices


def _clean(field: str, value: str | None, limit: int, required: bool = True, multiline: bool = False) -> str:
    try:
        return clean_text(field, value or "", limit, multiline=multiline, required=required)
    except FeedbackError as err:
        raise AnnouncementError(str(err)) from err


def validate_notice(notice: Announcement, iterations: Iterable[str] = (), today: date | None = None) -> Announcement:
    """The team notice cleaned, or AnnouncementError: unknown kind, empty text, dates in the past."""
    today = today or date.today()
    if notice.kind not in TEAM_KINDS:
        raise AnnouncementError(f"The team can post: {', '.join(TEAM_KINDS)}; not {notice.kind!r}.")
    title = _clean("Title", notice.title, MAX_TEXT_CHARS)
    body = _clean("Text", notice.body, MAX_COMMENT_CHARS, multiline=True)
    if notice.show_until is not None and notice.show_until < today:
        raise AnnouncementError(f"“Show until” {notice.show_until} is in the past.")
    if notice.kind == DEPRECATION:
        known = set(iterations)
        if notice.iteration not in known:
            raise AnnouncementError("A planned retirement names the iteration that will be retired.")
        if notice.effective_date is None or notice.effective_date < today:
            raise AnnouncementError("A planned retirement needs its date, today or later.")
        if notice.replacement is not None and notice.replacement not in known - {notice.iteration}:
            raise AnnouncementError(
                f"The replacement {notice.replacement!r} is not another iteration of this use case."
            )
    return replace(notice, title=title, body=body, source="team")


def announce_health(previous: Announcement | None, failing: list[tuple[str, str]]) -> Announcement | None:
    """The health notice to post after a check run, given the last one posted: an outage when
    checks start failing (or fail differently), its end when they pass again, else None."""
    was_down = previous is not None and previous.kind == DEGRADED
    if failing:
        body = "; ".join(f"{name}: {detail}" for name, detail in failing)
        if was_down and previous.body == body:
            return None
        return Announcement(DEGRADED, "Degraded service", body, HEALTH_AUTHOR, "admin", source="health")
    if was_down:
        return Announcement(
            NOTICE,
            "Service restored",
            "Every health check passes again.",
            HEALTH_AUTHOR,
            "admin",
            source="health",
            show_until=date.today(),
        )  # on the banner for the day only
    return None


def monitoring_alert(use_case: str, iteration: str, title: str, body: str) -> Announcement:
    """An alert from monitoring a decision log; its title names the month and the column or goal, which
    is what makes it posted once (`record_alerts`). On the banner for the day it is posted."""
    return Announcement(
        NOTICE,
        title,
        body,
        MONITORING_AUTHOR,
        "admin",
        use_case=use_case,
        iteration=iteration,
        source="monitoring",
        show_until=date.today(),
    )


def person_key(name: str, subject: str | None = None) -> str:
    """Who dismisses: the person's stable subject (a typed name's demo identity); "" if anonymous."""
    if subject:
        return subject
    return demo_subject(name) if (name or "").strip() else ""


def banner_announcements(
    notices: list[Announcement], dismissed: Collection[str], today: date | None = None
) -> list[Announcement]:
    """The announcements a person still has on the banner, newest first: current, not dismissed, and
    for the health checks' notices only the latest (an outage that has ended leaves the banner), and of
    monitoring's alerts only the latest per use case (the others wait on the Notices page)."""
    today = today or date.today()
    health = [n for n in notices if n.source == "health"]
    superseded = {n.id for n in health[1:]}
    latest_alert: dict[str | None, int] = {}
    for notice in notices:
        if notice.source == "monitoring" and notice.is_current(today) and notice.item not in dismissed:
            latest_alert.setdefault(notice.use_case, notice.id)
    superseded |= {n.id for n in notices if n.source == "monitoring" and latest_alert.get(n.use_case) != n.id}
    return [n for n in notices if n.is_current(today) and n.item not in dismissed and n.id not in superseded]
