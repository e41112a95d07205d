"""Persistence of decision notice templates and reason statement tables: append-only, every version kept, the
latest one current.

A save reads the latest version and writes the next under the store's write lock (the table's EXCLUSIVE lock on
PostgreSQL; SQLite write transactions are serial), so two editors get versions n and n+1, never two n.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone

from sqlalchemy import func, select

from feedback.access import Actor
from feedback.notice_templates import (
    DEFAULT_VERSION,
    NoticeTemplate,
    StatementTable,
    next_version,
    validate_statements,
    validate_template,
)
from feedback.store.database import FeedbackStore, insert_record, utc_row
from feedback.store.schema import NOTICE_TEMPLATES, REASON_STATEMENTS


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


def save_statements(
    store: FeedbackStore, use_case: str, rows: list, comment: str, actor: Actor, protected: tuple[str, ...] = ()
) -> StatementTable:
    """Validate and save the next version of the use case's reason statements; AccessError / TemplateError."""
    draft = validate_statements(use_case, rows, comment, actor, protected)
    with store.transaction(write=True) as conn:
        store.lock_table(conn, REASON_STATEMENTS)
        latest = conn.execute(
            select(func.max(REASON_STATEMENTS.c.version)).where(REASON_STATEMENTS.c.use_case == draft.use_case)
        ).scalar_one()
        numbered = replace(draft, version=(latest or DEFAULT_VERSION) + 1)
        saved = insert_record(
            conn, REASON_STATEMENTS, numbered, datetime.now(timezone.utc), statements=json.dumps(numbered.statements)
        )
    return saved


def _statement_table(row) -> StatementTable:
    data = utc_row(dict(row))
    data["statements"] = tuple(tuple(r) for r in json.loads(data["statements"]))
    return StatementTable(**data)


def statement_history(store: FeedbackStore, use_case: str) -> list[StatementTable]:
    """Every saved version of the use case's reason statements, newest first (empty: the built-in table)."""
    query = (
        select(REASON_STATEMENTS)
        .where(REASON_STATEMENTS.c.use_case == use_case)
        .order_by(REASON_STATEMENTS.c.version.desc())
    )
    with store.transaction() as conn:
        return [_statement_table(row) for row in conn.execute(query).mappings()]


def current_statements(store: FeedbackStore, use_case: str) -> StatementTable | None:
    """The latest saved version of the use case's reason statements; None when none is saved (built in, v0)."""
    query = (
        select(REASON_STATEMENTS)
        .where(REASON_STATEMENTS.c.use_case == use_case)
        .order_by(REASON_STATEMENTS.c.version.desc())
        .limit(1)
    )
    with store.transaction() as conn:
        row = conn.execute(query).mappings().first()
    return _statement_table(row) if row is not None else None
