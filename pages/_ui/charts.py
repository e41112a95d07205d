"""Charts with their text alternative: the sentence under the chart and "Chart as a table" beside it."""

from __future__ import annotations

import streamlit as st

from demo_models.iterations.scoring import CaseExplanation
from demo_models.presentation.chart_text import ChartText, describe_waterfall
from demo_models.presentation.figures import build_waterfall
from demo_models.vocabulary import UseCase
from pages._ui.tables import render_table
from pages._ui.text import plain


def render_text_alternative(text: ChartText, key: str, where=None, lazy: bool = False) -> None:
    """The chart's sentence as a caption and its data in a collapsed "Chart as a table" expander; `lazy`: the
    tables are made only while the expander is open (opening it reruns the page, or the fragment it is in)."""
    where = where or st
    where.caption(plain(text.summary))
    table_view = (
        where.expander("Chart as a table", key=f"{key}_as_table", on_change="rerun")
        if lazy
        else where.expander("Chart as a table")
    )
    if lazy and not table_view.open:
        return
    with table_view:
        for n, (title, table) in enumerate(text.tables):
            st.caption(plain(title))
            render_table(table, {}, key=f"{key}_table_{n}", hide_index=True)


def render_plotly(figure, text: ChartText, key: str, where=None, lazy: bool = False) -> None:
    """A Plotly figure followed by its text alternative (`lazy`: its tables only while they are shown)."""
    (where or st).plotly_chart(figure, key=key)
    render_text_alternative(text, key, where, lazy)


def _explanation_key(explanation: CaseExplanation) -> tuple:
    """Everything a case's waterfall is drawn from, as a hashable key (the content, not an identity)."""
    return (
        explanation.case_id,
        explanation.score,
        explanation.threshold,
        explanation.base_value,
        explanation.scale,
        tuple(explanation.contributions.index),
        tuple(explanation.contributions.to_numpy().tolist()),
        tuple(map(str, explanation.values.index)),
        tuple(map(str, explanation.values.to_numpy())),
    )


@st.cache_resource(max_entries=256)
def _case_waterfall(use_case_name: str, key: tuple, title: str | None, narrow: bool, _explanation, _use_case):
    figure = build_waterfall(_explanation, _use_case)
    if title:
        figure.update_layout(title=title)
    if narrow:  # a chart a third of the page wide: the axis title on two lines, more room for the bars' values
        axis = figure.layout.xaxis.title.text
        low, high = figure.layout.xaxis.range
        room = 0.3 * (high - low)  # a value written beside a bar at either end stays off the input names
        figure.update_layout(
            xaxis_range=[low - room, high + room],
            xaxis_title_text=axis.replace(" (", "<br>(", 1),
            height=figure.layout.height + 20,
            margin_b=figure.layout.margin.b + 20,
        )
    return figure, describe_waterfall(_explanation, _use_case)


def render_case_waterfall(
    explanation: CaseExplanation,
    use_case: UseCase,
    key: str,
    where=None,
    title: str | None = None,
    lazy: bool = False,
    narrow: bool = False,
) -> None:
    """A case's SHAP waterfall with its text alternative, built once per explanation shown (a rerun, or
    another person on the same case, reuses the figure; it is never changed after it is built); `lazy`: its
    "Chart as a table" is made only while open; `narrow`: its axis title on two lines (a chart a third of the page
    wide)."""
    figure, text = _case_waterfall(use_case.name, _explanation_key(explanation), title, narrow, explanation, use_case)
    render_plotly(figure, text, key, where, lazy)
