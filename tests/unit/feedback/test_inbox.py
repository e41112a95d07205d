import json
from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy.exc import DBAPIError

from feedback.access import AccessError, Actor, check_actor, parse_role_mapping, role_for
from feedback.analytics import disagreement_over_time, mentioned_features
from feedback.app_reports import AppReport
from feedback.exchange import export_csv, export_json
from feedback.records import FeedbackError, FeedbackFilter
from feedback.store.app_reports import list_reports, report_problem
from feedback.store.database import FeedbackStore
from feedback.store.exchange import export_jsonl, import_jsonl
from feedback.store.records import add_feedback, search_feedback
from feedback.store.triage import triage_feedback, triage_history
from feedback.triage import TriageError
from tests.helpers import make_draft

KNOWN = {"v1", "v2", "v3"}
ADMIN = Actor("Ada Admin", "admin")


@pytest.fixture
def filled(store):
    add_feedback(store, make_draft(iteration="v2", verdict="agree", categories=(), comment="fine"), KNOWN)
    add_feedback(
        store, make_draft(iteration="v3", categories=("missing factor",), comment="Savings of 100% ignored"), KNOWN
    )
    add_feedback(
        store,
        make_draft(
            iteration="v3", reviewer_role="compliance", categories=("fairness concern",), comment="Looks biased by AGE"
        ),
        KNOWN,
    )
    return store


def _ids(entries):
    return [e.id for e in entries]


def test_filters_combine(filled):
    assert _ids(search_feedback(filled, FeedbackFilter("credit"))) == [3, 2, 1]
    assert _ids(search_feedback(filled, FeedbackFilter("credit", iterations=["v3"]))) == [3, 2]
    assert _ids(search_feedback(filled, FeedbackFilter("credit", verdicts=["agree"]))) == [1]
    assert _ids(search_feedback(filled, FeedbackFilter("credit", roles=["compliance"]))) == [3]
    assert _ids(
        search_feedback(filled, FeedbackFilter("credit", categories=["missing factor", "fairness concern"]))
    ) == [3, 2]
    assert _ids(search_feedback(filled, FeedbackFilter("credit", statuses=["triaged"]))) == []
    assert _ids(search_feedback(filled, FeedbackFilter("fraud"))) == []
    today = date.today()
    assert len(search_feedback(filled, FeedbackFilter("credit", since=today, until=today))) == 3
    assert search_feedback(filled, FeedbackFilter("credit", until=today - timedelta(days=2))) == []


def test_text_search_is_case_insensitive_and_takes_wildcards_literally(filled):
    assert _ids(search_feedback(filled, FeedbackFilter("credit", text="age"))) == [3]
    assert _ids(search_feedback(filled, FeedbackFilter("credit", text="100%"))) == [2]
    assert _ids(search_feedback(filled, FeedbackFilter("credit", text="%"))) == [2]
    assert _ids(search_feedback(filled, FeedbackFilter("credit", text="_"))) == []
    assert _ids(search_feedback(filled, FeedbackFilter("credit", text="'; DROP TABLE feedback; --"))) == []


def test_triage_moves_entries_in_bulk_and_logs_it(filled):
    changes = triage_feedback(filled, [2, 3], "triaged", ADMIN, "looking at it")
    assert [(c.feedback_id, c.from_status, c.to_status) for c in changes] == [
        (2, "new", "triaged"),
        (3, "new", "triaged"),
    ]
    triage_feedback(filled, [2], "accepted", ADMIN)
    triage_feedback(filled, [2], "fixed", ADMIN, "v3 weighs savings", fixed_in="v3", known_iterations=KNOWN)
    [entry] = search_feedback(filled, FeedbackFilter("credit", statuses=["fixed"]))
    assert (entry.id, entry.fixed_in, entry.triage_note) == (2, "v3", "v3 weighs savings")
    assert [e["to_status"] for e in triage_history(filled, 2)] == ["triaged", "accepted", "fixed"]
    assert triage_history(filled, 2)[0]["actor_name"] == "Ada Admin"


@pytest.mark.parametrize(
    ("ids", "status", "details", "message"),
    [
        ([1], "fixed", {}, "cannot become fixed: #1 \\(new\\)"),
        ([1], "rejected", {}, "Say why it is rejected"),
        ([1], "duplicate", {"duplicate_of": 99}, "Name the existing entry"),
        ([1], "duplicate", {"duplicate_of": 1}, "duplicate of itself"),
        ([1, 42], "triaged", {}, "no feedback entry #42"),
        ([], "triaged", {}, "Select at least one"),
    ],
)
def test_triage_refusals_change_nothing(filled, ids, status, details, message):
    with pytest.raises(TriageError, match=message):
        triage_feedback(filled, ids, status, ADMIN, **details)
    assert {e.triage_status for e in search_feedback(filled, FeedbackFilter("credit"))} == {"new"}


def test_duplicates_point_at_their_original(filled):
    triage_feedback(filled, [3], "duplicate", ADMIN, duplicate_of=2)
    assert search_feedback(filled, FeedbackFilter("credit", statuses=["duplicate"]))[0].duplicate_of == 2


@pytest.mark.parametrize("role", ["business user", "risk", "compliance"])
def test_a_reviewer_cannot_triage_an_admin_and_a_data_scientist_can(filled, role):
    with pytest.raises(AccessError, match=f"A {role} cannot triage feedback"):
        triage_feedback(filled, [1], "triaged", Actor("Rev", role))
    triage_feedback(filled, [1], "triaged", Actor("Dana", "data scientist"))
    triage_feedback(filled, [1], "accepted", ADMIN)


def test_the_triage_log_is_append_only(filled):
    triage_feedback(filled, [1], "triaged", ADMIN)
    with pytest.raises(DBAPIError, match="append-only"):
        with filled.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM triage_events")


def test_exports_hold_every_field(filled):
    entries = search_feedback(filled, FeedbackFilter("credit"))
    frame = pd.read_csv(__import__("io").BytesIO(export_csv(entries)))
    assert list(frame["id"]) == [3, 2, 1] and frame.loc[1, "categories"] == "missing factor"
    data = json.loads(export_json(entries))
    assert data[0]["comment"] == "Looks biased by AGE" and data[0]["uid"]
    lines = export_jsonl(filled, entries).splitlines()
    assert [json.loads(line)["id"] for line in lines] == [1, 2, 3]


def test_jsonl_moves_feedback_to_another_store_without_loss_or_duplicates(filled, tmp_path):
    triage_feedback(filled, [2], "triaged", ADMIN, "seen")
    text = export_jsonl(filled, search_feedback(filled, FeedbackFilter("credit")))
    other = FeedbackStore(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    report = import_jsonl(other, text + "not json\n" + '{"uid": "x", "use_case": "credit"}\n', {"credit": KNOWN}, ADMIN)
    assert (report.added, report.already_present) == (3, 0)
    assert report.errors[0].startswith("line 4: not JSON") and report.errors[1].startswith("line 5:")
    moved = {e.uid: e for e in search_feedback(other, FeedbackFilter("credit"))}
    for original in search_feedback(filled, FeedbackFilter("credit")):
        copy = moved[original.uid]
        assert (copy.comment, copy.created_at, copy.triage_status, copy.reasons_shown, copy.categories) == (
            original.comment,
            original.created_at,
            original.triage_status,
            original.reasons_shown,
            original.categories,
        )
    again = import_jsonl(other, text, {"credit": KNOWN}, ADMIN)
    assert (again.added, again.already_present) == (0, 3)


def test_import_refuses_unknown_iterations(filled, tmp_path):
    text = export_jsonl(filled, search_feedback(filled, FeedbackFilter("credit")))
    other = FeedbackStore(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    report = import_jsonl(other, text, {"credit": {"v2"}}, ADMIN)
    assert report.added == 1 and len(report.errors) == 2 and "not a known iteration" in report.errors[0]


def test_reports_on_the_app(store):
    saved = report_problem(store, AppReport("Explore", "slowness", "The table takes long", "Ann", "risk", "0.1.0"))
    assert saved.id == 1 and list_reports(store)[0].comment == "The table takes long"
    with pytest.raises(FeedbackError, match="Choose what it is"):
        report_problem(store, AppReport("Explore", "rant", "x", "Ann", "risk"))
    with pytest.raises(FeedbackError, match="Your name is required"):
        report_problem(store, AppReport("Explore", "bug", "x", "", "risk"))


def test_disagreement_over_time_and_mentioned_features(filled):
    entries = search_feedback(filled, FeedbackFilter("credit"))
    over_time = disagreement_over_time(entries)
    assert over_time.iloc[-1].to_dict() == {"v2": 0.0, "v3": 1.0}
    mentions = mentioned_features(entries, {"saving_accounts": "Savings", "age": "Age", "duration": "Loan duration"})
    assert mentions.to_dict() == {"Savings": 1}  # "age" is named in a fairness comment, not counted


def test_role_mapping():
    mapping = parse_role_mapping('{"Ann@Bank.example": "admin"}')
    assert (
        role_for("ann@bank.example", mapping, True)[0] == "admin"
        and role_for("bo@x", mapping, True)[0] == "business user"
    )
    with pytest.raises(ValueError, match="unknown roles"):
        parse_role_mapping('{"a@b": "king"}')
    with pytest.raises(ValueError, match="not valid JSON"):
        parse_role_mapping("{")
    assert parse_role_mapping("") == {}
    assert check_actor(Actor(" Ann ", "admin"), "triage feedback") == Actor("Ann", "admin", "demo:ann")
