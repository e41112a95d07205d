"""The audit log of generated documents: every decision notice downloaded from a page, every batch of notices
(page or command line), every dossier and every decision record downloaded, with who, when, which case(s),
iteration and, for notices, the template and statement table versions. Append-only;
persistence is in `feedback.store.documents`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from feedback.access import Actor, check_actor, subject_of
from feedback.records import MAX_NAME_CHARS, MAX_SUBJECT_CHARS, MAX_TEXT_CHARS, FeedbackError, clean_text

NOTICE_KINDS = ("notice (PDF)", "notice (text)", "notice batch (ZIP)")  # made from a template version
KINDS = (*NOTICE_KINDS, "dossier (PDF)", "decision record (PDF)", "decision record (text)")
COMMAND_LINE = "command line"  # who produced a document on the command line (no identity there)
MAX_LISTED_CASES = 50_000
WRITE_BATCHES = "write notice batches"


def check_may_batch(actor: Actor) -> Actor:
    """The checked actor, or AccessError unless compliance or an admin (a batch is every declined case's notice)."""
    return check_actor(actor, WRITE_BATCHES)


@dataclass(frozen=True)
class DocumentRecord:
    """One generated document: its kind, the use case, iteration, case(s), template version and reference(s)."""

    kind: str
    use_case: str
    iteration: str
    case_ids: tuple[str, ...]
    case_count: int
    template_version: int
    references: tuple[str, ...]
    file_name: str
    actor_name: str
    actor_subject: str | None = None  # None: made on the command line
    statements_version: int | None = None  # None: not a notice, or logged before statement tables were versioned
    id: int = 0
    created_at: datetime | None = None


def document_record(
    kind: str,
    use_case: str,
    iteration: str,
    case_ids: Sequence[str],
    template_version: int,
    references: Sequence[str],
    file_name: str,
    actor: Actor | None,
    statements_version: int | None = None,
) -> DocumentRecord:
    """A checked record of a document made by `actor` (None: the command line); FeedbackError if malformed. A
    document that is not a notice has no template: its `template_version` is stored as 0 and shown as "—"."""
    if kind not in KINDS:
        raise FeedbackError(f"Unknown document kind {kind!r}; one of {', '.join(KINDS)}.")
    if len(case_ids) > MAX_LISTED_CASES:
        raise FeedbackError(f"A document lists at most {MAX_LISTED_CASES:,} cases.")
    if actor is None:
        name, subject = COMMAND_LINE, None
    else:
        name = clean_text("Your name", actor.name, MAX_NAME_CHARS)
        subject = clean_text("Subject", subject_of(actor.subject, name), MAX_SUBJECT_CHARS)
    return DocumentRecord(
        kind=kind,
        use_case=clean_text("Use case", use_case, MAX_TEXT_CHARS),
        iteration=clean_text("Iteration", iteration, MAX_TEXT_CHARS),
        case_ids=tuple(str(c) for c in case_ids),
        case_count=len(case_ids),
        template_version=int(template_version),
        references=tuple(str(r) for r in references),
        file_name=clean_text("File name", file_name, MAX_TEXT_CHARS),
        actor_name=name,
        actor_subject=subject,
        statements_version=statements_version if kind in NOTICE_KINDS else None,
    )
