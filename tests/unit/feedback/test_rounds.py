"""Review rounds' pure rules: validation, assignment of cases to reviewers, who may answer and read."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date, datetime, timezone

import pytest

from feedback.access import AccessError, Actor, demo_subject
from feedback.rounds import (
    QueueItem,
    Reviewer,
    ReviewRound,
    RoundAnswer,
    RoundError,
    Verdict,
    assign_cases,
    check_may_answer,
    check_may_close,
    check_may_create,
    check_verdict,
    describe_progress,
    parse_reviewer_lines,
    plan_own_decision,
    plan_verdict,
    resolve_reviewers,
    resume_position,
    rounds_of_reviewer,
    validate_round,
    visible_answers,
)

TODAY = date(2026, 12, 2)
ANN, BO = Reviewer(demo_subject("Ann"), "Ann", "risk"), Reviewer(demo_subject("Bo"), "Bo", "business user")


def make_round(**changes) -> ReviewRound:
    values = dict(
        use_case="credit",
        iteration="v3",
        name="Round 1",
        purpose="Do the reasons make sense?",
        due_date=date(2026, 12, 9),
        reviewers=(ANN, BO),
        cases_per_reviewer=10,
        overlap=2,
        seed=7,
        created_by_subject=demo_subject("Dee"),
        created_by_name="Dee",
        compared_to="v2",
    )
    return ReviewRound(**(values | changes))


def answer(subject: str, name: str, case: str = "A1", verdict: str | None = None) -> RoundAnswer:
    return RoundAnswer(1, case, subject, name, "approve", 3, datetime(2026, 12, 2, tzinfo=timezone.utc), verdict)


CASES = [f"C{i}" for i in range(40)]
PEOPLE = [f"demo:p{i}" for i in range(5)]


@pytest.mark.parametrize(("cases", "people", "per", "k"), [(40, 5, 8, 1), (40, 5, 16, 2), (30, 5, 10, 3), (7, 3, 5, 2)])
def test_each_case_is_seen_by_exactly_k_distinct_reviewers_and_loads_are_balanced(cases, people, per, k):
    result = assign_cases(CASES[:cases], PEOPLE[:people], per, k, seed=3)
    seen = Counter(c for queue in result.by_reviewer.values() for c in queue)
    assert set(seen.values()) == {k}
    assert len(seen) + len(result.unassigned) == cases
    for queue in result.by_reviewer.values():
        assert len(queue) == len(set(queue)) <= per  # distinct cases, never more than asked
    loads = [len(q) for q in result.by_reviewer.values()]
    assert max(loads) - min(loads) <= 1


def test_when_cases_suffice_every_reviewer_gets_exactly_the_cases_asked_and_nothing_is_short():
    result = assign_cases(CASES, PEOPLE, 16, 2, seed=1)  # 5 x 16 / 2 = 40 cases, as many as there are
    assert [len(q) for q in result.by_reviewer.values()] == [16] * 5
    assert result.unassigned == () and result.shortfall == ()


def test_the_same_seed_gives_the_same_assignment_and_another_seed_another():
    first = assign_cases(CASES, PEOPLE, 8, 2, seed=11)
    assert assign_cases(CASES, PEOPLE, 8, 2, seed=11) == first
    assert assign_cases(CASES, PEOPLE, 8, 2, seed=12) != first


def test_too_few_cases_and_too_many_cases_are_each_stated():
    few = assign_cases(CASES[:6], PEOPLE[:3], 10, 2, seed=0)  # 6 x 2 = 12 slots of 30 asked
    assert [len(q) for q in few.by_reviewer.values()] == [4, 4, 4]
    assert few.shortfall == (
        "3 of 3 reviewers get fewer than the 10 cases asked (as few as 4): there are 6 cases for 3 reviewers "
        "with overlap 2.",
    )
    many = assign_cases(CASES, PEOPLE[:2], 5, 2, seed=0)  # room for 5 cases seen twice
    assert len(many.unassigned) == 35
    assert many.shortfall == ("35 of 40 cases are not assigned: 2 reviewers × 5 cases / overlap 2 leaves room for 5.",)


def test_an_overlap_beyond_the_reviewers_is_refused_clearly():
    with pytest.raises(RoundError, match="cannot be seen by 3 reviewers when there are 2"):
        assign_cases(CASES, PEOPLE[:2], 5, 3, seed=0)


def test_a_valid_round_is_normalised_and_each_mistake_named():
    clean = validate_round(make_round(name="  Round 1 "), {"v2", "v3"}, TODAY)
    assert clean.name == "Round 1"
    for changes, message in [
        ({"iteration": "v9"}, "not a known iteration"),
        ({"compared_to": "v3"}, "with another one"),
        ({"due_date": date(2026, 12, 1)}, "has passed"),
        ({"reviewers": ()}, "at least one reviewer"),
        ({"reviewers": (ANN, ANN)}, "listed twice"),
        ({"overlap": 3}, "Overlap must be a whole number from 1 to 2"),
        ({"cases_per_reviewer": 0}, "Cases per reviewer"),
        ({"name": " "}, "Round name is required"),
        ({"reviewers": (Reviewer("demo:x", "X", "boss"),)}, "unknown role"),
    ]:
        with pytest.raises(RoundError, match=message):
            validate_round(make_round(**changes), {"v2", "v3"}, TODAY)


def test_reviewers_are_people_chosen_and_the_known_people_of_chosen_roles_each_once():
    cy = Reviewer("iss|cy", "Cy", "risk")
    assert resolve_reviewers([BO], ["risk"], [ANN, BO, cy]) == (BO, ANN, cy)
    with pytest.raises(RoundError, match="Unknown role"):
        resolve_reviewers([], ["boss"], [])


def test_only_data_scientists_and_admins_create_rounds():
    assert check_may_create(Actor("Dee", "data scientist")).subject == demo_subject("Dee")
    check_may_create(Actor("Ad", "admin"))
    for role in ("business user", "risk", "compliance"):
        with pytest.raises(AccessError, match="cannot create rounds"):
            check_may_create(Actor("Ann", role))


def test_only_an_assigned_reviewer_answers_by_subject_on_their_own_cases_while_open():
    round_ = make_round()
    assert check_may_answer(round_, Actor("Ann", "risk"), {"A1"}, "A1").subject == ANN.subject
    with pytest.raises(RoundError, match="not a reviewer"):
        check_may_answer(round_, Actor("Ann", "risk", subject="iss|ann"), {"A1"}, "A1")  # same name, another person
    with pytest.raises(RoundError, match="not in your queue"):
        check_may_answer(round_, Actor("Ann", "risk"), {"A1"}, "A2")
    with pytest.raises(RoundError, match="is closed"):
        check_may_answer(replace(round_, status="closed"), Actor("Ann", "risk"), {"A1"}, "A1")


def test_the_first_own_decision_is_kept_and_a_verdict_needs_it_and_may_be_replaced():
    first = answer(ANN.subject, "Ann")
    assert plan_own_decision(None, first) == first
    assert plan_own_decision(first, first) is None  # saved twice as it was: nothing to write
    with pytest.raises(RoundError, match="kept as it was"):
        plan_own_decision(first, replace(first, own_decision="decline"))
    now = datetime(2026, 12, 3, tzinfo=timezone.utc)
    with pytest.raises(RoundError, match="own decision on the case first"):
        plan_verdict(None, Verdict("agree"), now)
    agreed = plan_verdict(first, Verdict("agree", clarity=4), now)
    assert (agreed.own_decision, agreed.verdict, agreed.clarity, agreed.answered_at) == ("approve", "agree", 4, now)
    assert plan_verdict(agreed, Verdict("disagree"), now).verdict == "disagree"


def test_a_verdict_is_checked():
    assert check_verdict(Verdict("unsure", categories=("bug", "bug"), comment=" x ")) == Verdict(
        "unsure", None, ("bug",), None, "x"
    )
    for bad, message in [
        (Verdict("maybe"), "Verdict: choose"),
        (Verdict("agree", clarity=6), "Clarity"),
        (Verdict("agree", expected_outcome="yes"), "Expected outcome"),
        (Verdict("agree", categories=("nonsense",)), "Categories"),
    ]:
        with pytest.raises(RoundError, match=message):
            check_verdict(bad)


def test_reviewers_see_only_their_own_answers_until_the_round_closes():
    answers = [answer(ANN.subject, "Ann"), answer(BO.subject, "Bo")]
    round_ = make_round()
    assert visible_answers(round_, answers, Actor("Ann", "risk")) == answers[:1]
    assert visible_answers(round_, answers, Actor("Dee", "data scientist")) == []  # the creator too
    assert visible_answers(replace(round_, status="closed"), answers, Actor("Bo", "business user")) == answers


def test_the_creator_or_an_admin_closes_an_open_round():
    round_ = make_round()
    check_may_close(round_, Actor("Dee", "data scientist"))
    check_may_close(round_, Actor("Ad", "admin"))
    with pytest.raises(RoundError, match="Only Dee"):
        check_may_close(round_, Actor("Eve", "data scientist"))
    with pytest.raises(RoundError, match="already closed"):
        check_may_close(replace(round_, status="closed"), Actor("Dee", "data scientist"))


def test_resume_is_the_first_case_not_answered_and_progress_counts_answered():
    done, decided = answer(ANN.subject, "Ann", verdict="agree"), answer(ANN.subject, "Ann")
    queue = [QueueItem(0, "A", "random", "", done), QueueItem(1, "B", "random", "", decided), QueueItem(2, "C", "", "")]
    assert [item.state for item in queue] == ["answered", "decided", "to do"]
    assert resume_position(queue) == 1
    assert describe_progress(queue) == "1 of 3 answered"
    assert resume_position([queue[0]]) == 0 and resume_position([]) == 0


def test_typed_reviewers_are_demo_identities_and_a_bad_line_is_named():
    assert parse_reviewer_lines("Ann, risk\n\n  Bo Builder , business user ") == [
        Reviewer("demo:ann", "Ann", "risk"),
        Reviewer("demo:bo builder", "Bo Builder", "business user"),
    ]
    assert parse_reviewer_lines("") == []
    for text, message in [("Ann", "Line 1: write"), ("Ann, risk\nBo, boss", "Line 2: write"), (", risk", "Line 1")]:
        with pytest.raises(RoundError, match=message):
            parse_reviewer_lines(text)


def test_a_person_sees_the_rounds_they_review_by_subject_open_ones_first():
    closed, other = replace(make_round(), status="closed", id=1), make_round(reviewers=(BO,), id=2)
    open_ = make_round(id=3)
    assert rounds_of_reviewer([closed, other, open_], Actor("Ann", "risk")) == [open_, closed]
    assert rounds_of_reviewer([closed, open_], Actor("Ann", "risk", subject="iss|ann")) == []  # same name, not Ann
    assert rounds_of_reviewer([open_], Actor("", "risk")) == []
