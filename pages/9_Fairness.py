"""Fairness: who benefits from the model and who is disadvantaged, group by group."""

import numpy as np
import pandas as pd
import streamlit as st

from demo_models.formats import UNDEFINED, format_share
from demo_models.metrics.fairness import CHANCE_LEVEL, FOUR_FIFTHS, GAP_METRICS, FairnessError, gaps_by_threshold
from demo_models.metrics.outcomes import undefined_gap_reason
from demo_models.presentation.chart_text import describe_gap_sweep
from demo_models.presentation.figures import build_gap_sweep
from demo_models.vocabulary import capitalise
from pages._ui.charts import render_plotly
from pages._ui.context import setup_page
from pages._ui.loaders import fairness_of, gaps_of, load_scored
from pages._ui.text import md, plain

ctx = setup_page("Fairness")
use_case, card = ctx.use_case, ctx.card
scored = load_scored(ctx)
pos, words = use_case.positive_decision, use_case.words
fav = use_case.favourable_decision  # the decision that is good for the case: every gap is on it
deserving = words.positive_cases if use_case.favourable_is_positive else words.negative_cases
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

DEFINITIONS = {
    "dp_ratio": f"lowest group {fav} rate divided by the highest (1 = equal; the four-fifths screen asks for at least {FOUR_FIFTHS})",
    "dp_difference": f"highest group {fav} rate minus the lowest (0 = equal)",
    "equalized_odds_difference": f"the larger of the gaps between groups in catching {words.positive_cases} and in wrongly giving “{pos}” to {words.negative_cases} (0 = equal)",
    "equal_opportunity_difference": f"gap between groups in the {fav} rate of {deserving} (0 = equal)",
}
try:
    table, intervals = fairness_of(ctx, card, attribute)
except FairnessError as err:
    st.warning(plain(err))
    st.stop()

st.header("Group by group")
small = table.index[table["cases"] < 30].tolist()
shown = table.rename(
    columns={
        "favourable rate": f"{fav} rate",
        "positive rate among favourable": f"{words.outcome} rate among {words.past(fav)}",
        "true positive rate": f"{capitalise(words.positive_cases)} caught (TPR)",
    }
)
st.dataframe(
    shown.style.format(format_share, subset=[c for c in shown.columns if c not in ("cases", "mean score")]).format(
        "{:.3f}", subset=["mean score"], na_rep=UNDEFINED
    ),
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
            "Small groups ({}: under 30 cases): their rates are uncertain — see the intervals below.",
            ", ".join(map(str, small)),
        )
    )

st.header("Gaps between groups")
st.caption(
    "Computed with fairlearn. 95 % interval: how large the gap may be, from 500 bootstrap resamples of the cases. "
    + md(
        "Chance of a gap this large: the share of 500 random regroupings of the same cases (same group sizes) with a gap "
        "at least as large; under {} the gap is unlikely to be chance alone.",
        f"{CHANCE_LEVEL:.0%}",
    )
)
rows = []
for key, label in GAP_METRICS.items():
    value, low, high, chance = intervals.loc[key]
    meaning = DEFINITIONS[key] if np.isfinite(value) else f"{DEFINITIONS[key]} — {undefined_gap_reason(key, use_case)}"
    interval = f"{low:.3f} – {high:.3f}" if np.isfinite(low) and np.isfinite(high) else "too few cases"
    verdict = (
        f"{chance:.1%}: " + ("often arises by chance" if chance >= CHANCE_LEVEL else "unlikely to be chance")
        if np.isfinite(chance)
        else UNDEFINED
    )
    rows.append(
        {
            "metric": label,
            "value": value,
            "95% interval": interval if np.isfinite(value) else UNDEFINED,
            "chance of a gap this large": verdict,
            "meaning": meaning,
        }
    )
st.dataframe(
    pd.DataFrame(rows).set_index("metric").style.format("{:.3f}", subset=["value"], na_rep=UNDEFINED),
    key="fairness_gaps",
)
ratio = intervals.loc["dp_ratio", "value"]
if not np.isfinite(ratio):
    st.warning(md("Four-fifths screen: no value — {}.", undefined_gap_reason("dp_ratio", use_case)))
elif ratio < FOUR_FIFTHS:
    st.error(
        md(
            "Four-fifths screen: the {} rate ratio is {:.2f}, under {}. A screen, not a verdict: look at the groups and "
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
sweep = gaps_by_threshold(scored, attribute, np.round(np.linspace(0.02, 0.98, 49), 2)).rename(columns=GAP_METRICS)
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
        st.dataframe(
            pd.DataFrame({other_card.version: theirs, card.version: ours})
            .assign(change=lambda f: f[card.version] - f[other_card.version])
            .rename(index=GAP_METRICS)
            .style.format("{:.3f}", na_rep=UNDEFINED),
            key="fairness_compare",
        )
