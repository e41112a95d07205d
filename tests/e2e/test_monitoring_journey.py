"""A fraud analyst watches the decision log in Chromium: late chargebacks measured and estimated, the July
drift as an alert on the Notices page, the month picker, and back to Monitoring (marked e2e)."""

import re
import sqlite3

from playwright.sync_api import expect

from tests.e2e.st_e2e import goto_app, wait_for_app_run, wait_for_plotly


def test_fraud_analyst_sees_late_labels_estimated_and_the_july_drift_alert(app_page, streamlit_server, screenshot):
    page = app_page
    goto_app(page, f"{streamlit_server.url}/?use_case=fraud&iteration=v1")
    page.get_by_test_id("stSidebar").get_by_role("link", name="Monitoring").click()
    # the first view writes the built-in log and scores the stream: minutes on a loaded machine
    expect(page.locator("[data-testid='stApp']")).to_have_attribute(
        "data-test-script-state", "notRunning", timeout=300_000
    )
    wait_for_app_run(page)
    expect(page.get_by_role("heading", name="Your decision log")).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"50,000 decisions over 12 months; reference window 2025-01 to 2025-06"))
    ).to_be_visible()
    wait_for_plotly(page)
    table = page.get_by_test_id("stDataFrame").filter(has_text="estimated")
    table.scroll_into_view_if_needed()
    expect(table).to_be_visible()
    screenshot(page, "decision-log")

    alerts = page.get_by_test_id("stAlertContentWarning").filter(has_text="alert(s)")
    alerts.scroll_into_view_if_needed()
    expect(alerts).to_contain_text("Drift in 2025-07: Channel")
    screenshot(page, "alerts")

    picker = page.get_by_test_id("stSelectbox").filter(has_text="Current window (month)")
    picker.scroll_into_view_if_needed()
    picker.click()
    page.get_by_role("option", name="2025-07", exact=True).click()
    wait_for_app_run(page)
    expect(page.get_by_role("heading", name=re.compile("Data drift: 2025-07 against"))).to_be_visible()
    screenshot(page, "july")

    page.get_by_test_id("stSidebar").get_by_role("link", name="Notices").click()
    wait_for_app_run(page)
    expect(page.get_by_role("heading", name="Notices", exact=True)).to_be_visible()
    rows = (
        sqlite3.connect(streamlit_server.db)
        .execute(
            "SELECT count(*), count(DISTINCT title) FROM announcements "
            "WHERE source = 'monitoring' AND use_case = 'fraud'"
        )
        .fetchone()
    )
    assert rows[0] == rows[1] > 0  # each alert once
    board = page.get_by_test_id("stDataFrame").filter(has_text="Title").first
    board.get_by_test_id("data-grid-canvas").wait_for()
    screenshot(page, "notices")

    page.go_back()
    wait_for_app_run(page)
    expect(page.get_by_role("heading", name="Your decision log")).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    again = (
        sqlite3.connect(streamlit_server.db)
        .execute("SELECT count(*) FROM announcements WHERE source = 'monitoring' AND use_case = 'fraud'")
        .fetchone()[0]
    )
    assert again == rows[0]  # viewing again posts nothing twice
