"""The other events (sign-off requested / given / withdrawn, outage and its end, team notice, monitoring alert,
round assignment): each queued once, in the change's transaction, to exactly the expected recipients by
their role's defaults until they choose; delivered through a real SMTP server and webhook on 127.0.0.1."""

from datetime import date

import pytest

from feedback.access import Actor
from feedback.announcements import NOTICE, Announcement, monitoring_alert
from feedback.notifications import (
    DAILY,
    EVERY_TEAM,
    LIFECYCLE_CHANGE,
    MONITORING_ALERT,
    OUTAGE,
    REVIEW_ASSIGNMENT,
    ROLE_DEFAULTS,
    SIGNOFF_CHANGE,
    SIGNOFF_REQUEST,
    TEAM_NOTICE,
    Channels,
    NotificationError,
    default_subscription,
    wanted_by,
)
from feedback.rounds import Reviewer, RoundCase, Verdict
from feedback.signoff import ScorecardLine, Snapshot
from feedback.store import signoff as store_signoff
from feedback.store.announcements import post_notice, record_alerts, record_health
from feedback.store.delivery import deliver_due
from feedback.store.lifecycle import change_lifecycle
from feedback.store.notifications import delivery_log, save_subscription
from feedback.store.notify_events import expand_fanouts
from feedback.store.records import add_feedback
from feedback.store.rounds import close_round, create_round, queue_round_reminders, save_own_decision, save_verdict
from feedback.store.signoff import request_signoffs, sign_off, withdraw_signoff
from tests.helpers import make_draft
from tests.notify_receivers import SmtpReceiver, WebhookReceiver
from tests.unit.feedback.test_rounds import make_round

KNOWN = ("v1", "v2", "v3")
REQUIRED = ("risk", "compliance")
CORA = Actor("Cora Compliance", "compliance", "email:cora@bank.example")
RITA = Actor("Rita Risk", "risk", "email:rita@bank.example")
BO = Actor("Bo Business", "business user", "email:bo@bank.example")
DANA = Actor("Dana Scientist", "data scientist", "email:dana@bank.example")
SNAPSHOT = Snapshot(0.4, (ScorecardLine("Recall >= 0.5", "Risk", 0.6, True),))


def _known(store, *people, use_case="fraud"):
    """Make people known to the store as they become known in the app: each gives feedback (on fraud)."""
    for person in people:
        draft = make_draft(use_case=use_case, reviewer_name=person.name, reviewer_role=person.role)
        add_feedback(store, make_draft(**draft.__dict__ | {"reviewer_subject": person.subject}), KNOWN)


def _expanded_log(store):
    """The delivery log once the worker has expanded the changes' fan-out rows (a notice's people, a request's)."""
    while expand_fanouts(store):
        pass
    return delivery_log(store, limit=500)


def _to(store, event):
    return sorted(m.recipient for m in _expanded_log(store) if m.event == event)


def test_role_defaults_until_a_person_chooses():
    assert default_subscription("email:cora@bank.example", "compliance").address == "cora@bank.example"
    assert SIGNOFF_REQUEST in ROLE_DEFAULTS["compliance"] and SIGNOFF_REQUEST not in ROLE_DEFAULTS["business user"]
    assert MONITORING_ALERT in ROLE_DEFAULTS["data scientist"] and OUTAGE in ROLE_DEFAULTS["admin"]
    assert all(LIFECYCLE_CHANGE not in ROLE_DEFAULTS[r] for r in ("business user", "risk", "data scientist"))
    # everyone hears of the lifecycle of a use case they gave feedback on, and only of that one
    assert wanted_by(None, "email:bo@x.example", "business user", "credit", LIFECYCLE_CHANGE, {"credit"}) == (
        "bo@x.example",
        "immediate",
    )
    assert wanted_by(None, "email:bo@x.example", "business user", "fraud", LIFECYCLE_CHANGE, {"credit"}) is None
    assert wanted_by(None, "demo:bo", "compliance", "credit", SIGNOFF_REQUEST, ()) is None  # no address known


def test_a_signoff_request_reaches_the_people_of_the_missing_roles_only(store):
    _known(store, CORA, RITA, BO, DANA)
    queued = request_signoffs(store, "credit", "v3", DANA, "Please look at the age bands.", required_signoffs=REQUIRED)
    assert sorted(m.recipient for m in queued) == ["cora@bank.example", "rita@bank.example"]
    assert queued[0].subject == "Your sign-off is needed on credit v3"
    assert "Dana Scientist asks for the sign-off of risk, compliance on credit v3" in queued[0].body
    assert "Please look at the age bands." in queued[0].body
    assert queued[0].link == "/Sign_off?use_case=credit&iteration=v3"
    sign_off(store, "credit", KNOWN, "v3", RITA, "ok", SNAPSHOT, required_signoffs=REQUIRED)
    again = request_signoffs(store, "credit", "v3", DANA, required_signoffs=REQUIRED)
    assert [m.recipient for m in again] == ["cora@bank.example"]
    assert "the sign-off of compliance on credit v3" in again[0].body
    sign_off(store, "credit", KNOWN, "v3", CORA, "ok", SNAPSHOT, required_signoffs=REQUIRED)
    with pytest.raises(NotificationError, match="Every required role has signed off"):
        request_signoffs(store, "credit", "v3", DANA, required_signoffs=REQUIRED)


def test_a_signoff_given_and_withdrawn_reaches_the_team_and_compliance_by_default(store):
    _known(store, CORA, RITA, BO)
    given = sign_off(store, "credit", KNOWN, "v3", RITA, "recall is fine", SNAPSHOT, required_signoffs=REQUIRED)
    assert _to(store, SIGNOFF_CHANGE) == ["cora@bank.example", "team:credit"]
    withdraw_signoff(store, "credit", "v3", given.id, RITA, "a data error")
    log = [m for m in delivery_log(store) if m.event == SIGNOFF_CHANGE]
    assert [m.subject for m in log] == ["Sign-off on credit v3 withdrawn"] * 2 + ["credit v3 signed off by risk"] * 2
    assert "Why: a data error" in log[0].body


def test_a_person_edits_the_defaults_and_their_choice_holds_under_another_name(store):
    _known(store, CORA)
    save_subscription(store, CORA, "cora.private@bank.example", ["credit"], [TEAM_NOTICE], ["credit", "fraud"], DAILY)
    renamed = Actor("Cora C. (new name)", "compliance", CORA.subject)
    assert request_signoffs(store, "credit", "v3", renamed, required_signoffs=REQUIRED) == []  # she chose otherwise
    post_notice(store, Announcement(NOTICE, "Freeze", "No release this week.", "", "", "credit"), DANA)
    [held] = [m for m in _expanded_log(store) if m.recipient == "cora.private@bank.example"]
    assert (held.event, held.status, held.cadence) == (TEAM_NOTICE, "held", DAILY)  # waits for her digest


def test_an_outage_and_its_end_reach_every_team_and_the_people_on_call_once(store):
    _known(store, BO, DANA)
    save_subscription(
        store, Actor("Ada Admin", "admin", "email:ada@bank.example"), "ada@bank.example", [], [OUTAGE], []
    )
    record_health(store, [("database", "no answer")])
    record_health(store, [("database", "no answer")])  # still down: nothing new
    record_health(store, [])
    outage = [m for m in _expanded_log(store) if m.event == OUTAGE]
    assert sorted(m.recipient for m in outage) == sorted(["ada@bank.example", "dana@bank.example", EVERY_TEAM] * 2)
    assert [m.subject for m in outage[::3]] == ["Service restored", "Degraded service"]
    assert "database: no answer" in outage[-1].body


def test_a_notice_and_a_monitoring_alert_are_queued_once_each(store):
    _known(store, BO, DANA)
    post_notice(store, Announcement(NOTICE, "Maintenance", "Down on Sunday.", "", "", None), DANA)
    assert _to(store, TEAM_NOTICE) == [EVERY_TEAM]  # nobody's default; every team channel
    alert = monitoring_alert("fraud", "v1", "Drift in 2025-07: Channel", "PSI 0.31 past the act band 0.25.")
    record_alerts(store, [alert])
    record_alerts(store, [alert])
    [dana, team] = sorted((m for m in _expanded_log(store) if m.event == MONITORING_ALERT), key=lambda m: m.recipient)
    assert (team.recipient, dana.recipient) == ("team:fraud", "dana@bank.example")
    assert team.subject == "fraud: Drift in 2025-07: Channel" and team.link == "/Monitoring?use_case=fraud&iteration=v1"


def test_a_round_tells_each_reviewer_how_many_cases_are_theirs(store):
    reviewers = (Reviewer(RITA.subject, RITA.name, "risk"), Reviewer(BO.subject, BO.name, "business user"))
    cases = [RoundCase(0, f"C{i}", "random", "why") for i in range(6)]
    draft = make_round(reviewers=reviewers, cases_per_reviewer=4)
    round_, assignment = create_round(store, draft, cases, DANA, known_iterations={"v2", "v3"}, today=date(2026, 12, 2))
    log = {m.recipient: m for m in delivery_log(store) if m.event == REVIEW_ASSIGNMENT}
    assert set(log) == {"rita@bank.example", "bo@bank.example"}
    n = len(assignment.by_reviewer[RITA.subject])
    assert log["rita@bank.example"].subject == f"{n} case(s) for you to review in {round_.name!r}"
    assert log["rita@bank.example"].link == f"/Reviews?use_case={round_.use_case}&iteration={round_.iteration}"


def test_a_signoff_that_fails_after_its_message_commits_neither(store, monkeypatch):
    _known(store, CORA)

    def broken(conn, record):
        store_signoff.queue_for_team(conn, record.use_case, lambda to: store_signoff.signoff_change_message(record, to))
        raise RuntimeError("disk full")

    monkeypatch.setattr(store_signoff, "_queue_change", broken)
    with pytest.raises(RuntimeError):
        sign_off(store, "credit", KNOWN, "v3", RITA, "ok", SNAPSHOT, required_signoffs=REQUIRED)
    assert delivery_log(store) == [] and store_signoff.list_signoffs(store, "credit") == []


def test_every_event_arrives_once_on_the_real_receivers(store):
    smtp, hook = SmtpReceiver(), WebhookReceiver()
    smtp.start()
    try:
        _known(store, CORA, RITA, DANA, use_case="credit")
        request_signoffs(store, "credit", "v3", DANA, required_signoffs=REQUIRED)
        for person in (RITA, CORA):
            sign_off(store, "credit", KNOWN, "v3", person, "ok", SNAPSHOT, required_signoffs=REQUIRED)
        change_lifecycle(
            store,
            "credit",
            KNOWN,
            "v3",
            "live",
            DANA,
            "goals met",
            required_signoffs=REQUIRED,
            migration_note="Fewer declines.",
        )
        record_health(store, [("model server", "timeout")])
        channels = Channels(smtp.url, {"credit": (hook.url,)}, "http://involve.example", 5)
        report = deliver_due(store, channels)
        assert deliver_due(store, channels).sent == 0  # a second run sends nothing
        subjects = sorted((m["X-Envelope-To"], m["Subject"]) for m in smtp.messages)
        assert subjects == sorted(
            [
                ("cora@bank.example", "Your sign-off is needed on credit v3"),
                ("rita@bank.example", "Your sign-off is needed on credit v3"),
                ("cora@bank.example", "credit v3 signed off by risk"),
                ("cora@bank.example", "credit v3 signed off by compliance"),
                ("cora@bank.example", "credit v3 is now live"),  # compliance's default, and she gave feedback
                ("rita@bank.example", "credit v3 is now live"),  # she gave feedback on credit
                ("dana@bank.example", "credit v3 is now live"),
                ("dana@bank.example", "Degraded service"),  # a data scientist's default
            ]
        )
        assert sorted(hook.titles()) == sorted(
            ["credit v3 signed off by risk", "credit v3 signed off by compliance", "credit v3 is now live"]
            + ["Degraded service"]  # team:* is every team's channels: credit's here
        )
        assert report.sent == len(smtp.messages) + len(hook.posts) == 12
        link = "http://involve.example/Sign_off?use_case=credit&iteration=v3"
        assert link in smtp.bodies_to("rita@bank.example")[0]
    finally:
        smtp.stop()
        hook.close()


def test_a_round_reminds_the_reviewers_with_cases_left_once_then_tells_them_its_results(store):
    reviewers = (Reviewer(RITA.subject, RITA.name, "risk"), Reviewer(BO.subject, BO.name, "business user"))
    cases = [RoundCase(0, f"C{i}", "random", "why") for i in range(4)]
    due = date(2026, 12, 10)
    draft = make_round(reviewers=reviewers, cases_per_reviewer=2, overlap=1, due_date=due)
    round_, assignment = create_round(store, draft, cases, DANA, known_iterations={"v2", "v3"}, today=date(2026, 12, 2))
    for case in assignment.by_reviewer[BO.subject]:  # Bo answers all of his
        save_own_decision(store, round_.id, case, BO, "approve", 3, decisions=("approve", "decline"))
        save_verdict(store, round_.id, case, BO, Verdict("agree"))
    assert queue_round_reminders(store, date(2026, 12, 8)) == []  # not due tomorrow yet
    [reminder] = queue_round_reminders(store, date(2026, 12, 9))
    assert reminder.recipient == "rita@bank.example"
    assert reminder.subject == f"Reminder: 2 case(s) left in {round_.name!r}, due 2026-12-10"
    assert queue_round_reminders(store, date(2026, 12, 10)) == []  # once per round and reviewer
    close_round(store, round_.id, DANA)
    results = sorted(m.recipient for m in delivery_log(store) if m.subject.startswith("The results of"))
    assert results == ["bo@bank.example", "rita@bank.example"]
    assert queue_round_reminders(store, date(2026, 12, 9)) == []  # a closed round reminds nobody
