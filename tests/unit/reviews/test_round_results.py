"""A round end to end on the built-in credit iterations: cases chosen with the store's context, answers,
results private until closed, and the agreement figures equal to summarise_agreement on the same answers."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from demo_models.formats import format_share
from demo_models.iterations.round_results import agreement_table, round_results
from demo_models.metrics.agreement import summarise_agreement
from demo_models.metrics.groups import group_frame
from demo_models.reviews.rounds import choose_cases, start_round
from feedback.access import Actor, demo_subject
from feedback.rounds import Reviewer, ReviewRound, Verdict
from feedback.store.records import add_feedback
from feedback.store.rounds import close_round, my_queue, save_own_decision, save_verdict
from tests.helpers import make_draft

DEE, ANN, BO = Actor("Dee", "data scientist"), Actor("Ann", "risk"), Actor("Bo", "business user")


def _draft(seed: int = 5) -> ReviewRound:
    return ReviewRound(
        "credit",
        "v3",
        "Round 1",
        "Do the reasons make sense?",
        date.today() + timedelta(days=7),
        (Reviewer(demo_subject("Ann"), "Ann", "risk"), Reviewer(demo_subject("Bo"), "Bo", "business user")),
        10,
        2,
        seed,
        "",
        "",
        compared_to="v2",
    )


def test_cases_flagged_in_earlier_feedback_are_chosen_and_the_same_seed_chooses_the_same(sqlite_store, scored):
    flagged = list(scored["v3"].scores.index[:3])
    for case in flagged:
        add_feedback(sqlite_store, make_draft(case_id=case, verdict="disagree"), {"v3"})
    add_feedback(sqlite_store, make_draft(case_id=scored["v3"].scores.index[5], verdict="agree"), {"v3"})
    quotas = {"flagged": 5, "borderline": 3, "random": 2}
    first = choose_cases(sqlite_store, scored["v3"], quotas, 9, scored["v2"])
    assert sorted(first.cases.index[first.cases["strategy"] == "flagged"]) == sorted(flagged)
    assert first.shortfall["flagged"].startswith("2 fewer than asked")
    pd.testing.assert_frame_equal(choose_cases(sqlite_store, scored["v3"], quotas, 9, scored["v2"]).cases, first.cases)


def test_results_are_private_until_closed_then_equal_summarise_agreement(sqlite_store, scored):
    v3 = scored["v3"]
    selection = choose_cases(sqlite_store, v3, {"borderline": 5, "random": 5}, 1, scored["v2"])
    round_, assignment = start_round(sqlite_store, _draft(), selection, DEE, {"v1", "v2", "v3"})
    assert assignment.shortfall == () and sum(len(q) for q in assignment.by_reviewer.values()) == 20
    model = v3.decisions()
    allowed = tuple(sorted(set(model)))
    for actor, flip in ((ANN, False), (BO, True)):
        for i, item in enumerate(my_queue(sqlite_store, round_.id, actor)[:8]):
            own = (
                model[item.case_id]
                if not (flip and i % 3 == 0)
                else next(d for d in allowed if d != model[item.case_id])
            )
            save_own_decision(sqlite_store, round_.id, item.case_id, actor, own, 4, decisions=allowed)
            save_verdict(sqlite_store, round_.id, item.case_id, actor, Verdict("agree", clarity=1 + i % 5))
    open_results = round_results(sqlite_store, round_.id, ANN, v3)
    assert open_results.agreement is None and "when the round closes" in open_results.why_no_agreement
    assert set(open_results.answers["reviewer"]) == {"Ann"} and len(open_results.answers) == 8
    assert list(open_results.completion["answered"]) == [8, 8] and list(open_results.completion["assigned"]) == [10, 10]
    close_round(sqlite_store, round_.id, DEE)
    results = round_results(sqlite_store, round_.id, BO, v3)
    assert len(results.answers) == 16
    ids = list(selection.cases.index)
    attribute = v3.card.protected_attributes[0]
    cases = pd.DataFrame(
        {
            "strategy": selection.cases["strategy"].to_numpy(),
            "decision": model.reindex(ids).to_numpy(),
            "group": group_frame(v3.features, (attribute,), v3.use_case)[attribute].reindex(ids).astype(str).to_numpy(),
        },
        index=pd.Index(ids, name="case_id"),
    )
    expected = summarise_agreement(
        results.answers[["case_id", "reviewer", "own_decision", "verdict", "clarity"]], cases
    )
    assert results.agreement.with_model == expected.with_model
    assert results.agreement.alpha == expected.alpha
    assert results.agreement.by_group.equals(expected.by_group)
    bo_flips = sum(1 for i in range(8) if i % 3 == 0)
    assert results.agreement.with_model.successes == 16 - bo_flips  # a count by hand: Bo's own flips only
    assert results.agreement.split_cases == tuple(
        sorted(results.answers.groupby("case_id")["own_decision"].nunique().pipe(lambda n: n[n > 1]).index)
    )
    table = agreement_table(results.agreement)
    answers = results.answers.assign(agreed=results.answers["own_decision"] == results.answers["decision"])
    for strategy, part in answers.groupby("strategy"):
        [row] = table[(table["By"] == "Strategy") & (table["Which"] == strategy)].to_dict("records")
        low, high = proportion_confint(int(part["agreed"].sum()), len(part), method="wilson")
        assert row["Blind decisions equal to the model's"] == f"{int(part['agreed'].sum())} of {len(part)}"
        share = format_share(part["agreed"].mean())
        assert row["Share (95% interval)"] == f"{share} ({format_share(low)} to {format_share(high)})"
    assert set(table["By"]) == {"Strategy", "Model's decision", "Group"}
