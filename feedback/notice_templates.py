"""Decision notice templates, versioned per use case: the records and the rules; persistence is in
`feedback.store.notice_templates`.

Every saved version is kept; the current template of a use case is its latest version, and version 0 is the
built-in default (no row). Whether a template renders is checked by the caller's `check` (the sandbox lives in
`demo_models.presentation.notice_render`), so `feedback` stays independent of `demo_models`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from feedback.access import Actor, check_actor
from feedback.records import MAX_COMMENT_CHARS, MAX_TEXT_CHARS, FeedbackError, clean_text

MAX_TEMPLATE_CHARS = 20_000
DEFAULT_VERSION = 0  # the built-in template, in force while a use case has no saved version
EDIT_TEMPLATES = "edit notice templates"


class TemplateError(ValueError):
    """A template that cannot be saved (empty, too long, refused by the sandbox); the message says why."""


@dataclass(frozen=True)
class NoticeTemplate:
    """One version of a use case's notice template: its text, who saved it and why."""

    use_case: str
    version: int
    text: str
    author_subject: str
    author_name: str
    comment: str = ""
    id: int = 0
    created_at: datetime | None = None

    def label(self) -> str:
        """ "Template v3" (as a notice's footer prints it)."""
        return template_label(self.version)


def template_label(version: int) -> str:
    """The version as notices print it: "Template v3" (v0 is the built-in default)."""
    return f"Template v{version}"


def check_may_edit(actor: Actor) -> Actor:
    """The checked actor, or AccessError unless compliance or an admin."""
    return check_actor(actor, EDIT_TEMPLATES)


def validate_template(
    use_case: str, text: object, comment: object, actor: Actor, check: Callable[[str], None]
) -> NoticeTemplate:
    """A draft of the next version (its number set by the store), or AccessError / TemplateError; `check(text)`
    must render the template on a sample notice and raise ValueError with the sandbox's message if it cannot."""
    actor = check_may_edit(actor)
    try:
        use_case = clean_text("Use case", use_case, MAX_TEXT_CHARS)
        body = clean_text("The template", text, MAX_TEMPLATE_CHARS, multiline=True)
        note = clean_text("The comment", comment, MAX_COMMENT_CHARS, multiline=True, required=False)
    except FeedbackError as err:
        raise TemplateError(str(err)) from err
    try:
        check(body)
    except ValueError as err:
        raise TemplateError(str(err)) from err
    return NoticeTemplate(use_case, 0, body, actor.subject or "", actor.name, note)


def next_version(draft: NoticeTemplate, latest: int | None) -> NoticeTemplate:
    """The draft numbered after the latest saved version (1 when none is saved)."""
    return replace(draft, version=(latest or DEFAULT_VERSION) + 1)


MAX_STATEMENTS = 500


@dataclass(frozen=True)
class StatementTable:
    """One version of a use case's reason statements: (input, level, statement) rows, who saved it and why. A
    level is "high" / "low" / "missing" for a number, the value itself for a category."""

    use_case: str
    version: int
    statements: tuple[tuple[str, str, str], ...]
    author_subject: str
    author_name: str
    comment: str = ""
    id: int = 0
    created_at: datetime | None = None

    def as_mapping(self) -> dict[tuple[str, str], str]:
        """(input, level) -> statement, as notices look them up."""
        return {(feature, level): statement for feature, level, statement in self.statements}


def validate_statements(
    use_case: str, rows: object, comment: object, actor: Actor, protected: tuple[str, ...] = ()
) -> StatementTable:
    """A draft of the next version of a statement table (its number set by the store), or AccessError /
    TemplateError: every row needs an input, a level and a statement, once each, and no protected input."""
    actor = check_may_edit(actor)
    if not isinstance(rows, (list, tuple)) or len(rows) > MAX_STATEMENTS:
        raise TemplateError(f"A statement table is a list of at most {MAX_STATEMENTS} rows.")
    cleaned, seen = [], set()
    try:
        use_case = clean_text("Use case", use_case, MAX_TEXT_CHARS)
        for number, row in enumerate(rows, 1):
            if not isinstance(row, (list, tuple)) or len(row) != 3:
                raise FeedbackError(f"Row {number} needs an input, a level and a statement.")
            if all(value is None or not str(value).strip() for value in row):
                continue  # an empty row left by the editor
            feature, level, statement = (
                clean_text(f"Row {number}: {name}", value, MAX_TEXT_CHARS)
                for name, value in zip(("the input", "the level", "the statement"), row)
            )
            if feature in protected:
                raise FeedbackError(f"Row {number}: {feature} is a protected attribute; no notice ever names it.")
            if (feature, level) in seen:
                raise FeedbackError(f"Row {number}: {feature} / {level} has a statement already.")
            seen.add((feature, level))
            cleaned.append((feature, level, statement))
        note = clean_text("The comment", comment, MAX_COMMENT_CHARS, multiline=True, required=False)
    except FeedbackError as err:
        raise TemplateError(str(err)) from err
    return StatementTable(use_case, 0, tuple(cleaned), actor.subject or "", actor.name, note)
