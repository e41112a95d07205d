"""After a round: its adjudication queue, closing it with its unanimous expectations, adjudicating a split
case, and every iteration tested against the expectations kept; pinning a case explored, and retiring an
expectation.

Joins the model's decisions (the round's iteration) with the round's answers and adjudications in the
store (`feedback.store.expectations`), so that each section of the Reviews page is one call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from demo_models.iterations.evaluation import Evaluation, load_evaluation
from demo_models.iterations.lineup import load_at_agreed_threshold
from demo_models.iterations.registry import IterationCard
from demo_models.metrics.expectations import ExpectationCheck, check_expectations, with_retired
from feedback.access import Actor, subject_of
from feedback.expectations import (
    Adjudication,
    CaseView,
    Expectation,
    ExpectationError,
    current_expectations,
    unanimous_expectations,
    view_cases,
)
from feedback.rounds import ReviewRound, RoundAnswer, RoundError
from feedback.store.database import FeedbackStore
from feedback.store.expectations import (
    adjudicate,
    close_round_keeping,
    list_adjudications,
    list_expectations,
    read_expectation_book,
    save_pinned,
)
from feedback.store.rounds import read_answers, read_round


def _decisions(scored: Evaluation) -> list[str]:
    return [scored.use_case.negative_decision, scored.use_case.positive_decision]


def _views(answers: Iterable[RoundAnswer], scored: Evaluation) -> list[CaseView]:
    answers = list(answers)
    model = scored.decisions().reindex(list({a.case_id for a in answers}))
    if model.isna().any():
        missing = ", ".join(map(str, model.index[model.isna()]))
        raise RoundError(f"Case(s) {missing} of the round are not among iteration {scored.card.version}'s cases.")
    return view_cases(answers, model.to_dict(), _decisions(scored))


def close_and_keep(
    store: FeedbackStore, round_id: int, actor: Actor, scored: Evaluation
) -> tuple[ReviewRound, list[Expectation]]:
    """Close a round and keep its unanimous cases as expectations (`scored`: the round's iteration)."""

    def keep(round_: ReviewRound, answers: list[RoundAnswer]) -> list[Expectation]:
        return unanimous_expectations(round_, _views(answers, scored))

    return close_round_keeping(store, round_id, actor, keep)


@dataclass(frozen=True)
class AdjudicationQueue:
    """A closed round's cases to adjudicate, why each, what the reviewers said, and the outcome if decided."""

    round: ReviewRound
    cases: pd.DataFrame  # by case id: why, model, reviewers, adjudicated, by, reason
    why_empty: str = ""
    reviewed_by: Mapping[str, frozenset[str]] = field(default_factory=dict)  # case id -> reviewers' subjects

    @property
    def waiting(self) -> list[str]:
        """The cases still to adjudicate, in order."""
        return [c for c, row in self.cases.iterrows() if not row["adjudicated"]]

    def waiting_for(self, actor: Actor) -> list[str]:
        """The cases still to adjudicate that `actor` may adjudicate (not those they reviewed themselves)."""
        subject = subject_of(actor.subject, actor.name)
        return [c for c in self.waiting if subject not in self.reviewed_by.get(c, frozenset())]

    @property
    def reasons(self) -> dict[str, str]:
        """Case id -> why it is queued (the store checks an adjudication against it)."""
        return self.cases["why"].to_dict()


def adjudication_queue(store: FeedbackStore, round_id: int, viewer: Actor, scored: Evaluation) -> AdjudicationQueue:
    """The round's adjudication queue (empty with why while it is open or nobody split)."""
    round_ = read_round(store, round_id)
    columns = ["why", "model", "reviewers", "adjudicated", "by", "reason"]
    empty = pd.DataFrame(columns=columns, index=pd.Index([], name="case_id"))
    if round_.status != "closed":
        return AdjudicationQueue(round_, empty, "Cases are queued for adjudication when the round closes.")
    answers = read_answers(store, round_id, viewer)
    by_case: dict[str, list[RoundAnswer]] = {}
    for answer in answers:
        by_case.setdefault(answer.case_id, []).append(answer)
    done: dict[str, Adjudication] = {a.case_id: a for a in list_adjudications(store, round_id)}
    rows = {}
    for view in _views(answers, scored):
        if view.outcome != "adjudicate":
            continue
        said = "; ".join(
            f"{a.reviewer_name}: {a.own_decision} blind, then {a.verdict or 'no verdict'}"
            for a in by_case[view.case_id]
        )
        decided = done.get(view.case_id)
        rows[view.case_id] = [
            view.why,
            view.model_decision,
            said,
            decided.decision if decided else "",
            decided.adjudicator_name if decided else "",
            decided.reason if decided else "",
        ]
    if not rows:
        return AdjudicationQueue(round_, empty, "The reviewers agreed with each other and the model on every case.")
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    frame.index.name = "case_id"
    reviewed = {c: frozenset(a.reviewer_subject for a in by_case[c]) for c in rows}
    return AdjudicationQueue(round_, frame, reviewed_by=reviewed)


def record_adjudication(
    store: FeedbackStore,
    queue: AdjudicationQueue,
    case_id: str,
    actor: Actor,
    decision: str,
    reason: str,
    scored: Evaluation,
) -> tuple[Adjudication, Expectation]:
    """Record the agreed outcome of a queued case and keep it as an expectation (RoundError / AccessError)."""
    return adjudicate(
        store, queue.round.id, case_id, actor, decision, reason, queue=queue.reasons, decisions=_decisions(scored)
    )


def _decisions_of(registry_dir: Path, card: IterationCard) -> pd.Series:
    evaluation = load_evaluation(card.use_case, card.version, registry_dir)
    if evaluation is None:
        return load_at_agreed_threshold(registry_dir, card).decisions()
    return evaluation.at_threshold(card.threshold).decisions()


def check_iterations(
    store: FeedbackStore, use_case: str, cards: Iterable[IterationCard], registry_dir: Path
) -> tuple[list[ExpectationCheck], list[Expectation]]:
    """Every iteration (`cards`, at their agreed thresholds) against the use case's expectations in force (the
    retired ones listed apart on each check), and those in force."""
    book = read_expectation_book(store, use_case)
    checks = [
        with_retired(check_expectations(card.version, book.in_force, _decisions_of(registry_dir, card)), book.retired)
        for card in cards
    ]
    return checks, book.in_force


def pin_case(
    store: FeedbackStore, scored: Evaluation, case_id: str, actor: Actor, decision: str, reason: str
) -> Expectation:
    """Pin "this case should get `decision`" on a case of the iteration explored (`scored`), with a reason:
    an expectation of its use case every iteration is checked against (AccessError / ExpectationError)."""
    if case_id not in scored.scores.index:
        raise ExpectationError(f"Case {case_id} is not among iteration {scored.card.version}'s cases.")
    return save_pinned(
        store, actor, scored.card.use_case, case_id, scored.card.version, decision, reason, decisions=_decisions(scored)
    )


def expectation_on(store: FeedbackStore, use_case: str, case_id: str) -> Expectation | None:
    """The expectation in force on one case of the use case (the latest not retired), or None."""
    return current_expectations(e for e in list_expectations(store, use_case) if e.case_id == case_id).get(case_id)
