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
