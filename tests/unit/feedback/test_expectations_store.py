"""Adjudications and expectations in the store (SQLite and PostgreSQL): kept at close, one adjudication per
case under the round's lock, append-only."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import delete, func, select, update

from feedback.access import AccessError, Actor, demo_subject
from feedback.expectations import SPLIT, Expectation, unanimous_expectations, view_cases
from feedback.rounds import RoundError, Verdict
from feedback.store.database import StoreError
from feedback.store.expectations import adjudicate, close_round_keeping, list_adjudications, list_expectations
from feedback.store.rounds import my_queue, read_round, save_own_decision, save_verdict
from feedback.store.schema import ADJUDICATIONS, EXPECTATIONS
from tests.unit.feedback.test_rounds_store import ANN, BO, DECISIONS, DEE, _create

MODEL = {f"C{i}": "approve" for i in range(10)}
CY, EVE = Actor("Cy", "risk"), Actor("Eve", "compliance")


def _answered_and_closed(store):
    """A closed round of 4 cases: C0 both approve (agreed), C1 split, C2 both decline (against the model),
    C3 Ann alone; the unanimous case kept at close."""
    round_, _ = _create(store, cases=4, per=4)
    plan = {"C0": ("approve", "approve"), "C1": ("approve", "decline"), "C2": ("decline", "decline")}
    for case, (ann, bo) in plan.items():
        for actor, own in ((ANN, ann), (BO, bo)):
            save_own_decision(store, round_.id, case, actor, own, 4, decisions=DECISIONS)
            save_verdict(store, round_.id, case, actor, Verdict("agree" if own == "approve" else "disagree"))
    save_own_decision(store, round_.id, "C3", ANN, "approve", 4, decisions=DECISIONS)

    def keep(closed, answers):
        return unanimous_expectations(closed, view_cases(answers, MODEL, DECISIONS))

    closed, kept = close_round_keeping(store, round_.id, DEE, keep)
    return closed, kept


def test_closing_keeps_the_unanimous_cases_in_the_same_transaction(store):
    closed, kept = _answered_and_closed(store)
    assert read_round(store, closed.id).status == "closed"
    assert [(e.case_id, e.expected_decision, e.source) for e in kept] == [("C0", "approve", "unanimous")]
    assert list_expectations(store, "credit") == kept and list_expectations(store, "churn") == []


def test_closing_refused_keeps_nothing(store):
    round_, _ = _create(store, cases=2, per=2)
    with pytest.raises(RoundError, match="Only Dee"):
        close_round_keeping(store, round_.id, ANN, lambda r, a: [])
    assert read_round(store, round_.id).status == "open" and list_expectations(store, "credit") == []

    def failing(closed, answers):
        raise RoundError("boom")

    with pytest.raises(RoundError, match="boom"):
        close_round_keeping(store, round_.id, DEE, failing)
    assert read_round(store, round_.id).status == "open"


def test_an_adjudication_is_kept_as_an_expectation(store):
    closed, _ = _answered_and_closed(store)
    queue = {"C1": SPLIT, "C2": "the reviewers agree with each other but not with the model"}
    saved, kept = adjudicate(store, closed.id, "C1", CY, "decline", "Debt too high", queue=queue, decisions=DECISIONS)
    assert (saved.decision, saved.adjudicator_subject, saved.adjudicator_role, saved.why_queued) == (
        "decline",
        demo_subject("Cy"),
        "risk",
        SPLIT,
    )
    assert kept == Expectation(
        "credit",
        "C1",
        "decline",
        "adjudicated",
        closed.id,
        "v3",
        demo_subject("Cy"),
        "Cy",
        "Debt too high",
        id=kept.id,
        created_at=kept.created_at,
    )
    assert list_adjudications(store, closed.id) == [saved]
    assert [e.case_id for e in list_expectations(store, "credit")] == ["C0", "C1"]


def test_roles_and_cases_refused_write_nothing(store):
    closed, _ = _answered_and_closed(store)
    queue = {"C1": SPLIT}
    with pytest.raises(AccessError, match="A business user cannot adjudicate"):
        adjudicate(
            store, closed.id, "C1", Actor("Bea", "business user"), "approve", "x", queue=queue, decisions=DECISIONS
        )
    with pytest.raises(RoundError, match="You reviewed case C1"):
        adjudicate(store, closed.id, "C1", Actor("Ann", "risk"), "approve", "x", queue=queue, decisions=DECISIONS)
    with pytest.raises(RoundError, match="not in the adjudication queue"):
        adjudicate(store, closed.id, "C0", CY, "approve", "x", queue=queue, decisions=DECISIONS)
    with pytest.raises(RoundError, match="Say why"):
        adjudicate(store, closed.id, "C1", CY, "approve", " ", queue=queue, decisions=DECISIONS)
    open_round, _ = _create(store, cases=2, per=2)
    with pytest.raises(RoundError, match="still open"):
        adjudicate(store, open_round.id, "C1", CY, "approve", "x", queue=queue, decisions=DECISIONS)
    assert list_adjudications(store, closed.id) == [] and len(list_expectations(store, "credit")) == 1


def test_two_adjudicators_at_once_one_wins_and_the_other_is_told(store):
    closed, _ = _answered_and_closed(store)
    queue = {"C1": SPLIT}
    start, results, errors = threading.Barrier(2), {}, {}

    def work(actor: Actor, decision: str) -> None:
        start.wait()
        try:
            results[actor.name] = adjudicate(
                store, closed.id, "C1", actor, decision, f"{actor.name} says so", queue=queue, decisions=DECISIONS
            )
        except RoundError as err:
            errors[actor.name] = str(err)

    threads = [threading.Thread(target=work, args=args) for args in ((CY, "approve"), (EVE, "decline"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 1 and len(errors) == 1
    (winner, (saved, _)), (loser, message) = next(iter(results.items())), next(iter(errors.items()))
    assert winner != loser
    assert f"adjudicated meanwhile by {winner}" in message and f": {saved.decision}. Their decision stands" in message
    assert list_adjudications(store, closed.id) == [saved]
    with store.transaction() as conn:
        assert conn.execute(select(func.count()).select_from(EXPECTATIONS)).scalar_one() == 2  # C0 and C1 once


@pytest.mark.parametrize("table", [ADJUDICATIONS, EXPECTATIONS], ids=lambda t: t.name)
def test_adjudications_and_expectations_are_append_only(store, table):
    closed, _ = _answered_and_closed(store)
    adjudicate(store, closed.id, "C1", CY, "decline", "r", queue={"C1": SPLIT}, decisions=DECISIONS)
    for statement in (update(table).values(case_id="X"), delete(table)):
        with pytest.raises(StoreError, match="append-only"):
            with store.transaction(write=True) as conn:
                conn.execute(statement)


def test_a_reviewer_queue_is_unchanged_by_adjudication(store):
    closed, _ = _answered_and_closed(store)
    before = my_queue(store, closed.id, ANN)
    adjudicate(store, closed.id, "C1", CY, "decline", "r", queue={"C1": SPLIT}, decisions=DECISIONS)
    assert my_queue(store, closed.id, ANN) == before
