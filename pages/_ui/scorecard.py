"""The goal scorecard: every agreed criterion judged for an iteration, rendered as a table."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from typing import TYPE_CHECKING

from feedback.goal_store import costs_history, current_criteria
from feedback.goals import CostMatrix, Criterion, CriterionResult
from pages._ui.shell import PageContext, latency_of

if TYPE_CHECKING:
    from demo_models.scoring import ScoredIteration


def current_costs(ctx: PageContext) -> CostMatrix | None:
    """The use case's agreed cost matrix, if any."""
    history = costs_history(ctx.store, ctx.use_case.name) if ctx.store else []
    return history[-1] if history else None


def evaluate(ctx: PageContext, scored: ScoredIteration, criteria: list[Criterion]) -> list[CriterionResult]:
    """Judge each criterion for the iteration (measuring latency only if a criterion needs it)."""
    from demo_models.report_compose import evaluate_criteria

    latency = latency_of(ctx, scored.card) if any(c.metric == "latency_p95_ms" for c in criteria) else None
    return evaluate_criteria(scored, criteria, current_costs(ctx), latency)


def criteria_of(ctx: PageContext) -> list[Criterion]:
    """The criteria in force for the use case (none if the store is unavailable)."""
    return current_criteria(ctx.store, ctx.use_case.name) if ctx.store else []


def render_scorecard(columns: dict[str, list[CriterionResult]], key: str) -> None:
    """A table: one row per criterion, one column per iteration."""
    if not columns or not next(iter(columns.values())):
        st.info("No success criteria have been agreed yet: set them on the Goals page.")
        return
    from demo_models.report_compose import verdict

    first = next(iter(columns.values()))
    table = pd.DataFrame(
        {name: [verdict(r) for r in results] for name, results in columns.items()},
        index=pd.Index([r.criterion.describe() for r in first], name="Criterion"),
    )
    table.insert(0, "Owner", [r.criterion.owner for r in first])
    st.dataframe(table, key=key)
