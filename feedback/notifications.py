"""Notifications: the outbox's messages, who gets them, what they say, and when a failed one is tried again.

A message is written to the store's outbox in the same transaction as the change that caused it
(`feedback.store.notifications`); a delivery worker sends it (`feedback.delivery`). Recipients are a
person's e-mail address or a use case's team channel (`team:<use case>`), never a channel's URL: the
URLs and their secrets are the deployment's (`Channels`), resolved only when sending.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from urllib.parse import urlencode

from feedback.lifecycle import LifecycleEvent
from feedback.records import MAX_SUBJECT_CHARS, FeedbackError, clean_text
from feedback.triage import TriageChange

FEEDBACK_STATUS, LIFECYCLE_CHANGE, TEST_MESSAGE = "feedback status", "lifecycle change", "test message"
SIGNOFF_REQUEST, SIGNOFF_CHANGE = "sign-off requested", "sign-off given or withdrawn"
OUTAGE, TEAM_NOTICE, MONITORING_ALERT = "outage", "team notice", "monitoring alert"
REVIEW_ASSIGNMENT, DIGEST = "review round", "digest"  # a round: your cases, a reminder, its results
#: what a person may subscribe to
EVENTS = (
    FEEDBACK_STATUS,
    LIFECYCLE_CHANGE,
    SIGNOFF_REQUEST,
    SIGNOFF_CHANGE,
    OUTAGE,
    TEAM_NOTICE,
    MONITORING_ALERT,
    REVIEW_ASSIGNMENT,
)
#: what a person hears until they choose, by role; besides, everyone hears of the lifecycle changes (a new
#: live iteration above all) of the use cases they gave feedback on
ROLE_DEFAULTS: dict[str, tuple[str, ...]] = {
    "business user": (FEEDBACK_STATUS, REVIEW_ASSIGNMENT),
    "risk": (FEEDBACK_STATUS, REVIEW_ASSIGNMENT, SIGNOFF_REQUEST),
    "compliance": (FEEDBACK_STATUS, REVIEW_ASSIGNMENT, SIGNOFF_REQUEST, SIGNOFF_CHANGE, LIFECYCLE_CHANGE),
    "data scientist": (FEEDBACK_STATUS, REVIEW_ASSIGNMENT, SIGNOFF_REQUEST, MONITORING_ALERT, OUTAGE),
    "admin": (FEEDBACK_STATUS, SIGNOFF_REQUEST, OUTAGE, MONITORING_ALERT),
}
IMMEDIATE, DAILY, WEEKLY = "immediate", "daily", "weekly"
CADENCES = (IMMEDIATE, DAILY, WEEKLY)
QUEUED, SENDING, SENT, DEAD = "queued", "sending", "sent", "dead"
HELD, DIGESTED = "held", "digested"  # waiting for the person's digest; carried by a digest (its `digest_id`)
#: a fan-out row: one per change, telling the worker to queue its message for each person who wants it (then
#: `expanded`); it is not a message and is never sent
FANOUT, EXPANDED = "fan-out", "expanded"
STATUSES = (QUEUED, SENDING, SENT, DEAD, HELD, DIGESTED)
TEAM_PREFIX = "team:"
FANOUT_PREFIX = "people:"  # a fan-out row's recipient: "people:<use case>" ("people:" for every use case)
FANOUT_ROLES = "|roles="  # then, if the row is for some roles only: "people:credit|roles=compliance,risk"
EVERY_TEAM = "team:*"  # every use case's team channels (an outage, a notice for everyone)
EMAIL_SUBJECT_PREFIX = "email:"  # a login subject made of a verified e-mail (feedback.access.login_subject)
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_DIGEST_HOUR = 7
FIRST_RETRY = timedelta(seconds=30)
LAST_RETRY = timedelta(hours=1)
_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")


class NotificationError(ValueError):
    """A subscription or message the rules refuse; the message says why."""


@dataclass(frozen=True)
class OutboxMessage:
    """One message waiting in, or delivered from, the outbox."""

    idempotency_key: str  # one message per cause and recipient: a second enqueue of it is a no-op
    event: str
    use_case: str
    recipient: str  # an e-mail address or "team:<use case>"
    subject: str
    body: str
    link: str  # the page and its query (use_case, iteration, case); the app's URL is put before it when sent
    status: str = QUEUED
    attempts: int = 0
    next_attempt_at: datetime | None = None  # None: due at once
    last_error: str | None = None
    delivered_to: tuple[str, ...] = ()  # digests of the channel URLs it reached (a retry skips them)
    cadence: str = IMMEDIATE  # daily / weekly: held for the recipient's digest
    digest_id: int | None = None  # the digest message that carried it
    claim_token: str | None = None  # the claim under which a worker may record its attempt
    id: int = 0
    created_at: datetime | None = None


@dataclass(frozen=True)
class DeliveryAttempt:
    """One attempt to send a message: its number, whether it reached every target, and why not."""

    message_id: int
    attempt: int
    ok: bool
    worker: str
    error: str | None = None
    id: int = 0
    created_at: datetime | None = None


@dataclass(frozen=True)
class Subscription:
    """Where a person wants to hear about what: an address, use cases (none: all) and events."""

    subject: str
    address: str
    use_cases: tuple[str, ...] = ()
    events: tuple[str, ...] = EVENTS
    role: str | None = None  # the role the person had when they chose (None: before roles were kept)
    cadence: str = IMMEDIATE
    id: int = 0
    created_at: datetime | None = None

    def wants(self, use_case: str, event: str) -> bool:
        """Whether this event of this use case reaches the person (an event for every use case: "")."""
        return event in self.events and (not use_case or not self.use_cases or use_case in self.use_cases)


def default_subscription(subject: str, role: str) -> Subscription:
    """What a person of a role hears before choosing: the role's events, of every use case, at once, on the
    e-mail of their login (address "" if their login is not an e-mail)."""
    return Subscription(subject, login_address(subject) or "", (), ROLE_DEFAULTS.get(role, (FEEDBACK_STATUS,)), role)


def wanted_by(
    saved: Subscription | None, subject: str, role: str, use_case: str, event: str, gave_feedback_on: Collection[str]
) -> tuple[str, str] | None:
    """(address, cadence) where a person hears of this event, or None: their own choice if saved, else the
    role's defaults and the lifecycle of the use cases they gave feedback on."""
    if saved is not None:
        return (saved.address, saved.cadence) if saved.wants(use_case, event) else None
    default = default_subscription(subject, role)
    lifecycle_of_theirs = event == LIFECYCLE_CHANGE and use_case in gave_feedback_on
    if default.address and (default.wants(use_case, event) or lifecycle_of_theirs):
        return default.address, IMMEDIATE
    return None


def for_person(message: OutboxMessage, cadence: str) -> OutboxMessage:
    """The message as the person wants it: queued at once, or held for their daily / weekly digest."""
    if cadence == IMMEDIATE:
        return message
    return replace(message, cadence=cadence, status=HELD)


@dataclass(frozen=True)
class Channels:
    """The deployment's channels: the SMTP sender's URL, each use case's team URLs, the app's URL."""

    email_url: str | None = None
    team_urls: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    app_url: str = "http://localhost:8501"
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    digest_hour: int = DEFAULT_DIGEST_HOUR  # UTC hour of the daily digest (weekly: Mondays at that hour)


def check_address(address: str) -> str:
    """The e-mail address cleaned, or NotificationError."""
    try:
        text = clean_text("E-mail address", address, MAX_SUBJECT_CHARS)
    except FeedbackError as err:
        raise NotificationError(str(err)) from err
    if not _EMAIL.match(text):
        raise NotificationError(f"{text!r} is not an e-mail address (name@example.com).")
    return text.lower()


def make_subscription(
    subject: str,
    address: str,
    use_cases: Collection[str],
    events: Collection[str],
    known_use_cases: Collection[str],
    cadence: str = IMMEDIATE,
    role: str | None = None,
) -> Subscription:
    """A valid subscription, or NotificationError naming what is wrong."""
    if cadence not in CADENCES:
        raise NotificationError(f"Unknown cadence {cadence!r}; choose from {', '.join(CADENCES)}.")
    unknown = sorted(set(use_cases) - set(known_use_cases))
    if unknown:
        raise NotificationError(f"Unknown use cases: {', '.join(unknown)}.")
    odd = sorted(set(events) - set(EVENTS))
    if odd:
        raise NotificationError(f"Unknown events: {', '.join(odd)}; choose from {', '.join(EVENTS)}.")
    chosen = tuple(e for e in EVENTS if e in set(events))
    return Subscription(subject, check_address(address), tuple(sorted(set(use_cases))), chosen, role, cadence)


def address_of(subject: str | None, subscription: Subscription | None, use_case: str, event: str) -> str | None:
    """Where a person hears about an event: their subscription's address if it wants the event, else the
    verified e-mail their login subject is made of; None if neither (or the subscription declines it)."""
    if subscription is not None:
        return subscription.address if subscription.wants(use_case, event) else None
    return login_address(subject)


def login_address(subject: str | None) -> str | None:
    """The verified e-mail a login subject is made of (`email:<address>`), else None."""
    if subject and subject.startswith(EMAIL_SUBJECT_PREFIX):
        return subject.removeprefix(EMAIL_SUBJECT_PREFIX)
    return None


def shown_to(message: OutboxMessage, role: str, addresses: Collection[str]) -> bool:
    """Whether a person sees a message in the delivery log: an admin every one (dead ones too); anyone
    else the messages to their own addresses and to team channels, but not dead ones (an admin's to handle)."""
    if role == "admin":
        return True
    return message.status != DEAD and (message.recipient.startswith(TEAM_PREFIX) or message.recipient in addresses)


def fanout_audience(use_case: str, roles: Collection[str] | None = None) -> str:
    """A fan-out row's recipient: the people of a use case ("" for every use case), of these roles only if given."""
    audience = f"{FANOUT_PREFIX}{use_case}"
    return audience if roles is None else f"{audience}{FANOUT_ROLES}{','.join(sorted(set(roles)))}"


def audience_roles(audience: str, use_case: str) -> tuple[str, ...] | None:
    """The roles a fan-out row of a use case is for (`fanout_audience`), or None for everyone."""
    rest = audience.removeprefix(f"{FANOUT_PREFIX}{use_case}")
    if not rest.startswith(FANOUT_ROLES):
        return None
    return tuple(role for role in rest.removeprefix(FANOUT_ROLES).split(",") if role)


def deep_link(page: str, use_case: str, iteration: str | None = None, case: str | None = None) -> str:
    """The page and the query the sidebar pickers and the case picker read (`use_case`, `iteration`, `case`)."""
    query = {"use_case": use_case} | ({"iteration": iteration} if iteration else {}) | ({"case": case} if case else {})
    return f"/{page}?{urlencode(query)}"


def full_link(app_url: str, link: str) -> str:
    """The link with the deployment's app URL before it."""
    return app_url.rstrip("/") + link


def _feedback_words(change: TriageChange, case_id: str) -> tuple[str, str]:
    """What a triage change means for the person who gave the feedback: a subject and a first sentence."""
    entry = f"Your feedback #{change.feedback_id} on {case_id}"
    if change.to_status == "fixed":
        return (
            f"{entry} was fixed in {change.fixed_in}",
            f"Fixed in {change.fixed_in}: the team marked what you said about {case_id} as fixed in {change.fixed_in}; "
            f"open the link to see how {change.fixed_in} decides it.",
        )
    words = {
        "triaged": "is being looked at by the team",
        "accepted": "was accepted: the team agrees and will fix it"
        if change.from_status != "fixed"
        else "was reopened: the team found it is not fixed after all",
        "rejected": "was not accepted",
        "duplicate": f"duplicates #{change.duplicate_of}; it is followed there",
    }[change.to_status]
    return f"{entry} {words.split(':')[0]}", f"{entry} {words}."


def feedback_status_message(
    change: TriageChange, use_case: str, iteration: str, case_id: str, address: str, triage_event_id: int
) -> OutboxMessage:
    """The message telling the person who gave feedback that its status changed, with a link to the case
    (on the iteration that fixed it, if fixed)."""
    subject, first = _feedback_words(change, case_id)
    note = f"\n\nThe team's note: {change.note}" if change.note else ""
    shown = change.fixed_in if change.to_status == "fixed" else iteration
    link = deep_link("Explore", use_case, shown, case_id)
    return OutboxMessage(
        idempotency_key=f"triage:{triage_event_id}:{address}",
        event=FEEDBACK_STATUS,
        use_case=use_case,
        recipient=address,
        subject=subject,
        body=f"{first}\nYou gave it on {use_case} {iteration}.{note}",
        link=link,
    )


def lifecycle_message(event: LifecycleEvent) -> OutboxMessage:
    """The message telling a use case's team channel about a lifecycle change, with a link to the iteration."""
    name = f"{event.use_case} {event.iteration}"
    if event.to_status == "live":
        subject = f"{name} is now live"
        body = f"{name} is now the live iteration."
        if event.migration_note:
            body += f"\nWhat changes for you: {event.migration_note}"
    elif event.to_status == "deprecated":
        subject = f"{name} will be retired"
        when = f" on {event.sunset_date.isoformat()}" if event.sunset_date else ""
        body = f"{name} will be retired{when}" + (f", replaced by {event.replacement}." if event.replacement else ".")
    elif event.to_status == "retired":
        subject, body = f"{name} is retired", f"{name} is retired and no longer decides cases."
    else:
        subject, body = f"{name} is a candidate again", f"{name} is back as a candidate."
    return OutboxMessage(
        idempotency_key=f"lifecycle:{event.id}:{TEAM_PREFIX}{event.use_case}",
        event=LIFECYCLE_CHANGE,
        use_case=event.use_case,
        recipient=f"{TEAM_PREFIX}{event.use_case}",
        subject=subject,
        body=f"{body}\nWhy: {event.reason}\nBy {event.actor_name} ({event.actor_role}).",
        link=deep_link("Iterations", event.use_case, event.iteration),
    )


def make_test_message(recipient: str, use_case: str, requested_by: str, now: datetime) -> OutboxMessage:
    """A test message to a recipient (an address or a team channel), asked for by a person."""
    return OutboxMessage(
        idempotency_key=f"test:{now.isoformat()}:{recipient}",
        event=TEST_MESSAGE,
        use_case=use_case,
        recipient=recipient,
        subject="Involve test message",
        body=f"{requested_by} sent this test message from the Notices page: this channel reaches you.",
        link=deep_link("Notices", use_case),
    )


def retry_delay(attempts: int) -> timedelta:
    """How long after its `attempts`-th failed attempt a message is tried again: doubling, capped."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LAST_RETRY)


def after_attempt(attempts: int, ok: bool, max_attempts: int, now: datetime) -> tuple[str, datetime | None]:
    """The status and next attempt time after an attempt (the `attempts`-th): sent, queued again, or dead."""
    if ok:
        return SENT, None
    if attempts >= max_attempts:
        return DEAD, None
    return QUEUED, now + retry_delay(attempts)
