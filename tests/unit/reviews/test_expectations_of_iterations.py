"""After a round on a real iteration: unanimous cases kept at close, the adjudication queue, an adjudicated
case kept, and every iteration (including one registered afterwards) checked against the expectations,
equal to a brute force over the cases."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from demo_models.iterations.lineup import read_lineup
from demo_models.iterations.registry import list_iterations, register_iteration
from demo_models.metrics.expectations import check_expectations, expectations_frame
from demo_models.reviews.expectations import adjudication_queue, check_iterations, close_and_keep, record_adjudication
from demo_models.reviews.rounds import choose_cases, start_round
from feedback.access import Actor, demo_subject
from feedback.expectations import AGAINST_MODEL, SPLIT, Expectation
from feedback.rounds import Reviewer, ReviewRound, RoundError, Verdict
from feedback.store.expectations import list_expectations
from feedback.store.rounds import my_queue, save_own_decision, save_verdict
from tests.helpers import approvals_data, fit_approvals_model, register_approvals

DEE, ANN, BO, CY = Actor("Dee", "data scientist"), Actor("Ann", "risk"), Actor("Bo", "risk"), Actor("Cy", "compliance")


def _draft(use_case: str, iteration: str) -> ReviewRound:
    people = (Reviewer(demo_subject("Ann"), "Ann", "risk"), Reviewer(demo_subject("Bo"), "Bo", "risk"))
    return ReviewRound(use_case, iteration, "R", "p", date.today() + timedelta(days=3), people, 6, 2, 3, "", "")


def _run_round(store, scored, use_case: str, iteration: str, versions):
    """6 cases seen by Ann and Bo: cases 0-2 both agree with the model, case 3 they split, case 4 both
    against the model, case 5 Ann only (agrees). Returns the round and its case ids in queue order."""
    selection = choose_cases(store, scored, {"random": 6}, 2)
    round_, _ = start_round(store, _draft(use_case, iteration), selection, DEE, versions)
    cases = [item.case_id for item in my_queue(store, round_.id, ANN)]
    model = scored.decisions()
    decisions = [scored.use_case.negative_decision, scored.use_case.positive_decision]
    other = {d: next(o for o in decisions if o != d) for d in decisions}
    for i, case in enumerate(cases):
        plan = {ANN: model[case], BO: model[case]}
        if i == 3:
            plan[BO] = other[model[case]]
        if i == 4:
            plan = {ANN: other[model[case]], BO: other[model[case]]}
        if i == 5:
            plan = {ANN: model[case]}
        for actor, own in plan.items():
            save_own_decision(store, round_.id, case, actor, own, 3, decisions=decisions)
            verdict = "agree" if own == model[case] else "disagree"
            save_verdict(store, round_.id, case, actor, Verdict(verdict, clarity=4))
    return round_, cases


def test_a_round_keeps_its_unanimous_cases_and_queues_the_splits(sqlite_store, scored, registry_dir):
    v3 = scored["v3"]
    round_, cases = _run_round(sqlite_store, v3, "credit", "v3", {"v1", "v2", "v3"})
    assert adjudication_queue(sqlite_store, round_.id, DEE, v3).why_empty.startswith("Cases are queued")
    _, kept = close_and_keep(sqlite_store, round_.id, DEE, v3)
    assert sorted(e.case_id for e in kept) == sorted(cases[:3])
    assert all(e.expected_decision == v3.decisions()[e.case_id] and e.source == "unanimous" for e in kept)
    queue = adjudication_queue(sqlite_store, round_.id, DEE, v3)
    assert queue.reasons == {cases[3]: SPLIT, cases[4]: AGAINST_MODEL}
    assert queue.waiting == sorted([cases[3], cases[4]])
    with pytest.raises(RoundError, match="You reviewed case"):
        record_adjudication(sqlite_store, queue, cases[3], ANN, "approve", "x", v3)
    decided = v3.use_case.negative_decision
    saved, expectation = record_adjudication(sqlite_store, queue, cases[3], CY, decided, "Savings too thin", v3)
    assert saved.adjudicator_name == "Cy" and expectation.source == "adjudicated"
    after = adjudication_queue(sqlite_store, round_.id, DEE, v3)
    assert after.waiting == [cases[4]] and after.cases.loc[cases[3], "adjudicated"] == decided
    with pytest.raises(RoundError, match="adjudicated meanwhile by Cy"):
        record_adjudication(sqlite_store, queue, cases[3], Actor("Eve", "admin"), decided, "again", v3)

    expected = {e.case_id: e.expected_decision for e in list_expectations(sqlite_store, "credit")}
    lineup = read_lineup(sqlite_store, "credit", list_iterations(registry_dir=registry_dir))
    checks, _ = check_iterations(sqlite_store, "credit", lineup.cards, registry_dir)
    assert [c.iteration for c in checks] == ["v1", "v2", "v3"]
    for check in checks:  # brute force: each iteration's decision on each expected case
        decisions = scored[check.iteration].at_threshold(lineup.card(check.iteration).threshold).decisions()
        broken = sorted(c for c, d in expected.items() if decisions[c] != d)
        assert check.met == len(expected) - len(broken) and [b.case_id for b in check.broken] == broken
        assert check.not_checked == ()
    v3_check = checks[-1]
    assert (v3_check.met, len(v3_check.broken)) == (3, 1) and v3_check.broken[0].case_id == cases[3] != decided
    table = expectations_frame(checks)
    assert list(table["Met"])[-1] == "3 of 4" and list(table["Broken cases"])[-1] == cases[3]


def test_an_iteration_registered_afterwards_is_checked(sqlite_store, tmp_path):
    from demo_models.iterations.lineup import load_at_agreed_threshold

    root = tmp_path / "registry"
    register_approvals(root)
    lineup = read_lineup(sqlite_store, "loans", list_iterations(registry_dir=root))
    v1 = load_at_agreed_threshold(root, lineup.card("v1"))
    round_, _ = _run_round(sqlite_store, v1, "loans", "v1", {"v1"})
    close_and_keep(sqlite_store, round_.id, DEE, v1)
    before, expectations = check_iterations(sqlite_store, "loans", lineup.cards, root)
    assert [c.iteration for c in before] == ["v1"] and before[0].met == 3 and before[0].broken == ()

    frame = approvals_data()
    register_iteration(
        fit_approvals_model(frame), frame.iloc[:600], use_case="loans", version="v2", parent="v1", target="approved",
        author="Test", positive_class="approved", threshold=0.9, favourable="positive",
        protected_attributes=["region"], registry_dir=root,
    )  # fmt: skip
    lineup = read_lineup(sqlite_store, "loans", list_iterations(registry_dir=root))
    after, _ = check_iterations(sqlite_store, "loans", lineup.cards, root)
    assert [c.iteration for c in after] == ["v1", "v2"]
    v2 = load_at_agreed_threshold(root, lineup.card("v2")).decisions()
    expected = {e.case_id: e.expected_decision for e in expectations}
    assert after[1].met == sum(v2[c] == d for c, d in expected.items())
    assert [b.case_id for b in after[1].broken] == sorted(c for c, d in expected.items() if v2[c] != d)
    assert after[1].broken, "a threshold of 0.9 should decline some case reviewers agreed to approve"


def test_a_case_the_iteration_was_not_evaluated_on_is_not_checked():
    expectation = Expectation("credit", "Z9", "approve", "unanimous", 1, "v3", "s", "Dee", "r", id=1)
    check = check_expectations("v4", [expectation], pd.Series({"A1": "approve"}))
    assert (check.met, check.broken, check.not_checked) == (0, (), ("Z9",))
    assert check.describe() == "v4: no expectation can be checked yet (1 are on cases it was not evaluated on)"
    assert expectations_frame([check])["Met"].tolist() == ["—"] and expectations_frame([check])["Share met"][0] == "—"
