"""A review round from its start: its cases chosen from the store's context, and created (its results are in
`demo_models.iterations.round_results`).

Joins the machine side (the selection of cases, the agreement figures) with the round's records in
the store (`feedback.store.rounds`), so that each section of the Reviews page is one call.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping

from demo_models.iterations.evaluation import Evaluation, costs_for
from demo_models.reviews.selection import CaseSelection, select_round_cases
from feedback.access import Actor
from feedback.rounds import Assignment, ReviewRound, RoundCase
from feedback.store.database import FeedbackStore
from feedback.store.goals import costs_history
from feedback.store.records import list_feedback
from feedback.store.rounds import create_round


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
