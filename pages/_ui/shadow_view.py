"""Monitoring's shadow comparison of a connected decision log: pick another iteration, a window and a sample
size; see what it would have decided on the served iteration's real traffic (cached per choice)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import streamlit as st

from demo_models.monitoring.shadow import MAX_SAMPLE, SAMPLE_SEED, SAMPLE_SIZE
from pages._ui.loaders import IterationKey, key_of, load_scored, source_of_key
from pages._ui.loaders import source_key as loaded_source_key
from pages._ui.scorecard import current_costs
from pages._ui.text import md, plain

if TYPE_CHECKING:
    from demo_models.iterations.registry import IterationCard
    from demo_models.iterations.scoring import ScoredIteration
    from demo_models.monitoring.log_summary import LogSummary
    from demo_models.monitoring.shadow import Shadow
    from feedback.goals import CostMatrix
    from pages._ui.context import PageContext

log = logging.getLogger("involve.app")


@st.cache_data(show_spinner=False, max_entries=32)
def _served_versions(key: tuple, month: str):
    from demo_models.monitoring.shadow import served_versions

    return served_versions(source_of_key(key), month)


@st.cache_resource(show_spinner="Re-scoring a sample of the log…", max_entries=16)
def _shadow(
    source_key: tuple,
    served: IterationKey,
    served_threshold: float,
    candidate: IterationKey,
    candidate_threshold: float,
    month: str,
    size: int,
    costs_key: str,
    *,
    _served: IterationCard,
    _scored: ScoredIteration,
    _costs: CostMatrix | None,
) -> Shadow | str:
    """The comparison (keyed by the log's state, both iterations at their thresholds, the window, the size
    and the cost matrix), or the sentence saying why it cannot be made."""
    from demo_models.monitoring.shadow import ShadowError, shadow_compare

    try:
        return shadow_compare(source_of_key(source_key), _served, _scored, month, size, SAMPLE_SEED, _costs)
    except ShadowError as err:
        return str(err)


def render_shadow(ctx: PageContext, summary: LogSummary) -> None:
    """The section: the pickers, then the flips, the flips by group and the errors and costs on the labelled part."""
    from demo_models.monitoring.shadow import default_candidate, served_iteration
    from demo_models.monitoring.shadow_tables import (
        flip_table,
        flips_sentence,
        group_table,
        outcome_table,
        sample_sentence,
        undefined_notes,
    )

    use_case = ctx.use_case
    st.subheader("What another iteration would have decided (shadow comparison)")
    months = list(summary.aggregates.decisions.index) if summary.aggregates is not None else []
    if not months or len(ctx.cards) < 2:
        st.caption("A shadow comparison needs a second iteration and a month of decisions in the log.")
        return
    source_key = loaded_source_key(summary.source)
    left, middle, right = st.columns(3)
    month = middle.selectbox("Month to re-score", months, index=len(months) - 1, key="shadow_month")
    served = served_iteration(ctx.cards, _served_versions(source_key, month), ctx.card)
    others = [c.version for c in ctx.cards if c.version != served.version]
    default = default_candidate(ctx.cards, ctx.statuses, served.version) or others[-1]
    against = left.selectbox(
        md("Compare {}'s decisions with", served.version), others, index=others.index(default), key="shadow_against"
    )
    size = right.number_input(
        "Sample size (decisions)", 1, MAX_SAMPLE, SAMPLE_SIZE, step=1000, key="shadow_sample", help=None
    )
    candidate = next(c for c in ctx.cards if c.version == against)
    costs = current_costs(ctx)
    shadow = _shadow(
        source_key,
        key_of(ctx, served),
        float(served.threshold),
        key_of(ctx, candidate),
        float(candidate.threshold),
        month,
        int(size),
        repr(costs),
        _served=served,
        _scored=load_scored(ctx, candidate),
        _costs=costs,
    )
    if isinstance(shadow, str):
        st.warning(md("No shadow comparison: {}", shadow))
        return
    st.caption(plain(sample_sentence(shadow, use_case)))
    st.markdown(md("**{}**", flips_sentence(shadow, use_case)))
    st.dataframe(flip_table(shadow, use_case), key="shadow_flips")
    for attribute in shadow.by_group:
        st.markdown(md("**Flips by {}**", use_case.label(attribute).lower()))
        st.dataframe(group_table(shadow, attribute, use_case), key=f"shadow_group_{attribute}")
    st.markdown("**On the sampled decisions whose outcome is known**, each at its own threshold")
    st.dataframe(outcome_table(shadow, use_case), key="shadow_outcomes")
    for note in undefined_notes(shadow, use_case):
        st.caption(plain(note))
