"""The delivery worker: claim due messages, send each through apprise, record the attempt.

Each claim locks its rows (`feedback.store.notifications.claim_due`: FOR UPDATE SKIP LOCKED on
PostgreSQL, the write lock on SQLite), so two workers or two app replicas never send the same
message. A failed message is retried with doubling delays and marked dead after the deployment's
last attempt (`Channels.max_attempts`). Sending itself is `feedback.delivery`.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from feedback.access import Actor, check_actor
from feedback.delivery import send_message
from feedback.notifications import DEAD, SENT, TEAM_PREFIX, Channels, OutboxMessage, check_address, make_test_message
from feedback.store.database import FeedbackStore
from feedback.store.digests import build_digests
from feedback.store.notifications import LOST_CLAIM, add_messages, claim_due, record_attempt, still_claimed
from feedback.store.notify_events import expand_fanouts
from feedback.store.rounds import queue_round_reminders

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryReport:
    """What a delivery run did: messages sent, queued again for a retry, and dead."""

    sent: int = 0
    retried: int = 0
    dead: int = 0
    lost: int = 0  # claims that had expired and were taken by another worker: left to it
    digests: int = 0  # digests queued (they are counted in `sent` once delivered)

    def __add__(self, other: DeliveryReport) -> DeliveryReport:
        return DeliveryReport(*(a + b for a, b in zip(self.__dict__.values(), other.__dict__.values(), strict=True)))


def default_worker() -> str:
    """This process's name in the attempts log: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def deliver_claimed(
    store: FeedbackStore,
    channels: Channels,
    claimed: list[OutboxMessage],
    worker: str,
    now: datetime | None = None,
) -> tuple[DeliveryReport, list[OutboxMessage]]:
    """Send messages this worker has claimed and record each attempt; the report and the messages after it."""
    report, done = DeliveryReport(), []
    for message in claimed:
        if not still_claimed(store, message):  # its lease ran out and another worker took it: not sent twice
            log.warning("message #%s: %s's claim expired before sending; left to the other worker", message.id, worker)
            report += DeliveryReport(lost=1)
            continue
        ok, error, reached = send_message(channels, message)
        after = record_attempt(store, message, ok, error, reached, worker, channels.max_attempts, now)
        done.append(after)
        status = after.status
        if status == LOST_CLAIM:
            report += DeliveryReport(lost=1)
            continue
        report += DeliveryReport(int(status == SENT), int(status not in (SENT, DEAD)), int(status == DEAD))
    return report, done


def deliver_due(
    store: FeedbackStore, channels: Channels, worker: str = "", batch: int = 50, now: datetime | None = None
) -> DeliveryReport:
    """Expand the changes' fan-out rows, queue the review rounds' reminders and the digests whose time has
    come, then deliver every message due now (or at `now`), a claimed batch at a time, until none is due."""
    worker = worker or default_worker()
    moment = now or datetime.now(timezone.utc)
    while expand_fanouts(store):  # a change's one fan-out row becomes a message per person who wants it
        pass
    queue_round_reminders(store, moment.date())  # once per round and reviewer, the day before it is due
    digests = build_digests(store, moment, hour=channels.digest_hour, app_url=channels.app_url)
    total = DeliveryReport(digests=len(digests))
    while claimed := claim_due(store, now or datetime.now(timezone.utc), batch):
        report, _ = deliver_claimed(store, channels, claimed, worker, now)
        total += report
    return total


def run_worker(
    store: FeedbackStore, channels: Channels, *, once: bool = False, poll: float = 10.0, worker: str = ""
) -> DeliveryReport:
    """Deliver due messages; with `once` until none is due, else forever, looking again every `poll` seconds."""
    total = DeliveryReport()
    while True:
        report = deliver_due(store, channels, worker)
        total += report
        if report != DeliveryReport():
            log.info("delivered: %s sent, %s to retry, %s dead", report.sent, report.retried, report.dead)
        if once:
            return total
        time.sleep(poll)


def send_test_message(
    store: FeedbackStore, channels: Channels, actor: Actor, recipient: str, use_case: str
) -> OutboxMessage:
    """Queue a test message to an address or a team channel and deliver it now; the message after its attempt
    (AccessError if unnamed, NotificationError if the address is not one)."""
    actor = check_actor(actor, "subscribe to notifications")
    if not recipient.startswith(TEAM_PREFIX):
        recipient = check_address(recipient)
    [message] = add_messages(store, [make_test_message(recipient, use_case, actor.name, datetime.now(timezone.utc))])
    claimed = claim_due(store, datetime.now(timezone.utc), 1, ids=[message.id])
    if not claimed:  # another worker took it meanwhile: it is delivered there
        return replace(message, status="sending")
    _, [after] = deliver_claimed(store, channels, claimed, default_worker())
    return after
