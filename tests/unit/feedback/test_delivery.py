"""Delivery against real local receivers (an SMTP server and a webhook on 127.0.0.1): each message once,
retried while a receiver is down, dead after the last attempt, never twice with two workers."""

import threading
from datetime import datetime, timedelta, timezone

import apprise

from feedback.access import Actor
from feedback.delivery import describe_channels, url_digest
from feedback.notifications import DEAD, QUEUED, SENT, Channels, OutboxMessage
from feedback.store.database import FeedbackStore
from feedback.store.delivery import DeliveryReport, deliver_due, send_test_message
from feedback.store.lifecycle import change_lifecycle
from feedback.store.notifications import add_messages, attempts_of, delivery_log
from feedback.store.records import add_feedback
from feedback.store.triage import triage_feedback
from tests.helpers import make_draft
from tests.notify_receivers import WebhookReceiver

KNOWN = ("v1", "v2", "v3")
DS = Actor("Dana Scientist", "data scientist", "https://login.bank.example|dana")
APP = "http://involve.bank.example:8501"


def _channels(smtp, *hooks, attempts=5):
    return Channels(smtp.url, {"credit": tuple(h.url for h in hooks)}, APP, attempts)


def _messages(n, use_case="credit", recipient="team:credit"):
    return [OutboxMessage(f"k{i}", "test message", use_case, recipient, f"m-{i}", "body", "/Notices") for i in range(n)]


def test_each_event_reaches_exactly_its_recipients_with_a_working_link(store, smtp, hook):
    entry = add_feedback(store, make_draft(iteration="v2", reviewer_subject="email:ann@bank.example"), KNOWN)
    triage_feedback(store, [entry.id], "accepted", DS)
    triage_feedback(store, [entry.id], "fixed", DS, fixed_in="v3", known_iterations=KNOWN)
    change_lifecycle(store, "credit", KNOWN, "v3", "live", DS, "beats v2", required_signoffs=(), migration_note="Hi")
    assert deliver_due(store, _channels(smtp, hook)) == DeliveryReport(sent=4)
    bodies = smtp.bodies_to("ann@bank.example")  # she gave feedback on credit: she hears of its new live iteration
    assert len(smtp.messages) == len(bodies) == 3
    fixed = next(b for b in bodies if "Fixed in v3" in b)
    assert "the team marked what you said about A0012 as fixed in v3" in fixed
    assert f"{APP}/Explore?use_case=credit&iteration=v3&case=A0012" in fixed
    assert {m["Subject"] for m in smtp.messages} == {
        f"Your feedback #{entry.id} on A0012 was accepted",
        f"Your feedback #{entry.id} on A0012 was fixed in v3",
        "credit v3 is now live",
    }
    assert hook.titles() == ["credit v3 is now live"]
    assert f"{APP}/Iterations?use_case=credit&iteration=v3" in hook.posts[0]["message"]
    assert deliver_due(store, _channels(smtp, hook)) == DeliveryReport()  # nothing is sent twice
    assert len(smtp.messages) == 3 and len(hook.posts) == 1
    assert {m.status for m in delivery_log(store)} == {SENT}


def test_smtp_down_for_the_first_attempts_then_up_delivers_once(store, smtp):
    add_messages(store, _messages(1, recipient="ann@bank.example"))
    smtp.stop()
    now = datetime.now(timezone.utc)
    assert deliver_due(store, _channels(smtp), now=now) == DeliveryReport(retried=1)
    assert deliver_due(store, _channels(smtp), now=now + timedelta(seconds=10)) == DeliveryReport()  # not due yet
    assert deliver_due(store, _channels(smtp), now=now + timedelta(seconds=31)) == DeliveryReport(retried=1)
    smtp.start()
    assert deliver_due(store, _channels(smtp), now=now + timedelta(minutes=5)) == DeliveryReport(sent=1)
    assert deliver_due(store, _channels(smtp), now=now + timedelta(hours=5)) == DeliveryReport()
    assert len(smtp.bodies_to("ann@bank.example")) == 1
    [message] = delivery_log(store)
    assert (message.status, message.attempts, message.last_error) == (SENT, 3, None)
    assert [a.ok for a in attempts_of(store, message.id)] == [False, False, True]
    assert attempts_of(store, message.id)[0].error  # why it failed is kept


def test_a_receiver_answering_500_is_retried_then_dead_after_the_last_attempt(store, hook):
    hook.status = 500
    add_messages(store, _messages(1))
    now = datetime.now(timezone.utc)
    reports = [
        deliver_due(store, Channels(None, {"credit": (hook.url,)}, APP, 3), now=now + timedelta(hours=h))
        for h in range(4)
    ]
    assert reports == [DeliveryReport(retried=1), DeliveryReport(retried=1), DeliveryReport(dead=1), DeliveryReport()]
    assert hook.answered == [500, 500, 500] and hook.posts == []
    [dead] = delivery_log(store, statuses=[DEAD])
    assert dead.attempts == 3 and "500" in dead.last_error


def test_a_retry_sends_only_to_the_channels_not_reached_yet(store, smtp, hook):
    flaky = WebhookReceiver()
    try:
        flaky.status = 500
        add_messages(store, _messages(1))
        now = datetime.now(timezone.utc)
        assert deliver_due(store, _channels(smtp, hook, flaky), now=now) == DeliveryReport(retried=1)
        flaky.status = 200
        assert deliver_due(store, _channels(smtp, hook, flaky), now=now + timedelta(hours=1)) == DeliveryReport(sent=1)
        assert (hook.titles(), flaky.titles(), flaky.answered) == (["m-0"], ["m-0"], [500, 200])
        assert set(delivery_log(store)[0].delivered_to) == {url_digest(hook.url), url_digest(flaky.url)}
    finally:
        flaky.close()


def test_two_workers_at_once_deliver_each_message_exactly_once(store):
    hook = WebhookReceiver(delay=0.002)
    second = FeedbackStore(store.engine.url.render_as_string(hide_password=False))
    try:
        add_messages(store, _messages(200))
        channels = Channels(None, {"credit": (hook.url,)}, APP)
        reports: dict[str, DeliveryReport] = {}
        workers = [
            threading.Thread(target=lambda s=s, w=w: reports.setdefault(w, deliver_due(s, channels, w, batch=5)))
            for s, w in ((store, "worker-a"), (second, "worker-b"))
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        titles = hook.titles()
        assert len(titles) == 200 and sorted(titles) == sorted(f"m-{i}" for i in range(200))
        assert reports["worker-a"].sent + reports["worker-b"].sent == 200
        assert min(reports["worker-a"].sent, reports["worker-b"].sent) > 0  # both worked, at the same time
        assert {m.status for m in delivery_log(store, limit=500)} == {SENT}
    finally:
        second.engine.dispose()
        hook.close()


def test_a_test_message_is_sent_at_once_and_logged(store, smtp, hook):
    me = Actor("Ann", "risk", "email:ann@bank.example")
    sent = send_test_message(store, _channels(smtp, hook), me, "Ann@Bank.example", "credit")
    assert sent.status == SENT and len(smtp.bodies_to("ann@bank.example")) == 1
    assert "Ann sent this test message" in smtp.bodies_to("ann@bank.example")[0]
    team = send_test_message(store, _channels(smtp, hook), me, "team:credit", "credit")
    assert team.status == SENT and hook.titles() == ["Involve test message"]
    nowhere = send_test_message(store, Channels(), me, "team:fraud", "fraud")
    assert nowhere.status == QUEUED and "INVOLVE_NOTIFY_URLS_FRAUD" in nowhere.last_error


def test_channels_are_shown_without_their_secrets():
    channels = Channels(
        "mailtos://involve:s3cret-pw@smtp.bank.example?from=involve@bank.example",
        {"credit": ("slack://T1234/B5678/s3cretTokenXYZ", "json://hooks.example/x")},
    )
    shown = describe_channels(channels)
    assert [v.name for v in shown] == ["e-mail sender", "team:credit", "team:credit"]
    assert not any("s3cret" in v.url for v in shown)
    assert shown[0].url.startswith("mailtos://involve:****@smtp.bank.example")


def test_a_channel_that_raises_is_a_failed_attempt_not_a_stopped_worker(sqlite_store, hook, monkeypatch):
    def broken(self, **kwargs):
        raise RuntimeError("plugin bug")

    monkeypatch.setattr(apprise.Apprise, "notify", broken)
    add_messages(sqlite_store, _messages(1))
    assert deliver_due(sqlite_store, Channels(None, {"credit": (hook.url,)})) == DeliveryReport(retried=1)
    assert delivery_log(sqlite_store)[0].last_error == "the channel failed: RuntimeError"
