"""Digests and claims against a real SMTP server and webhook on 127.0.0.1: a person's held messages become one
e-mail at the digest time, exactly once under two workers; a worker whose claim expired neither sends nor
marks a message another worker holds now."""

from datetime import datetime, timedelta, timezone

from feedback.access import Actor
from feedback.notifications import DAILY, DIGEST, DIGESTED, HELD, SENDING, SENT, WEEKLY, Channels, OutboxMessage
from feedback.notify_events import digest_time
from feedback.store.delivery import DeliveryReport, deliver_claimed, deliver_due
from feedback.store.digests import build_digests
from feedback.store.notifications import (
    LEASE,
    LOST_CLAIM,
    add_messages,
    attempts_of,
    claim_due,
    delivery_log,
    record_attempt,
    save_subscription,
)
from feedback.store.records import add_feedback
from feedback.store.triage import triage_feedback
from tests.helpers import deliver_with_two_workers, make_draft
from tests.notify_receivers import WebhookReceiver

KNOWN = ("v1", "v2", "v3")
APP = "http://involve.bank.example:8501"
ANN = Actor("Ann Example", "risk", "email:ann@bank.example")
DS = Actor("Dana Scientist", "data scientist", "https://login.bank.example|dana")


def _channels(smtp, hour):
    return Channels(smtp.url, {}, APP, 5, hour)


def test_digest_times_daily_and_weekly():
    wednesday = datetime(2026, 12, 2, 12, 30, tzinfo=timezone.utc)
    assert digest_time(DAILY, wednesday, 7) == datetime(2026, 12, 2, 7, tzinfo=timezone.utc)
    assert digest_time(DAILY, wednesday, 13) == datetime(2026, 12, 1, 13, tzinfo=timezone.utc)
    assert digest_time(WEEKLY, wednesday, 7) == datetime(2026, 11, 30, 7, tzinfo=timezone.utc)  # Monday
    monday_early = datetime(2026, 11, 30, 6, tzinfo=timezone.utc)
    assert digest_time(WEEKLY, monday_early, 7) == datetime(2026, 11, 23, 7, tzinfo=timezone.utc)


def test_a_daily_digest_groups_a_persons_messages_into_one_email_at_the_digest_time(store, smtp):
    save_subscription(store, ANN, "ann@bank.example", [], ["feedback status"], ["credit"], DAILY)
    entry = add_feedback(store, make_draft(iteration="v2", reviewer_subject=ANN.subject), KNOWN)
    triage_feedback(store, [entry.id], "accepted", DS)
    triage_feedback(store, [entry.id], "fixed", DS, fixed_in="v3", known_iterations=KNOWN)
    held = delivery_log(store)
    assert [(m.status, m.cadence) for m in held] == [(HELD, DAILY)] * 2
    queued_at = max(m.created_at for m in held)
    before = (queued_at + timedelta(hours=1)).hour  # the last digest time was before they were queued
    assert deliver_due(store, _channels(smtp, before), now=queued_at) == DeliveryReport()
    assert smtp.messages == []
    next_day = queued_at + timedelta(days=1)
    assert deliver_due(store, _channels(smtp, before), now=next_day) == DeliveryReport(sent=1, digests=1)
    assert deliver_due(store, _channels(smtp, before), now=next_day + timedelta(days=1)) == DeliveryReport()
    [mail] = smtp.messages
    assert mail["Subject"] == "Your daily Involve digest: 2 update(s)"
    [body] = smtp.bodies_to("ann@bank.example")
    assert f"Your feedback #{entry.id} on A0012 was accepted" in body
    assert f"Your feedback #{entry.id} on A0012 was fixed in v3" in body
    assert f"{APP}/Explore?use_case=credit&iteration=v3&case=A0012" in body  # each item's own full link
    [digest] = [m for m in delivery_log(store) if m.event == DIGEST]
    assert digest.status == SENT
    assert {(m.status, m.digest_id) for m in delivery_log(store) if m.event != DIGEST} == {(DIGESTED, digest.id)}


def test_the_digest_command_sends_now_what_is_held(sqlite_store, smtp):
    held = [
        OutboxMessage(
            f"h{i}", "team notice", "credit", "bo@bank.example", f"n-{i}", "b", "/Notices", HELD, cadence=WEEKLY
        )
        for i in range(3)
    ]
    add_messages(sqlite_store, held)
    assert build_digests(sqlite_store, cadences=[DAILY], at_once=True) == []  # nothing held for a daily one
    [digest] = build_digests(sqlite_store, cadences=[WEEKLY], at_once=True, app_url=APP)
    assert digest.subject == "Your weekly Involve digest: 3 update(s)" and digest.recipient == "bo@bank.example"
    assert build_digests(sqlite_store, cadences=[WEEKLY], at_once=True) == []


def test_two_workers_at_the_digest_time_send_each_digest_exactly_once(store, smtp):
    people = [f"p{i}@bank.example" for i in range(20)]
    add_messages(
        store,
        [
            OutboxMessage(f"k{p}{j}", "team notice", "credit", p, f"n-{j}", "b", "/Notices", HELD, cadence=DAILY)
            for p in people
            for j in range(5)
        ],
    )
    later = datetime.now(timezone.utc) + timedelta(days=1)
    reports = deliver_with_two_workers(store, _channels(smtp, 0), batch=3, names=("worker-a", "worker-b"), now=later)
    assert sorted(m["X-Envelope-To"] for m in smtp.messages) == sorted(people)  # one each, none twice
    assert all("5 update(s)" in m["Subject"] for m in smtp.messages)
    assert reports["worker-a"].digests + reports["worker-b"].digests == 20
    assert reports["worker-a"].sent + reports["worker-b"].sent == 20


def test_a_worker_whose_claim_expired_neither_sends_nor_marks_the_other_workers_claim(store):
    hook = WebhookReceiver()
    try:
        channels = Channels(None, {"credit": (hook.url,)}, APP)
        [message] = add_messages(store, [OutboxMessage("k", "test message", "credit", "team:credit", "m", "b", "/")])
        now = datetime.now(timezone.utc)
        [stale] = claim_due(store, now)  # worker A claims it, then stalls past its lease
        [fresh] = claim_due(store, now + LEASE + timedelta(seconds=1))  # worker B claims it again
        assert stale.claim_token != fresh.claim_token
        report, _ = deliver_claimed(store, channels, [stale], "worker-a")
        assert report == DeliveryReport(lost=1) and hook.posts == []  # A does not send it
        report, _ = deliver_claimed(store, channels, [fresh], "worker-b")
        assert report == DeliveryReport(sent=1) and hook.titles() == ["m"]
        # A sent before it noticed (the gap of a slow send): its result is logged, B's status stands
        late = record_attempt(store, stale, False, "timeout", (), "worker-a", 5)
        assert late.status == LOST_CLAIM
        [after] = delivery_log(store)
        assert (after.status, after.attempts) == (SENT, 1)
        assert [(a.worker, a.ok) for a in attempts_of(store, message.id)] == [("worker-b", True), ("worker-a", False)]
        assert "another worker holds the message" in attempts_of(store, message.id)[1].error
    finally:
        hook.close()


def test_a_claim_past_its_lease_that_nobody_took_is_still_the_workers(sqlite_store):
    add_messages(sqlite_store, [OutboxMessage("k", "test message", "credit", "team:credit", "m", "b", "/")])
    [claimed] = claim_due(sqlite_store, datetime.now(timezone.utc))
    assert claimed.status == SENDING
    done = record_attempt(sqlite_store, claimed, True, None, ("x",), "worker-a", 5)
    assert done.status == SENT
