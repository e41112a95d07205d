"""What the other events say: sign-off requested, given or withdrawn; an outage and its end; a team notice;
a monitoring alert; a review round's assignment; and a digest that groups a person's held messages.

Each message's idempotency key names its cause and recipient, so it is queued once however often the
cause is seen (`feedback.store.notifications.enqueue`). Persistence and recipients are in
`feedback.store.notify_events`; the lifecycle and feedback-status messages are in `feedback.notifications`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from feedback.announcements import Announcement
from feedback.notifications import (
    DAILY,
    DIGEST,
    MONITORING_ALERT,
    OUTAGE,
    REVIEW_ASSIGNMENT,
    SIGNOFF_CHANGE,
    SIGNOFF_REQUEST,
    WEEKLY,
    OutboxMessage,
    deep_link,
    full_link,
)
from feedback.rounds import ReviewRound
from feedback.signoff import WITHDRAW, SignOff

MAX_DIGEST_ITEMS = 200  # a digest lists at most this many messages, then says how many more


def signoff_request_message(
    use_case: str, iteration: str, roles: Sequence[str], address: str, requested_by: str, note: str, key: str
) -> OutboxMessage:
    """The message asking a person of a required role to sign off an iteration, with a link to its Sign-off page."""
    name = f"{use_case} {iteration}"
    said = f"\n{requested_by} says: {note}" if note else ""
    return OutboxMessage(
        idempotency_key=f"signoff-request:{key}:{address}",
        event=SIGNOFF_REQUEST,
        use_case=use_case,
        recipient=address,
        subject=f"Your sign-off is needed on {name}",
        body=f"{requested_by} asks for the sign-off of {', '.join(roles)} on {name} before it can go live.{said}",
        link=deep_link("Sign_off", use_case, iteration),
    )


def signoff_change_message(record: SignOff, recipient: str) -> OutboxMessage:
    """The message that a sign-off was given or withdrawn, with a link to the iteration's Sign-off page."""
    name = f"{record.use_case} {record.iteration}"
    who = f"{record.signer_name} ({record.signer_role})"
    if record.action == WITHDRAW:
        subject, body = f"Sign-off on {name} withdrawn", f"{who} withdrew a sign-off on {name}. Why: {record.comment}"
    else:
        subject = f"{name} signed off by {record.signer_role}"
        body = f"{who} signed off {name}." + (f" Comment: {record.comment}" if record.comment else "")
    return OutboxMessage(
        idempotency_key=f"signoff:{record.id}:{recipient}",
        event=SIGNOFF_CHANGE,
        use_case=record.use_case,
        recipient=recipient,
        subject=subject,
        body=body,
        link=deep_link("Sign_off", record.use_case, record.iteration),
    )


def announcement_message(notice: Announcement, event: str, recipient: str) -> OutboxMessage:
    """The message of an outage (or its end), a team notice or a monitoring alert, with a link to where it is."""
    if event == MONITORING_ALERT:
        link = deep_link("Monitoring", notice.use_case or "", notice.iteration)
    else:
        link = deep_link("Notices", notice.use_case or "", notice.iteration) if notice.use_case else "/Notices"
    about = f"{notice.use_case}: " if notice.use_case and event != OUTAGE else ""
    return OutboxMessage(
        idempotency_key=f"announcement:{notice.id}:{recipient}",
        event=event,
        use_case=notice.use_case or "",
        recipient=recipient,
        subject=f"{about}{notice.title}"[:200],
        body=f"{notice.body}\nBy {notice.author_name}.",
        link=link,
    )


def assignment_message(round_: ReviewRound, address: str, n_cases: int) -> OutboxMessage:
    """The message telling a reviewer they have cases to review in a round, by its due date."""
    return OutboxMessage(
        idempotency_key=f"round:{round_.id}:{address}",
        event=REVIEW_ASSIGNMENT,
        use_case=round_.use_case,
        recipient=address,
        subject=f"{n_cases} case(s) for you to review in {round_.name!r}",
        body=(
            f"{round_.created_by_name} asks you to review {n_cases} case(s) of {round_.use_case} {round_.iteration} "
            f"in the round {round_.name!r} by {round_.due_date.isoformat()}. Purpose: {round_.purpose}"
        ),
        link=deep_link("Reviews", round_.use_case, round_.iteration),
    )


def round_reminder_message(round_: ReviewRound, address: str, left: int) -> OutboxMessage:
    """The reminder, the day before a round's due date, to a reviewer with cases left to answer."""
    return OutboxMessage(
        idempotency_key=f"round-reminder:{round_.id}:{address}",
        event=REVIEW_ASSIGNMENT,
        use_case=round_.use_case,
        recipient=address,
        subject=f"Reminder: {left} case(s) left in {round_.name!r}, due {round_.due_date.isoformat()}",
        body=f"You have {left} case(s) of {round_.use_case} {round_.iteration} left to review in {round_.name!r}.",
        link=deep_link("Reviews", round_.use_case, round_.iteration),
    )


def round_results_message(round_: ReviewRound, address: str) -> OutboxMessage:
    """The message to a reviewer that a round is closed and its results can be read."""
    return OutboxMessage(
        idempotency_key=f"round-results:{round_.id}:{address}",
        event=REVIEW_ASSIGNMENT,
        use_case=round_.use_case,
        recipient=address,
        subject=f"The results of {round_.name!r} are in",
        body=f"The round {round_.name!r} on {round_.use_case} {round_.iteration} is closed: everyone's answers and "
        "the agreement figures can be read now.",
        link=deep_link("Reviews", round_.use_case, round_.iteration),
    )


def digest_time(cadence: str, now: datetime, hour: int) -> datetime:
    """The latest digest time at or before `now`: today's at `hour` UTC (else yesterday's); weekly, Monday's."""
    today = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    moment = today if today <= now else today - timedelta(days=1)
    if cadence == WEEKLY:
        moment -= timedelta(days=moment.weekday())
    return moment


def digest_message(
    recipient: str, cadence: str, until: datetime, held: Sequence[OutboxMessage], app_url: str
) -> OutboxMessage:
    """One message to a person grouping the messages held for their digest, oldest first, each with its
    full link (the digest's own link is the Notices page)."""
    held = sorted(held, key=lambda m: m.id)
    shown = held[:MAX_DIGEST_ITEMS]
    items = [f"- {m.subject}\n  {m.body.splitlines()[0]}\n  {full_link(app_url, m.link)}" for m in shown]
    more = [f"… and {len(held) - len(shown)} more on the Notices page."] if len(held) > len(shown) else []
    period = "day" if cadence == DAILY else "week"
    use_cases = sorted({m.use_case for m in held if m.use_case})
    return OutboxMessage(
        idempotency_key=f"digest:{cadence}:{until.isoformat()}:{recipient}",
        event=DIGEST,
        use_case=use_cases[0] if len(use_cases) == 1 else "",
        recipient=recipient,
        subject=f"Your {cadence} Involve digest: {len(held)} update(s)",
        body=f"What happened this {period}, {len(held)} update(s):\n\n" + "\n\n".join(items + more),
        link="/Notices",
    )
