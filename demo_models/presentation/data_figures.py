"""Figures of the data explorer (no streamlit): an input's share of cases per value bin, one bar per group
(or per source: evaluation cases against the reference data), with its text alternative."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from demo_models.formats import format_share
from demo_models.presentation.chart_text import ChartText
from demo_models.presentation.figures import plot_text

PALETTE = ("#34495e", "#c0392b", "#1e8449", "#2980b9", "#8e44ad", "#d35400", "#7f8c8d", "#16a085")


def build_share_bars(table: pd.DataFrame, group_column: str, input_label: str, group_title: str) -> go.Figure:
    """Grouped bars of each value bin's share of a group's cases (`table`: group_column, value, cases, share);
    a group with no cases has no bars (its share is undefined)."""
    figure = go.Figure()
    for n, (group, rows) in enumerate(table.groupby(group_column, sort=False, observed=True)):
        figure.add_trace(
            go.Bar(
                name=plot_text(group),
                x=[plot_text(v) for v in rows["value"]],
                y=rows["share"].to_numpy(dtype=float),
                customdata=rows["cases"].to_numpy(),
                hovertemplate="%{x}: %{y:.1%} (%{customdata:,} cases)<extra>" + plot_text(group) + "</extra>",
                marker_color=PALETTE[n % len(PALETTE)],
            )
        )
    figure.update_layout(
        barmode="group",
        xaxis_title=plot_text(input_label),
        yaxis_title=plot_text(f"Share of the {group_title}'s cases"),
        yaxis_tickformat=".0%",
        height=360,
        margin={"l": 10, "r": 10, "t": 20, "b": 40},
        legend={"orientation": "h", "y": -0.3},
    )
    return figure


def describe_share_bars(table: pd.DataFrame, group_column: str, input_label: str) -> ChartText:
    """Each group's most frequent value bin and its share ("—" for a group with no cases), and the table."""
    said = []
    for group, rows in table.groupby(group_column, sort=False, observed=True):
        shares = rows["share"].to_numpy(dtype=float)
        if np.isnan(shares).all():
            said.append(f"{group}: no cases (—)")
            continue
        top = rows.iloc[int(np.nanargmax(shares))]
        said.append(f"{group}: most often {top['value']} ({format_share(top['share'])})")
    sentence = f"{input_label}, share of each group's cases per value: " + "; ".join(said) + "."
    shown = table.assign(share=table["share"].map(format_share)).rename(columns={"value": input_label})
    return ChartText(sentence, ((f"{input_label} by {group_column}", shown),))
