"""A kept decision record as plain text and as PDF, rendered from its stored contents only (never recomputed), so
what is downloaded is what the store holds. Text people wrote (names, comments) is printed as data: control and
bidi characters blanked in the PDF, never interpreted."""

from __future__ import annotations

from fpdf import FPDF
from fpdf.fonts import FontFace

from demo_models.formats import format_share
from demo_models.presentation.notice_render import PdfFont, find_unicode_font, make_printable, write_line
from demo_models.presentation.pdf_document import UnicodePdf
from feedback.decision_records import DecisionRecord

UNDEFINED = "—"


def _value(value) -> str:
    return UNDEFINED if value is None or value == "" else str(value)


def _who(entry: dict) -> str:
    subject = entry.get("subject")
    return f"{entry.get('by') or entry.get('name')} ({entry.get('role')}{', ' + subject if subject else ''})"


def record_sections(record: DecisionRecord) -> list[tuple[str, list[str]]]:
    """The record as (heading, lines) sections, in the order both the text and the PDF print them."""
    data = record.data()
    by = data["recorded_by"]
    decided = [
        f"Decision: {data['decision_past']} ({data['decision']})",
        f"Score: {data['score']:.6f} ({format_share(data['score'])}); threshold {data['threshold']:.6f} "
        f"({format_share(data['threshold'])})",
        f"Decided by iteration {data['iteration']} of {data['use_case_title']} ({_value(data.get('model'))}), "
        f"lifecycle status at the time of this record: {data['lifecycle_status']}",
        f"Recorded {data['recorded_at']} by {by['name']} ({by['role']}, {by['subject']})",
        f"Reference {record.reference}",
        f"Contents SHA-256 {record.digest}",
    ]
    inputs = [f"{i['label']}: {i['value']}" for i in data["inputs"] if i["used"]]
    unused = [f"{i['label']}: {i['value']}" for i in data["inputs"] if not i["used"]]
    waterfall = [f"Average {data['case_noun']}: {data['base_value']:+.4f} ({data['scale']})"]
    waterfall += [f"{w['label']} = {w['value']}: {w['contribution']:+.4f}" for w in data["waterfall"]]
    waterfall.append(f"This {data['case_noun']}: {data['output']:+.4f} (score {format_share(data['score'])})")
    reasons = [f"{n}. {r['label']}: {r['value']} ({r['contribution']:+.4f})" for n, r in enumerate(data["reasons"], 1)]
    if data["protected_drivers"]:
        reasons.append("Protected attributes (never a reason; shown for the audit):")
        reasons += [f"- {r['label']}: {r['value']} ({r['contribution']:+.4f})" for r in data["protected_drivers"]]
    sections = [
        (f"Decision record: {data['case_noun']} {data['case_id']}", decided),
        ("Inputs as the model saw them", inputs),
        *([("Not used by the model (kept for the fairness checks)", unused)] if unused else []),
        ("Waterfall: from the average case to this case", waterfall),
        ("Reasons shown", reasons or ["No reason code."]),
    ]
    notice = data.get("notice")
    if notice:
        lines = [
            f"Notice reference {notice['reference']} (template v{notice['template_version']}, "
            f"statements v{notice['statements_version']})"
        ]
        lines += [f"{n}. {s}" for n, s in enumerate(notice["statements"], 1)]
        if notice["without_statement"]:
            lines.append(f"Without a standard statement (left out): {', '.join(notice['without_statement'])}")
        if notice["what_would_change"]:
            lines.append(f"What would change the decision: {notice['what_would_change']}")
        sections.append(("Decision notice", lines))
    lifecycle = [f"{e['when']}: {e['from']} → {e['to']} by {_who(e)}; {e['reason']}" for e in data["lifecycle"]]
    sections.append(("Lifecycle of the iteration", lifecycle or ["No lifecycle change: a candidate."]))
    signoffs = [
        f"{s['when']}: {_who(s)}, threshold {_value(s['threshold'])}; {s['comment'] or 'no comment'}"
        + (f"; acknowledged unmet: {'; '.join(s['acknowledged'])}" if s["acknowledged"] else "")
        for s in data["signoffs"]
    ]
    sections.append(("Sign-offs in force", signoffs or ["No sign-off in force."]))
    feedback = [
        f"{f['when']}: {_who(f)}: {f['verdict']}, expected {_value(f['expected_outcome'])}, {f['severity']}; "
        f"triage {f['triage_status']}{', fixed in ' + f['fixed_in'] if f['fixed_in'] else ''}; "
        f"{f['comment'] or 'no comment'}"
        for f in data["feedback"]
    ]
    sections.append((f"Feedback on {data['case_noun']} {data['case_id']}", feedback or ["No feedback on this case."]))
    return sections


def render_record_text(record: DecisionRecord) -> str:
    """The record as plain UTF-8 text."""
    blocks = [f"{heading}\n" + "\n".join(lines) for heading, lines in record_sections(record)]
    return "\n\n".join(blocks) + "\n"


class _RecordPdf(UnicodePdf):
    """An A4 page whose footer names the record and the page: "Decision record DR-… · page 1 of 2"."""

    def __init__(self, reference: str, font: PdfFont) -> None:
        super().__init__(font)
        self.reference, self.font = reference, font

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(self.font.family, "", 7)
        label = f"Decision record {self.reference} · page {self.page_no()} of {{nb}}"
        self.cell(0, 4, make_printable(label, self.font), align="R")


def render_record_pdf(record: DecisionRecord) -> bytes:
    """The record as an A4 PDF (DejaVu Sans where installed), left-aligned, its reference and page number in every
    page's footer."""
    font = find_unicode_font()
    pdf = _RecordPdf(record.reference, font)
    pdf.set_title(make_printable(f"Decision record {record.reference}", font))
    pdf.set_creator("Involve")
    pdf.set_auto_page_break(True, margin=14)
    pdf.set_margins(16, 14, 16)
    pdf.add_page()
    for number, (heading, lines) in enumerate(record_sections(record)):
        pdf.set_font(font.family, "B", 13 if number == 0 else 10.5)
        write_line(pdf, make_printable(heading, font), 7 if number == 0 else 5.5)
        pdf.set_font(font.family, "", 8.5)
        if heading.startswith(("Inputs", "Not used")):
            _two_columns(pdf, font, lines)
        else:
            for line in lines:
                write_line(pdf, make_printable(line, font) or " ", 4.1)
        pdf.ln(1.5)
    return bytes(pdf.output())


def _two_columns(pdf: FPDF, font, lines: list[str]) -> None:
    """The inputs as a two-column table (input, value), so a record fits on one page."""
    with pdf.table(
        col_widths=(1, 1), first_row_as_headings=False, line_height=4.1, headings_style=FontFace(emphasis="BOLD")
    ) as table:
        for line in lines:
            label, _, value = line.partition(": ")
            row = table.row()
            row.cell(make_printable(label, font))
            row.cell(make_printable(value, font))
