"""A decision notice as plain text and as PDF, both from one template rendered in Jinja2's sandbox: a template can
neither reach Python's internals nor run code, and the case's data is printed as data, never as template."""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from demo_models.iterations.scoring import CaseExplanation, ScoredIteration
from demo_models.presentation.notices import (
    DecisionNotice,
    NoticeError,
    build_notice,
    is_declined,
    notice_reasons,
)
from feedback.notice_templates import DEFAULT_VERSION, template_label

if TYPE_CHECKING:  # fpdf2 (about 0.3 s) loads only when a PDF is built: see `pdf_document`
    from fpdf import FPDF

log = logging.getLogger(__name__)

DEFAULT_TEMPLATE = """\
Decision notice
Reference: {{ reference }}
Date: {{ issued }}

{{ use_case_title }}, {{ case_noun }} {{ case_id }}
Decision: {{ decision_past }}
Decided by iteration {{ version }} of the {{ use_case }} use case.

Principal reasons for the decision
{% for reason in reasons %}{{ loop.index }}. {{ reason.statement }}
{% else %}No principal reason with a standard statement.
{% endfor %}{% if missing %}{{ missing|length }} further principal \
reason{{ "s are" if missing|length > 1 else " is" }} awaiting a standard statement and not listed.
{% endif %}{% if what_would_change %}
What would change the decision
{{ what_would_change }}
{% endif %}"""

_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069]")  # controls, bidi


class _NoticeSandbox(SandboxedEnvironment):
    """Jinja2's sandbox with no globals (no range, no lipsum) and no repetition or power, so a template cannot
    build a huge string or number either."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator, left, right):
        if operator == "**" or any(isinstance(side, (str, list, tuple)) for side in (left, right)):
            raise SecurityError(f"the operator {operator!r} is not allowed in a notice template")
        return super().call_binop(context, operator, left, right)


def _environment() -> SandboxedEnvironment:
    environment = _NoticeSandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    environment.globals.clear()
    return environment


@dataclass(frozen=True)
class NoticeWording:
    """The template a notice is rendered with and its version (0: the built-in DEFAULT_TEMPLATE), and the reason
    statement table with its version (None, 0: the built-in table of `notices.DEFAULT_STATEMENTS`)."""

    version: int = DEFAULT_VERSION
    text: str = DEFAULT_TEMPLATE
    statements: Mapping[tuple[str, str], str] | None = None
    statements_version: int = DEFAULT_VERSION

    def label(self) -> str:
        """What a notice's last line says: "Template v3", with " · Statements v2" once a table is saved."""
        return wording_label(self.version, self.statements_version)


def wording_label(version: int, statements_version: int = DEFAULT_VERSION) -> str:
    """ "Template v3", or "Template v3 · Statements v2" when a statement table version is in force."""
    label = template_label(version)
    return f"{label} · Statements v{statements_version}" if statements_version else label


DEFAULT_WORDING = NoticeWording()


@functools.lru_cache(maxsize=32)
def _compile(template: str):
    """The template compiled in a fresh sandbox, once per text (compiling costs more than rendering a notice)."""
    return _environment().from_string(template)


def render_template(notice: DecisionNotice, template: str) -> str:
    """The template rendered on the notice in the sandbox; NoticeError when it is refused or fails."""
    try:
        return _compile(template).render(**dataclasses.asdict(notice))
    except Exception as err:  # an untrusted template may fail in any way: refuse it with the reason
        log.info("notice template refused: %s", err)
        raise NoticeError(f"The notice template was refused: {err}") from err


def render_notice_text(
    notice: DecisionNotice,
    template: str = DEFAULT_TEMPLATE,
    version: int = DEFAULT_VERSION,
    statements_version: int = DEFAULT_VERSION,
) -> str:
    """The notice as plain text from a template, its last line the template's version ("Template v3", and the
    statement table's once one is saved) whatever the template says; NoticeError when the sandbox refuses it."""
    body = render_template(notice, template).rstrip("\n")
    return f"{body}\n\n{wording_label(version, statements_version)}\n"


@dataclass(frozen=True)
class PdfFont:
    """A font family for fpdf2 and its TrueType files (None for a PDF core font), with a fallback face for the
    characters it lacks (Chinese, Japanese, Korean: WenQuanYi Zen Hei where installed)."""

    family: str
    regular: Path | None
    bold: Path | None
    fallback: Path | None = None


_CORE = PdfFont("helvetica", None, None)  # PDF's built-in Helvetica: Latin-1 only, nothing embedded
_FALLBACK = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")  # Debian's fonts-wqy-zenhei: Chinese, Japanese, Korean


def _is_latin1(text: str) -> bool:
    return all(ord(char) < 256 for char in text)


def _find_font() -> PdfFont:
    """DejaVu Sans (the system's, else matplotlib's copy) for any Unicode text; Helvetica (Latin-1) without it."""
    folders = [_FONT_DIR]
    spec = importlib.util.find_spec("matplotlib")
    if spec is not None and spec.origin:
        folders.append(Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf")
    for folder in folders:
        regular = folder / "DejaVuSans.ttf"
        if regular.is_file():
            bold = folder / "DejaVuSans-Bold.ttf"
            fallback = _FALLBACK if _FALLBACK.is_file() else None
            return PdfFont("DejaVu", regular, bold if bold.is_file() else regular, fallback)
    return _CORE


def make_printable(text: str, font: PdfFont) -> str:
    """Text safe to print in `font`: control and bidi characters blanked, outside Latin-1 replaced in a core font."""
    text = _CONTROL.sub(" ", text.replace("\t", " "))
    return text if font.regular else text.encode("latin-1", "replace").decode("latin-1")


def find_unicode_font() -> PdfFont:
    """DejaVu Sans for any Unicode text (Helvetica, Latin-1 only, where no DejaVu is installed)."""
    return _find_font()


def add_fonts(pdf: FPDF, font: PdfFont) -> None:
    """Register the font's regular and bold faces with a document (nothing to do for a core font)."""
    if font.regular:
        pdf.add_font(font.family, "", str(font.regular))
        pdf.add_font(font.family, "B", str(font.bold))


def render_notice_pdf(
    notice: DecisionNotice,
    template: str = DEFAULT_TEMPLATE,
    version: int = DEFAULT_VERSION,
    statements_version: int = DEFAULT_VERSION,
) -> bytes:
    """The notice as an A4 PDF of the template's text, its first line as the title and the template's version in
    small print at the end: in Helvetica when the text is Latin-1, else in DejaVu Sans (embedded)."""
    from demo_models.presentation.pdf_document import UnicodePdf

    text = render_notice_text(notice, template, version, statements_version)
    font = _CORE if _is_latin1(text + notice.reference) else _find_font()  # the core font is ~25x faster
    pdf = UnicodePdf(font)
    pdf.set_title(make_printable(f"Decision notice {notice.reference}", font))
    pdf.set_creator("Involve")
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    title, _, body = text.partition("\n")
    pdf.set_font(font.family, "B", 16)
    write_line(pdf, make_printable(title, font), 9)
    pdf.ln(2)
    pdf.set_font(font.family, "", 11)
    *lines, footer, _ = body.split("\n")  # the text ends with the version line and a newline
    for line in lines:
        write_line(pdf, make_printable(line, font) or " ", 6)
    pdf.set_font(font.family, "", 7)
    write_line(pdf, make_printable(footer, font), 4)
    return bytes(pdf.output())


def has_glyphs(pdf: FPDF, text: str) -> bool:
    """Whether the current font draws every character of `text` (a core font: always, as text is made Latin-1)."""
    cmap = getattr(pdf.current_font, "cmap", None)
    return cmap is None or all(ord(char) in cmap for char in text if char > "\x7f")


def write_line(pdf: FPDF, text: str, height: float) -> None:
    """One line of left-aligned text across the page, wrapped when too wide. A line that fits is placed as
    `multi_cell` places it (left cell margin, baseline 0.3 font sizes below the line's middle) without its line
    breaking and styling, which were most of a notice's PDF time; the page breaks where a cell's would. A line with
    characters its font lacks goes through `multi_cell`, which takes them from the fallback font."""
    if pdf.get_string_width(text) < pdf.w - pdf.r_margin - pdf.x - 2 * pdf.c_margin and has_glyphs(pdf, text):
        if pdf.will_page_break(height):
            pdf.add_page()
        pdf.text(pdf.x + pdf.c_margin, pdf.y + 0.5 * height + 0.3 * pdf.font_size, text)
        pdf.ln(height)
    else:
        pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT", align="L")


def notice_file_stem(use_case: str, version: str, case_id: str) -> str:
    """A safe file name stem for a notice: "notice-credit-v3-A0002" (other characters become "_")."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", f"notice-{use_case}-{version}-{case_id}")[:120]


class NoticeDownloads:
    """A declined case's notice for the pages: the reasons lacking a statement at once, the notice itself, its text
    and its PDF only when asked for (a download button calls `text` or `pdf` on the click)."""

    def __init__(
        self, scored: ScoredIteration, explanation: CaseExplanation, wording: NoticeWording = DEFAULT_WORDING
    ) -> None:
        self._scored, self._explanation, self.wording = scored, explanation, wording
        reasons = notice_reasons(scored, explanation, wording.statements)
        self.missing = tuple(r.label for r in reasons if not r.statement)
        self.file_stem = notice_file_stem(scored.card.use_case, scored.card.version, str(explanation.case_id))

    @cached_property
    def notice(self) -> DecisionNotice:
        """The notice, built on first use."""
        return build_notice(self._scored, self._explanation, statements=self.wording.statements)

    def text(self) -> str:
        """The notice as plain text."""
        return render_notice_text(self.notice, *self._wording())

    def pdf(self) -> bytes:
        """The notice as PDF."""
        return render_notice_pdf(self.notice, *self._wording())

    def _wording(self) -> tuple[str, int, int]:
        return self.wording.text, self.wording.version, self.wording.statements_version


def prepare_notice_downloads(
    scored: ScoredIteration, explanation: CaseExplanation, wording: NoticeWording = DEFAULT_WORDING
) -> NoticeDownloads | None:
    """The notice of a declined case for download from a page, in `wording`; None for a favourable decision."""
    return NoticeDownloads(scored, explanation, wording) if is_declined(scored, explanation) else None
