"""Each message carries its idempotency key to the receiver (a JSON webhook's field and header, an e-mail's
Message-ID), the same on every attempt; a worker that dies after sending and before recording leaves the
message claimed until its lease runs out, and the retry then carries the same key (real local receivers)."""

from datetime import datetime, timedelta, timezone

from feedback.delivery import EMAIL_KEY_HEADER, KEY_FIELD, KEY_HEADER, message_id_of, send_message
from feedback.notifications import SENDING, SENT, Channels, OutboxMessage
from feedback.store.delivery import DeliveryReport, deliver_due
from feedback.store.notifications import LEASE, add_messages, attempts_of, claim_due, delivery_log

APP = "http://involve.bank.example:8501"


def _message(key, recipient):
    return OutboxMessage(key, "test message", "credit", recipient, f"about {key}", "body", "/Notices")


def test_the_webhook_and_the_email_carry_the_key(store, smtp, hook):
    add_messages(store, [_message("k-team", "team:credit"), _message("k-ann", "ann@bank.example")])
    assert deliver_due(store, Channels(smtp.url, {"credit": (hook.url,)}, APP)) == DeliveryReport(sent=2)
    assert [post[KEY_FIELD] for post in hook.posts] == ["k-team"]
    assert [headers[KEY_HEADER] for headers in hook.headers] == ["k-team"]
    [mail] = smtp.messages
    assert mail["Message-ID"] == message_id_of("k-ann", APP) and mail.get_all("Message-ID") == [mail["Message-ID"]]
    assert mail["Message-ID"].endswith("@involve.bank.example>") and mail[EMAIL_KEY_HEADER] == "k-ann"
    assert message_id_of("k-ann", APP) != message_id_of("k-bo", APP)


def test_a_worker_dying_after_send_before_record_is_retried_after_its_lease_with_the_same_key(store, smtp, hook):
    channels = Channels(smtp.url, {"credit": (hook.url,)}, APP)
    add_messages(store, [_message("k-team", "team:credit"), _message("k-ann", "ann@bank.example")])
    now = datetime.now(timezone.utc)
    claimed = claim_due(store, now, 10)
    for message in claimed:  # the first worker sends both, then dies before recording either attempt
        assert send_message(channels, message)[0]
    assert {m.status for m in delivery_log(store)} == {SENDING}
    assert deliver_due(store, channels, "second", now=now + LEASE - timedelta(seconds=1)) == DeliveryReport()
    assert len(hook.posts) == len(smtp.messages) == 1  # within the lease nobody sends it again
    assert deliver_due(store, channels, "second", now=now + LEASE + timedelta(seconds=1)) == DeliveryReport(sent=2)
    assert [post[KEY_FIELD] for post in hook.posts] == ["k-team", "k-team"]  # twice, under one key
    assert [h[KEY_HEADER] for h in hook.headers] == ["k-team", "k-team"]
    ids = [m["Message-ID"] for m in smtp.messages]
    assert ids == [message_id_of("k-ann", APP)] * 2  # a mail client shows one message, not two
    assert len({post[KEY_FIELD] for post in hook.posts}) == 1  # what a receiver that dedupes on the key keeps
    assert {m.status for m in delivery_log(store)} == {SENT}
    assert [(a.attempt, a.worker) for m in claimed for a in attempts_of(store, m.id)] == [(1, "second")] * 2
