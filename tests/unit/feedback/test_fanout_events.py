"""Announcements (a notice, an outage, a monitoring alert) and sign-off requests write one fan-out row in the
change's transaction, as a lifecycle change does; the worker expands it into exactly the messages the change
used to queue inline: the same recipients, keys and text (SQLite and PostgreSQL)."""

import pytest
from sqlalchemy import select

from feedback.access import Actor
from feedback.announcements import NOTICE, Announcement
from feedback.notifications import DAILY, EVERY_TEAM, EXPANDED, FANOUT, HELD, OUTAGE, QUEUED, TEAM_NOTICE, Channels
from feedback.notify_events import announcement_message, signoff_request_message
from feedback.store import announcements as store_announcements
from feedback.store.announcements import list_announcements, post_notice, record_health
from feedback.store.notifications import delivery_log, save_subscription
from feedback.store.notify_events import expand_fanouts
from feedback.store.records import add_feedback
from feedback.store.schema import OUTBOX
from feedback.store.signoff import request_signoffs
from tests.helpers import deliver_with_two_workers, make_draft

KNOWN = ("v1", "v2", "v3")
CORA = Actor("Cora Compliance", "compliance", "email:cora@bank.example")
RITA = Actor("Rita Risk", "risk", "email:rita@bank.example")
BO = Actor("Bo Business", "business user", "email:bo@bank.example")
DANA = Actor("Dana Scientist", "data scientist", "email:dana@bank.example")
ADA = Actor("Ada Admin", "admin", "email:ada@bank.example")


def _known(store, *people):
    for person in people:
        draft = make_draft(use_case="credit", reviewer_name=person.name, reviewer_role=person.role)
        add_feedback(store, make_draft(**draft.__dict__ | {"reviewer_subject": person.subject}), KNOWN)


def _rows(store):
    with store.transaction() as conn:
        return sorted(conn.execute(select(OUTBOX.c.status, OUTBOX.c.recipient, OUTBOX.c.idempotency_key)))


def _people(store):
    """The messages to people (not to team channels), by recipient."""
    return {m.recipient: m for m in delivery_log(store, limit=500) if "@" in m.recipient}


def _fields(message):
    return (message.idempotency_key, message.event, message.use_case, message.subject, message.body, message.link)


def test_a_notice_writes_one_fanout_row_that_expands_to_exactly_the_people_who_want_it(store):
    _known(store, CORA, RITA, BO, DANA)
    save_subscription(store, BO, "bo@bank.example", ["credit"], [TEAM_NOTICE], ["credit", "fraud"])
    save_subscription(store, RITA, "rita@bank.example", [], [TEAM_NOTICE], ["credit", "fraud"], DAILY)
    save_subscription(store, CORA, "cora@bank.example", ["fraud"], [TEAM_NOTICE], ["credit", "fraud"])  # not credit
    notice = post_notice(store, Announcement(NOTICE, "Freeze", "No release this week.", "", "", "credit"), DANA)
    key = f"announcement:{notice.id}"
    assert _rows(store) == [
        (FANOUT, "people:credit", f"{key}:people:credit"),
        (QUEUED, "team:credit", f"{key}:team:credit"),
    ]
    assert _people(store) == {}  # nobody's message is written in the notice's transaction
    assert expand_fanouts(store) == 1 and expand_fanouts(store) == 0
    people = _people(store)
    assert sorted(people) == ["bo@bank.example", "rita@bank.example"]  # Dana's defaults have no notices
    for address, message in people.items():
        assert _fields(message) == _fields(announcement_message(notice, TEAM_NOTICE, address))
    assert (people["bo@bank.example"].status, people["rita@bank.example"].status) == (QUEUED, HELD)
    assert (EXPANDED, "people:credit", f"{key}:people:credit") in _rows(store)


def test_an_outage_for_everyone_expands_to_the_people_on_call_by_their_defaults(store):
    _known(store, CORA, BO, DANA)
    save_subscription(store, ADA, "ada@bank.example", [], [OUTAGE], [])
    outage = record_health(store, [("database", "no answer")])
    assert [r[:2] for r in _rows(store)] == [(FANOUT, "people:"), (QUEUED, EVERY_TEAM)]
    expand_fanouts(store)
    people = _people(store)
    assert sorted(people) == ["ada@bank.example", "dana@bank.example"]
    assert _fields(people["dana@bank.example"]) == _fields(announcement_message(outage, OUTAGE, "dana@bank.example"))


def test_a_signoff_request_writes_one_fanout_row_for_the_missing_roles_that_expands_to_their_people(store):
    _known(store, CORA, RITA, BO, DANA)  # Dana's defaults want sign-off requests, but she is of no missing role
    note = "Look at the age bands."
    told = request_signoffs(store, "credit", "v3", DANA, note, required_signoffs=("risk", "compliance"))
    [(status, audience, key)] = _rows(store)
    assert (status, audience) == (FANOUT, "people:credit|roles=compliance,risk")
    assert _people(store) == {}
    expand_fanouts(store)
    people = _people(store)
    assert sorted(people) == sorted(m.recipient for m in told) == ["cora@bank.example", "rita@bank.example"]
    for message in told:  # what the request said it would queue is what the worker queued
        assert _fields(people[message.recipient]) == _fields(message)
    expected = signoff_request_message(
        "credit", "v3", ["risk", "compliance"], "cora@bank.example", DANA.name, note, "x"
    )
    assert _fields(people["cora@bank.example"])[1:] == _fields(expected)[1:]
    assert key == people["cora@bank.example"].idempotency_key.replace(
        "cora@bank.example", "people:credit|roles=compliance,risk"
    )


def test_a_notice_that_fails_after_its_fanout_insert_commits_neither(store, monkeypatch):
    _known(store, BO)
    real = store_announcements.queue_fanout

    def queue_then_fail(conn, template, key, now=None, roles=None):
        assert real(conn, template, key, now, roles)
        raise RuntimeError("the notice fails after the fan-out insert")

    monkeypatch.setattr(store_announcements, "queue_fanout", queue_then_fail)
    with pytest.raises(RuntimeError, match="after the fan-out insert"):
        post_notice(store, Announcement(NOTICE, "Freeze", "No release.", "", "", "credit"), DANA)
    assert _rows(store) == [] and list_announcements(store) == []


def test_two_workers_deliver_a_signoff_request_to_each_person_of_the_role_exactly_once(store, smtp):
    many = [Actor(f"Officer {i}", "compliance", f"email:c{i}@bank.example") for i in range(30)]
    _known(store, *many, BO)
    request_signoffs(store, "credit", "v3", DANA, required_signoffs=("compliance",))
    channels = Channels(smtp.url, {}, "http://involve.bank.example:8501")
    reports = deliver_with_two_workers(store, channels, batch=4)
    assert sorted(m["X-Envelope-To"] for m in smtp.messages) == sorted(f"c{i}@bank.example" for i in range(30))
    assert {m["Subject"] for m in smtp.messages} == {"Your sign-off is needed on credit v3"}
    assert reports["a"].sent + reports["b"].sent == 30
