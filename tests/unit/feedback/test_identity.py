"""Identity is a stable subject, not a display name: login subjects, demo identities, and the checks
that compare people (sign-off and withdrawal, triage, criteria, dismissals, "changed by … meanwhile")."""

import json
import sqlite3

import pytest

from feedback.access import AccessError, Actor, check_actor, demo_subject, login_subject, parse_role_mapping, role_for
from feedback.announcements import NOTICE, Announcement, person_key
from feedback.goals import GoalError
from feedback.signoff import ScorecardLine, SignoffError, Snapshot
from feedback.store.announcements import dismiss, dismissed_items, list_announcements, post_notice
from feedback.store.database import FeedbackStore
from feedback.store.exchange import export_jsonl, import_jsonl, read_import
from feedback.store.goals import criteria_history, remove_criterion, save_criterion
from feedback.store.records import add_feedback, list_feedback
from feedback.store.schema import LATEST_VERSION, MIGRATIONS
from feedback.store.signoff import current_signoffs_of, sign_off, withdraw_signoff
from feedback.store.triage import triage_feedback, triage_history
from tests.helpers import BUILTIN_VERSIONS, CRITERION_SPECS, make_criterion, make_draft

ISSUER = "http://127.0.0.1:9000"
ALICE = Actor("Alice Smith", "risk", f"{ISSUER}|alice")
NAMESAKE = Actor("Alice Smith", "risk", f"{ISSUER}|alice-2")  # another signed-in person with the same name
LOGIN_ADMIN = Actor("Ada Admin", "admin", f"{ISSUER}|ada")
LOGIN_DS = Actor("Dan Scientist", "data scientist", f"{ISSUER}|dan")
PASSING = Snapshot(0.4, (ScorecardLine("Recall ≥ 0.5", "Risk team", 0.61, True),))
KNOWN = {"credit": BUILTIN_VERSIONS}


def _sign(store, actor, role_version="v3"):
    return sign_off(
        store,
        "credit",
        BUILTIN_VERSIONS,
        role_version,
        actor,
        "Checked.",
        PASSING,
        required_signoffs=("risk", "compliance"),
    )


def test_a_demo_name_gets_a_demo_identity_and_a_login_its_issuer_and_subject():
    assert check_actor(Actor("  Alice   SMITH ", "risk"), "sign off").subject == "demo:alice smith"
    assert demo_subject("Alice\tSmith") == "demo:alice smith"
    assert check_actor(ALICE, "sign off").subject == f"{ISSUER}|alice"
    assert login_subject({"iss": ISSUER, "sub": "u1", "email": "x@y"}) == f"{ISSUER}|u1"
    assert login_subject({"email": "X@Bank.example", "email_verified": True}) == "email:x@bank.example"
    with pytest.raises(AccessError, match="neither a subject"):
        login_subject({"email": "x@bank.example", "email_verified": False})


def test_an_unverified_email_gets_no_mapped_role_and_says_why():
    mapping = parse_role_mapping('{"rita@bank.example": "risk"}')
    assert role_for("Rita@bank.example", mapping, email_verified=True) == (
        "risk",
        "mapped from your verified e-mail Rita@bank.example",
    )
    role, reason = role_for("rita@bank.example", mapping, email_verified=False)
    assert role == "business user" and "has not verified rita@bank.example" in reason and "(risk)" in reason
    assert role_for("bo@bank.example", mapping, True) == ("business user", "your e-mail is not in the role mapping")


def test_a_login_signoff_cannot_be_withdrawn_by_a_demo_name_or_a_namesake(store):
    signed = _sign(store, ALICE)
    assert signed.signer_subject == f"{ISSUER}|alice"
    for demo in (Actor("alice smith", "risk"), Actor("Alice Smith", "admin")):  # demo mode: any name, any role
        with pytest.raises(AccessError, match="signed-in person"):
            withdraw_signoff(store, "credit", "v3", signed.id, demo, "not mine to withdraw")
    with pytest.raises(SignoffError, match="Only Alice Smith"):
        withdraw_signoff(store, "credit", "v3", signed.id, NAMESAKE, "same name, other person")
    assert [s.id for s in current_signoffs_of(store, "credit", "v3")] == [signed.id]
    withdrawal = withdraw_signoff(store, "credit", "v3", signed.id, ALICE, "I withdraw it")
    assert withdrawal.signer_subject == ALICE.subject
    assert current_signoffs_of(store, "credit", "v3") == []


def test_one_person_per_role_is_judged_by_subject_not_by_name(store):
    _sign(store, ALICE)
    with pytest.raises(SignoffError, match="different person"):  # the same subject under another name
        _sign(store, Actor("A. Smith", "compliance", ALICE.subject))
    other = _sign(store, Actor("Alice Smith", "compliance", f"{ISSUER}|alice-2"))  # a namesake is another person
    assert other.signer_subject == f"{ISSUER}|alice-2"


def test_a_demo_identity_cannot_triage_feedback_given_under_login_and_triage_keeps_subjects(store):
    login_entry = add_feedback(
        store, make_draft(reviewer_name="Bea", reviewer_subject=f"{ISSUER}|bea"), BUILTIN_VERSIONS
    )
    demo_entry = add_feedback(store, make_draft(reviewer_name="Bea"), BUILTIN_VERSIONS)
    assert [e.reviewer_subject for e in list_feedback(store, "credit")] == [None, f"{ISSUER}|bea"]
    with pytest.raises(AccessError, match="Feedback #.* signed-in person"):
        triage_feedback(store, [demo_entry.id, login_entry.id], "triaged", Actor("Dan Scientist", "data scientist"))
    assert {e.triage_status for e in list_feedback(store, "credit")} == {"new"}  # all or none
    triage_feedback(store, [demo_entry.id], "triaged", Actor("Dan Scientist", "data scientist"))
    triage_feedback(store, [login_entry.id], "triaged", LOGIN_DS)
    assert [r["actor_subject"] for r in triage_history(store, login_entry.id)] == [LOGIN_DS.subject]
    assert [r["actor_subject"] for r in triage_history(store, demo_entry.id)] == ["demo:dan scientist"]
    with pytest.raises(AccessError, match="business user cannot triage"):
        triage_feedback(store, [login_entry.id], "accepted", Actor("Bea", "business user", f"{ISSUER}|bea"))


def test_changed_meanwhile_names_you_when_it_was_you_in_another_window(store):
    entry = add_feedback(store, make_draft(), BUILTIN_VERSIONS)
    triage_feedback(store, [entry.id], "triaged", LOGIN_DS)
    with pytest.raises(Exception, match="changed by you, in another window, meanwhile"):
        triage_feedback(store, [entry.id], "accepted", LOGIN_DS, seen={entry.id: "new"})
    with pytest.raises(Exception, match="changed by Dan Scientist meanwhile"):
        triage_feedback(
            store, [entry.id], "accepted", Actor("Dan Scientist", "admin", f"{ISSUER}|dan-2"), seen={entry.id: "new"}
        )


def test_a_demo_identity_cannot_edit_or_remove_a_criterion_made_under_login(store):
    saved = save_criterion(
        store, make_criterion(author_name="Alice Smith", author_subject=ALICE.subject), specs=CRITERION_SPECS
    )
    assert saved.author_subject == ALICE.subject
    with pytest.raises(AccessError, match="signed-in person"):
        remove_criterion(store, saved, Actor("Alice Smith", "admin"), specs=CRITERION_SPECS)
    with pytest.raises(AccessError, match="signed-in person"):
        save_criterion(
            store, make_criterion(key=saved.key, target=0.5, author_name="alice smith"), specs=CRITERION_SPECS
        )
    with pytest.raises(GoalError, match="Say who you are"):
        remove_criterion(store, saved, Actor(" ", "admin", LOGIN_ADMIN.subject), specs=CRITERION_SPECS)
    removed = remove_criterion(store, saved, LOGIN_ADMIN, specs=CRITERION_SPECS)
    assert [(c.author_name, c.author_subject) for c in criteria_history(store, "credit")] == [
        ("Alice Smith", ALICE.subject),
        ("Ada Admin", LOGIN_ADMIN.subject),
    ]
    assert removed.active is False


def test_dismissals_are_kept_per_subject(store):
    assert person_key("Alice Smith") == person_key(" alice  smith ") == "demo:alice smith"
    assert person_key("Alice Smith", ALICE.subject) == ALICE.subject and person_key("  ") == ""
    dismiss(store, person_key("Alice Smith", ALICE.subject), ["announcement:1"])
    assert dismissed_items(store, person_key("alice smith")) == set()  # the demo namesake did not dismiss it
    assert dismissed_items(store, person_key("Alice", ALICE.subject)) == {"announcement:1"}


def test_notices_keep_who_posted_them_by_subject(store):
    post_notice(store, Announcement(NOTICE, "Maintenance", "Tonight.", "", ""), ALICE)
    assert [(n.author_name, n.author_subject) for n in list_announcements(store, "credit")] == [
        ("Alice Smith", ALICE.subject)
    ]


def test_subjects_move_with_an_export_and_import(store, tmp_path):
    entry = add_feedback(store, make_draft(reviewer_subject=f"{ISSUER}|bea"), BUILTIN_VERSIONS)
    triage_feedback(store, [entry.id], "triaged", LOGIN_DS)
    lines = export_jsonl(store, list_feedback(store, "credit"))
    assert json.loads(lines)["reviewer_subject"] == f"{ISSUER}|bea"
    other = FeedbackStore(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    report = import_jsonl(other, lines, KNOWN, LOGIN_ADMIN, "moved.jsonl")
    assert report.added == 1 and not report.errors
    assert read_import(other, report.import_id).actor_subject == LOGIN_ADMIN.subject  # who imported
    [moved] = list_feedback(other, "credit")
    assert moved.reviewer_subject == f"{ISSUER}|bea"
    assert [r["actor_subject"] for r in triage_history(other, moved.id)] == [LOGIN_DS.subject]


def test_a_schema_8_store_is_upgraded_keeping_every_row_and_rekeying_typed_dismissals(tmp_path, monkeypatch):
    path = tmp_path / "v8.sqlite3"
    monkeypatch.setattr("feedback.store.database.MIGRATIONS", MIGRATIONS[:8])
    monkeypatch.setattr("feedback.store.database.LATEST_VERSION", 8)
    assert FeedbackStore(f"sqlite:///{path}").schema_version() == 8
    with sqlite3.connect(path) as conn:  # rows as the schema-8 app wrote them
        conn.execute(
            "INSERT INTO feedback (created_at, use_case, iteration, case_id, score, threshold, decision, "
            "reasons_shown, "
            "reviewer_name, reviewer_role, verdict, categories, severity, comment, triage_status, app_version, uid) "
            "VALUES ('2026-11-01 10:00:00', 'credit', 'v3', 'A1', 0.8, 0.4, 'decline', '[]', 'Alice Smith', 'risk', "
            "'disagree', '[]', 'high', 'old', 'new', '0.0.9', '00000000-0000-4000-8000-000000000001')"
        )
        conn.execute(
            "INSERT INTO signoffs (created_at, use_case, iteration, action, signer_name, signer_role, comment, "
            "snapshot, "
            "acknowledged) VALUES ('2026-11-01 10:00:00', 'credit', 'v3', 'sign off', 'Alice Smith', 'risk', 'ok', ?, "
            "'[]')",
            (PASSING.to_json(),),
        )
        for person in ("alice  smith", "bo@bank.example"):
            conn.execute(
                "INSERT INTO dismissals (created_at, person, item) VALUES ('2026-11-01', ?, 'orientation')", (person,)
            )
    tables = (
        "feedback",
        "signoffs",
        "dismissals",
        "triage_events",
        "lifecycle_events",
        "criteria",
        "threshold_changes",
        "announcements",
        "feedback_imports",
    )
    before = {t: sqlite3.connect(path).execute(f"SELECT * FROM {t} ORDER BY id").fetchall() for t in tables}
    monkeypatch.undo()
    upgraded = FeedbackStore(f"sqlite:///{path}")
    assert upgraded.schema_version() == LATEST_VERSION
    after = {t: sqlite3.connect(path).execute(f"SELECT * FROM {t} ORDER BY id").fetchall() for t in tables}
    for table in ("feedback", "signoffs"):
        assert [row[: len(before[table][0])] for row in after[table]] == before[table]  # every old value kept
        assert after[table][0][-1] is None  # the subject of an old row is not known
    assert [row[2] for row in after["dismissals"]] == ["demo:alice smith", "bo@bank.example"]
    assert dismissed_items(upgraded, person_key("Alice Smith")) == {"orientation"}
    [old] = current_signoffs_of(upgraded, "credit", "v3")
    assert old.signer_subject is None  # counts as the demo identity of its name, as names were all there was
    with pytest.raises(SignoffError, match="Only Alice Smith"):
        withdraw_signoff(upgraded, "credit", "v3", old.id, Actor("Bo", "risk"), "not mine")
    withdraw_signoff(upgraded, "credit", "v3", old.id, LOGIN_ADMIN, "an admin may")


def test_a_signed_in_business_user_is_refused_triage_and_import_by_the_domain(store):
    bea = Actor("Bea Business", "business user", f"{ISSUER}|bea")
    entry = add_feedback(store, make_draft(reviewer_name=bea.name, reviewer_subject=bea.subject), BUILTIN_VERSIONS)
    lines = export_jsonl(store, [entry])
    with pytest.raises(AccessError, match="A business user cannot triage feedback"):
        triage_feedback(store, [entry.id], "accepted", bea)
    with pytest.raises(AccessError, match="A business user cannot import feedback"):
        import_jsonl(store, lines, KNOWN, bea, "mine.jsonl")
    assert [e.triage_status for e in list_feedback(store, "credit")] == ["new"]
