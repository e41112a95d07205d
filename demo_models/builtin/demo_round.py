"""The demo history's review round: credit v3 shown to two loan officers, with one adjudicated split.

Made through the calls the Reviews page makes (cases chosen by strategy, blind decisions, verdicts, the
round closed by its creator, the split case adjudicated by risk), so a fresh install shows a completed
round, its expectations and one that v3 breaks.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from demo_models.builtin.demo_feedback import AYLIN, JONAS, MARA, TOMAS
from demo_models.iterations.scoring import ScoredIteration
from demo_models.reviews.expectations import adjudication_queue, close_and_keep, record_adjudication
from demo_models.reviews.rounds import choose_cases, start_round
from feedback.access import demo_subject
from feedback.rounds import Reviewer, ReviewRound, Verdict
from feedback.store.database import FeedbackStore
from feedback.store.rounds import my_queue, save_own_decision, save_verdict


def seed_credit_round(store: FeedbackStore, scored: Mapping[str, ScoredIteration], versions: list[str]) -> None:
    """A completed review round of v3 against v2 by two loan officers: six cases (two flips, two borderline,
    two random), both agree with v3 on all but the first flip, where they split; risk adjudicates it as v2
    decided, so v3 breaks that one expectation and meets the unanimous ones."""
    v3 = scored["v3"]
    decisions = [v3.use_case.negative_decision, v3.use_case.positive_decision]
    selection = choose_cases(store, v3, {"flips": 2, "borderline": 2, "random": 2}, 11, scored["v2"])
    people = tuple(Reviewer(demo_subject(p.name), p.name, p.role) for p in (JONAS, AYLIN))
    draft = ReviewRound(
        "credit",
        "v3",
        "v3 with the loan officers",
        "Do v3's decisions on the cases that flip since v2, and on borderline cases, make sense to loan officers?",
        date.today() + timedelta(days=7),
        people,
        6,
        2,
        11,
        "",
        "",
        compared_to="v2",
    )
    round_, _ = start_round(store, draft, selection, TOMAS, versions)
    model = v3.decisions()
    split = next(c for c in selection.cases.index if selection.cases.loc[c, "strategy"] == "flips")
    for person in (JONAS, AYLIN):
        for item in my_queue(store, round_.id, person):
            dissent = person is AYLIN and item.case_id == split
            own = next(d for d in decisions if d != model[item.case_id]) if dissent else model[item.case_id]
            save_own_decision(store, round_.id, item.case_id, person, own, 2 if dissent else 4, decisions=decisions)
            verdict = Verdict(
                "disagree" if dissent else "agree",
                clarity=3 if dissent else 4,
                comment="I would decide this one as before: the change since v2 is not explained by the reasons."
                if dissent
                else "",
            )
            save_verdict(store, round_.id, item.case_id, person, verdict)
    close_and_keep(store, round_.id, TOMAS, v3)
    queue = adjudication_queue(store, round_.id, TOMAS, v3)
    v2_decision = scored["v2"].decisions()[split]
    record_adjudication(
        store,
        queue,
        split,
        MARA,
        v2_decision,
        "The loan officers split on this flip; we keep the decision v2 made until the next iteration explains "
        "the change.",
        v3,
    )
