"""Persistence of the audit log of generated documents (append-only: database triggers refuse changes)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import select

from feedback.documents import DocumentRecord
from feedback.store.database import FeedbackStore, insert_record, utc_row
from feedback.store.schema import GENERATED_DOCUMENTS


def record_document(store: FeedbackStore, record: DocumentRecord) -> DocumentRecord:
    """Append a generated document to the log; the record with its id and time."""
    with store.transaction(write=True) as conn:
        return insert_record(
            conn,
            GENERATED_DOCUMENTS,
            record,
            datetime.now(timezone.utc),
            case_ids=json.dumps(list(record.case_ids)),
            references=json.dumps(list(record.references)),
        )


def list_documents(store: FeedbackStore, use_case: str | None = None, limit: int = 500) -> list[DocumentRecord]:
    """The generated documents, newest first, of one use case or (None) of all."""
    query = select(GENERATED_DOCUMENTS).order_by(GENERATED_DOCUMENTS.c.id.desc()).limit(limit)
    if use_case is not None:
        query = query.where(GENERATED_DOCUMENTS.c.use_case == use_case)
    with store.transaction() as conn:
        rows = [utc_row(dict(row)) for row in conn.execute(query).mappings()]
    for row in rows:
        row["case_ids"], row["references"] = tuple(json.loads(row["case_ids"])), tuple(json.loads(row["references"]))
    return [DocumentRecord(**row) for row in rows]
