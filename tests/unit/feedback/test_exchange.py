"""Export and import of feedback: CSV safe in a spreadsheet, import line by line, lossless between backends."""

import csv
import io
import itertools
import json
import re
import uuid

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from feedback.access import AccessError, Actor
from feedback.exchange import export_csv, export_json, neutralise_cell
from feedback.records import BIDI_CONTROLS, CATEGORIES, ROLES, VERDICTS, FeedbackFilter
from feedback.store.database import FeedbackStore
from feedback.store.exchange import export_jsonl, import_jsonl, read_import
from feedback.store.records import add_feedback, search_feedback
from feedback.store.triage import triage_feedback, triage_history
from feedback.triage import TRIAGE_TRANSITIONS
from tests.helpers import make_draft

KNOWN = {"v1", "v2", "v3"}
ADMIN = Actor("Ada Admin", "admin")
DANA = Actor("Dana Scientist", "data scientist")


def _all(store, use_case="credit"):
    return search_feedback(store, FeedbackFilter(use_case))


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(sqlite_store, start):
    hostile = f'{start}HYPERLINK("http://evil.example","Click")'
    add_feedback(
        sqlite_store,
        make_draft(
            comment=hostile,
            case_id=f"{start}cmd|' /C calc'!A0",
            reviewer_name=f"{start}2+3",
            reasons_shown=(f"{start}1+1", "Age: 30"),
        ),
        KNOWN,
    )
    entries = _all(sqlite_store)
    [row] = list(csv.DictReader(io.StringIO(export_csv(entries).decode("utf-8"))))
    assert row["comment"] == "'" + entries[0].comment
    assert row["case_id"] == "'" + entries[0].case_id and row["reviewer_name"] == "'" + entries[0].reviewer_name
    assert row["reasons_shown"] == f"'{start}1+1; Age: 30"
    assert (row["decision"], row["verdict"], row["score"]) == ("decline", "disagree", "0.83")  # others unchanged
    assert json.loads(export_json(entries))[0]["comment"] == hostile  # JSON stays exact


def test_neutralise_cell_leaves_numbers_and_plain_text_alone():
    assert neutralise_cell(-0.5) == -0.5 and neutralise_cell("fine") == "fine" and neutralise_cell(None) is None
    assert neutralise_cell("=1+1") == "'=1+1" and neutralise_cell("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise_cell("\t=1") == "'\t=1" and neutralise_cell("\r=1") == "'\r=1"


def _line(**changes) -> str:
    base = dict(
        uid=str(uuid.uuid4()),
        created_at="2026-11-20T10:00:00+00:00",
        use_case="credit",
        iteration="v3",
        case_id="A0012",
        score=0.83,
        threshold=0.4,
        decision="decline",
        reasons_shown=["Loan duration: 48 months"],
        reviewer_name="Ann Example",
        reviewer_role="risk",
        verdict="disagree",
        categories=["wrong prediction"],
        severity="high",
        comment="Duration weighs too much.",
        app_version="0.1.0",
        triage_status="new",
    )
    base.update(changes)
    return json.dumps(base)


def _log(*steps, actor=("Ada Admin", "admin")):
    rows, status = [], "new"
    for to_status, extra in steps:
        rows.append(
            dict(
                created_at="2026-11-21T10:00:00+00:00",
                from_status=status,
                to_status=to_status,
                note=extra.pop("note", ""),
                actor_name=actor[0],
                actor_role=actor[1],
                **extra,
            )
        )
        status = to_status
    return rows


BAD_LINES = {
    "a list in fixed_in": (_line(fixed_in=["v3"]), "fixed_in is \\['v3'\\]"),
    "a uid over 36 characters": (_line(uid="x" * 40), "is not a uid"),
    "deep nesting": ('{"uid": ' + "[" * 50_000 + "]" * 50_000 + "}", "nested too deeply"),
    "reasons as a string": (_line(reasons_shown="abc"), "reasons_shown must be a list"),
    "a score that is a boolean": (_line(score=True), "Score must be a probability"),
    "fixed without its log": (_line(triage_status="fixed", fixed_in="v3"), "needs the triage log"),
    "fixed in an unknown iteration": (
        _line(triage_status="fixed", fixed_in="v9", triage_log=_log(("accepted", {}), ("fixed", {"fixed_in": "v9"}))),
        "Name the iteration that fixed it",
    ),
    "an unknown iteration": (_line(iteration="v9"), "not a known iteration"),
    "a log by a business user": (
        _line(triage_status="accepted", triage_log=_log(("accepted", {}), actor=("Bo", "business user"))),
        "cannot triage",
    ),
    "a transition the rules refuse": (
        _line(triage_status="fixed", fixed_in="v3", triage_log=_log(("fixed", {"fixed_in": "v3"}))),
        "cannot become fixed",
    ),
    "back-dated to the future": (_line(created_at="2999-01-01T00:00:00+00:00"), "in the future"),
    "a duplicate of nothing": (
        _line(
            triage_status="duplicate",
            duplicate_of_uid=str(uuid.uuid4()),
            triage_log=_log(("duplicate", {"duplicate_of_uid": None})),
        ),
        "Name the existing entry",
    ),
    "a name with a right-to-left override": (_line(reviewer_name="Ann \u202eevil"), "text-direction"),
    "not an object": ("[1, 2]", "not a JSON object"),
}


def test_each_bad_line_is_refused_with_its_reason_and_the_rest_is_imported(store):
    good = [_line(case_id=f"G{i}") for i in range(3)]
    lines = [good[0], *(line for line, _ in BAD_LINES.values()), good[1], good[2]]
    report = import_jsonl(store, "\n".join(lines), {"credit": KNOWN}, ADMIN, "mixed.jsonl")
    assert (report.added, report.already_present) == (3, 0)
    assert len(report.errors) == len(BAD_LINES)
    for number, (what, (_, reason)) in enumerate(BAD_LINES.items(), 2):
        [error] = [e for e in report.errors if e.startswith(f"line {number}:")]
        assert re.search(reason, error), (what, error)
    assert sorted(e.case_id for e in _all(store)) == ["G0", "G1", "G2"]


def test_a_line_pointing_at_a_refused_line_is_refused_too(store):
    target, pointer = str(uuid.uuid4()), str(uuid.uuid4())
    lines = [
        _line(uid=target, iteration="v9"),  # refused: unknown iteration
        _line(
            uid=pointer,
            triage_status="duplicate",
            duplicate_of_uid=target,
            triage_log=_log(("duplicate", {"duplicate_of_uid": target})),
        ),
    ]
    report = import_jsonl(store, "\n".join(lines), {"credit": KNOWN}, ADMIN)
    assert report.added == 0 and report.errors[1].startswith("line 2: it points at entry")


@pytest.mark.parametrize("role", ["business user", "risk", "compliance"])
def test_only_the_roles_that_triage_may_import(store, role):
    with pytest.raises(AccessError, match=f"A {role} cannot import feedback"):
        import_jsonl(store, _line(), {"credit": KNOWN}, Actor("Bo", role))
    assert _all(store) == []
    assert import_jsonl(store, _line(), {"credit": KNOWN}, DANA).added == 1


def test_an_import_keeps_who_gave_it_apart_from_who_imported_it_and_the_carried_log(store, tmp_path):
    sqlite_store = FeedbackStore(f"sqlite:///{tmp_path / 'source.sqlite3'}")
    original = add_feedback(sqlite_store, make_draft(reviewer_name="Ann Example"), KNOWN)
    triage_feedback(sqlite_store, [original.id], "accepted", ADMIN, "valid point")
    text = export_jsonl(sqlite_store, _all(sqlite_store))
    report = import_jsonl(store, text, {"credit": KNOWN}, DANA, "from-bank-a.jsonl")
    [copy] = _all(store)
    assert (copy.reviewer_name, copy.created_at, copy.triage_status) == ("Ann Example", original.created_at, "accepted")
    origin = read_import(store, copy.import_id)
    assert (origin.actor_name, origin.actor_role, origin.source_file) == (
        "Dana Scientist",
        "data scientist",
        "from-bank-a.jsonl",
    )
    assert origin.exported_from == sqlite_store.location and origin.id == report.import_id
    [event] = triage_history(store, copy.id)
    assert (event["actor_name"], event["to_status"], event["note"], event["import_id"]) == (
        "Ada Admin",
        "accepted",
        "valid point",
        origin.id,
    )
    assert read_import(store, 999) is None


# --- the round trip SQLite -> PostgreSQL -> SQLite, on generated entries and triage histories ---

_one_line = st.text(
    st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters=sorted(BIDI_CONTROLS)), max_size=25
)
_name = _one_line.filter(lambda s: s.strip())
_comment = st.text(
    st.one_of(st.characters(blacklist_categories=("Cc", "Cs")), st.sampled_from("\n\t\u202e")), max_size=60
)
_entry = st.fixed_dictionaries(
    {
        "case_id": _name,
        "decision": _name,
        "reviewer_name": _name,
        "comment": _comment,
        "reasons_shown": st.lists(_name, max_size=3).map(tuple),
        "categories": st.lists(st.sampled_from(CATEGORIES), max_size=3).map(tuple),
        "reviewer_role": st.sampled_from(ROLES),
        "verdict": st.sampled_from(VERDICTS),
        "score": st.floats(0, 1),
        "explanation_rating": st.one_of(st.none(), st.integers(1, 5)),
        "iteration": st.sampled_from(sorted(KNOWN)),
    }
)
# each step: (entry index, choice of next status, note, index of the entry it duplicates)
_steps = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3), _one_line, st.integers(0, 5)), max_size=12)


def _fill(store, use_case, entries, steps) -> None:
    ids = []
    for values in entries:
        try:
            ids.append(add_feedback(store, make_draft(use_case=use_case, **values), KNOWN).id)
        except ValueError:  # a generated value the form refuses (e.g. text that normalises to nothing)
            continue
    for index, choice, note, other in steps:
        if not ids:
            return
        target = ids[index % len(ids)]
        [entry] = [e for e in _all(store, use_case) if e.id == target]
        to_status = TRIAGE_TRANSITIONS[entry.triage_status][choice % len(TRIAGE_TRANSITIONS[entry.triage_status])]
        duplicate = ids[other % len(ids)]
        if to_status == "duplicate" and duplicate == target:
            continue
        triage_feedback(
            store,
            [target],
            to_status,
            ADMIN,
            note if note.strip() else "because",
            duplicate_of=duplicate,
            fixed_in="v2",
            known_iterations=KNOWN,
        )


_EXAMPLES = itertools.count()


def _comparable(text: str) -> list[dict]:
    lines = [json.loads(line) for line in text.splitlines()]
    for line in lines:
        for key in ("id", "duplicate_of", "exported_from"):  # local to a store
            line.pop(key)
    return sorted(lines, key=lambda line: line["uid"])


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(entries=st.lists(_entry, min_size=1, max_size=4), steps=_steps)
def test_export_import_between_sqlite_and_postgresql_is_lossless(
    sqlite_store, postgres_store, tmp_path, entries, steps
):
    example = next(_EXAMPLES)
    use_case = f"uc-{example}"  # the stores live across examples; each example has its own use case
    known = {use_case: KNOWN}
    _fill(sqlite_store, use_case, entries, steps)
    first = export_jsonl(sqlite_store, _all(sqlite_store, use_case))
    for status in sorted({e.triage_status for e in _all(sqlite_store, use_case)}):
        event(f"an entry {status}")
    report = import_jsonl(postgres_store, first, known, ADMIN, "a.jsonl")
    assert report.errors == [] and report.added == len(_all(sqlite_store, use_case))
    second = export_jsonl(postgres_store, _all(postgres_store, use_case))
    back = FeedbackStore(f"sqlite:///{tmp_path / f'back-{example}.sqlite3'}")
    assert import_jsonl(back, second, known, ADMIN).errors == []
    third = export_jsonl(back, _all(back, use_case))
    assert _comparable(first) == _comparable(second) == _comparable(third)
    again = import_jsonl(postgres_store, first, known, ADMIN)
    assert (again.added, again.already_present) == (0, report.added)
