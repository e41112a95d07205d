"""The outbox: which change enqueues which message to whom, in the change's own transaction; the pure rules."""

from datetime import date, datetime, timedelta, timezone

import pytest

from feedback.access import Actor
from feedback.notifications import (
    DEAD,
    FEEDBACK_STATUS,
    LIFECYCLE_CHANGE,
    QUEUED,
    SENT,
    NotificationError,
    OutboxMessage,
    address_of,
    after_attempt,
    deep_link,
    make_subscription,
    retry_delay,
    shown_to,
)
from feedback.store import lifecycle as store_lifecycle
from feedback.store import triage as store_triage
from feedback.store.lifecycle import change_lifecycle, lifecycle_statuses
from feedback.store.notifications import add_messages, delivery_log, save_subscription, subscription_of
from feedback.store.records import add_feedback, list_feedback
from feedback.store.triage import triage_feedback
from tests.helpers import make_draft

KNOWN = ("v1", "v2", "v3")
DS = Actor("Dana Scientist", "data scientist", "https://login.bank.example|dana")
ANN_LOGIN = "email:ann@bank.example"


def _feedback(store, subject=ANN_LOGIN, **changes):
    return add_feedback(store, make_draft(iteration="v2", reviewer_subject=subject, **changes), KNOWN)


def _fix(store, entry, **options):
    triage_feedback(store, [entry.id], "accepted", DS)
    return triage_feedback(
        store, [entry.id], "fixed", DS, "Duration weighs less now.", fixed_in="v3", known_iterations=KNOWN, **options
    )


def _by_subject(store):
    return {m.subject: m for m in delivery_log(store)}


def test_fixed_feedback_tells_the_person_who_gave_it_with_a_link_to_the_case_on_the_fixing_iteration(store):
    entry = _feedback(store)
    _fix(store, entry)
    messages = delivery_log(store)
    assert [(m.recipient, m.event, m.status) for m in messages] == [("ann@bank.example", FEEDBACK_STATUS, QUEUED)] * 2
    fixed = messages[0]  # newest first
    assert fixed.subject == f"Your feedback #{entry.id} on A0012 was fixed in v3"
    assert fixed.body.startswith("Fixed in v3: the team marked what you said about A0012 as fixed in v3; open the link")
    assert "The team's note: Duration weighs less now." in fixed.body and "credit v2" in fixed.body
    assert fixed.link == "/Explore?use_case=credit&iteration=v3&case=A0012"
    assert messages[1].subject == f"Your feedback #{entry.id} on A0012 was accepted"
    assert messages[1].link == "/Explore?use_case=credit&iteration=v2&case=A0012"


def test_a_demo_name_hears_only_through_a_subscription_and_only_what_it_chose(store):
    entry = _feedback(store, subject=None, reviewer_name="Bo Demo")
    triage_feedback(store, [entry.id], "triaged", DS)
    assert delivery_log(store) == []  # no address known
    bo = Actor("Bo Demo", "business user")
    save_subscription(store, bo, "Bo@Example.com", ["credit"], [FEEDBACK_STATUS], ["credit", "fraud"])
    triage_feedback(store, [entry.id], "accepted", DS)
    assert [m.recipient for m in delivery_log(store)] == ["bo@example.com"]
    save_subscription(store, bo, "bo@example.com", ["fraud"], [FEEDBACK_STATUS], ["credit", "fraud"])
    triage_feedback(store, [entry.id], "rejected", DS, "Not a model problem.")
    assert len(delivery_log(store)) == 1  # credit is no longer among the use cases chosen
    assert subscription_of(store, "demo:bo demo").use_cases == ("fraud",)


def test_a_login_person_who_declines_feedback_news_gets_none(store):
    entry = _feedback(store)
    save_subscription(store, Actor("Ann", "risk", ANN_LOGIN), "ann@bank.example", [], [LIFECYCLE_CHANGE], KNOWN)
    _fix(store, entry)
    assert delivery_log(store) == []


def test_a_bulk_triage_sends_one_message_per_entry_to_each_giver(store):
    first, second = _feedback(store), _feedback(store, subject="email:cy@bank.example", case_id="A0099")
    triage_feedback(store, [first.id, second.id], "triaged", DS)
    assert sorted((m.recipient, m.link) for m in delivery_log(store)) == [
        ("ann@bank.example", "/Explore?use_case=credit&iteration=v2&case=A0012"),
        ("cy@bank.example", "/Explore?use_case=credit&iteration=v2&case=A0099"),
    ]


def _lifecycle(store, version, to_status, **details):
    return change_lifecycle(store, "credit", KNOWN, version, to_status, DS, "beats v2", required_signoffs=(), **details)


def test_each_lifecycle_change_goes_to_the_use_cases_team_channel(store):
    _lifecycle(store, "v2", "live", migration_note="Fewer declines for short loans.")
    soon = date.today() + timedelta(days=30)
    _lifecycle(store, "v3", "live", migration_note="Savings count.", demote_current=True, sunset_date=soon)
    _lifecycle(store, "v2", "retired")
    messages = list(reversed(delivery_log(store)))
    assert [(m.recipient, m.event) for m in messages] == [("team:credit", LIFECYCLE_CHANGE)] * 4
    assert [m.subject for m in messages] == [
        "credit v2 is now live",
        "credit v2 will be retired",
        "credit v3 is now live",
        "credit v2 is retired",
    ]
    assert "What changes for you: Fewer declines for short loans." in messages[0].body
    assert f"on {soon.isoformat()}, replaced by v3." in messages[1].body
    assert messages[2].link == "/Iterations?use_case=credit&iteration=v3"


def test_a_triage_that_fails_after_the_outbox_insert_commits_neither(store, monkeypatch):
    entry = _feedback(store)
    real = store_triage.enqueue

    def enqueue_then_fail(conn, messages, now=None):
        assert real(conn, messages, now)  # the outbox row is written in this transaction
        raise RuntimeError("the change fails after the outbox insert")

    monkeypatch.setattr(store_triage, "enqueue", enqueue_then_fail)
    with pytest.raises(RuntimeError, match="after the outbox insert"):
        triage_feedback(store, [entry.id], "triaged", DS)
    assert delivery_log(store) == []
    assert list_feedback(store, "credit")[0].triage_status == "new"


def test_a_lifecycle_change_that_fails_after_the_outbox_insert_commits_neither(store, monkeypatch):
    real = store_lifecycle.enqueue

    def enqueue_then_fail(conn, messages, now=None):
        assert real(conn, messages, now)
        raise RuntimeError("the change fails after the outbox insert")

    monkeypatch.setattr(store_lifecycle, "enqueue", enqueue_then_fail)
    with pytest.raises(RuntimeError):
        _lifecycle(store, "v2", "live", migration_note="x")
    assert delivery_log(store) == []
    assert lifecycle_statuses(store, "credit", KNOWN)["v2"] == "candidate"


def test_the_same_idempotency_key_is_queued_once(store):
    message = OutboxMessage("k-1", "test message", "credit", "a@b.example", "Hi", "Body", "/Notices?use_case=credit")
    assert len(add_messages(store, [message, message])) == 1
    assert add_messages(store, [message]) == []
    assert len(delivery_log(store)) == 1


def test_deep_links_carry_the_query_keys_the_pickers_read():
    assert deep_link("Explore", "credit", "v3", "A 12&x") == "/Explore?use_case=credit&iteration=v3&case=A+12%26x"
    assert deep_link("Iterations", "fraud") == "/Iterations?use_case=fraud"


def test_retries_double_up_to_an_hour_and_the_last_attempt_is_dead():
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4, 10)] == [30, 60, 120, 240, 3600]
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    assert after_attempt(1, False, 5, now) == (QUEUED, now + timedelta(seconds=30))
    assert after_attempt(5, False, 5, now) == (DEAD, None)
    assert after_attempt(5, True, 5, now) == (SENT, None)


def test_where_a_person_hears():
    sub = make_subscription("demo:bo", "bo@example.com", [], [FEEDBACK_STATUS], ["credit"])
    assert address_of("demo:bo", sub, "credit", FEEDBACK_STATUS) == "bo@example.com"
    assert address_of("demo:bo", sub, "credit", LIFECYCLE_CHANGE) is None
    assert address_of("email:ann@bank.example", None, "credit", FEEDBACK_STATUS) == "ann@bank.example"
    assert address_of("https://issuer|123", None, "credit", FEEDBACK_STATUS) is None
    assert address_of(None, None, "credit", FEEDBACK_STATUS) is None


@pytest.mark.parametrize(
    "address, use_cases, events, message",
    [
        ("not an address", [], [FEEDBACK_STATUS], "is not an e-mail address"),
        ("a@b.example", ["loans"], [FEEDBACK_STATUS], "Unknown use cases: loans"),
        ("a@b.example", [], ["everything"], "Unknown events: everything"),
        ("", [], [FEEDBACK_STATUS], "E-mail address"),
    ],
)
def test_a_bad_subscription_is_refused_with_a_clear_message(address, use_cases, events, message):
    with pytest.raises(NotificationError, match=message):
        make_subscription("demo:x", address, use_cases, events, ["credit"])


def test_the_delivery_log_shows_a_person_their_own_and_the_teams_and_an_admin_everything():
    def message(recipient, status=QUEUED):
        return OutboxMessage("k", FEEDBACK_STATUS, "credit", recipient, "s", "b", "/Explore", status=status)

    mine, theirs, team = message("ann@bank.example"), message("cy@bank.example"), message("team:credit")
    dead = message("ann@bank.example", DEAD)
    assert [shown_to(m, "risk", {"ann@bank.example"}) for m in (mine, theirs, team, dead)] == [True, False, True, False]
    assert all(shown_to(m, "admin", set()) for m in (mine, theirs, team, dead))
