"""Outcomes' "The data behind it": one input of the evaluation cases by outcome, decision or protected group,
the missing values per group, and the cases against the reference data (the widgets, one cached domain call
each, the rendering)."""

from __future__ import annotations

import streamlit as st

from demo_models.formats import format_count, format_number, format_p_value, format_share
from demo_models.metrics.costs import format_threshold
from demo_models.metrics.data_explorer import (
    BY_DECISION,
    BY_OUTCOME,
    explorer_inputs,
    label_input,
    split_options,
)
from pages._ui.charts import render_plotly
from pages._ui.loaders import input_profile_of, missing_of, reference_comparison_of
from pages._ui.tables import render_table
from pages._ui.text import md, plain


def _split_label(scored, by: str) -> str:
    if by == BY_OUTCOME:
        return "actual outcome"
    if by == BY_DECISION:
        return "decision"
    return f"protected group: {label_input(scored, by)}"


def render_data_explorer(ctx, scored, threshold: float) -> None:
    """An input the person picks, split the way they pick, its missing values, and the reference data."""
    use_case, card = ctx.use_case, ctx.card
    st.header("The data behind it")
    left, right = st.columns(2)
    column = left.selectbox(
        "Input",
        explorer_inputs(scored),
        format_func=lambda c: label_input(scored, c),
        key=f"explorer_input_{use_case.name}",
    )
    by = right.radio(
        "Split by",
        split_options(scored),
        format_func=lambda b: _split_label(scored, b),
        key=f"explorer_by_{use_case.name}",
    )
    profile, figure, text = input_profile_of(ctx, card, threshold, column, by)
    st.caption(
        md(
            "{} on the {} evaluation cases of {}, by {}{}. Numbers in five quantile bins, categories by value "
            "(the eight most frequent), missing values as a bin of their own; a group with no cases has no share (—).",
            label_input(scored, column),
            format_count(len(scored.features)),
            card.version,
            _split_label(scored, by),
            f" at threshold {format_threshold(threshold)}" if by == BY_DECISION else "",
        )
    )
    if by not in (BY_OUTCOME, BY_DECISION):
        st.caption(md("{} is a protected attribute: shown to review fairness, never a reason.", use_case.label(by)))
    render_plotly(figure, text, "explorer_bars")
    numbers = {c: (lambda v: format_number(v, significant=4)) for c in profile.groups.columns[4:]}
    render_table(
        profile.groups,
        {"cases": format_count, "missing": format_count, "missing share": format_share, **numbers},
        key="explorer_groups",
        hide_index=True,
    )
    st.subheader("Missing values")
    st.caption(
        md("Every input's missing values on the evaluation cases, overall and in each {}.", _split_label(scored, by))
    )
    missing = missing_of(ctx, card, threshold, by)
    shares = {c: format_share for c in missing.columns if "share" in c}
    render_table(missing, {"missing": format_count, **shares}, key="explorer_missing", hide_index=True)
    _render_reference(ctx, scored, column)


def _render_reference(ctx, scored, column: str) -> None:
    """The evaluation cases against the reference data the iteration was trained on, where one is held."""
    card = ctx.card
    st.subheader("Against the reference data")
    if not st.toggle(
        "Compare with the reference data",
        key="explorer_reference",
        help="The reference months of the monitoring stream (the months the iteration was trained on), as "
        "Monitoring reads them; generated and scored once, then kept.",
    ):
        return
    comparison, months, figure, text = reference_comparison_of(ctx, card, column)
    if comparison is None:
        st.info(
            md(
                "The registry holds no reference data for {} {}: its evaluation cases have no month to set a "
                "reference window by, so there is nothing to compare them with (—).",
                card.use_case,
                card.version,
            )
        )
        return
    st.caption(
        md(
            "{} evaluation cases against {} reference cases (months {} to {}); bins of both together. PSI on the "
            "reference's deciles; Kolmogorov-Smirnov for numbers, chi-square for categories.",
            format_count(comparison.evaluation_cases),
            format_count(comparison.reference_cases),
            months[0],
            months[-1],
        )
    )
    render_plotly(figure, text, "explorer_reference_bars")
    drift = comparison.drift.reset_index()
    drift.insert(0, "input", [label_input(scored, c) for c in drift.pop("column")])
    render_table(
        drift,
        {"PSI": "{:.3f}", "statistic": lambda v: format_number(v, significant=3), "p-value": format_p_value},
        key="explorer_drift",
        hide_index=True,
    )
    st.caption(plain("PSI under 0.1 stable, 0.1 to 0.25 watch, over 0.25 act."))
    if comparison.time_column:
        st.caption(
            md(
                "{} is left out: the reference months are chosen by it, so the evaluation cases differ from them in "
                "it by design, not by drift.",
                label_input(scored, comparison.time_column),
            )
        )
