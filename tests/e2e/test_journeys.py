"""Real journeys in headless Chromium (marked e2e; skipped when no Chromium is installed)."""

import json
import sqlite3
import uuid

from playwright.sync_api import expect

from tests.e2e.st_e2e import goto_app, select_dataframe_row, wait_for_app_run, wait_for_plotly


def test_home_page_renders_iterations(app_page, streamlit_server, screenshot):
    page = app_page
    goto_app(page, streamlit_server.url)
    expect(page.get_by_role("heading", name="Involve", exact=True)).to_be_visible()
    expect(page.get_by_text("Selected iteration: v3")).to_be_visible()
    page.get_by_test_id("stDataFrame").get_by_test_id("data-grid-canvas").wait_for()
    expect(page.get_by_test_id("stSidebar").get_by_role("link", name="Explore")).to_be_visible()
    screenshot(page, "home")


def test_business_user_explores_a_case_and_leaves_feedback(app_page, streamlit_server, screenshot):
    page = app_page
    goto_app(page, streamlit_server.url)
    page.get_by_test_id("stSidebar").get_by_role("link", name="Explore").click()
    wait_for_app_run(page)
    expect(page.get_by_role("heading", name="Explore predictions")).to_be_visible()

    select_dataframe_row(page, 0)
    heading = page.get_by_role("heading", name="Applicant A")
    expect(heading).to_be_visible()
    case_id = heading.inner_text().split()[-1]
    wait_for_plotly(page)
    expect(page.get_by_text("Principal reasons for the decline")).to_be_visible()
    screenshot(page, "case")

    comment = f"e2e {uuid.uuid4().hex[:8]}: duration weighs too much"
    form = page.get_by_test_id("stForm")
    form.get_by_label("Your name").fill("Erin Browser")
    form.get_by_text("disagree", exact=True).click()
    form.get_by_text("would repay", exact=True).click()
    form.get_by_role("textbox", name="Comment").fill(comment)
    form.get_by_role("button", name="Submit feedback").click()
    wait_for_app_run(page)
    expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text(f"on {case_id} (v3) saved")
    expect(page.get_by_text("1 feedback entry")).to_be_visible()
    screenshot(page, "saved")

    rows = sqlite3.connect(streamlit_server.db).execute(
        "SELECT iteration, case_id, verdict, expected_outcome, reviewer_name, reasons_shown "
        "FROM feedback WHERE comment = ?",
        (comment,),
    ).fetchall()
    assert len(rows) == 1
    iteration, stored_case, verdict, expected, name, reasons = rows[0]
    assert (iteration, stored_case, verdict, expected, name) == ("v3", case_id, "disagree", "negative", "Erin Browser")
    assert 1 <= len(json.loads(reasons)) <= 4
    expect(form.get_by_role("textbox", name="Comment")).to_have_value("")
