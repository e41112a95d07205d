"""Plotly figure builders (no streamlit): what the pages draw."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from demo_models.formats import format_share
from demo_models.iterations.scoring import CaseExplanation
from demo_models.vocabulary import UseCase

if TYPE_CHECKING:
    from demo_models.explanations.dependence import InputDependence

RISK_UP, RISK_DOWN, TOTAL = "#c0392b", "#1e8449", "#34495e"
MAX_WATERFALL_BARS = 10


def plot_text(text: object) -> str:
    """Text for a Plotly title, axis, legend, tick or hover label: Plotly renders a subset of HTML there
    (`<a href>` becomes a link), so data and user text has `<`, `>` and `&` escaped (shown as written)."""
    return html.escape(str(text), quote=False)


def waterfall_steps(explanation: CaseExplanation, use_case: UseCase) -> tuple[str, list[str], list[float], str]:
    """The waterfall's bars: (start label, one label per bar, each bar's contribution, end label).

    At most MAX_WATERFALL_BARS inputs get a bar of their own; the rest share one.
    """
    contributions = explanation.contributions
    shown = contributions.iloc[:MAX_WATERFALL_BARS]
    rest = contributions.iloc[MAX_WATERFALL_BARS:]
    labels = [f"{use_case.label(f)} = {use_case.describe_value(f, explanation.values.get(f))}" for f in shown.index]
    deltas = [float(v) for v in shown]
    if len(rest):
        labels.append(f"{len(rest)} other inputs")
        deltas.append(float(rest.sum()))
    words = use_case.words
    start = f"Average {words.case} ({format_share(explanation.base_score, 0)})"
    end = f"This {words.case} ({format_share(explanation.score, 0)})"
    return start, labels, deltas, end


def build_waterfall(explanation: CaseExplanation, use_case: UseCase) -> go.Figure:
    """SHAP waterfall of one case: from the average case to this case, one bar per input column.

    Bars are on the explanation's additive scale (log-odds, or probability for forests); the
    probability at the start and the end is written on the axis labels.
    """
    start, labels, deltas, end = waterfall_steps(explanation, use_case)
    words = use_case.words
    figure = go.Figure(
        go.Waterfall(
            orientation="h",
            measure=["absolute", *["relative"] * len(deltas), "total"],
            y=[plot_text(label) for label in (start, *labels, end)],
            x=[explanation.base_value, *deltas, explanation.output],
            base=0,
            text=[f"{explanation.base_value:+.2f}", *[f"{d:+.2f}" for d in deltas], f"{explanation.output:+.2f}"],
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
        title=plot_text(f"Why {explanation.case_id}: contributions to the {words.risk}"),
        xaxis_title=plot_text(f"{explanation.scale} of {words.outcome} (right = towards {words.outcome})"),
        yaxis={"autorange": "reversed"},
        showlegend=False,
        height=120 + 34 * (len(labels) + 2),
        margin={"l": 10, "r": 40, "t": 60, "b": 40},
    )
    return figure


def build_importance_comparison(importance, use_case: UseCase, old: str, new: str) -> go.Figure:
    """Mean |SHAP| per input column for two iterations, side by side (largest in `new` on top)."""
    labels = [plot_text(use_case.label(c)) for c in importance.index]
    figure = go.Figure(
        [
            go.Bar(name=plot_text(old), y=labels, x=importance["old"], orientation="h", marker_color="#95a5a6"),
            go.Bar(name=plot_text(new), y=labels, x=importance["new"], orientation="h", marker_color=TOTAL),
        ]
    )
    figure.update_layout(
        barmode="group",
        title=plot_text(f"What drives the scores: mean |SHAP| per input, {old} vs {new}"),
        xaxis_title="mean |SHAP| (average push on the score)",
        yaxis={"autorange": "reversed"},
        height=140 + 42 * len(labels),
        margin={"l": 10, "r": 20, "t": 60, "b": 40},
        legend={"orientation": "h", "y": -0.15},
    )
    return figure


def _thin(x: np.ndarray, y: np.ndarray, points: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """At most `points` points of a curve, always keeping both ends (for drawing only)."""
    if len(x) <= points:
        return x, y
    keep = np.unique(np.linspace(0, len(x) - 1, points).round().astype(int))
    return x[keep], y[keep]


def build_roc_pr(curves, operating: dict[str, float], use_case: UseCase) -> go.Figure:
    """ROC and precision-recall curves side by side, the operating point marked on both."""
    from plotly.subplots import make_subplots

    figure = make_subplots(rows=1, cols=2, subplot_titles=("ROC curve", "Precision-recall curve"))
    fpr, tpr = _thin(curves.fpr, curves.tpr)
    recall, precision = _thin(curves.recall, curves.precision)
    figure.add_trace(go.Scatter(x=fpr, y=tpr, mode="lines", name="ROC", line={"color": TOTAL}), 1, 1)
    figure.add_trace(
        go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="chance", line={"dash": "dot", "color": "#bbbbbb"}), 1, 1
    )
    figure.add_trace(go.Scatter(x=recall, y=precision, mode="lines", name="PR", line={"color": TOTAL}), 1, 2)
    marker = {"size": 12, "color": RISK_UP, "symbol": "diamond"}
    figure.add_trace(
        go.Scatter(x=[operating["fpr"]], y=[operating["tpr"]], mode="markers", marker=marker, name="operating point"),
        1,
        1,
    )
    figure.add_trace(
        go.Scatter(
            x=[operating["recall"]], y=[operating["precision"]], mode="markers", marker=marker, showlegend=False
        ),
        1,
        2,
    )
    words = use_case.words
    figure.update_xaxes(
        title_text=plot_text(f"false-positive rate ({words.negative_cases} {words.positive_past})"),
        range=[0, 1],
        row=1,
        col=1,
    )
    figure.update_yaxes(title_text=plot_text(f"recall ({words.positive_cases} caught)"), range=[0, 1.02], row=1, col=1)
    figure.update_xaxes(title_text="recall", range=[0, 1], row=1, col=2)
    figure.update_yaxes(title_text="precision", range=[0, 1.02], row=1, col=2)
    figure.update_layout(
        height=380, margin={"l": 10, "r": 10, "t": 40, "b": 40}, legend={"orientation": "h", "y": -0.25}
    )
    return figure


def build_cost_curve(curve, current: float, current_total: float, currency: str) -> go.Figure:
    """Expected cost per 1,000 cases against the threshold, with the current and optimal ones marked."""
    x, y = _thin(curve.thresholds[::-1], curve.per_thousand(curve.totals[::-1]), 600)
    best = curve.best
    figure = go.Figure(go.Scatter(x=x, y=y, mode="lines", name="expected cost", line={"color": TOTAL}))
    figure.add_trace(
        go.Scatter(
            x=[curve.optimal_threshold],
            y=[curve.per_thousand(curve.totals[best])],
            mode="markers",
            marker={"size": 13, "color": RISK_DOWN, "symbol": "star"},
            name="cost-optimal threshold",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=[current],
            y=[curve.per_thousand(current_total)],
            mode="markers",
            marker={"size": 12, "color": RISK_UP, "symbol": "diamond"},
            name="current threshold",
        )
    )
    figure.update_layout(
        title="Expected cost of errors per 1,000 cases",
        xaxis_title="threshold",
        yaxis_title=plot_text(f"cost per 1,000 cases {currency}".strip()),
        xaxis_range=[0, 1],
        height=360,
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
        legend={"orientation": "h", "y": -0.25},
    )
    return figure


def build_gap_sweep(sweep: pd.DataFrame, threshold: float) -> go.Figure:
    """The gap metrics (columns, named) against the threshold (index), the current threshold marked."""
    long = sweep.reset_index().melt(id_vars="threshold", var_name="metric", value_name="value")
    figure = px.line(long, x="threshold", y="value", color="metric")
    figure.add_vline(x=threshold, line_dash="dot", annotation_text="current threshold")
    figure.update_layout(
        height=380, margin={"l": 10, "r": 10, "t": 30, "b": 40}, legend={"orientation": "h", "y": -0.25}
    )
    return figure


CALIBRATED = {
    "x": [0, 1],
    "y": [0, 1],
    "mode": "lines",
    "name": "calibrated",
    "line": {"dash": "dot", "color": "#7f8c8d"},
}


def build_reliability_trace(table: pd.DataFrame, name: str, colour: str | None = None) -> go.Scatter:
    """One reliability curve (`metrics.calibration.reliability_table`): observed rate against mean score per
    score bin, each with its interval."""
    return go.Scatter(
        x=table["mean score"],
        y=table["observed rate"],
        mode="lines+markers",
        name=name,
        line={"color": colour} if colour else None,
        error_y={
            "type": "data",
            "symmetric": False,
            "array": table["interval high"] - table["observed rate"],
            "arrayminus": table["observed rate"] - table["interval low"],
        },
        customdata=table["cases"],
        hovertemplate="mean score %{x:.1%}<br>observed %{y:.1%}<br>%{customdata:,} cases<extra></extra>",
    )


def build_reliability_figure(curves: list[go.Scatter], outcome: str) -> go.Figure:
    """Reliability curves beside the diagonal a calibrated score would follow, on 0–100 % axes."""
    figure = go.Figure([go.Scatter(**CALIBRATED), *curves])
    figure.update_layout(
        xaxis_title="mean score in the bin",
        yaxis_title=plot_text(f"share that turned out {outcome}"),
        xaxis={"range": [0, 1], "tickformat": ".0%"},
        yaxis={"range": [0, 1], "tickformat": ".0%"},
        height=380,
        margin={"l": 10, "r": 10, "t": 20, "b": 40},
        legend={"orientation": "h", "y": -0.25},
    )
    return figure


def build_reliability(table: pd.DataFrame, outcome: str) -> go.Figure:
    """Observed rate against mean score per score bin, each with its interval, beside the diagonal."""
    return build_reliability_figure([build_reliability_trace(table, "observed")], outcome)


PSI_COLOURS = [[0, "#eafaf1"], [0.1 / 0.5, "#f9e79f"], [0.25 / 0.5, "#f5b041"], [1, "#c0392b"]]


def build_psi_heatmap(by_month: pd.DataFrame) -> go.Figure:
    """PSI of each column (columns, named) in each month (index) against the reference window."""
    shown = by_month.T.rename(index=plot_text, columns=plot_text)
    heat = px.imshow(
        shown, color_continuous_scale=PSI_COLOURS, zmin=0, zmax=0.5, aspect="auto", labels={"color": "PSI"}
    )
    heat.update_layout(
        height=80 + 32 * by_month.shape[1],
        margin={"l": 10, "r": 10, "t": 30, "b": 30},
        title="PSI against the reference window",
    )
    return heat


def build_lines(frame: pd.DataFrame, y_title: str, x_title: str = "") -> go.Figure:
    """One line per column against the index (Plotly: Streamlit's built-in line chart leaves its hover
    points without a text alternative, which axe-core reports as a serious violation)."""
    figure = go.Figure(
        [
            go.Scatter(
                x=[x.strftime("%Y-%m-%d") if hasattr(x, "strftime") else str(x) for x in frame.index],
                y=frame[c],
                mode="lines+markers",
                name=plot_text(c),
            )
            for c in frame.columns
        ]
    )
    figure.update_layout(
        xaxis_title=plot_text(x_title),
        yaxis_title=plot_text(y_title),
        height=340,
        margin={"l": 10, "r": 10, "t": 20, "b": 40},
        legend={"orientation": "h", "y": -0.3},
    )
    return figure


MAX_COLOUR_GROUPS = 8  # categories of the colouring input drawn in their own colour; the rest as "other"
OVERLAY = "#7f8c8d"


def _shown(dependence, values: pd.Series, use_case: UseCase) -> pd.Series:
    """An input's values as drawn: categories in business words, numbers as they are."""
    if dependence.categorical:
        return values.map(lambda v: plot_text(use_case.describe_value(dependence.column, v)))
    return values.astype(float)


def _grid_shown(dependence, use_case: UseCase) -> list:
    if dependence.categorical:
        return [plot_text(use_case.describe_value(dependence.column, v)) for v in dependence.grid]
    return [float(v) for v in dependence.grid]


def _colour_traces(dependence, x: pd.Series, use_case: UseCase) -> list[go.Scattergl]:
    """The SHAP points, coloured by the input the chosen one interacts with most."""
    y = dependence.contributions
    if dependence.colour_by is None:
        return [go.Scattergl(x=x, y=y, mode="markers", marker={"color": TOTAL, "size": 5}, name="cases")]
    colour, label = dependence.colour_values, plot_text(use_case.label(dependence.colour_by))
    if pd.api.types.is_numeric_dtype(colour) and not pd.api.types.is_bool_dtype(colour):
        marker = {"color": colour.astype(float), "colorscale": "Viridis", "size": 5, "showscale": True}
        marker["colorbar"] = {
            "title": {"text": label, "side": "top"},
            "orientation": "h",
            "x": 0.21,
            "y": -0.3,
            "yanchor": "top",
            "len": 0.42,
            "thickness": 10,
        }
        return [go.Scattergl(x=x, y=y, mode="markers", marker=marker, name=label, showlegend=False)]
    words = colour.map(lambda v: use_case.describe_value(dependence.colour_by, v))
    top = list(words.value_counts().index[:MAX_COLOUR_GROUPS])
    words = words.where(words.isin(top), "other")
    return [
        go.Scattergl(
            x=x[words == group],
            y=y[words == group],
            mode="markers",
            marker={"size": 5},
            name=plot_text(f"{use_case.label(dependence.colour_by)}: {group}"),
            legendgroup="colour",
        )
        for group in [*top, "other"]
        if (words == group).any()
    ]


def _ice_trace(dependence, grid: list) -> go.Scatter:
    """The ICE lines as one trace (lines broken by gaps); for categories, dots at each category instead."""
    xs, ys = [], []
    for row in dependence.ice.to_numpy():
        xs += [*grid, None]
        ys += [*row.tolist(), None]
    faint = "rgba(52, 73, 94, 0.18)"
    return go.Scatter(
        x=xs,
        y=ys,
        mode="markers" if dependence.categorical else "lines",
        line={"color": faint, "width": 1},
        marker={"color": faint, "size": 6},
        name=plot_text(f"ICE ({len(dependence.ice)} {dependence.version} cases)"),
        hoverinfo="skip",
    )


def build_dependence(dependence: InputDependence, use_case: UseCase, other: InputDependence | None = None) -> go.Figure:
    """How one input moves the score (`explanations.dependence.InputDependence`): its stored SHAP points
    coloured by the input it interacts with most (left), partial dependence with ICE lines (right); `other`,
    another iteration's, overlaid in grey (its SHAP points only when on the same scale)."""
    from plotly.subplots import make_subplots

    label, words = use_case.label(dependence.column), use_case.words
    figure = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.14,
        subplot_titles=(plot_text(f"SHAP dependence ({dependence.version})"), "Partial dependence and ICE"),
    )
    if other is not None and other.contributions is not None and other.scale == dependence.scale:
        figure.add_trace(  # beneath the chosen iteration's points
            go.Scattergl(
                x=_shown(other, other.values, use_case),
                y=other.contributions,
                mode="markers",
                marker={"color": OVERLAY, "size": 4, "opacity": 0.5},
                name=plot_text(f"{other.version} cases"),
            ),
            1,
            1,
        )
    if dependence.contributions is not None:
        x = _shown(dependence, dependence.values, use_case)
        for trace in _colour_traces(dependence, x, use_case):
            figure.add_trace(trace, 1, 1)
    grid = _grid_shown(dependence, use_case)
    figure.add_trace(_ice_trace(dependence, grid), 1, 2)
    lines = [(dependence, TOTAL, "solid")] + ([(other, OVERLAY, "dash")] if other is not None else [])
    for shown, colour, dash in lines:
        figure.add_trace(
            go.Scatter(
                x=_grid_shown(shown, use_case),
                y=shown.average,
                mode="markers" if shown.categorical else "lines+markers",
                line={"color": colour, "width": 3, "dash": dash},
                marker={"color": colour, "size": 12 if shown.categorical else 6, "symbol": "diamond"},
                name=plot_text(f"partial dependence ({shown.version})"),
            ),
            1,
            2,
        )
    if dependence.categorical:
        figure.update_xaxes(type="category", categoryorder="array", categoryarray=grid)
    figure.update_xaxes(title_text=plot_text(label))
    figure.update_yaxes(title_text=plot_text(f"SHAP contribution ({dependence.scale})"), row=1, col=1)
    figure.update_yaxes(title_text=plot_text(f"probability of {words.outcome}"), tickformat=".0%", row=1, col=2)
    figure.update_layout(
        height=540,
        margin={"l": 10, "r": 10, "t": 90, "b": 40},
        # above the plots: below them it meets the input's axis title once long category ticks turn
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": 1.1, "yanchor": "bottom"},
    )
    return figure
