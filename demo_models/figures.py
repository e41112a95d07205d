"""Plotly figure builders (no streamlit): what the pages draw."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from demo_models.scoring import CaseExplanation
from demo_models.usecases import UseCase

RISK_UP, RISK_DOWN, TOTAL = "#c0392b", "#1e8449", "#34495e"
MAX_WATERFALL_BARS = 10


def build_waterfall(explanation: CaseExplanation, use_case: UseCase) -> go.Figure:
    """SHAP waterfall of one case: from the average case to this case, one bar per input column.

    Bars are on the explanation's additive scale (log-odds, or probability for forests); the
    probability at the start and the end is written on the axis labels.
    """
    contributions = explanation.contributions
    shown = contributions.iloc[:MAX_WATERFALL_BARS]
    rest = contributions.iloc[MAX_WATERFALL_BARS:]
    labels = [
        f"{use_case.label(f)} = {use_case.describe_value(f, explanation.values.get(f))}"
        for f in shown.index
    ]
    deltas = [float(v) for v in shown]
    if len(rest):
        labels.append(f"{len(rest)} other inputs")
        deltas.append(float(rest.sum()))
    start = f"Average {use_case.case_noun} ({explanation.base_score:.0%})"
    end = f"This {use_case.case_noun} ({explanation.score:.0%})"
    figure = go.Figure(
        go.Waterfall(
            orientation="h",
            measure=["absolute", *["relative"] * len(deltas), "total"],
            y=[start, *labels, end],
            x=[explanation.base_value, *deltas, explanation.output],
            base=0,
            text=[f"{explanation.base_value:+.2f}", *[f"{d:+.2f}" for d in deltas],
                  f"{explanation.output:+.2f}"],
            textposition="outside",
            cliponaxis=False,
            increasing={"marker": {"color": RISK_UP}},
            decreasing={"marker": {"color": RISK_DOWN}},
            totals={"marker": {"color": TOTAL}},
            connector={"line": {"color": "#bbbbbb"}},
            hovertemplate=f"%{{y}}<br>%{{text}} {explanation.scale}<extra></extra>",
        )
    )
    running = explanation.base_value + np.cumsum([0.0, *deltas])
    low, high = min(0.0, running.min()), max(0.0, running.max())
    pad = 0.18 * (high - low or 1.0)
    figure.update_layout(
        xaxis_range=[low - pad, high + pad],
        title=f"Why {explanation.case_id}: contributions to the risk of {use_case.positive_outcome}",
        xaxis_title=f"{explanation.scale} of {use_case.positive_outcome} (right = riskier)",
        yaxis={"autorange": "reversed"},
        showlegend=False,
        height=120 + 34 * (len(labels) + 2),
        margin={"l": 10, "r": 40, "t": 60, "b": 40},
    )
    return figure


def build_importance_comparison(importance, use_case: UseCase, old: str, new: str) -> go.Figure:
    """Mean |SHAP| per input column for two iterations, side by side (largest in `new` on top)."""
    labels = [use_case.label(c) for c in importance.index]
    figure = go.Figure(
        [
            go.Bar(name=old, y=labels, x=importance["old"], orientation="h", marker_color="#95a5a6"),
            go.Bar(name=new, y=labels, x=importance["new"], orientation="h", marker_color=TOTAL),
        ]
    )
    figure.update_layout(
        barmode="group",
        title=f"What drives the scores: mean |SHAP| per input, {old} vs {new}",
        xaxis_title="mean |SHAP| (average push on the score)",
        yaxis={"autorange": "reversed"},
        height=140 + 42 * len(labels),
        margin={"l": 10, "r": 20, "t": 60, "b": 40},
        legend={"orientation": "h", "y": -0.15},
    )
    return figure
