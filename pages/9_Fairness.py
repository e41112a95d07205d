"""Fairness: who benefits from the model and who is disadvantaged, group by group."""

import streamlit as st

from demo_models.formats import UNDEFINED, format_share
from demo_models.metrics.catalogue import FOUR_FIFTHS, get_metric
from demo_models.metrics.fairness import (
    CHANCE_LEVEL,
    SMALL_GROUP,
    FairnessError,
    compare_gaps,
    gap_sweep,
    gap_table,
    label_group_table,
    screen_four_fifths,
)
from demo_models.presentation.chart_text import describe_gap_sweep
from demo_models.presentation.figures import build_gap_sweep
from pages._ui.charts import render_plotly
from pages._ui.context import setup_page
from pages._ui.loaders import fairness_of, gaps_of, load_scored
from pages._ui.tables import render_table
from pages._ui.text import md, plain

ctx = setup_page("Fairness")
use_case, card = ctx.use_case, ctx.card
scored = load_scored(ctx)
fav = use_case.favourable_decision  # the decision that is good for the case: every gap is on it
st.title("Fairness across groups")
st.caption(
    md(
        "Iteration {} at its threshold ({:.1%}), on its {:,} evaluation cases. The favourable decision is “{}” (a "
        "property of the use case, set when its iterations are registered); groups are compared even when the model "
        "does not use the attribute.",
        card.version,
        card.threshold,
        card.n_eval,
        fav,
    )
)
attributes = [a for a in card.protected_attributes if a in scored.features.columns]
if not attributes:
    st.info(
        md(
            "{} names no protected attribute present in its evaluation data, so there are no groups to compare.",
            card.version,
        )
    )
    st.stop()
attribute = st.selectbox("Protected attribute", attributes, format_func=use_case.label, key="fairness_attribute")

try:
    table, intervals = fairness_of(ctx, card, attribute)
except FairnessError as err:
    st.warning(plain(err))
    st.stop()

st.header("Group by group")
shown, small = label_group_table(table, use_case)
render_table(
    shown,
    {"mean score": "{:.3f}", **{c: format_share for c in shown.columns if c not in ("cases", "mean score")}},
    key="fairness_groups",
)
if shown.drop(columns=["cases"]).isna().any().any():
    st.caption(
        md(
            "{}: undefined for that group (the rate would divide by zero: no case of that kind in the group).",
            UNDEFINED,
        )
    )
if small:
    st.warning(
        md(
            "Small groups ({}: under {} cases): their rates are uncertain — see the intervals below.",
            ", ".join(small),
            SMALL_GROUP,
        )
    )

st.header("Gaps between groups")
st.caption(
    "Computed with fairlearn. 95 % interval: how large the gap may be, from 500 bootstrap resamples of the cases. "
    + md(
        "Chance of a gap this large: the share of 500 random regroupings of the same cases (same group sizes) with a "
        "gap "
        "at least as large; under {} the gap is unlikely to be chance alone.",
        f"{CHANCE_LEVEL:.0%}",
    )
)
render_table(gap_table(intervals, use_case), {"value": "{:.3f}"}, key="fairness_gaps")
ratio = intervals.loc["dp_ratio", "value"]
screen = screen_four_fifths(ratio)
if screen == "undefined":
    st.warning(md("Four-fifths screen: no value — {}.", get_metric("dp_ratio").undefined_reason(use_case)))
elif screen == "below":
    st.error(
        md(
            "Four-fifths screen: the {} rate ratio is {:.2f}, under {}. A screen, not a verdict: look at the groups "
            "and "
            "the reasons behind the gap.",
            fav,
            ratio,
            FOUR_FIFTHS,
        )
    )
else:
    st.success(
        md(
            "Four-fifths screen: the {} rate ratio is {:.2f} (at least {}). A screen, not a verdict.",
            fav,
            ratio,
            FOUR_FIFTHS,
        )
    )

st.header("How the gaps move with the threshold")
sweep = gap_sweep(scored, attribute)
render_plotly(build_gap_sweep(sweep, card.threshold), describe_gap_sweep(sweep), "fairness_sweep")

st.header("Compared with another iteration")
others = [c for c in ctx.cards if c.version != card.version and ctx.statuses.get(c.version) != "retired"]
if not others:
    st.caption("There is no other iteration to compare with.")
else:
    other_card = st.selectbox("Iteration", others, format_func=lambda c: c.version, key="fairness_other")
    try:
        theirs = gaps_of(ctx, other_card, attribute)
    except FairnessError as err:
        st.info(md("{}: {}", other_card.version, err))
    else:
        ours = intervals["value"]  # the same gaps (fairlearn, at this iteration's threshold)
        gaps = compare_gaps(ours, theirs, card.version, other_card.version)
        render_table(gaps, {c: "{:.3f}" for c in gaps.columns}, key="fairness_compare")
