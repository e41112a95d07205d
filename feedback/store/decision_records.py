"""Persistence of decision records (append-only: database triggers refuse changes)."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from feedback.decision_records import DecisionRecord
from feedback.store.database import FeedbackStore, insert_record, utc_row
from feedback.store.schema import DECISION_RECORDS


def keep_record(store: FeedbackStore, record: DecisionRecord) -> DecisionRecord:
    """Append a decision record; the record with its id and time."""
    with store.transaction(write=True) as conn:
        return insert_record(conn, DECISION_RECORDS, record, datetime.now(timezone.utc))


def list_records(
    store: FeedbackStore, use_case: str, case_id: str | None = None, limit: int = 200
) -> list[DecisionRecord]:
    """The decision records of a use case (one case if given), newest first."""
    query = select(DECISION_RECORDS).where(DECISION_RECORDS.c.use_case == use_case)
    if case_id is not None:
        query = query.where(DECISION_RECORDS.c.case_id == case_id)
    with store.transaction() as conn:
        rows = conn.execute(query.order_by(DECISION_RECORDS.c.id.desc()).limit(limit)).mappings().all()
    return [DecisionRecord(**utc_row(dict(row))) for row in rows]


def find_record(store: FeedbackStore, reference: str) -> DecisionRecord | None:
    """The decision record of a reference ("DR-…"), or None."""
    with store.transaction() as conn:
        row = conn.execute(select(DECISION_RECORDS).where(DECISION_RECORDS.c.reference == reference)).mappings().first()
    return DecisionRecord(**utc_row(dict(row))) if row is not None else None
