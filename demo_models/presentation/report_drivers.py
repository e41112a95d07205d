"""The report's "how each input moves the score", "calibration" and "the data behind it" sections, from the
functions Outcomes uses (`explain_dependence`, `summarise_calibration`, the data explorer's profiles), so the
report and the page show the same numbers. Each section is HTML parts; text is escaped here, tables by
the report's table printer, figures by its figure embedder.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from demo_models.explanations.dependence import (
    InputDependence,
    association_warnings,
    dependence_inputs,
    dependence_notes,
    explain_dependence,
)
from demo_models.formats import format_count, format_number, format_share, format_table
from demo_models.iterations.scoring import ScoredIteration
from demo_models.metrics.calibration import CalibrationSummary, summarise_calibration
from demo_models.metrics.data_explorer import BY_OUTCOME, InputProfile, label_input, missing_by_group, profile_input
from demo_models.presentation.chart_text import describe_dependence, describe_reliability
from demo_models.presentation.data_figures import build_share_bars, describe_share_bars
from demo_models.presentation.figures import build_dependence, build_reliability

DEPENDENCE_INPUTS = 2  # the inputs the report sweeps: those the iteration leans on most
PROFILED_INPUTS = 2

Embed = Callable[[go.Figure], str]
Table = Callable[..., str]


@dataclass(frozen=True)
class DriverSections:
    """What the three sections show for an iteration, with its predecessor's curves where it has one."""

    dependence: list[tuple[InputDependence, InputDependence | None]]
    calibration: CalibrationSummary
    profiles: list[InputProfile]
    missing: pd.DataFrame


def gather_driver_sections(scored: ScoredIteration, previous: ScoredIteration | None) -> DriverSections:
    """The dependence of the inputs the iteration uses most (overlaid with `previous` where it takes them too),
    its calibration, and its top inputs' data by actual outcome."""
    top = dependence_inputs(scored)
    swept = []
    for column in top[:DEPENDENCE_INPUTS]:
        other = explain_dependence(previous, column) if previous is not None and column in previous.features else None
        swept.append((explain_dependence(scored, column), other))
    profiles = [profile_input(scored, column, BY_OUTCOME) for column in top[:PROFILED_INPUTS]]
    return DriverSections(swept, summarise_calibration(scored), profiles, missing_by_group(scored, BY_OUTCOME))


def render_dependence_parts(sections: DriverSections, scored: ScoredIteration, figure: Embed) -> list[str]:
    """How each of the top inputs moves the score: the figure, its sentence, and the notes Outcomes shows."""
    e, use_case = html.escape, scored.use_case
    parts = [
        "<h3>How each input moves the score</h3>",
        "<p class='muted'>Stored SHAP values against the input (left) and scikit-learn's partial dependence with "
        "individual curves (right), for the inputs the iteration leans on most; Outcomes sweeps any input.</p>",
    ]
    for mine, theirs in sections.dependence:
        parts.append(figure(build_dependence(mine, use_case, theirs)))
        parts.append(f"<p class='muted'>{e(describe_dependence(mine, use_case, theirs).summary)}</p>")
        notes = [*association_warnings(mine, use_case), *dependence_notes(mine, use_case)]
        parts += [f"<p class='muted'>{e(note)}</p>" for note in notes]
    return parts


def render_calibration_parts(
    sections: DriverSections, scored: ScoredIteration, figure: Embed, table: Table
) -> list[str]:
    """Calibration: Brier score and ECE, the reliability curve, and both per protected group."""
    e, words = html.escape, scored.use_case.words
    summary = sections.calibration
    parts = [
        "<h2>Calibration: does the score mean what it says?</h2>",
        f"<p>Brier score <b>{summary.brier:.4f}</b>, expected calibration error <b>{summary.ece:.4f}</b> on "
        f"{e(words.count(len(scored.scores)))}. The cost-optimal threshold reads the score as the probability of "
        f"{e(words.outcome)}; where the curve leaves the diagonal, that reading is off. Ten score bins, 95 % "
        "Wilson intervals.</p>",
        figure(build_reliability(summary.reliability, words.outcome)),
        f"<p class='muted'>{e(describe_reliability(summary.reliability, summary.ece, words.outcome).summary)}</p>",
    ]
    if not summary.by_group.empty:
        parts.append(table(calibration_frame(sections)))
    return parts


def render_data_parts(sections: DriverSections, scored: ScoredIteration, figure: Embed, table: Table) -> list[str]:
    """The data behind it: the top inputs by actual outcome, and every input's missing values."""
    e, words = html.escape, scored.use_case.words
    parts = [
        "<h2>The data behind it</h2>",
        f"<p class='muted'>The inputs the iteration leans on most, by actual outcome ({e(words.outcome)} or not), "
        "on the evaluation cases; Outcomes shows any input by decision or protected group too.</p>",
    ]
    for profile in sections.profiles:
        label = label_input(scored, profile.column)
        parts.append(f"<h3>{e(label)}</h3>")
        parts.append(figure(build_share_bars(profile.table, "group", label, BY_OUTCOME)))
        parts.append(f"<p class='muted'>{e(describe_share_bars(profile.table, 'group', label).summary)}</p>")
        parts.append(table(profile_frame(profile)))
    missing = missing_frame(sections)
    if missing is None:
        parts.append(f"<p>{e(no_missing_sentence(scored))}</p>")
    else:
        parts += ["<h3>Missing values</h3>", table(missing)]
    return parts


def calibration_frame(sections: DriverSections) -> pd.DataFrame:
    """Cases, Brier score and ECE overall and per protected group, as printed (index: the group)."""
    frame = sections.calibration.by_group.set_index("group")
    return format_table(frame, {"cases": format_count, "Brier": "{:.4f}", "ECE": "{:.4f}"})


def profile_frame(profile: InputProfile) -> pd.DataFrame:
    """An input's cases, missing values and (for a number) mean and quartiles per group, as printed."""
    numbers = {c: (lambda v: format_number(v, significant=4)) for c in profile.groups.columns[4:]}
    formats = {"cases": format_count, "missing": format_count, "missing share": format_share, **numbers}
    return format_table(profile.groups.set_index("group"), formats)


def missing_frame(sections: DriverSections) -> pd.DataFrame | None:
    """Every input's missing values overall and per actual outcome, as printed; None when nothing is missing."""
    missing = sections.missing
    if int(missing["missing"].sum()) == 0:
        return None
    shares = dict.fromkeys([c for c in missing.columns if "share" in c], format_share)
    return format_table(missing.set_index("input"), {"missing": format_count, **shares})


def no_missing_sentence(scored: ScoredIteration) -> str:
    """What the missing-values part says when no input is missing."""
    return f"No input is missing on any of the {scored.use_case.words.count(len(scored.scores))}."
