"""A lifecycle change writes one fan-out row in its own transaction; the worker expands it into one message
per person who wants it, once however many workers expand at the same time (SQLite and PostgreSQL)."""

import pytest
from sqlalchemy import select, update

from feedback.access import Actor
from feedback.notifications import EXPANDED, FANOUT, LIFECYCLE_CHANGE, QUEUED, SENT, Channels
from feedback.store import lifecycle as store_lifecycle
from feedback.store.lifecycle import change_lifecycle, lifecycle_statuses
from feedback.store.notifications import delivery_log, save_subscription
from feedback.store.notify_events import expand_fanouts
from feedback.store.records import add_feedback
from feedback.store.schema import OUTBOX
from tests.helpers import deliver_with_two_workers, make_draft

KNOWN = ("v1", "v2", "v3")
DS = Actor("Dana Scientist", "data scientist", "https://login.bank.example|dana")
GIVERS = [f"p{i}@bank.example" for i in range(6)]


def _rows(store):
    with store.transaction() as conn:
        return list(conn.execute(select(OUTBOX.c.status, OUTBOX.c.recipient, OUTBOX.c.idempotency_key)))


def _go_live(store):
    [event] = change_lifecycle(
        store, "credit", KNOWN, "v2", "live", DS, "beats v1", required_signoffs=(), migration_note="Fewer declines."
    )
    return event


def _givers(store, addresses=GIVERS):
    for address in addresses:
        add_feedback(store, make_draft(iteration="v1", reviewer_subject=f"email:{address}"), KNOWN)


def test_a_lifecycle_change_writes_one_fanout_row_and_the_worker_queues_one_message_per_person(store):
    _givers(store)
    bo = Actor("Bo", "business user", f"email:{GIVERS[0]}")
    save_subscription(store, bo, GIVERS[0], [], ["feedback status"], ["credit"])  # Bo declines lifecycle news
    event = _go_live(store)
    assert sorted(_rows(store)) == [
        (FANOUT, "people:credit", f"lifecycle:{event.id}:people:credit"),
        (QUEUED, "team:credit", f"lifecycle:{event.id}:team:credit"),
    ]
    assert [m.recipient for m in delivery_log(store)] == ["team:credit"]  # the fan-out row is not a message
    assert expand_fanouts(store) == 1
    people = [m for m in delivery_log(store) if not m.recipient.startswith("team:")]
    assert sorted(m.recipient for m in people) == GIVERS[1:]
    assert {m.idempotency_key for m in people} == {f"lifecycle:{event.id}:{a}" for a in GIVERS[1:]}
    assert {(m.subject, m.event, m.link) for m in people} == {
        ("credit v2 is now live", LIFECYCLE_CHANGE, "/Iterations?use_case=credit&iteration=v2")
    }
    assert all("What changes for you: Fewer declines." in m.body for m in people)
    assert expand_fanouts(store) == 0 and len(delivery_log(store)) == 6
    assert (EXPANDED, "people:credit", f"lifecycle:{event.id}:people:credit") in _rows(store)


def test_expanding_a_row_again_queues_nothing_new(store):
    _givers(store)
    _go_live(store)
    assert expand_fanouts(store) == 1
    with store.transaction(write=True) as conn:  # as if a worker's mark were lost: the row is a fan-out again
        conn.execute(update(OUTBOX).where(OUTBOX.c.status == EXPANDED).values(status=FANOUT))
    assert expand_fanouts(store) == 1
    assert len(delivery_log(store)) == 1 + len(GIVERS)  # the messages' idempotency keys: each once


def test_a_lifecycle_change_that_fails_after_the_fanout_insert_commits_neither(store, monkeypatch):
    _givers(store)
    real = store_lifecycle.queue_fanout

    def queue_then_fail(conn, template, key, now=None):
        assert real(conn, template, key, now)  # the fan-out row is written in this transaction
        raise RuntimeError("the change fails after the fan-out insert")

    monkeypatch.setattr(store_lifecycle, "queue_fanout", queue_then_fail)
    with pytest.raises(RuntimeError, match="after the fan-out insert"):
        _go_live(store)
    assert _rows(store) == []
    assert lifecycle_statuses(store, "credit", KNOWN)["v2"] == "candidate"


def test_two_workers_expand_and_deliver_a_change_to_each_person_exactly_once(store, smtp):
    _givers(store, [f"q{i}@bank.example" for i in range(40)])
    _go_live(store)
    channels = Channels(smtp.url, {}, "http://involve.bank.example:8501")
    reports = deliver_with_two_workers(store, channels, batch=5)
    to = sorted(m["X-Envelope-To"] for m in smtp.messages)
    assert to == sorted(f"q{i}@bank.example" for i in range(40))  # each person once; the team has no URL
    assert reports["a"].sent + reports["b"].sent == 40
    assert sorted(s for s, *_ in _rows(store)) == [EXPANDED, QUEUED] + [SENT] * 40
