"""Pinning an expectation on a case and retiring one with a reason (SQLite and PostgreSQL): roles enforced in
the domain, people by subject, a retirement kept beside the expectation, and a retired one no longer counts."""

from __future__ import annotations

import sqlite3
import threading

import pandas as pd
import pytest
from sqlalchemy import delete, insert, update

from demo_models.metrics.expectations import check_expectations, lines_frame, retired_frame, with_retired
from feedback.access import AccessError, Actor, demo_subject
from feedback.expectations import PINNED_ROUND, Expectation, ExpectationError, pin_expectation, retire
from feedback.store.database import FeedbackStore, StoreError
from feedback.store.expectations import (
    list_expectations,
    list_retirements,
    read_expectation_book,
    retire_expectation,
    save_pinned,
)
from feedback.store.schema import EXPECTATION_RETIREMENTS, EXPECTATIONS, LATEST_VERSION, MIGRATIONS
from tests.unit.feedback.test_expectations_store import _answered_and_closed
from tests.unit.feedback.test_rounds_store import DECISIONS

DEE, ADA = Actor("Dee", "data scientist"), Actor("Ada", "admin")
CY, BEA = Actor("Cy", "risk"), Actor("Bea", "business user")


def _pin(store, case_id="C5", decision="decline", actor=CY, reason="Three missed payments"):
    return save_pinned(store, actor, "credit", case_id, "v3", decision, reason, decisions=DECISIONS)


# --- the rules (no store) ------------------------------------------------------------------------
def test_a_pin_is_authored_by_the_subject_and_needs_a_decision_and_a_reason():
    pinned = pin_expectation(Actor("Cy ", "risk", "https://idp#cy"), "credit", "C5", "v3", "decline", " r ", DECISIONS)
    assert pinned == Expectation("credit", "C5", "decline", "pinned", PINNED_ROUND, "v3", "https://idp#cy", "Cy", "r")
    assert (pinned.source_label, pinned.origin) == ("pinned from Explore", "pinned from Explore by Cy on v3")
    assert pin_expectation(CY, "credit", "C5", "v3", "decline", "r", DECISIONS).author_subject == demo_subject("Cy")
    with pytest.raises(AccessError, match="A business user cannot pin expectations"):
        pin_expectation(BEA, "credit", "C5", "v3", "decline", "r", DECISIONS)
    with pytest.raises(ExpectationError, match="choose one of approve, decline"):
        pin_expectation(CY, "credit", "C5", "v3", "default", "r", DECISIONS)
    with pytest.raises(ExpectationError, match="Say why"):
        pin_expectation(CY, "credit", "C5", "v3", "decline", "  ", DECISIONS)


def test_an_expectation_says_where_it_came_from_and_who_made_it():
    agreed = Expectation("credit", "C1", "approve", "unanimous", 3, "v3", "s:dana", "Dana", "all 2 reviewers")
    judged = Expectation("credit", "C2", "decline", "adjudicated", 3, "v3", "s:eve", "Eve", "missed payments")
    assert (agreed.source_label, agreed.origin) == ("round agreement", "agreed in round #3 (round by Dana)")
    assert (judged.source_label, judged.origin) == ("adjudication", "adjudicated in round #3 by Eve")


def test_only_a_data_scientist_or_an_admin_retires_and_says_why():
    kept = Expectation("credit", "C0", "approve", "unanimous", 1, "v3", "demo:dee", "Dee", "all agreed", id=7)
    for actor in (DEE, ADA):
        done = retire(actor, kept, "Policy changed in March", None)
        assert (done.expectation_id, done.actor_subject, done.actor_role) == (7, demo_subject(actor.name), actor.role)
    for actor in (CY, BEA, Actor("Eve", "compliance")):
        with pytest.raises(AccessError, match="cannot retire expectations; ask: admin, data scientist"):
            retire(actor, kept, "r", None)
    with pytest.raises(ExpectationError, match="Say why"):
        retire(DEE, kept, "", None)
    signed_in = Expectation("credit", "C0", "approve", "pinned", 0, "v3", "https://idp#cy", "Cy", "r", id=8)
    with pytest.raises(AccessError, match="demo-mode name is not authenticated"):
        retire(DEE, signed_in, "r", None)
    assert retire(Actor("Dee", "data scientist", "https://idp#dee"), signed_in, "r", None).expectation_id == 8
    with pytest.raises(ExpectationError, match="retired already by Ada"):
        retire(DEE, kept, "r", retire(ADA, kept, "first", None))


# --- in the store ----------------------------------------------------------------------------------
def test_a_retired_expectation_keeps_its_history_and_no_longer_counts(store):
    _, [c0] = _answered_and_closed(store)  # C0: approve, unanimous
    decisions = pd.Series({"C0": "decline", "C5": "decline"})
    assert (check_expectations("v4", list_expectations(store, "credit"), decisions).met, len(c0.reason) > 0) == (
        0,
        True,
    )
    done = retire_expectation(store, c0.id, DEE, "The applicant's file was wrong")
    assert list_expectations(store, "credit") == []
    assert list_expectations(store, "credit", retired=True) == [c0]  # kept
    assert list_retirements(store, "credit") == [done]
    assert (done.case_id, done.reason, done.actor_name, done.actor_subject) == (
        "C0",
        "The applicant's file was wrong",
        "Dee",
        demo_subject("Dee"),
    )
    assert done.created_at is not None and done.created_at.tzinfo is not None
    check = check_expectations("v4", list_expectations(store, "credit"), decisions)
    assert (check.met, check.checked) == (0, 0)  # nothing to check: undefined, not 0 of 0 met
    assert check.share_met != check.share_met
    book = read_expectation_book(store, "credit")
    assert book.in_force == [] and book.retired == [(c0, done)]


def test_each_expectation_is_listed_with_its_source_and_the_retired_apart_not_counted(store):
    _, [c0] = _answered_and_closed(store)  # C0: approve, agreed in the round
    pinned, elsewhere = _pin(store), _pin(store, case_id="C99")  # C99: a case v4 has no evaluation row for
    decisions = pd.Series({"C0": "approve", "C5": "approve"})

    def checked():
        book = read_expectation_book(store, "credit")
        return with_retired(check_expectations("v4", book.in_force, decisions), book.retired)

    check = checked()
    assert [(x.case_id, x.outcome, x.source, x.author, x.origin) for x in check.lines] == [
        ("C0", "met", "round agreement", c0.author_name, c0.origin),
        ("C5", "broken", "pinned from Explore", "Cy", "pinned from Explore by Cy on v3"),
        ("C99", "not checked", "pinned from Explore", "Cy", "pinned from Explore by Cy on v3"),
    ]
    assert (check.met, check.checked, check.retired) == (1, 2, ())
    assert list(lines_frame(check)["Decides"]) == ["approve", "approve", "—"]
    retire_expectation(store, pinned.id, DEE, "The file was corrected")
    check = checked()
    assert (check.met, check.checked, [x.case_id for x in check.lines]) == (1, 1, ["C0", "C99"])
    [gone] = check.retired
    assert (gone.case_id, gone.expected, gone.source, gone.author, gone.retired_by, gone.reason) == (
        "C5",
        "decline",
        "pinned from Explore",
        "Cy",
        "Dee (data scientist)",
        "The file was corrected",
    )
    assert list(retired_frame(check)["Why retired"]) == ["The file was corrected"] and elsewhere.id > pinned.id


def test_retiring_refused_writes_nothing(store):
    _, [c0] = _answered_and_closed(store)
    with pytest.raises(AccessError):
        retire_expectation(store, c0.id, CY, "r")
    with pytest.raises(ExpectationError, match="Say why"):
        retire_expectation(store, c0.id, DEE, " ")
    with pytest.raises(ExpectationError, match="no expectation #999"):
        retire_expectation(store, 999, DEE, "r")
    retire_expectation(store, c0.id, ADA, "first")
    with pytest.raises(ExpectationError, match="retired already by Ada .* first"):
        retire_expectation(store, c0.id, DEE, "second")
    assert [r.reason for r in list_retirements(store, "credit")] == ["first"]


def test_a_pinned_expectation_counts_for_every_iteration_and_the_latest_pin_wins(store):
    first = _pin(store)
    assert list_expectations(store, "credit") == [first] and list_expectations(store, "churn") == []
    for version, decided, met in (("v1", "decline", 1), ("v3", "approve", 0)):
        check = check_expectations(version, list_expectations(store, "credit"), pd.Series({"C5": decided}))
        assert (check.met, check.checked) == (met, 1)
    later = _pin(store, decision="approve", actor=DEE, reason="Guarantor added")  # same case, no round: allowed
    check = check_expectations("v1", list_expectations(store, "credit"), pd.Series({"C5": "decline"}))
    assert (check.met, [(b.expected, b.origin) for b in check.broken]) == (
        0,
        [("approve", "pinned from Explore by Dee on v3")],
    )
    retire_expectation(store, later.id, DEE, "Guarantor withdrew")  # the earlier pin is in force again
    assert read_expectation_book(store, "credit").in_force == [first]


def test_one_round_case_still_gives_one_expectation(store):
    closed, [c0] = _answered_and_closed(store)
    row = {k: v for k, v in c0.__dict__.items() if k != "id"}
    with pytest.raises(StoreError):
        with store.transaction(write=True) as conn:
            conn.execute(insert(EXPECTATIONS).values(**row))


def test_two_retirements_at_once_one_wins_and_the_other_is_told(store):
    _, [c0] = _answered_and_closed(store)
    start, results, errors = threading.Barrier(2), {}, {}

    def work(actor: Actor) -> None:
        start.wait()
        try:
            results[actor.name] = retire_expectation(store, c0.id, actor, f"{actor.name} says so")
        except ExpectationError as err:
            errors[actor.name] = str(err)

    threads = [threading.Thread(target=work, args=(actor,)) for actor in (DEE, ADA)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 1 and len(errors) == 1
    [(winner, saved)], [message] = results.items(), errors.values()
    assert f"retired already by {winner}" in message
    assert list_retirements(store, "credit") == [saved]


def test_retirements_are_append_only(store):
    _, [c0] = _answered_and_closed(store)
    retire_expectation(store, c0.id, DEE, "r")
    for statement in (update(EXPECTATION_RETIREMENTS).values(reason="X"), delete(EXPECTATION_RETIREMENTS)):
        with pytest.raises(StoreError, match="append-only"):
            with store.transaction(write=True) as conn:
                conn.execute(statement)


def test_a_schema_15_store_keeps_its_expectations_and_accepts_pins(tmp_path, monkeypatch):
    path = tmp_path / "v15.sqlite3"
    monkeypatch.setattr("feedback.store.database.MIGRATIONS", MIGRATIONS[:15])
    monkeypatch.setattr("feedback.store.database.LATEST_VERSION", 15)
    old = FeedbackStore(f"sqlite:///{path}")
    _, [c0] = _answered_and_closed(old)
    monkeypatch.undo()
    upgraded = FeedbackStore(f"sqlite:///{path}")
    assert upgraded.schema_version() == LATEST_VERSION == 17
    assert list_expectations(upgraded, "credit") == [c0]
    _pin(upgraded), _pin(upgraded)  # two pins of one case: the unique index now covers round cases only
    assert len(list_expectations(upgraded, "credit")) == 3
    [sql] = sqlite3.connect(path).execute("SELECT sql FROM sqlite_master WHERE name = 'ix_expectations_round'")
    assert "WHERE round_id > 0" in sql[0]
