"""The goal scorecard: every agreed criterion judged for an iteration, rendered as a table."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from demo_models.formats import UNDEFINED
from demo_models.iterations.registry import IterationCard, RegistryError
from demo_models.metrics.catalogue import criterion_specs, is_review_metric
from demo_models.vocabulary import UseCase
from feedback.goals import CostMatrix, Criterion, CriterionResult
from feedback.store.database import StoreError
from feedback.store.goals import costs_history, current_criteria
from pages._ui.context import PageContext
from pages._ui.loaders import IterationKey, key_of, latency_of, load_scored

if TYPE_CHECKING:
    from demo_models.iterations.evaluation import Evaluation


def current_costs(ctx: PageContext) -> CostMatrix | None:
    """The use case's agreed cost matrix, if any."""
    history = costs_history(ctx.store, ctx.use_case.name) if ctx.store else []
    return history[-1] if history else None


def evaluate(ctx: PageContext, scored: Evaluation, criteria: list[Criterion]) -> list[CriterionResult]:
    """Judge each criterion for the iteration (measuring latency only if a criterion needs it).

    Without a latency criterion the judgement depends only on the iteration, its threshold, the criteria
    and the cost matrix, so it is computed once for those and reused by reruns and other sessions."""
    from demo_models.iterations.evaluation import evaluate_criteria

    costs = current_costs(ctx)
    if any(is_review_metric(c.metric) for c in criteria):  # read from the store on every run: answers change
        from demo_models.iterations.review_evidence import review_evidence

        latency = latency_of(ctx, scored.card) if any(c.metric == "latency_p95_ms" for c in criteria) else None
        return evaluate_criteria(scored, criteria, costs, latency, review_evidence(ctx.store, scored))
    if any(c.metric == "latency_p95_ms" for c in criteria):
        return evaluate_criteria(scored, criteria, costs, latency_of(ctx, scored.card))
    return list(
        _judge_once(
            key_of(ctx, scored.card),
            float(scored.threshold),
            str(scored.card.favourable),
            repr(criteria),
            repr(costs),
            _scored=scored,
            _criteria=criteria,
            _costs=costs,
        )
    )


@st.cache_resource(show_spinner=False, max_entries=64)
def _judge_once(
    key: IterationKey,
    threshold: float,
    favourable: str,
    criteria_key: str,
    costs_key: str,
    *,
    _scored: Evaluation,
    _criteria: list[Criterion],
    _costs: CostMatrix | None,
) -> tuple[CriterionResult, ...]:
    from demo_models.iterations.evaluation import evaluate_criteria

    return tuple(evaluate_criteria(_scored, _criteria, _costs))


@st.cache_resource(show_spinner=False, max_entries=16)
def _load_evaluation(registry_dir: str, use_case: str, version: str, created: str) -> Evaluation | None:
    from demo_models.iterations.evaluation import load_evaluation

    return load_evaluation(use_case, version, Path(registry_dir))


def judge_iteration(ctx: PageContext, criteria: list[Criterion]) -> list[CriterionResult]:
    """The picked iteration judged at its current threshold from the scores stored with it (its model
    is not loaded), or from the loaded model if a criterion times it or no scores are stored."""
    if not criteria:
        return []
    card, evaluation = ctx.card, None
    if not any(c.metric == "latency_p95_ms" for c in criteria):
        try:
            evaluation = _load_evaluation(str(ctx.registry_dir), card.use_case, card.version, card.created)
        except RegistryError:
            evaluation = None  # load_scored below says what is wrong with the iteration
    scored = evaluation.at_threshold(card.threshold) if evaluation is not None else load_scored(ctx)
    return evaluate(ctx, scored, criteria)


def criteria_of(ctx: PageContext) -> list[Criterion]:
    """The criteria in force for the use case (none if the store is unavailable)."""
    return current_criteria(ctx.store, ctx.use_case.name) if ctx.store else []


EXPECTATIONS_ROW = "Expectations met (round agreements, adjudications, pins from Explore; retired not counted)"


def expectations_met_of(ctx: PageContext, cards: list[IterationCard]) -> dict[str, str]:
    """Per iteration, "X of Y" expectations in force it meets ("—" when none can be checked); {} without a store."""
    from demo_models.reviews.expectations import check_iterations

    if ctx.store is None:
        return {}
    try:
        checks, _ = check_iterations(ctx.store, ctx.use_case.name, cards, ctx.registry_dir)
    except (StoreError, OSError):
        return {}  # the Expectations section says why
    return {c.iteration: f"{c.met} of {c.checked}" if c.checked else UNDEFINED for c in checks}


def render_scorecard(
    columns: dict[str, list[CriterionResult]], key: str, use_case: UseCase, expectations: dict[str, str] | None = None
) -> None:
    """A table: one row per criterion (labelled by the metric catalogue), one column per iteration, and, if
    given, a last row with the expectations each iteration meets (`expectations_met_of`)."""
    if not columns or not next(iter(columns.values())):
        st.info("No success criteria have been agreed yet: set them on the Goals page.")
        return
    from demo_models.iterations.evaluation import verdict

    specs = criterion_specs(use_case)

    first = next(iter(columns.values()))
    table = pd.DataFrame(
        {name: [verdict(r) for r in results] for name, results in columns.items()},
        index=pd.Index([r.criterion.describe(specs) for r in first], name="Criterion"),
    )
    table.insert(0, "Owner", [r.criterion.owner for r in first])
    if expectations:
        table.loc[EXPECTATIONS_ROW] = ["reviewers", *(expectations.get(name, UNDEFINED) for name in columns)]
    st.dataframe(table, key=key)
