"""Monitoring's "what drives the scores, by month" of a connected decision log: mean |SHAP| of each input on a
seeded sample of each month, drawn where the log lies (cached per state of the log and iteration)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from demo_models.presentation.chart_text import describe_lines
from demo_models.presentation.figures import build_lines
from pages._ui.charts import render_plotly
from pages._ui.loaders import IterationKey, key_of, load_scored, source_of_key
from pages._ui.loaders import source_key as loaded_source_key
from pages._ui.text import md, plain

if TYPE_CHECKING:
    from demo_models.iterations.scoring import ScoredIteration
    from demo_models.monitoring.log_importance import LogImportance
    from demo_models.monitoring.log_summary import LogSummary
    from pages._ui.context import PageContext


@st.cache_resource(show_spinner="Explaining a sample of each month of the log…", max_entries=8)
def _importance(source_key: tuple, iteration: IterationKey, months: tuple, *, _scored: ScoredIteration):
    """The importance by month (keyed by the log's state, the iteration and the months), or why not."""
    from demo_models.monitoring.log_importance import importance_by_month
    from demo_models.monitoring.shadow import ShadowError

    try:
        return importance_by_month(source_of_key(source_key), _scored, list(months))
    except ShadowError as err:
        return str(err)


def render_log_importance(ctx: PageContext, summary: LogSummary) -> None:
    """The chart of mean |SHAP| by month, with the sample it was computed on."""
    months = tuple(summary.aggregates.decisions.index) if summary.aggregates is not None else ()
    if not months:
        return
    found: LogImportance | str = _importance(
        loaded_source_key(summary.source), key_of(ctx, ctx.card), months, _scored=load_scored(ctx)
    )
    st.markdown(md("**What drives {}'s scores, by month** (mean |SHAP|)", ctx.card.version))
    if isinstance(found, str):
        st.warning(md("No explanation by month: {}", found))
        return
    named = found.importance.rename(columns=ctx.use_case.label)
    render_plotly(build_lines(named, "mean |SHAP|", "month"), describe_lines(named, "Mean |SHAP| by month"), "log_shap")
    st.caption(
        plain(
            f"A seeded sample (seed {found.seed}) of each month, {int(found.explained.sum()):,} of "
            f"{int(found.decisions.sum()):,} decisions in all (at most {int(found.explained.max()):,} a month), "
            "drawn where the log lies and explained by this iteration."
        )
    )
