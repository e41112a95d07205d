"""Feedback records: the allowed values, the typed records, and their validation.

Persistence is in `feedback.store.records`.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date, datetime

VERDICTS = ("agree", "disagree", "unsure")
ROLES = ("business user", "risk", "compliance", "data scientist", "admin")
CATEGORIES = (
    "wrong prediction",
    "unclear explanation",
    "missing factor",
    "fairness concern",
    "slow",
    "bug",
    "feature request",
    "other",
)
SEVERITIES = ("low", "medium", "high")
EXPECTED_OUTCOMES = ("positive", "negative")  # the outcome the reviewer expected, if they know
TRIAGE_STATUSES = ("new", "triaged", "accepted", "rejected", "duplicate", "fixed")
MAX_COMMENT_CHARS = 2000
MAX_NAME_CHARS = 100
MAX_SUBJECT_CHARS = 320  # a login's issuer and subject, or "demo:" and a name
MAX_TEXT_CHARS = 200
MAX_REASONS_SHOWN = 10


#: invisible characters that reorder the text around them (embeddings, overrides, isolates, marks)
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class FeedbackError(ValueError):
    """Feedback that cannot be stored; the message says what to change."""


def neutralise_bidi(text: str) -> str:
    """The text with each text-direction control shown as a visible code ("[U+202E]") instead of acting."""
    return "".join(f"[U+{ord(ch):04X}]" if ch in BIDI_CONTROLS else ch for ch in text)


@dataclass(frozen=True)
class FeedbackDraft:
    """Feedback on one case as the reviewer submits it, with what the app showed them."""

    use_case: str
    iteration: str
    case_id: str
    score: float
    threshold: float
    decision: str
    reasons_shown: tuple[str, ...]
    reviewer_name: str
    reviewer_role: str
    verdict: str
    expected_outcome: str | None = None
    categories: tuple[str, ...] = ()
    severity: str = "medium"
    explanation_rating: int | None = None
    comment: str = ""
    app_version: str = ""
    what_if: str | None = None  # JSON object input -> [shown value, edited value] for an edited case
    reviewer_subject: str | None = None  # the stable identity (feedback.access); None: the demo identity of the name


@dataclass(frozen=True)
class Feedback(FeedbackDraft):
    """A stored feedback entry."""

    id: int = 0
    created_at: datetime | None = None
    triage_status: str = "new"
    fixed_in: str | None = None
    uid: str | None = None
    duplicate_of: int | None = None
    triage_note: str | None = None
    import_id: int | None = None  # the import that brought it from another store (feedback_imports)


@dataclass(frozen=True)
class FeedbackFilter:
    """What to show in the inbox; empty collections mean "any"."""

    use_case: str | None = None
    iterations: Collection[str] = ()
    statuses: Collection[str] = ()
    categories: Collection[str] = ()
    verdicts: Collection[str] = ()
    roles: Collection[str] = ()
    since: date | None = None
    until: date | None = None
    text: str = ""


def clean_text(field: str, value: object, limit: int, multiline: bool = False, required: bool = True) -> str:
    """The text NFC-normalised and stripped, or FeedbackError if empty, too long or with control characters.

    One-line text (names, ids) also refuses text-direction controls; multi-line text keeps them
    (pages show them neutralised, `neutralise_bidi`)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise FeedbackError(f"{field} must be text.")
    text = unicodedata.normalize("NFC", value).strip()
    allowed = {"\n", "\t"} if multiline else set()
    if any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text):
        raise FeedbackError(f"{field} contains control characters; remove them and try again.")
    if any(unicodedata.category(ch) == "Cs" for ch in text):
        raise FeedbackError(f"{field} contains invalid characters.")
    if not multiline and any(ch in BIDI_CONTROLS for ch in text):
        raise FeedbackError(f"{field} contains invisible text-direction characters; remove them and try again.")
    if required and not text:
        raise FeedbackError(f"{field} is required.")
    if len(text) > limit:
        raise FeedbackError(f"{field} is {len(text):,} characters long; the limit is {limit:,}.")
    return text


def _choice(field: str, value: object, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        shown = "nothing" if value in (None, "") else repr(value)
        raise FeedbackError(f"{field}: choose one of {', '.join(allowed)} (got {shown}).")
    return str(value)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def validate_draft(draft: FeedbackDraft, known_iterations: Collection[str]) -> FeedbackDraft:
    """The draft, normalised, or FeedbackError naming the first thing that is wrong."""
    use_case = clean_text("Use case", draft.use_case, MAX_TEXT_CHARS)
    iteration = clean_text("Iteration", draft.iteration, MAX_TEXT_CHARS)
    if iteration not in known_iterations:
        raise FeedbackError(f"Iteration {iteration!r} is not a known iteration of {use_case!r}.")
    for name, number in (("Score", draft.score), ("Threshold", draft.threshold)):
        if not _is_number(number) or not math.isfinite(number) or not 0 <= number <= 1:
            raise FeedbackError(f"{name} must be a probability between 0 and 1.")
    for name, values in (("Categories", draft.categories), ("Reasons shown", draft.reasons_shown)):
        if not isinstance(values, (tuple, list)):
            raise FeedbackError(f"{name} must be a list of texts.")
    for category in draft.categories:
        _choice("Category", category, CATEGORIES)
    categories = tuple(dict.fromkeys(draft.categories))
    rating = draft.explanation_rating
    if rating is not None and (isinstance(rating, bool) or not isinstance(rating, int) or rating not in range(1, 6)):
        raise FeedbackError("The explanation rating must be 1 to 5 stars.")
    if draft.expected_outcome is not None:
        _choice("Expected outcome", draft.expected_outcome, EXPECTED_OUTCOMES)
    reasons = tuple(clean_text("Reason", r, MAX_TEXT_CHARS) for r in draft.reasons_shown)
    if len(reasons) > MAX_REASONS_SHOWN:
        raise FeedbackError(f"At most {MAX_REASONS_SHOWN} reasons can be recorded.")
    what_if = draft.what_if or None
    if what_if is not None:
        if not isinstance(what_if, str) or len(what_if) > MAX_COMMENT_CHARS:
            raise FeedbackError("The edited inputs must be a small JSON object.")
        try:
            parsed = json.loads(what_if)
        except (json.JSONDecodeError, RecursionError) as err:
            raise FeedbackError("The edited inputs are not valid JSON.") from err
        if not isinstance(parsed, dict):
            raise FeedbackError("The edited inputs must be a small JSON object.")
    subject = draft.reviewer_subject
    if subject is not None:
        subject = clean_text("Reviewer subject", subject, MAX_SUBJECT_CHARS)
    return replace(
        draft,
        reviewer_subject=subject,
        what_if=what_if,
        use_case=use_case,
        iteration=iteration,
        case_id=clean_text("Case id", draft.case_id, MAX_TEXT_CHARS),
        score=float(draft.score),
        threshold=float(draft.threshold),
        decision=clean_text("Decision", draft.decision, MAX_TEXT_CHARS),
        reasons_shown=reasons,
        reviewer_name=clean_text("Your name", draft.reviewer_name, MAX_NAME_CHARS),
        reviewer_role=_choice("Role", draft.reviewer_role, ROLES),
        verdict=_choice("Verdict", draft.verdict, VERDICTS),
        categories=categories,
        severity=_choice("Severity", draft.severity, SEVERITIES),
        comment=clean_text("Comment", draft.comment, MAX_COMMENT_CHARS, multiline=True, required=False),
        app_version=clean_text("App version", draft.app_version, MAX_TEXT_CHARS, required=False),
    )
