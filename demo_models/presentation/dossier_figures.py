"""The dossier's figures, drawn by matplotlib into PNG in memory: what drives the scores, and a case's waterfall.

They draw the same data as the report's plotly figures (`figures.py`). Text is never parsed as mathtext, so a
"$" in a label or a value is printed as written.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from demo_models.iterations.scoring import CaseExplanation
from demo_models.presentation.figures import RISK_DOWN, RISK_UP, TOTAL, waterfall_steps
from demo_models.presentation.notice_render import find_unicode_font, make_printable
from demo_models.vocabulary import UseCase

DPI = 150


def _label(text: str, limit: int = 60) -> str:
    """A label as a figure prints it: control and bidi characters blanked, cut to `limit` characters."""
    text = make_printable(str(text), find_unicode_font()).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _png(figure: Figure) -> io.BytesIO:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    buffer.seek(0)
    return buffer


def draw_importance(importance: pd.DataFrame, use_case: UseCase, old: str, new: str) -> io.BytesIO:
    """Mean |SHAP| per input for two iterations side by side (largest in `new` on top), as PNG."""
    labels = [_label(use_case.label(c)) for c in importance.index]
    rows = np.arange(len(labels))
    figure = Figure(figsize=(7.0, 1.2 + 0.32 * len(labels)))
    axes = figure.subplots()
    axes.barh(rows - 0.2, importance["old"], height=0.4, color="#95a5a6", label=_label(old))
    axes.barh(rows + 0.2, importance["new"], height=0.4, color=TOTAL, label=_label(new))
    axes.set_yticks(rows, labels, parse_math=False, fontsize=8)
    axes.invert_yaxis()
    axes.set_xlabel("mean |SHAP| (average push on the score)", parse_math=False)
    axes.set_title(_label(f"What drives the scores: {old} vs {new}", 90), parse_math=False, fontsize=10)
    axes.legend(loc="lower right", fontsize=8)
    return _png(figure)


def draw_waterfall(explanation: CaseExplanation, use_case: UseCase) -> io.BytesIO:
    """SHAP waterfall of one case, from the average case to this case, one bar per input, as PNG."""
    start, labels, deltas, end = waterfall_steps(explanation, use_case)
    names = [_label(name) for name in (start, *labels, end)]
    running = explanation.base_value + np.cumsum([0.0, *deltas])
    lefts = [0.0, *running[:-1], 0.0]
    widths = [explanation.base_value, *deltas, explanation.output]
    colours = [TOTAL, *[RISK_UP if d > 0 else RISK_DOWN for d in deltas], TOTAL]
    rows = np.arange(len(names))
    figure = Figure(figsize=(7.0, 1.2 + 0.3 * len(names)))
    axes = figure.subplots()
    axes.barh(rows, widths, left=lefts, color=colours, height=0.6)
    for row, left, width in zip(rows, lefts, widths):
        end, side = (left + width, "left") if width >= 0 else (left + width, "right")
        axes.text(end, row, f" {width:+.2f} ", va="center", ha=side, fontsize=7, parse_math=False)
    low, high = min(0.0, *running, explanation.output), max(0.0, *running, explanation.output)
    axes.set_xlim(low - 0.15 * (high - low or 1.0), high + 0.15 * (high - low or 1.0))
    axes.set_yticks(rows, names, parse_math=False, fontsize=8)
    axes.invert_yaxis()
    axes.axvline(0.0, color="#bbbbbb", linewidth=0.8)
    axes.set_xlabel(_label(f"contribution ({explanation.scale})"), parse_math=False)
    axes.set_title(
        _label(f"Why {explanation.case_id}: contributions to the {use_case.words.risk}", 90),
        parse_math=False,
        fontsize=10,
    )
    return _png(figure)
