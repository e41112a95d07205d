"""A loan officer hands a declined applicant their decision notice, in Chromium: the downloaded PDF gives the
reasons the page shows, in order; compliance edits the template on Documents and the next notice uses the new
version; both notices are in the audit log (marked e2e)."""

import io
import sqlite3
import uuid

from playwright.sync_api import expect
from pypdf import PdfReader

from demo_models.iterations.registry import load_iteration
from demo_models.iterations.scoring import ScoredIteration
from demo_models.presentation.notices import build_notice
from tests.e2e.st_e2e import goto_app, say_who, wait_for_app_run

CASE = "A0002"  # declined by v3


def _download_pdf(page, name="Decision notice (PDF)") -> str:
    with page.expect_download() as info:
        page.get_by_role("button", name=name).click()
    data = open(info.value.path(), "rb").read()
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def test_officer_downloads_the_notice_and_compliance_changes_its_wording(app_page, streamlit_server, screenshot):
    page = app_page
    v3 = ScoredIteration(load_iteration("credit", "v3", streamlit_server.registry))
    notice = build_notice(v3, v3.explain_case(CASE))
    goto_app(page, f"{streamlit_server.url}/Explore?use_case=credit&iteration=v3&case={CASE}")
    say_who(page, "Lena Officer", "business user")
    expect(page.get_by_role("heading", name=f"Applicant {CASE}")).to_be_visible()
    reasons = page.get_by_text("Principal reasons for “decline”")
    reasons.scroll_into_view_if_needed()
    block = reasons.locator("xpath=ancestor::div[@data-testid='stVerticalBlock'][1]")
    page_reasons = [item.inner_text() for item in block.locator("ol > li").all()]
    button = page.get_by_role("button", name="Decision notice (PDF)")
    button.scroll_into_view_if_needed()
    screenshot(page, "case-with-notice")
    text = _download_pdf(page)
    flat = " ".join(text.split())
    assert notice.reference in flat and "Template v0" in flat
    positions = [flat.index(s) for s in notice.statements]
    assert positions == sorted(positions) and len(notice.statements) == 4  # the reason codes' order
    assert len(page_reasons) >= len(notice.reasons), page_reasons
    for reason, listed in zip(notice.reasons, page_reasons):  # the same inputs, in the same order, as on the page
        assert reason.label in listed, (reason.label, listed)

    page.get_by_test_id("stSidebar").get_by_role("link", name="Documents").click()
    wait_for_app_run(page)
    say_who(page, "Cora Compliance", "compliance")
    marker = f"Questions? Call our lending desk, ref {uuid.uuid4().hex[:6]}."
    editor = page.get_by_role("textbox", name="Template (Jinja2)")
    editor.fill(editor.input_value() + "\n" + marker)
    editor.press("Control+Enter")
    wait_for_app_run(page)
    expect(page.get_by_text(marker).first).to_be_visible()  # the live preview
    page.get_by_role("textbox", name="Why this change (kept with the version)").fill("Adds the lending desk")
    page.get_by_role("button", name="Save as template v1").click()
    wait_for_app_run(page)
    expect(page.get_by_test_id("stAlertContentSuccess").filter(has_text="Saved template v1")).to_be_visible()
    screenshot(page, "template-saved")

    page.go_back()
    wait_for_app_run(page)
    expect(page.get_by_role("heading", name=f"Applicant {CASE}")).to_be_visible()
    again = " ".join(_download_pdf(page).split())
    assert marker in again and "Template v1" in again
    logged = (
        sqlite3.connect(streamlit_server.db)
        .execute("SELECT template_version FROM generated_documents WHERE case_ids LIKE ? ORDER BY id", (f"%{CASE}%",))
        .fetchall()
    )
    assert [v for (v,) in logged][-2:] == [0, 1]  # each notice in the audit log with its template version
    expect(page.get_by_test_id("stException")).to_have_count(0)
    screenshot(page, "next-notice")
