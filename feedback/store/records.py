"""Persistence of feedback entries: save one, list, count, and search them with the inbox's filters."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Collection
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import func, insert, or_, select

from feedback.records import Feedback, FeedbackDraft, FeedbackFilter, validate_draft
from feedback.store.database import FeedbackStore, utc_row
from feedback.store.schema import FEEDBACK

log = logging.getLogger(__name__)
_INSERT_FEEDBACK = insert(FEEDBACK).returning(FEEDBACK.c.id)  # compiled once; values go as parameters


def add_feedback(store: FeedbackStore, draft: FeedbackDraft, known_iterations: Collection[str]) -> Feedback:
    """Validate and store one feedback entry (FeedbackError if invalid, StoreError if not saved)."""
    clean = validate_draft(draft, known_iterations)
    values = {
        **{k: getattr(clean, k) for k in FeedbackDraft.__dataclass_fields__},
        "reasons_shown": json.dumps(list(clean.reasons_shown)),
        "categories": json.dumps(list(clean.categories)),
        "created_at": datetime.now(timezone.utc),
        "triage_status": "new",
        "uid": str(uuid.uuid4()),
    }
    with store.transaction(write=True) as conn:
        new_id = conn.execute(_INSERT_FEEDBACK, values).scalar_one()
    log.info("feedback #%s saved for %s/%s case %s", new_id, clean.use_case, clean.iteration, clean.case_id)
    return Feedback(**{**values, "id": new_id, "reasons_shown": clean.reasons_shown, "categories": clean.categories})


def list_feedback(
    store: FeedbackStore, use_case: str, iteration: str | None = None, case_id: str | None = None
) -> list[Feedback]:
    """Feedback of a use case (optionally one iteration and one case), newest first."""
    query = select(FEEDBACK).where(FEEDBACK.c.use_case == use_case)
    if iteration is not None:
        query = query.where(FEEDBACK.c.iteration == iteration)
    if case_id is not None:
        query = query.where(FEEDBACK.c.case_id == case_id)
    with store.transaction() as conn:
        rows = conn.execute(query.order_by(FEEDBACK.c.id.desc())).mappings().all()
    return [to_feedback(row) for row in rows]


def count_feedback(store: FeedbackStore, use_case: str, iteration: str | None = None) -> dict[str, int]:
    """Number of feedback entries per iteration of a use case (only `iteration` if given)."""
    query = select(FEEDBACK.c.iteration, func.count()).where(FEEDBACK.c.use_case == use_case)
    if iteration is not None:
        query = query.where(FEEDBACK.c.iteration == iteration)
    with store.transaction() as conn:
        rows = conn.execute(query.group_by(FEEDBACK.c.iteration)).all()
    return {name: int(n) for name, n in rows}


def count_by_case(store: FeedbackStore, use_case: str, iteration: str) -> dict[str, int]:
    """Number of feedback entries per case id for one iteration."""
    query = (
        select(FEEDBACK.c.case_id, func.count())
        .where(FEEDBACK.c.use_case == use_case, FEEDBACK.c.iteration == iteration)
        .group_by(FEEDBACK.c.case_id)
    )
    with store.transaction() as conn:
        rows = conn.execute(query).all()
    return {case: int(n) for case, n in rows}


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_feedback(store: FeedbackStore, where: FeedbackFilter) -> list[Feedback]:
    """Feedback matching every filter (text: case-insensitive, in comments), newest first."""
    query = select(FEEDBACK)
    if where.use_case:
        query = query.where(FEEDBACK.c.use_case == where.use_case)
    for column, values in (
        (FEEDBACK.c.iteration, where.iterations),
        (FEEDBACK.c.triage_status, where.statuses),
        (FEEDBACK.c.verdict, where.verdicts),
        (FEEDBACK.c.reviewer_role, where.roles),
    ):
        if values:
            query = query.where(column.in_(list(values)))
    if where.categories:  # stored as a JSON list of strings
        query = query.where(or_(*(FEEDBACK.c.categories.contains(f'"{c}"', autoescape=True) for c in where.categories)))
    if where.since:
        query = query.where(FEEDBACK.c.created_at >= datetime.combine(where.since, time(), timezone.utc))
    if where.until:
        query = query.where(
            FEEDBACK.c.created_at < datetime.combine(where.until + timedelta(days=1), time(), timezone.utc)
        )
    if where.text.strip():
        query = query.where(FEEDBACK.c.comment.ilike(f"%{_escape_like(where.text.strip())}%", escape="\\"))
    with store.transaction() as conn:
        rows = conn.execute(query.order_by(FEEDBACK.c.id.desc())).mappings().all()
    return [to_feedback(row) for row in rows]


def to_feedback(row) -> Feedback:
    """A feedback row as a typed record."""
    data = dict(row)
    data["reasons_shown"] = tuple(json.loads(data["reasons_shown"]))
    data["categories"] = tuple(json.loads(data["categories"]))
    return Feedback(**utc_row(data))
