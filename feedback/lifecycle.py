"""Iteration lifecycle: candidate → live → deprecated → retired, with rules and an audit log.

The rules live here, not in the pages: at most one live iteration per use case (a second one is
refused unless the caller explicitly deprecates the current one), a live iteration is deprecated
(with a sunset date and its replacement) before it is retired, a retired iteration comes back only
with a recorded reason, and only the roles allowed to change the lifecycle may do it.
Persistence (the audit log, and changes made under its lock) is in `feedback.store.lifecycle`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from feedback.access import Actor, check_actor
from feedback.records import MAX_COMMENT_CHARS, FeedbackError, clean_text
from feedback.signoff import SignOff, missing_roles

STATUSES = ("candidate", "live", "deprecated", "retired")
#: status -> statuses it may move to
TRANSITIONS: Mapping[str, tuple[str, ...]] = {
    "candidate": ("live", "retired"),
    "live": ("deprecated",),
    "deprecated": ("live", "retired"),
    "retired": ("candidate",),
}


class LifecycleError(ValueError):
    """A lifecycle change the rules refuse; the message says why."""


@dataclass(frozen=True)
class LifecycleEvent:
    """One recorded status change of an iteration (an append-only audit log entry)."""

    use_case: str
    iteration: str
    from_status: str
    to_status: str
    actor_name: str
    actor_role: str
    reason: str
    sunset_date: date | None = None
    replacement: str | None = None
    migration_note: str | None = None
    actor_subject: str | None = None
    id: int = 0
    created_at: datetime | None = None


def current_statuses(events: list[LifecycleEvent], versions: Collection[str]) -> dict[str, str]:
    """Status of each version after the events (oldest first); never-changed ones are candidates."""
    statuses = {v: "candidate" for v in versions}
    for event in events:
        statuses[event.iteration] = event.to_status
    return statuses


def _text(field: str, value: str | None, required: bool) -> str | None:
    try:
        text = clean_text(field, value or "", MAX_COMMENT_CHARS, multiline=True, required=required)
    except FeedbackError as err:
        raise LifecycleError(str(err)) from err
    return text or None


def plan_change(
    statuses: Mapping[str, str],
    use_case: str,
    version: str,
    to_status: str,
    actor: Actor,
    reason: str,
    *,
    migration_note: str | None = None,
    sunset_date: date | None = None,
    replacement: str | None = None,
    demote_current: bool = False,
    today: date | None = None,
    required_signoffs: Collection[str],
    signoffs: Iterable[SignOff] = (),
) -> list[LifecycleEvent]:
    """The events that carry out a change, or LifecycleError naming the rule it breaks.

    Going live needs a current sign-off (`signoffs`) of every role in `required_signoffs`.
    """
    actor = check_actor(actor, "change lifecycle")
    if version not in statuses:
        raise LifecycleError(f"There is no iteration {version!r} of {use_case!r}.")
    if to_status not in STATUSES:
        raise LifecycleError(f"Unknown status {to_status!r}; use one of {', '.join(STATUSES)}.")
    current = statuses[version]
    if to_status not in TRANSITIONS[current]:
        allowed = ", ".join(TRANSITIONS[current])
        hint = " Deprecate it first, with a sunset date and its replacement." if current == "live" else ""
        raise LifecycleError(f"{version} is {current}; it can only become {allowed}.{hint}")
    reason_text = _text("Reason", reason, required=True)
    today = today or date.today()
    events = []
    common = dict(use_case=use_case, actor_name=actor.name, actor_role=actor.role, actor_subject=actor.subject)
    if to_status == "live":
        note = _text("Migration note (what changes for users)", migration_note, required=True)
        missing = missing_roles(required_signoffs, signoffs)
        if missing:
            raise LifecycleError(
                f"{version} cannot go live without the sign-off of: {', '.join(missing)} "
                "(on the Sign-off page; a sign-off counts until the iteration's next lifecycle change)."
            )
        live = [v for v, s in statuses.items() if s == "live" and v != version]
        if live and not demote_current:
            raise LifecycleError(
                f"{live[0]} is live already; at most one iteration is live. Deprecate {live[0]} "
                "in the same step (demote the current one) or first."
            )
        for old in live:
            events.append(_deprecation(old, version, sunset_date, today, reason_text, common))
        events.append(
            LifecycleEvent(
                iteration=version,
                from_status=current,
                to_status="live",
                reason=reason_text,
                migration_note=note,
                **common,
            )
        )
    elif to_status == "deprecated":
        if replacement is not None and replacement not in statuses:
            raise LifecycleError(f"The replacement {replacement!r} is not an iteration of {use_case!r}.")
        events.append(_deprecation(version, replacement, sunset_date, today, reason_text, common))
    else:
        events.append(
            LifecycleEvent(iteration=version, from_status=current, to_status=to_status, reason=reason_text, **common)
        )
    return events


def _deprecation(version, replacement, sunset_date, today, reason, common) -> LifecycleEvent:
    if sunset_date is None:
        raise LifecycleError(f"Deprecating {version} needs a sunset date.")
    if sunset_date < today:
        raise LifecycleError(f"The sunset date {sunset_date} is in the past.")
    if not replacement:
        raise LifecycleError(f"Deprecating {version} needs the iteration that replaces it.")
    return LifecycleEvent(
        iteration=version,
        from_status="live",
        to_status="deprecated",
        reason=reason,
        sunset_date=sunset_date,
        replacement=replacement,
        **common,
    )
