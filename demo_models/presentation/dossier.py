"""The iteration dossier as a paginated PDF for the compliance archive: the HTML report's sections from the same
`ReportInputs`, plus the iteration's lifecycle status and the sign-off snapshots in force.

Every number is computed by the functions the HTML report uses and printed with the same formatting
(`report.format_table`, `formats.py`); figures are matplotlib PNGs embedded from memory. Text people wrote (card
notes, owners, comments) is printed as text: control and bidi characters blanked, never interpreted.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pandas as pd
from fpdf.fonts import FontFace
from PIL import Image

from demo_models.formats import format_money, format_share
from demo_models.metrics.compare import FLIP_TO_NEGATIVE, FLIP_TO_POSITIVE, compare_iterations
from demo_models.metrics.costs import cost_curve, total_cost
from demo_models.metrics.fairness import GAP_METRICS, FairnessError, fairness_gaps
from demo_models.metrics.outcomes import confusion
from demo_models.metrics.performance import headline_metrics, metric_labels
from demo_models.presentation.dossier_drivers import write_calibration, write_data, write_dependence
from demo_models.presentation.dossier_figures import draw_importance, draw_waterfall
from demo_models.presentation.dossier_review import write_expectations, write_hypothesis, write_rounds
from demo_models.presentation.error_figures import describe_error_heat_map
from demo_models.presentation.notice_render import PdfFont, find_unicode_font, make_printable
from demo_models.presentation.pdf_document import UnicodePdf
from demo_models.presentation.report import (
    ReportInputs,
    compare_importance,
    error_paragraphs,
    errors_of_report,
    format_table,
    pick_examples,
)
from demo_models.presentation.report_drivers import DriverSections, gather_driver_sections
from demo_models.vocabulary import capitalise
from feedback.signoff import SignOff

_NUMBER = re.compile(r"[-+]?[\d,.]+%?|[<>] [\d.]+%|—")
FAIRNESS_NOTE = "Gaps on the favourable decision, “{}”, computed with fairlearn; — where a rate would divide by zero."


@dataclass(frozen=True)
class DossierMeta:
    """What the title page says beyond the report: lifecycle status, who generated it and when, sign-offs in force."""

    status: str
    generated_by: str
    signoffs: tuple[SignOff, ...] = ()
    generated_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


class _Dossier(UnicodePdf):
    """An A4 document with a running footer: the dossier's name and "Page n of N"."""

    def __init__(self, font: PdfFont, footer_text: str) -> None:
        super().__init__(font)
        self.footer_text = footer_text
        self.set_auto_page_break(True, margin=18)
        self.set_margins(18, 16, 18)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.face.family, "", 8)
        self.set_text_color(120)
        self.cell(0, 6, self.safe(self.footer_text), align="L")
        self.set_x(self.l_margin)
        self.cell(0, 6, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(0)

    def safe(self, value: object) -> str:
        """Any value as printable text in the document's font."""
        return make_printable(str(value), self.face)

    def heading(self, title: str, level: int = 0) -> None:
        """A section heading (level 0 starts a page and enters the contents), or a sub-heading."""
        if level == 0:
            if self.page == 0 or self.y > self.t_margin + 0.5:  # a fresh page (after the contents) is used as is
                self.add_page()
            self.start_section(self.safe(title), level=0)
        else:
            self.ln(2)
        self.set_font(self.face.family, "B", 15 if level == 0 else 11.5)
        self.multi_cell(0, 8 if level == 0 else 6.5, self.safe(title), align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def para(self, value: str, size: float = 10, bold: bool = False, grey: bool = False) -> None:
        """A paragraph of text, wrapped and left-aligned (justified lines spread words apart; long words break)."""
        self.set_font(self.face.family, "B" if bold else "", size)
        self.set_text_color(110 if grey else 0)
        self.multi_cell(0, size * 0.5, self.safe(value) or " ", align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0)
        self.ln(1)

    def grid(
        self, frame: pd.DataFrame, first: str = "", widths: tuple[int, ...] | None = None, headings: bool = True
    ) -> None:
        """A formatted table (strings) with its index as the first column; numbers right-aligned, text left."""
        self.set_font(self.face.family, "", 8.5)
        rows = [[str(i), *map(str, values)] for i, values in zip(frame.index, frame.to_numpy())]
        if headings:
            rows.insert(0, [first or str(frame.index.name or ""), *map(str, frame.columns)])
        widths = widths or (3, *[2] * len(frame.columns))
        numeric = [all(_NUMBER.fullmatch(str(v)) for v in frame[c]) for c in frame.columns]
        width = self.epw if not all(numeric) else min(self.epw, 28 * (len(frame.columns) + 2))
        with self.table(
            col_widths=self._fit_widths(rows, widths, width, headings),
            text_align=("LEFT", *["RIGHT" if n else "LEFT" for n in numeric]),
            first_row_as_headings=headings,
            headings_style=FontFace(emphasis="BOLD", fill_color=(240, 240, 240)),
            line_height=4.6,
            width=width,
            align="LEFT",
        ) as table:
            for row in rows:
                cells = table.row()
                for value in row:
                    cells.cell(self.safe(value))
        self.ln(2)

    def _fit_widths(
        self, rows: list[list[str]], widths: tuple[int, ...], total: float, headings: bool
    ) -> tuple[float, ...]:
        """Column widths (mm) in the proportions asked, widened so no column breaks a word (a heading such as
        "p-value" or "Rank" split over two lines), the others narrowed to keep the table's width."""
        padding = 2.5  # fpdf2's cell padding on both sides, and the rule
        needed = []
        for column in range(len(widths)):
            longest = 0.0
            for number, row in enumerate(rows):
                self.set_font(self.face.family, "B" if headings and number == 0 else "", 8.5)
                longest = max([longest, *(self.get_string_width(self.safe(w)) for w in row[column].split())])
            needed.append(longest + padding)
        self.set_font(self.face.family, "", 8.5)
        asked = [total * w / sum(widths) for w in widths]
        if sum(needed) >= total:  # cannot fit every word: the proportions asked
            return tuple(asked)
        fitted = [max(a, n) for a, n in zip(asked, needed)]
        spare = [f - n for f, n in zip(fitted, needed)]
        excess = sum(fitted) - total
        return tuple(f - excess * s / sum(spare) if sum(spare) else f for f, s in zip(fitted, spare))

    def figure(self, png: io.BytesIO) -> None:
        """A PNG figure at 90% of the text's width, smaller where it would be taller than a page."""
        with Image.open(png) as picture:
            ratio = picture.height / picture.width
        png.seek(0)
        self.image(png, w=min(self.epw * 0.9, self.eph * 0.92 / ratio))
        self.ln(2)


def _contents(pdf: _Dossier, outline) -> None:
    pdf.set_x(pdf.l_margin)
    pdf.set_font(pdf.face.family, "B", 13)
    pdf.cell(0, 8, "Contents", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.face.family, "", 10)
    for section in outline:
        link = pdf.add_link(page=section.page_number)
        pdf.cell(pdf.epw - 20, 6.5, section.name[:90], link=link)
        pdf.cell(20, 6.5, str(section.page_number), align="R", new_x="LMARGIN", new_y="NEXT", link=link)


def _title_page(pdf: _Dossier, inputs: ReportInputs, meta: DossierMeta) -> None:
    card, use_case = inputs.scored.card, inputs.scored.use_case
    words = use_case.words
    pdf.add_page()
    pdf.para("Iteration dossier", size=22, bold=True)
    pdf.para(f"{use_case.title} — iteration {card.version}", size=15, bold=True)
    pdf.ln(2)
    facts = pd.DataFrame(
        {
            "": [
                use_case.title,
                card.version,
                meta.status,
                f"{meta.generated_at:%Y-%m-%d %H:%M} UTC",
                meta.generated_by,
            ]
        },
        index=["Use case", "Iteration", "Lifecycle status", "Generated", "Generated by"],
    )
    pdf.grid(facts, widths=(2, 5), headings=False)
    pdf.para(
        f"{card.model_type} by {card.author}, registered {card.created[:10]}"
        f"{', built on ' + card.parent if card.parent else ''}. Threshold {format_share(card.threshold)}: "
        f"{words.positive_decision} at or above. {words.count(card.n_eval)} to evaluate it on.",
        grey=True,
    )
    pdf.para(
        f"Explanations: {card.explainer}; SHAP stored for {card.shap_rows:,} of {card.n_eval:,} evaluation cases "
        f"({card.shap_rule or 'a seeded sample'}).",
        grey=True,
    )
    if card.notes:
        pdf.para(card.notes)
    pdf.ln(3)
    pdf.insert_toc_placeholder(_contents, pages=1)


def _scorecard(pdf: _Dossier, inputs: ReportInputs) -> None:
    pdf.heading("Goal scorecard")
    if not inputs.scorecard:
        pdf.para("No success criteria have been agreed yet.")
        return
    frame = pd.DataFrame(
        [(o, v) for _, o, v in inputs.scorecard], index=[c for c, _, _ in inputs.scorecard], columns=["Owner", "v"]
    )
    pdf.grid(frame.rename(columns={"v": inputs.scored.card.version}), "Criterion", widths=(4, 2, 3))


def _outcomes(pdf: _Dossier, inputs: ReportInputs) -> None:
    it, card, use_case = inputs.scored, inputs.scored.card, inputs.scored.use_case
    words = use_case.words
    labels, scores = it.iteration.labels, it.scores.to_numpy()
    pdf.heading("Outcomes and cost")
    metrics = headline_metrics(labels, scores, card.threshold)
    pdf.grid(format_table(pd.DataFrame({"value": metrics}).rename(index=metric_labels(use_case))), "Metric")
    matrix = confusion(labels, scores, card.threshold)
    matrix.index = [f"actually {words.negative_state}", f"actually {words.positive_state}"]
    matrix.columns = [words.negative_past, words.positive_past]
    pdf.grid(format_table(matrix))
    if inputs.costs is None:
        pdf.para("No cost matrix has been agreed.", grey=True)
        return
    curve = cost_curve(labels, scores, inputs.costs)
    now = curve.per_thousand(total_cost(labels, scores, card.threshold, inputs.costs))
    best = curve.per_thousand(float(curve.totals[curve.best]))
    pdf.para(
        f"Expected cost of errors per 1,000 cases: {format_money(now, inputs.currency)} at the threshold; "
        f"{format_money(best, inputs.currency)} at the cost-optimal threshold {curve.optimal_threshold:.3f}."
    )


def _fairness(pdf: _Dossier, inputs: ReportInputs) -> None:
    it, use_case = inputs.scored, inputs.scored.use_case
    pdf.heading("Fairness")
    for attribute in it.card.protected_attributes:
        try:
            gaps = fairness_gaps(it, attribute)
        except FairnessError as err:
            pdf.para(str(err))
            continue
        pdf.grid(format_table(pd.DataFrame({use_case.label(attribute): gaps}).rename(index=GAP_METRICS)), "Gap")
    pdf.para(FAIRNESS_NOTE.format(use_case.favourable_decision), size=8.5, grey=True)


def _drivers(pdf: _Dossier, inputs: ReportInputs, sections: DriverSections) -> None:
    it, card, use_case = inputs.scored, inputs.scored.card, inputs.scored.use_case
    pdf.heading("What drives the scores")
    old = inputs.previous.card.version if inputs.previous else card.version
    pdf.figure(draw_importance(compare_importance(inputs), use_case, old, card.version))
    write_dependence(pdf, sections, it)
    pdf.heading("Example explanations", level=1)
    for case_id in pick_examples(it):
        explanation = it.explain_case(case_id)
        if pdf.eph + pdf.t_margin - pdf.y < 120:  # a case's reasons and its waterfall on one page
            pdf.add_page()
        pdf.para(
            f"{capitalise(use_case.words.case)} {case_id}: {format_share(explanation.score)}, {explanation.decision}",
            bold=True,
        )
        for number, reason in enumerate(explanation.reasons, start=1):
            pdf.para(f"{number}. {reason.text}", size=9)
        pdf.figure(draw_waterfall(explanation, use_case))


def _errors(pdf: _Dossier, inputs: ReportInputs) -> None:
    section = errors_of_report(inputs)
    first, second = error_paragraphs(section, inputs.scored.use_case)
    pdf.heading("Where it errs")
    pdf.para(first)
    pdf.grid(section.cohorts, "Rank", widths=(1, 7, 2, 4, 3, 3, 4))
    if section.heat is not None:
        pdf.para(describe_error_heat_map(section.heat, inputs.scored.use_case).summary, size=8.5, grey=True)
    if section.change is not None:
        pdf.para(second)
        pdf.grid(section.change_table, "#", widths=(1, 7, 2, 3, 3, 3, 2, 3))
        pdf.grid(section.calibration, "Iteration")


def _changes(pdf: _Dossier, inputs: ReportInputs) -> None:
    if inputs.previous is None:
        return
    it, use_case = inputs.scored, inputs.scored.use_case
    comparison = compare_iterations(inputs.previous, it)
    old, new = inputs.previous.card.version, it.card.version
    counts = comparison.flip_counts()
    neg, pos = use_case.negative_decision, use_case.positive_decision
    pdf.heading(f"What changed since {old}")
    names = metric_labels(use_case)
    pdf.grid(format_table(comparison.metrics.rename(index=names, columns={"old": old, "new": new})), "Metric")
    pdf.para(
        f"Decisions that flip on the {use_case.words.count(len(comparison.cases))} both were shown: "
        f"{counts[FLIP_TO_POSITIVE]} {neg} → {pos}, {counts[FLIP_TO_NEGATIVE]} {pos} → {neg}."
    )
    direction = {FLIP_TO_POSITIVE: f"{neg} → {pos}", FLIP_TO_NEGATIVE: f"{pos} → {neg}"}
    for attribute in comparison.groups:
        flips = comparison.flips_by_group(attribute).rename(columns=direction)
        pdf.grid(format_table(flips, percent=("flip rate",)))


def _feedback(pdf: _Dossier, inputs: ReportInputs) -> None:
    pdf.heading("Feedback and its resolution")
    for title, frame in (("Verdicts", inputs.verdicts), ("What it was about", inputs.categories)):
        if frame is not None and not frame.empty:
            pdf.heading(title, level=1)
            pdf.grid(format_table(frame))
    if inputs.triage is not None and len(inputs.triage):
        pdf.heading("Triage", level=1)
        pdf.grid(format_table(inputs.triage.rename("entries").to_frame()))
    if inputs.fixes is not None and inputs.fixes[1]:
        pdf.para(
            f"Of {inputs.fixes[1]} cases reviewers disagreed with on the previous iteration and said what they "
            f"expected, {inputs.scored.card.version} now decides {inputs.fixes[0]} that way."
        )
    if inputs.verdicts is None or inputs.verdicts.empty:
        pdf.para("No feedback yet.")


def _gap(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _signoffs(pdf: _Dossier, inputs: ReportInputs, meta: DossierMeta) -> None:
    pdf.heading("Sign-offs in force")
    if not meta.signoffs:
        pdf.para(f"No sign-off of {inputs.scored.card.version} is in force.")
        return
    for signoff in meta.signoffs:
        when = f", {signoff.created_at:%Y-%m-%d %H:%M} UTC" if signoff.created_at else ""
        pdf.heading(f"{signoff.signer_name} ({signoff.signer_role}){when}", level=1)
        if signoff.comment:
            pdf.para(f"Comment: {signoff.comment}")
        if signoff.acknowledged:
            pdf.para(f"Acknowledged unmet: {'; '.join(signoff.acknowledged)}", size=9)
        snapshot = signoff.snapshot
        if snapshot is None:
            continue
        pdf.para(f"What was signed: threshold {format_share(snapshot.threshold)}.", size=9, grey=True)
        if snapshot.scorecard:
            lines = pd.DataFrame(
                [
                    (
                        line.owner,
                        _gap(line.value),
                        "pass" if line.passed else "undefined" if line.passed is None else "FAIL",
                        line.note,
                    )
                    for line in snapshot.scorecard
                ],
                index=[line.criterion for line in snapshot.scorecard],
                columns=["Owner", "value", "verdict", "note"],
            )
            pdf.grid(lines, "Criterion", widths=(4, 2, 1, 1, 3))
        for attribute, gaps in snapshot.fairness_gaps.items():
            frame = pd.DataFrame({attribute: {GAP_METRICS.get(k, k): _gap(v) for k, v in gaps.items()}})
            pdf.grid(frame, "Gap")
        for attribute, note in snapshot.fairness_notes.items():
            pdf.para(f"{attribute}: {note}", size=9)
        open_feedback = ", ".join(f"{status}: {count}" for status, count in snapshot.open_feedback.items())
        pdf.para(f"Open feedback at signing: {open_feedback or 'none'}.", size=9)


def render_dossier(inputs: ReportInputs, meta: DossierMeta) -> bytes:
    """The dossier as a PDF: title page with contents, then one section per page group, numbered pages."""
    card, use_case = inputs.scored.card, inputs.scored.use_case
    name = f"Involve dossier: {use_case.title} {card.version}"
    pdf = _Dossier(find_unicode_font(), name)
    pdf.set_title(pdf.safe(name))
    pdf.set_author(pdf.safe(meta.generated_by))
    pdf.set_creator("Involve")
    _title_page(pdf, inputs, meta)
    _scorecard(pdf, inputs)
    _outcomes(pdf, inputs)
    _fairness(pdf, inputs)
    sections = gather_driver_sections(inputs.scored, inputs.previous)
    _drivers(pdf, inputs, sections)
    _errors(pdf, inputs)
    write_calibration(pdf, sections, inputs.scored)
    write_data(pdf, sections, inputs.scored)
    _changes(pdf, inputs)
    _feedback(pdf, inputs)
    write_rounds(pdf, inputs)
    write_expectations(pdf, inputs)
    write_hypothesis(pdf, inputs)
    _signoffs(pdf, inputs, meta)
    return bytes(pdf.output())
