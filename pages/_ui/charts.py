"""Charts with their text alternative: the sentence under the chart and "Chart as a table" beside it."""

from __future__ import annotations

import streamlit as st

from demo_models.presentation.chart_text import ChartText
from pages._ui.text import plain


def render_text_alternative(text: ChartText, key: str, where=None) -> None:
    """The chart's sentence as a caption and its data in a collapsed "Chart as a table" expander."""
    where = where or st
    where.caption(plain(text.summary))
    with where.expander("Chart as a table"):
        for n, (title, table) in enumerate(text.tables):
            st.caption(plain(title))
            st.dataframe(table, hide_index=True, key=f"{key}_table_{n}")


def render_plotly(figure, text: ChartText, key: str, where=None) -> None:
    """A Plotly figure followed by its text alternative."""
    (where or st).plotly_chart(figure, key=key)
    render_text_alternative(text, key, where)
