"""Persistence of decision notice templates: append-only, every version kept, the latest one current.

A save reads the latest version and writes the next under the store's write lock (the table's EXCLUSIVE lock on
PostgreSQL; SQLite write transactions are serial), so two editors get versions n and n+1, never two n.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from sqlalchemy import func, select

from feedback.access import Actor
from feedback.notice_templates import NoticeTemplate, next_version, validate_template
from feedback.store.database import FeedbackStore, insert_record, utc_row
from feedback.store.schema import NOTICE_TEMPLATES


def save_template(
    store: FeedbackStore, use_case: str, text: str, comment: str, actor: Actor, *, check: Callable[[str], None]
) -> NoticeTemplate:
    """Validate (`check` renders it on a sample notice) and save the next version; AccessError / TemplateError."""
    draft = validate_template(use_case, text, comment, actor, check)
    with store.transaction(write=True) as conn:
        store.lock_table(conn, NOTICE_TEMPLATES)
        latest = conn.execute(
            select(func.max(NOTICE_TEMPLATES.c.version)).where(NOTICE_TEMPLATES.c.use_case == draft.use_case)
        ).scalar_one()
        return insert_record(conn, NOTICE_TEMPLATES, next_version(draft, latest), datetime.now(timezone.utc))


def template_history(store: FeedbackStore, use_case: str) -> list[NoticeTemplate]:
    """Every saved version of the use case's template, newest first (empty: the default is in force)."""
    query = (
        select(NOTICE_TEMPLATES)
        .where(NOTICE_TEMPLATES.c.use_case == use_case)
        .order_by(NOTICE_TEMPLATES.c.version.desc())
    )
    with store.transaction() as conn:
        return [NoticeTemplate(**utc_row(dict(row))) for row in conn.execute(query).mappings()]


def current_template(store: FeedbackStore, use_case: str) -> NoticeTemplate | None:
    """The latest saved version of the use case's template; None when none is saved (the default, v0)."""
    query = (
        select(NOTICE_TEMPLATES)
        .where(NOTICE_TEMPLATES.c.use_case == use_case)
        .order_by(NOTICE_TEMPLATES.c.version.desc())
        .limit(1)
    )
    with store.transaction() as conn:
        row = conn.execute(query).mappings().first()
    return NoticeTemplate(**utc_row(dict(row))) if row is not None else None
