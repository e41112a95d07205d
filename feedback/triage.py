"""Triage of feedback: new → triaged → accepted / rejected / duplicate → fixed in an iteration.

The rules and the change they plan; persistence is in `feedback.store.triage`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from feedback.records import MAX_COMMENT_CHARS, FeedbackError, clean_text

#: status -> statuses it may move to (rejected and duplicate entries can be reopened)
TRIAGE_TRANSITIONS: Mapping[str, tuple[str, ...]] = {
    "new": ("triaged", "accepted", "rejected", "duplicate"),
    "triaged": ("accepted", "rejected", "duplicate"),
    "accepted": ("fixed", "rejected"),
    "rejected": ("triaged",),
    "duplicate": ("triaged",),
    "fixed": ("accepted",),
}


class TriageError(ValueError):
    """A triage change the rules refuse; the message says why."""


@dataclass(frozen=True)
class TriageChange:
    """What a triage action sets on one entry."""

    feedback_id: int
    from_status: str
    to_status: str
    note: str
    duplicate_of: int | None = None
    fixed_in: str | None = None


def plan_triage(
    current: Mapping[int, str],
    to_status: str,
    note: str = "",
    *,
    duplicate_of: int | None = None,
    fixed_in: str | None = None,
    known_ids: Collection[int] = (),
    known_iterations: Collection[str] = (),
) -> list[TriageChange]:
    """The changes for entries (id -> current status), all or none: TriageError names what blocks."""
    if not current:
        raise TriageError("Select at least one feedback entry.")
    if to_status not in TRIAGE_TRANSITIONS:
        raise TriageError(f"Unknown status {to_status!r}.")
    blocked = sorted(i for i, status in current.items() if to_status not in TRIAGE_TRANSITIONS[status])
    if blocked:
        shown = ", ".join(f"#{i} ({current[i]})" for i in blocked[:10])
        raise TriageError(f"These entries cannot become {to_status}: {shown}.")
    try:
        text = clean_text("Note", note, MAX_COMMENT_CHARS, multiline=True, required=to_status == "rejected")
    except FeedbackError as err:
        raise TriageError(f"{err} Say why it is rejected." if to_status == "rejected" else str(err)) from err
    if to_status == "duplicate":
        if duplicate_of is None or duplicate_of not in known_ids:
            raise TriageError("Name the existing entry it duplicates (its number).")
        if duplicate_of in current:
            raise TriageError(f"#{duplicate_of} cannot be a duplicate of itself.")
    if to_status == "fixed" and fixed_in not in known_iterations:
        raise TriageError("Name the iteration that fixed it.")
    return [
        TriageChange(
            feedback_id=i,
            from_status=status,
            to_status=to_status,
            note=text,
            duplicate_of=duplicate_of if to_status == "duplicate" else None,
            fixed_in=fixed_in if to_status == "fixed" else None,
        )
        for i, status in sorted(current.items())
    ]
