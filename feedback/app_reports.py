"""Reports on the app itself (a bug, slowness, a confusing page, a feature request): the record and its rules.

Persistence is in `feedback.store.app_reports`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from feedback.access import Actor, check_actor
from feedback.records import MAX_COMMENT_CHARS, FeedbackError, clean_text

REPORT_KINDS = ("bug", "slowness", "confusing page", "feature request")


@dataclass(frozen=True)
class AppReport:
    """Feedback on the app itself: a bug, slowness, a confusing page, a feature request."""

    page: str
    kind: str
    comment: str
    reporter_name: str
    reporter_role: str
    app_version: str = ""
    id: int = 0
    created_at: datetime | None = field(default=None)


def validate_report(report: AppReport) -> AppReport:
    """The report cleaned, or FeedbackError: an unknown kind, no name, an empty comment."""
    if report.kind not in REPORT_KINDS:
        raise FeedbackError(f"Choose what it is: {', '.join(REPORT_KINDS)}.")
    actor = Actor(report.reporter_name, report.reporter_role)
    try:
        actor = check_actor(actor, "give feedback")
    except PermissionError as err:
        raise FeedbackError(str(err)) from err
    return AppReport(
        page=clean_text("Page", report.page, 200),
        kind=report.kind,
        comment=clean_text("Comment", report.comment, MAX_COMMENT_CHARS, multiline=True),
        reporter_name=actor.name,
        reporter_role=actor.role,
        app_version=clean_text("App version", report.app_version, 200, required=False),
    )
