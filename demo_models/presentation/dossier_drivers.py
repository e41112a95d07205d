"""The dossier's "how each input moves the score", "calibration" and "data behind it": the report's sections
(`report_drivers`) as text and tables in the PDF, the same numbers in the same order and formatting."""

from __future__ import annotations

from demo_models.explanations.dependence import association_warnings, dependence_notes
from demo_models.iterations.scoring import ScoredIteration
from demo_models.metrics.data_explorer import label_input
from demo_models.presentation.chart_text import describe_dependence, describe_reliability
from demo_models.presentation.data_figures import describe_share_bars
from demo_models.presentation.report_drivers import (
    DriverSections,
    calibration_frame,
    missing_frame,
    no_missing_sentence,
    profile_frame,
)


def write_dependence(pdf, sections: DriverSections, scored: ScoredIteration) -> None:
    """How the top inputs move the score: each one's sentence and notes (Outcomes and the report draw it)."""
    use_case = scored.use_case
    pdf.heading("How each input moves the score", level=1)
    for mine, theirs in sections.dependence:
        pdf.para(describe_dependence(mine, use_case, theirs).summary, size=9)
        for note in [*association_warnings(mine, use_case), *dependence_notes(mine, use_case)]:
            pdf.para(note, size=8.5, grey=True)


def write_calibration(pdf, sections: DriverSections, scored: ScoredIteration) -> None:
    """Brier score and ECE overall, the furthest bin from calibrated, and both per protected group."""
    summary, words = sections.calibration, scored.use_case.words
    pdf.heading("Calibration: does the score mean what it says?")
    pdf.para(
        f"Brier score {summary.brier:.4f}, expected calibration error {summary.ece:.4f} on "
        f"{words.count(len(scored.scores))}. Ten score bins, 95 % Wilson intervals."
    )
    pdf.para(describe_reliability(summary.reliability, summary.ece, words.outcome).summary, size=8.5, grey=True)
    if not summary.by_group.empty:
        pdf.grid(calibration_frame(sections), "Group")


def write_data(pdf, sections: DriverSections, scored: ScoredIteration) -> None:
    """The top inputs by actual outcome and every input's missing values."""
    pdf.heading("The data behind it")
    for profile in sections.profiles:
        label = label_input(scored, profile.column)
        pdf.heading(label, level=1)
        pdf.para(describe_share_bars(profile.table, "group", label).summary, size=8.5, grey=True)
        pdf.grid(profile_frame(profile), "Group")
    missing = missing_frame(sections)
    if missing is None:
        pdf.para(no_missing_sentence(scored))
    else:
        pdf.heading("Missing values", level=1)
        pdf.grid(missing, "Input")
