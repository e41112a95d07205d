"""Adjudication rules and the expectations kept from a round (pure: no store)."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from feedback.access import AccessError, Actor, demo_subject
from feedback.expectations import (
    AGAINST_MODEL,
    ALONE_AGAINST_MODEL,
    SPLIT,
    Expectation,
    check_adjudication,
    check_may_adjudicate,
    considered_decision,
    current_expectations,
    unanimous_expectations,
    view_cases,
)
from feedback.rounds import RoundAnswer, RoundError
from tests.unit.feedback.test_rounds import make_round

DECISIONS = ("approve", "decline")
NOW = datetime(2026, 12, 3, tzinfo=timezone.utc)


def _answer(case: str, who: str, own: str, verdict: str | None) -> RoundAnswer:
    return RoundAnswer(1, case, demo_subject(who), who, own, 3, NOW, verdict)


def _brute_outcome(given: list[tuple[str, str | None]], model: str) -> tuple[str, str]:
    """The outcome by enumeration: each reviewer's stand (own if no verdict, model if agree, other if disagree)."""
    other = next(d for d in DECISIONS if d != model)
    stands = [own if v is None else {"agree": model, "disagree": other, "unsure": None}[v] for own, v in given]
    owns = [own for own, _ in given]
    if len(set(owns)) > 1 or len(set(stands)) > 1 or None in stands:
        return "adjudicate", SPLIT
    if stands[0] != model:
        return "adjudicate", AGAINST_MODEL if len(given) > 1 else ALONE_AGAINST_MODEL
    return ("agreed" if len(given) > 1 else "alone"), ""


def test_every_combination_of_two_answers_is_classified_as_by_enumeration():
    answers, model, expected = [], {}, {}
    choices = list(itertools.product(DECISIONS, (None, "agree", "disagree", "unsure")))
    for number, (first, second, decision) in enumerate(itertools.product(choices, choices, DECISIONS)):
        case = f"C{number:03d}"
        answers += [_answer(case, "Ann", *first), _answer(case, "Bo", *second)]
        model[case] = decision
        expected[case] = _brute_outcome([first, second], decision)
    for number, (first, decision) in enumerate(itertools.product(choices, DECISIONS)):
        case = f"S{number:03d}"
        answers.append(_answer(case, "Ann", *first))
        model[case] = decision
        expected[case] = _brute_outcome([first], decision)
    views = view_cases(answers, model, DECISIONS)
    assert {v.case_id: (v.outcome, v.why) for v in views} == expected
    assert len(views) == 8 * 8 * 2 + 8 * 2
    assert {v.outcome for v in views} == {"agreed", "adjudicate", "alone"}


def test_considered_decision_follows_the_verdict():
    answer = _answer("A", "Ann", "approve", None)
    assert considered_decision(answer, "decline", DECISIONS) == "approve"
    assert considered_decision(replace(answer, verdict="agree"), "decline", DECISIONS) == "decline"
    assert considered_decision(replace(answer, verdict="disagree"), "decline", DECISIONS) == "approve"
    assert considered_decision(replace(answer, verdict="unsure"), "decline", DECISIONS) is None


def test_unanimous_cases_become_expectations_of_the_round():
    round_ = replace(make_round(), id=4, status="closed")
    answers = [
        _answer("A", "Ann", "approve", "agree"),
        _answer("A", "Bo", "approve", None),
        _answer("B", "Ann", "approve", "agree"),
        _answer("B", "Bo", "decline", "agree"),
        _answer("C", "Ann", "decline", "agree"),
    ]
    kept = unanimous_expectations(
        round_, view_cases(answers, {"A": "approve", "B": "approve", "C": "decline"}, DECISIONS)
    )
    assert [(e.case_id, e.expected_decision, e.source, e.round_id, e.iteration) for e in kept] == [
        ("A", "approve", "unanimous", 4, "v3")
    ]
    assert kept[0].author_name == "Dee" and "2 reviewers" in kept[0].reason


def test_only_adjudicating_roles_on_queued_cases_of_closed_rounds_they_did_not_answer():
    closed = replace(make_round(), id=1, status="closed")
    queue = {"A": SPLIT}
    for role in ("business user",):
        with pytest.raises(AccessError, match="cannot adjudicate"):
            check_may_adjudicate(closed, Actor("Cy", role), queue, "A", set())
    with pytest.raises(AccessError):
        check_may_adjudicate(closed, Actor("", "risk"), queue, "A", set())
    with pytest.raises(RoundError, match="still open"):
        check_may_adjudicate(replace(closed, status="open"), Actor("Cy", "risk"), queue, "A", set())
    with pytest.raises(RoundError, match="not in the adjudication queue"):
        check_may_adjudicate(closed, Actor("Cy", "risk"), queue, "B", set())
    with pytest.raises(RoundError, match="You reviewed case A"):
        check_may_adjudicate(closed, Actor("Ann ", "risk"), queue, "A", {demo_subject("Ann")})
    actor = check_may_adjudicate(closed, Actor("Cy", "compliance", "idp|42"), queue, "A", {demo_subject("Ann")})
    assert actor.subject == "idp|42"
    for role in ("admin", "data scientist", "risk", "compliance"):
        assert check_may_adjudicate(closed, Actor("Cy", role), queue, "A", set()).subject == demo_subject("Cy")


def test_an_adjudication_needs_a_known_decision_and_a_reason():
    assert check_adjudication("decline", "  income too unstable ", DECISIONS) == ("decline", "income too unstable")
    with pytest.raises(RoundError, match="choose one of approve, decline"):
        check_adjudication("maybe", "x", DECISIONS)
    with pytest.raises(RoundError, match="Say why"):
        check_adjudication("approve", "   ", DECISIONS)


def test_the_latest_expectation_per_case_is_in_force():
    first = Expectation("credit", "A", "approve", "unanimous", 1, "v2", "s", "Dee", "r", id=1)
    later = replace(first, expected_decision="decline", source="adjudicated", round_id=2, id=5)
    other = replace(first, case_id="B", id=3)
    assert current_expectations([later, other, first]) == {"A": later, "B": other}
