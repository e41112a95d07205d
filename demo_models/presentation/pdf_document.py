"""The A4 document every PDF of the project is built on (notices, decision records, the dossier). It and the PDF
builders (`dossier`, `decision_record_render`) import fpdf2; the modules pages import reach them only inside the
function that builds a PDF, so a page loads without fpdf2 (about 0.3 s)."""

from __future__ import annotations

import logging

from fpdf import FPDF

from demo_models.presentation.notice_render import PdfFont, add_fonts, has_glyphs


class UnicodePdf(FPDF):
    """An A4 document in `face` that takes the glyphs its font lacks (Chinese, Japanese, Korean) from the fallback
    font, registered on the first text that needs it (reading that font costs about 0.3 s)."""

    def __init__(self, face: PdfFont) -> None:
        super().__init__(format="A4")
        self.face, self._fallback_ready = face, False
        add_fonts(self, face)

    def normalize_text(self, text: str) -> str:
        """The text as fpdf2 wants it, after registering the fallback font if the text needs it."""
        if self.face.fallback and not self._fallback_ready and not has_glyphs(self, text):
            logging.getLogger("fontTools.subset").setLevel(logging.ERROR)  # "BDF NOT subset": a table PDFs don't use
            self.add_font("fallback", "", str(self.face.fallback))
            self.set_fallback_fonts(["fallback"], exact_match=False)
            self._fallback_ready = True
        return super().normalize_text(text)
