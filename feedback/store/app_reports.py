"""Persistence of the reports on the app itself: save one, list them."""

from __future__ import annotations

from sqlalchemy import select

from feedback.app_reports import AppReport, validate_report
from feedback.store.database import FeedbackStore, insert_record, utc_row
from feedback.store.schema import APP_REPORTS


def report_problem(store: FeedbackStore, report: AppReport) -> AppReport:
    """Validate and save a report on the app (FeedbackError if invalid)."""
    clean = validate_report(report)
    with store.transaction(write=True) as conn:
        return insert_record(conn, APP_REPORTS, clean)


def list_reports(store: FeedbackStore) -> list[AppReport]:
    """Every report on the app, newest first."""
    with store.transaction() as conn:
        rows = conn.execute(select(APP_REPORTS).order_by(APP_REPORTS.c.id.desc())).mappings().all()
    return [AppReport(**utc_row(dict(row))) for row in rows]
