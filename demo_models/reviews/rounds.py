"""A review round end to end: its cases chosen from the store's context, created, and its results.

Joins the machine side (the selection of cases, the agreement figures) with the round's records in
the store (`feedback.store.rounds`), so that each section of the Reviews page is one call.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import pandas as pd

from demo_models.formats import format_share
from demo_models.iterations.evaluation import Evaluation, costs_for
from demo_models.iterations.review_evidence import round_frames
from demo_models.metrics.agreement import AgreementSummary, summarise_agreement
from demo_models.metrics.groups import group_frame
from demo_models.reviews.selection import CaseSelection, select_round_cases
from feedback.access import Actor
from feedback.rounds import Assignment, ReviewRound, RoundCase
from feedback.store.database import FeedbackStore
from feedback.store.goals import costs_history
from feedback.store.records import list_feedback
from feedback.store.rounds import create_round, read_round, round_completion


def choose_cases(
    store: FeedbackStore, scored: Evaluation, quotas: Mapping[str, int], seed: int, other: Evaluation | None = None
) -> CaseSelection:
    """A round's cases by strategy quotas, with the use case's current cost matrix and the cases that
    earlier feedback disagreed with (any iteration), the same for the same seed."""
    use_case = scored.card.use_case
    matrices = costs_history(store, use_case)
    matrix = matrices[-1] if matrices else None
    costs, _ = costs_for(scored, matrix)
    flagged = Counter(f.case_id for f in list_feedback(store, use_case) if f.verdict == "disagree")
    return select_round_cases(
        scored,
        quotas,
        seed=seed,
        other=other,
        costs=costs,
        flagged=dict(flagged),
        currency=matrix.currency if matrix else "",
    )


def start_round(
    store: FeedbackStore,
    draft: ReviewRound,
    selection: CaseSelection,
    actor: Actor,
    known_iterations: Collection[str],
) -> tuple[ReviewRound, Assignment]:
    """Create the round on the chosen cases (AccessError / RoundError if refused); the round and who sees what."""
    cases = [RoundCase(0, str(case_id), row.strategy, row.why) for case_id, row in selection.cases.iterrows()]
    return create_round(store, draft, cases, actor, known_iterations=known_iterations)


@dataclass(frozen=True)
class RoundResults:
    """What the results of a round show a person: completion, the answers they may read, and agreement."""

    round: ReviewRound
    completion: pd.DataFrame  # per reviewer: assigned, decided, answered
    answers: pd.DataFrame  # the answers the viewer may read (everyone's once closed)
    agreement: AgreementSummary | None  # None while the round is open or without answers
    why_no_agreement: str = ""


def round_results(store: FeedbackStore, round_id: int, viewer: Actor, scored: Evaluation) -> RoundResults:
    """A round's completion per reviewer, the answers the viewer may read and, once closed, the agreement
    figures (`summarise_agreement`) on the round's iteration `scored`."""
    round_ = read_round(store, round_id)
    completion = pd.DataFrame(round_completion(store, round_id))
    answers, cases = round_frames(store, round_id, viewer, scored)
    attributes = scored.card.protected_attributes
    if attributes:
        groups = group_frame(scored.features, (attributes[0],), scored.use_case)[attributes[0]]  # bands of all cases
        cases["group"] = groups.reindex(cases.index).astype(str).to_numpy()
    if round_.status != "closed":
        why = "Agreement is shown when the round closes, so that no reviewer sees the others' answers before."
        return RoundResults(round_, completion, answers, None, why)
    if answers.empty:
        return RoundResults(round_, completion, answers, None, "No reviewer answered before the round closed.")
    summary = summarise_agreement(answers[["case_id", "reviewer", "own_decision", "verdict", "clarity"]], cases)
    return RoundResults(round_, completion, answers, summary)


def agreement_table(summary: AgreementSummary) -> pd.DataFrame:
    """Agreement of the blind decisions with the model's, per strategy, model decision and group, as text
    ("18 of 20", "90% (70% to 97%)"; "—" where there is no answer)."""
    rows = []
    for by, frame in (("Strategy", summary.by_strategy), ("Model's decision", summary.by_decision)):
        rows += [(by, str(key), row) for key, row in frame.iterrows()]
    rows += [("Group", str(key), row) for key, row in summary.by_group.iterrows() if key is not None and key == key]
    return pd.DataFrame(
        {
            "By": [by for by, _, _ in rows],
            "Which": [key for _, key, _ in rows],
            "Blind decisions equal to the model's": [f"{int(r['agreed'])} of {int(r['answers'])}" for _, _, r in rows],
            "Share (95% interval)": [
                f"{format_share(r['rate'])} ({format_share(r['low'])} to {format_share(r['high'])})" for _, _, r in rows
            ],
        }
    )
