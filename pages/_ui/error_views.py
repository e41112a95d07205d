"""Outcomes' error views beside the cohorts: the heat map over two inputs and two iterations side by side
(the widgets, one cached domain call each, the rendering)."""

from __future__ import annotations

import streamlit as st

from demo_models.formats import format_count, format_p_value, format_share
from demo_models.iterations.registry import RegistryError
from demo_models.metrics.cohort_compare import PairError
from demo_models.metrics.costs import format_threshold
from demo_models.metrics.error_map import heat_map_inputs
from demo_models.metrics.errors import describe_kind
from demo_models.presentation.error_figures import change_summary
from pages._ui.charts import render_plotly
from pages._ui.loaders import cohort_change_of, heat_map_of
from pages._ui.tables import render_table
from pages._ui.text import md, plain


def render_heat_map(ctx, scored, threshold: float, kind: str, costs, case_costs_now, why: str) -> None:
    """The error heat map over two inputs the person picks, coloured by error rate or by cost."""
    use_case, card = ctx.use_case, ctx.card
    st.subheader("Errors over two inputs")
    inputs = heat_map_inputs(scored)
    c1, c2, c3 = st.columns([2, 2, 1])
    across = c1.selectbox("Across", inputs, format_func=use_case.label, key="heat_x")
    down = c2.selectbox("Down", [c for c in inputs if c != across], format_func=use_case.label, key="heat_y")
    colour = c3.radio("Colour by", ["rate", "cost"], format_func={"rate": "error rate", "cost": "cost"}.get, key="heat")
    if colour == "cost" and case_costs_now is None:
        st.info(md("No cost per cell yet: {}.", why))
        colour = "rate"
    heat, heat_figure, heat_text = heat_map_of(ctx, card, threshold, across, down, kind, colour, costs)
    render_plotly(heat_figure, heat_text, "error_heat_map")
    st.caption(
        md(
            "{} at threshold {}. Numbers in five quantile bins of the data, categories by value (the eight most "
            "frequent), missing values apart; a cell with fewer than {} cases has no rate (—), only its count.",
            describe_kind(kind, use_case),
            format_threshold(threshold),
            heat.min_cases,
        )
    )


def render_side_by_side(ctx, threshold: float, kind: str) -> None:
    """The iteration beside another one (its parent by default): each cohort under both, both calibrations."""
    use_case, card, words = ctx.use_case, ctx.card, ctx.use_case.words
    st.subheader("Two iterations side by side")
    earlier = [c for c in ctx.cards if c.version != card.version]
    if not earlier:
        st.info(md("{} is the only iteration of this use case: there is nothing to set beside it.", card.version))
    else:
        versions = [c.version for c in earlier]
        before = st.selectbox(
            md("Beside {}", card.version),
            versions,
            index=versions.index(card.parent) if card.parent in versions else len(versions) - 1,
            key="pair_other",
        )
        from demo_models.explanations.attributions import ExplainError  # sklearn: imported by the models already

        try:
            change, pair_figure, pair_text = cohort_change_of(
                ctx, next(c for c in earlier if c.version == before), card, kind, threshold
            )
        except PairError as err:
            st.info(plain(str(err)))
        except (RegistryError, ExplainError, OSError) as err:  # the other iteration cannot be loaded
            st.warning(md("{} cannot be set beside {}: {}", before, card.version, err))
        else:
            st.caption(
                md(
                    "{} of both on the {}: {} wrong under {}, {} under {} ({} at its agreed threshold, {} at {}). "
                    "Each cohort either found is counted under both; fixed and new errors are its paired cases, "
                    "judged by an exact McNemar test.",
                    describe_kind(kind, use_case),
                    words.count(change.cases),
                    format_count(change.errors_before),
                    change.old,
                    format_count(change.errors_after),
                    change.new,
                    change.old,
                    change.new,
                    format_threshold(threshold),
                )
            )
            render_table(
                change.table,
                {"rate before": format_share, "rate after": format_share, "rate change": format_share,
                 "p-value": format_p_value},
                key="cohort_change",
                hide_index=True,
                column_config={"cohort": st.column_config.TextColumn(width="large")},
            )  # fmt: skip
            left, right = st.columns([2, 3])
            render_table(
                change_summary(change),
                {"Brier": "{:.4f}", "ECE": "{:.4f}"},
                key="pair_calibration",
                where=left,
                hide_index=True,
            )
            with right:
                render_plotly(pair_figure, pair_text, "reliability_pair")
