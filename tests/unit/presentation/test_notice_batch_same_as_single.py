"""A batch's notices are the single-notice path's: the counterfactuals searched for many cases in one predict_proba,
the rows built at once, and the PDF's lines (notices.build_notices, whatif.find_counterfactuals,
notice_render.write_line, which places a line that fits without fpdf2's line breaking) change no notice's content
or layout."""

import zipfile
from datetime import date

import pytest

from demo_models.explanations.whatif import edited_row, find_counterfactual, find_counterfactuals
from demo_models.presentation import notice_render
from demo_models.presentation.notice_batch import declined_cases, write_notice_batch
from demo_models.presentation.notice_render import render_notice_pdf, render_notice_text
from demo_models.presentation.notices import NoticeError, build_notice, build_notices
from tests.helpers import BUILTIN_VERSIONS, pdftotext

ISSUED = date(2026, 12, 4)


def test_every_pdf_of_a_batch_reads_as_the_single_notice_of_its_case(scored, tmp_path):
    it = scored["v3"]
    out = tmp_path / "notices.zip"
    batch = write_notice_batch(it, out, ISSUED)
    cases = declined_cases(it)
    assert batch.notices == len(cases) > 50  # more than one chunk of notices built together
    with zipfile.ZipFile(out) as archive:
        for case_id in cases:
            single = render_notice_pdf(build_notice(it, it.explain_case(case_id), ISSUED))
            in_batch = archive.read(f"notice-credit-v3-{case_id}.pdf")
            assert pdftotext(in_batch, "-layout") == pdftotext(single, "-layout"), case_id


@pytest.mark.parametrize("version", BUILTIN_VERSIONS)
def test_counterfactuals_searched_together_equal_each_searched_alone(scored, version):
    it = scored[version]
    cases = declined_cases(it)
    together = find_counterfactuals(it, it.features.loc[cases])
    assert len(together) == len(cases)
    for case_id, found in zip(cases, together):
        alone = find_counterfactual(it, it.features.loc[[case_id]])
        assert found == alone, case_id  # changes, score, distance and candidates, exactly
    assert sum(found is not None for found in together) > len(cases) // 2


def test_notices_built_together_equal_each_built_alone_even_with_a_missing_integer(scored):
    it = scored["v3"]
    cases = declined_cases(it)[:6]
    explanations = [it.explain_case(c) for c in cases]
    case_id = it.scores.idxmax()  # declined without its duration too (test_decision_notices)
    edited = it.explain_raw(edited_row(it.features.loc[[case_id]], {"duration": None}))
    assert edited.values.isna()["duration"] and it.features["duration"].dtype.kind == "i"
    mixed = [explanations[0], edited, *explanations[1:]]
    together = build_notices(it, mixed, ISSUED)
    alone = [build_notice(it, e, ISSUED) for e in mixed]
    assert together == alone
    assert [render_notice_text(n) for n in together] == [render_notice_text(n) for n in alone]
    assert together[1].what_would_change != build_notice(it, it.explain_case(case_id), ISSUED).what_would_change


def test_a_batch_with_an_approved_case_is_refused(scored):
    it = scored["v3"]
    approved = next(c for c, d in it.decisions().items() if d == "approve")
    with pytest.raises(NoticeError, match="only for a decline"):
        build_notices(it, [it.explain_case(declined_cases(it)[0]), it.explain_case(approved)], ISSUED)


def _words(pdf: bytes) -> list[str]:
    """pdftotext's words with their boxes, without the creation time."""
    return [line for line in pdftotext(pdf, "-bbox").splitlines() if "CreationDate" not in line]


def test_a_line_that_fits_sits_where_multi_cell_puts_it_and_long_lines_still_wrap(scored, monkeypatch):
    it = scored["v3"]
    notice = build_notice(it, it.explain_case(declined_cases(it)[0]), ISSUED)
    long_line = "Reason " * 40  # far wider than the page
    template = notice_render.DEFAULT_TEMPLATE + long_line + "\n"
    fast = render_notice_pdf(notice, template)

    def multi_cell_only(pdf, text, height):
        pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT", align="L")

    monkeypatch.setattr(notice_render, "write_line", multi_cell_only)
    slow = render_notice_pdf(notice, template)
    assert _words(fast) == _words(slow)  # every word in the same place
    text = pdftotext(fast, "-layout")
    assert text.count("Reason") == 40 and len([line for line in text.splitlines() if "Reason" in line]) > 1
