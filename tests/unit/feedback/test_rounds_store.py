"""Review rounds in the store (SQLite and PostgreSQL): create, queues, blind answers, close, concurrency."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from feedback.access import AccessError, Actor, demo_subject
from feedback.rounds import Reviewer, RoundCase, RoundError, Verdict
from feedback.store.records import add_feedback
from feedback.store.rounds import (
    close_round,
    create_round,
    known_people,
    list_rounds,
    my_queue,
    read_answers,
    read_round,
    read_round_cases,
    round_completion,
    save_own_decision,
    save_verdict,
)
from feedback.store.schema import ROUND_ANSWERS, ROUND_ASSIGNMENTS
from tests.helpers import make_draft
from tests.unit.feedback.test_rounds import make_round

DEE = Actor("Dee", "data scientist")
ANN, BO = Actor("Ann", "risk"), Actor("Bo", "business user")
REVIEWERS = (Reviewer(demo_subject("Ann"), "Ann", "risk"), Reviewer(demo_subject("Bo"), "Bo", "business user"))
DECISIONS = ("approve", "decline")
TODAY = date(2026, 12, 2)


def _create(store, cases: int = 10, per: int | None = None, **changes):
    chosen = [RoundCase(0, f"C{i}", "borderline" if i % 2 else "random", f"why {i}") for i in range(cases)]
    return create_round(
        store,
        make_round(reviewers=REVIEWERS, cases_per_reviewer=per or cases, **changes),
        chosen,
        DEE,
        known_iterations={"v2", "v3"},
        today=TODAY,
    )


def test_a_round_is_saved_with_its_cases_and_assignments(store):
    round_, assignment = _create(store)
    assert round_.id and round_.created_by_subject == demo_subject("Dee") and round_.status == "open"
    assert read_round(store, round_.id) == round_
    assert list_rounds(store, "credit") == [round_] and list_rounds(store, "churn") == []
    assert [(c.case_id, c.strategy, c.why) for c in read_round_cases(store, round_.id)][:2] == [
        ("C0", "random", "why 0"),
        ("C1", "borderline", "why 1"),
    ]
    queue = my_queue(store, round_.id, ANN)
    assert [item.case_id for item in queue] == list(assignment.by_reviewer[demo_subject("Ann")])
    assert len(queue) == 10 and all(item.state == "to do" for item in queue)
    assert my_queue(store, round_.id, Actor("Cy", "risk")) == []
    with store.transaction() as conn:
        assert conn.execute(select(func.count()).select_from(ROUND_ASSIGNMENTS)).scalar_one() == 20  # overlap 2


def test_a_business_user_cannot_create_a_round_and_nothing_is_written(store):
    with pytest.raises(AccessError, match="cannot create rounds"):
        create_round(store, make_round(reviewers=REVIEWERS), [], ANN, known_iterations={"v2", "v3"}, today=TODAY)
    with pytest.raises(RoundError, match="No case could be assigned"):
        _create(store, cases=0, per=5)
    assert list_rounds(store, "credit") == []


def test_blind_decision_then_verdict_one_row_per_case_and_reviewer(store):
    round_, _ = _create(store)
    case = my_queue(store, round_.id, ANN)[0].case_id
    with pytest.raises(RoundError, match="own decision on the case first"):
        save_verdict(store, round_.id, case, ANN, Verdict("agree"))
    first = save_own_decision(store, round_.id, case, ANN, "decline", 2, decisions=DECISIONS)
    assert save_own_decision(store, round_.id, case, ANN, "decline", 2, decisions=DECISIONS) == first
    with pytest.raises(RoundError, match="kept as it was"):
        save_own_decision(store, round_.id, case, ANN, "approve", 5, decisions=DECISIONS)
    with pytest.raises(RoundError, match="choose one of approve, decline"):
        save_own_decision(store, round_.id, case, ANN, "maybe", 2, decisions=DECISIONS)
    save_verdict(store, round_.id, case, ANN, Verdict("agree", "negative", ("missing factor",), 4, "ok"))
    again = save_verdict(store, round_.id, case, ANN, Verdict("disagree", clarity=2))
    assert (again.own_decision, again.own_confidence, again.verdict, again.clarity) == ("decline", 2, "disagree", 2)
    [stored] = read_answers(store, round_.id, ANN)
    assert (stored.verdict, stored.categories, stored.decided_at, stored.answered_at.tzinfo is not None) == (
        "disagree",
        (),
        first.decided_at,
        True,
    )
    queue = my_queue(store, round_.id, ANN)
    assert queue[0].state == "answered" and queue[1].state == "to do"
    assert round_completion(store, round_.id) == [
        {"reviewer": "Ann", "role": "risk", "assigned": 10, "decided": 1, "answered": 1},
        {"reviewer": "Bo", "role": "business user", "assigned": 10, "decided": 0, "answered": 0},
    ]


def test_only_assigned_reviewers_answer_and_answers_stay_private_until_closed(store):
    round_, _ = _create(store, cases=4, overlap=1)
    ann_case = my_queue(store, round_.id, ANN)[0].case_id
    bo_case = my_queue(store, round_.id, BO)[0].case_id
    with pytest.raises(RoundError, match="not a reviewer"):
        save_own_decision(store, round_.id, ann_case, Actor("Cy", "risk"), "approve", 3, decisions=DECISIONS)
    with pytest.raises(RoundError, match="not in your queue"):
        save_own_decision(store, round_.id, bo_case, ANN, "approve", 3, decisions=DECISIONS)
    save_own_decision(store, round_.id, ann_case, ANN, "approve", 3, decisions=DECISIONS)
    save_own_decision(store, round_.id, bo_case, BO, "decline", 4, decisions=DECISIONS)
    assert [a.reviewer_name for a in read_answers(store, round_.id, ANN)] == ["Ann"]
    assert read_answers(store, round_.id, DEE) == []
    with pytest.raises(RoundError, match="Only Dee"):
        close_round(store, round_.id, ANN)
    closed = close_round(store, round_.id, DEE)
    assert closed.status == "closed" and read_round(store, round_.id) == closed
    assert [a.reviewer_name for a in read_answers(store, round_.id, ANN)] == ["Ann", "Bo"]
    with pytest.raises(RoundError, match="is closed"):
        save_verdict(store, round_.id, ann_case, ANN, Verdict("agree"))


def test_two_reviewers_saving_the_same_case_at_the_same_moment_both_answers_are_kept(store):
    round_, _ = _create(store, cases=20)  # overlap 2, two reviewers: both see every case
    cases = [item.case_id for item in my_queue(store, round_.id, ANN)]
    start, errors = threading.Barrier(2), []

    def work(actor: Actor, decision: str) -> None:
        start.wait()
        try:
            for case in cases:
                save_own_decision(store, round_.id, case, actor, decision, 3, decisions=DECISIONS)
                save_verdict(store, round_.id, case, actor, Verdict("agree", clarity=5))
        except Exception as err:  # noqa: BLE001 - collected and asserted on below
            errors.append(err)

    threads = [threading.Thread(target=work, args=(a, d)) for a, d in ((ANN, "approve"), (BO, "decline"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    close_round(store, round_.id, DEE)
    answers = read_answers(store, round_.id, DEE)
    assert len(answers) == 40
    assert {(a.case_id, a.reviewer_name, a.own_decision, a.verdict) for a in answers} == {
        (c, name, d, "agree") for c in cases for name, d in (("Ann", "approve"), ("Bo", "decline"))
    }
    with store.transaction() as conn:
        assert conn.execute(select(func.count()).select_from(ROUND_ANSWERS)).scalar_one() == 40


def test_known_people_come_from_feedback_and_earlier_rounds(store):
    add_feedback(store, make_draft(reviewer_name="Zoe", reviewer_role="compliance"), {"v3"})
    _create(store, cases=2)
    assert [(p.name, p.role) for p in known_people(store)] == [
        ("Ann", "risk"),
        ("Bo", "business user"),
        ("Zoe", "compliance"),
    ]
