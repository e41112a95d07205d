"""Figures and their text alternatives for where an iteration errs: the error heat map over two inputs and
the reliability curves of two iterations on the same cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from demo_models.formats import format_money, format_share
from demo_models.metrics.cohort_compare import CohortChange
from demo_models.metrics.error_map import ErrorHeatMap
from demo_models.presentation.chart_text import ChartText
from demo_models.presentation.figures import build_reliability_figure, build_reliability_trace, plot_text
from demo_models.vocabulary import UseCase

SIDE_COLOURS = ("#95a5a6", "#2471a3")  # the older iteration in grey, the newer in blue


def _cell_text(heat: ErrorHeatMap, i: int, j: int, show: str, currency: str) -> str:
    cases, errors = int(heat.cases[i, j]), int(heat.errors[i, j])
    if not cases:
        return ""
    if np.isnan(heat.rate[i, j]):
        return f"— ({cases} cases)"
    value = format_money(heat.cost[i, j], currency) if show == "cost" else format_share(heat.rate[i, j], 0)
    return f"{value}<br>{errors} of {cases}"


def build_error_heat_map(heat: ErrorHeatMap, use_case: UseCase, show: str = "rate", currency: str = "") -> go.Figure:
    """The error rate (or, `show="cost"`, the cost of the errors) per cell, each with its errors and cases; a
    cell with too few cases is left uncoloured and says "—"."""
    z = heat.cost if show == "cost" else heat.rate
    text = [[_cell_text(heat, i, j, show, currency) for j in range(len(heat.x_bins))] for i in range(len(heat.y_bins))]
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=[plot_text(b) for b in heat.x_bins],
            y=[plot_text(b) for b in heat.y_bins],
            text=text,
            texttemplate="%{text}",
            colorscale="Reds",
            zmin=0,
            zmax=1 if show == "rate" else None,
            hoverongaps=False,
            colorbar={
                "title": "cost" if show == "cost" else "error rate",
                "tickformat": ".0%" if show == "rate" else "",
            },
            hovertemplate="%{y} · %{x}<br>%{text}<extra></extra>",
        )
    )
    figure.update_layout(
        xaxis_title=plot_text(use_case.label(heat.x)),
        yaxis_title=plot_text(use_case.label(heat.y)),
        yaxis={"autorange": "reversed", "type": "category"},
        xaxis={"type": "category"},
        height=120 + 48 * len(heat.y_bins),
        margin={"l": 10, "r": 10, "t": 20, "b": 40},
    )
    return figure


def describe_error_heat_map(heat: ErrorHeatMap, use_case: UseCase, currency: str = "") -> ChartText:
    """The heat map in words: the worst cell with enough cases, against the overall rate, and its table."""
    table = heat.table()
    defined = table.dropna(subset=["error rate"])
    if defined.empty:
        sentence = f"No cell holds {heat.min_cases} cases or more, so no rate is shown."
    else:
        worst = defined.loc[defined["error rate"].idxmax()]
        sentence = (
            f"Worst: {use_case.label(heat.y)} {worst[heat.y]} and {use_case.label(heat.x)} {worst[heat.x]}, "
            f"{format_share(worst['error rate'])} wrong ({int(worst['errors'])} of {int(worst['cases'])}), against "
            f"{format_share(heat.overall_rate)} overall. Cells under {heat.min_cases} cases have no rate (—)."
        )
    shown = table.assign(
        **{
            "error rate": table["error rate"].map(format_share),
            "cost of errors": table["cost of errors"].map(lambda v: format_money(v, currency)),
        }
    ).rename(columns={heat.x: use_case.label(heat.x), heat.y: use_case.label(heat.y)})
    return ChartText(sentence, (("Errors per cell", shown),))


def build_reliability_pair(change: CohortChange, outcome: str) -> go.Figure:
    """Both iterations' reliability curves on the same cases, each observed rate with its interval."""
    curves = [
        build_reliability_trace(side.reliability, plot_text(f"{side.version} (ECE {side.ece:.3f})"), colour)
        for side, colour in zip(change.calibration, SIDE_COLOURS)
    ]
    return build_reliability_figure(curves, outcome)


def describe_reliability_pair(change: CohortChange, outcome: str) -> ChartText:
    """Both calibrations in words (Brier and ECE of each) and both reliability tables."""
    old, new = change.calibration
    shared = int(old.reliability["cases"].sum())
    sentence = (
        f"On the {shared:,} cases both were shown: {old.version} Brier {old.brier:.4f}, ECE {old.ece:.3f}; "
        f"{new.version} Brier {new.brier:.4f}, ECE {new.ece:.3f} (share that turned out {outcome} per score bin)."
    )
    return ChartText(sentence, tuple((f"Reliability of {s.version}", s.reliability.round(4)) for s in (old, new)))


def change_summary(change: CohortChange) -> pd.DataFrame:
    """Brier and ECE of both iterations on the shared cases, as a small table (one row per iteration)."""
    return pd.DataFrame(
        {
            "iteration": [s.version for s in change.calibration],
            "cases": [change.cases] * 2,
            "errors": [change.errors_before, change.errors_after],
            "Brier": [s.brier for s in change.calibration],
            "ECE": [s.ece for s in change.calibration],
        }
    )
