"""What review rounds say about one iteration, as values of the catalogue's review metrics with their intervals.

Agreement with the model and clarity come from the iteration's latest closed round that has answers (the
figures Round results shows, from the same `summarise_agreement`: the Wilson interval of the blind decisions
equal to the model's, the t interval of the mean clarity); expectations met from every expectation in force of its use
case (`check_expectations`), with the Wilson interval of met of checked. A metric without data has no value
and says what it waits for ("waiting for a round: …"), never 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from demo_models.metrics.agreement import blind_agreement, clarity_ratings, mean_interval, rate_of
from demo_models.metrics.expectations import check_expectations
from feedback.access import Actor
from feedback.store.database import FeedbackStore
from feedback.store.expectations import list_expectations
from feedback.store.rounds import list_rounds, read_answers, read_round_cases

if TYPE_CHECKING:
    from demo_models.iterations.evaluation import Evaluation

REVIEW_KEYS = ("agreement_with_model", "clarity", "expectations_met")
READER = Actor("Involve", "admin")  # reads closed rounds, whose answers are everyone's to read (never writes)


@dataclass(frozen=True)
class ReviewMeasure:
    """A review metric of one iteration: its value and 95 % interval, or None and what it waits for; and
    where the value comes from ("round #3 “Monotone check”: 38 of 40 blind decisions")."""

    value: float | None
    interval: tuple[float, float] | None
    why: str = ""
    source: str = ""


@dataclass(frozen=True)
class ReviewEvidence:
    """The review metrics of one iteration, by catalogue key."""

    iteration: str
    measures: Mapping[str, ReviewMeasure]

    def measure(self, key: str) -> ReviewMeasure:
        """The measure of a review metric (no value, and why, for a key it does not hold)."""
        return self.measures.get(key, ReviewMeasure(None, None, f"{key!r} is not a review metric"))


def _waiting(why: str) -> ReviewMeasure:
    return ReviewMeasure(None, None, f"waiting for a round: {why}")


def round_frames(
    store: FeedbackStore, round_id: int, viewer: Actor, scored: Evaluation
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the answers `viewer` may read, each with its case's strategy and the model's decision; the round's cases
    by id: strategy, the model's decision under `scored`), as Round results and `summarise_agreement` take them."""
    chosen = read_round_cases(store, round_id)
    ids = [c.case_id for c in chosen]
    cases = pd.DataFrame({"strategy": [c.strategy for c in chosen]}, index=pd.Index(ids, name="case_id"))
    cases["decision"] = scored.decisions().reindex(ids).to_numpy()
    answers = read_answers(store, round_id, viewer)
    frame = pd.DataFrame(
        {
            "case_id": [a.case_id for a in answers],
            "reviewer": [a.reviewer_name for a in answers],
            "reviewer_subject": [a.reviewer_subject for a in answers],
            "own_decision": [a.own_decision for a in answers],
            "own_confidence": [a.own_confidence for a in answers],
            "verdict": [a.verdict for a in answers],
            "clarity": [a.clarity for a in answers],
            "comment": [a.comment for a in answers],
        }
    )
    return frame.join(cases[["strategy", "decision"]], on="case_id"), cases


def _from_rounds(store: FeedbackStore, scored: Evaluation) -> dict[str, ReviewMeasure]:
    version = scored.card.version
    rounds = [r for r in list_rounds(store, scored.card.use_case) if r.iteration == version]  # newest first
    if not rounds:
        waiting = _waiting(f"no review round of {version} has been held yet")
        return {"agreement_with_model": waiting, "clarity": waiting}
    for round_ in (r for r in rounds if r.status == "closed"):
        answers, cases = round_frames(store, round_.id, READER, scored)
        answers = answers[["case_id", "own_decision", "verdict", "clarity"]]
        if answers.empty:
            continue
        # only the two figures a claim reads: the bootstrap of alpha (Round results) is not redone on every page
        name = f"round #{round_.id} “{round_.name}”"
        rate = blind_agreement(answers, cases)[1]
        agreement = ReviewMeasure(
            rate.rate, (rate.low, rate.high), source=f"{name}: {rate.successes} of {rate.trials} blind decisions"
        )
        ratings = clarity_ratings(answers)
        if ratings.empty:
            clarity = _waiting(f"no reviewer rated the clarity of an explanation in {name}")
        else:
            clarity = ReviewMeasure(
                float(ratings.mean()),
                mean_interval(ratings.to_numpy()),
                source=f"{name}: {len(ratings)} clarity ratings",
            )
        return {"agreement_with_model": agreement, "clarity": clarity}
    still_open = [r for r in rounds if r.status == "open"]
    why = (
        f"round #{still_open[0].id} “{still_open[0].name}” is still open (its figures are shown when it closes)"
        if still_open
        else f"no closed round of {version} has answers"
    )
    return {"agreement_with_model": _waiting(why), "clarity": _waiting(why)}


def review_evidence(store: FeedbackStore, scored: Evaluation) -> ReviewEvidence:
    """The review metrics of the iteration `scored` (at its threshold) from the store's rounds and expectations."""
    measures = _from_rounds(store, scored)
    check = check_expectations(scored.card.version, list_expectations(store, scored.card.use_case), scored.decisions())
    if check.checked:
        rate = rate_of(check.met, check.checked)
        measures["expectations_met"] = ReviewMeasure(
            rate.rate, (rate.low, rate.high), source=f"{check.met} of {check.checked} expectations"
        )
    else:
        measures["expectations_met"] = _waiting(f"no expectation can be checked on {scored.card.version} yet")
    return ReviewEvidence(scored.card.version, measures)
