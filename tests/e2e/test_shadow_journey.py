"""A fraud analyst shadows the live traffic in Chromium: on Monitoring, v1's logged decisions re-scored with v2,
the flips each way, by age band, then July picked as the month to re-score (marked e2e)."""

import re

from playwright.sync_api import expect

from tests.e2e.st_e2e import goto_app, wait_for_app_run


def test_fraud_analyst_sees_what_v2_would_have_decided_on_v1s_traffic(app_page, streamlit_server, screenshot):
    page = app_page
    goto_app(page, f"{streamlit_server.url}/?use_case=fraud&iteration=v1")
    page.get_by_test_id("stSidebar").get_by_role("link", name="Monitoring").click()
    # the first view may write the built-in log and score the stream: minutes on a loaded machine
    expect(page.locator("[data-testid='stApp']")).to_have_attribute(
        "data-test-script-state", "notRunning", timeout=300_000
    )
    wait_for_app_run(page)
    heading = page.get_by_role("heading", name="What another iteration would have decided (shadow comparison)")
    heading.scroll_into_view_if_needed()
    expect(heading).to_be_visible()
    expect(page.get_by_role("combobox", name="Compare v1's decisions with")).to_have_value("v2")
    expect(
        page.get_by_text(re.compile(r"^v2 would have decided [\d,]+ of [\d,]+ transactions differently"))
    ).to_be_visible()
    expect(page.get_by_text(re.compile(r"decisions of 2025-12 served by v1"))).to_be_visible()
    expect(page.get_by_text("Flips by customer age band")).to_be_visible()
    screenshot(page, "shadow-december")

    month = page.get_by_test_id("stSelectbox").filter(has_text="Month to re-score")
    month.scroll_into_view_if_needed()
    month.click()
    page.get_by_role("option", name="2025-07", exact=True).click()
    wait_for_app_run(page)
    expect(page.get_by_text(re.compile(r"decisions of 2025-07 served by v1"))).to_be_visible()
    outcomes = page.get_by_test_id("stDataFrame").filter(has_text="v1 (served)")
    outcomes.scroll_into_view_if_needed()
    expect(outcomes).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    screenshot(page, "shadow-july")
