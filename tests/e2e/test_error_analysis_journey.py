"""A data scientist looks for where the model is wrong, in Chromium: the worst error cohort opened in
Explore from Outcomes, its cases, back, how loan duration moves the score under v3 and v2, and the data behind
it: credit amount by sex, and the reference data credit does not hold (marked e2e)."""

import re

from playwright.sync_api import expect

from tests.e2e.st_e2e import goto_app, wait_for_app_run


def test_worst_cohort_opens_in_explore_and_duration_is_compared_under_v2_and_v3(app_page, streamlit_server, screenshot):
    page = app_page
    goto_app(page, f"{streamlit_server.url}/Outcomes?use_case=credit&iteration=v3")
    heading = page.get_by_role("heading", name="Where it is wrong")
    heading.scroll_into_view_if_needed()
    expect(heading).to_be_visible()
    worst = page.get_by_test_id("stSelectbox").filter(has_text="Open a cohort's cases in Explore")
    worst.scroll_into_view_if_needed()
    description = worst.get_by_role("combobox").input_value()
    assert description  # the worst cohort, in words
    screenshot(page, "cohorts")

    page.get_by_role("link", name="Open in Explore").click()
    wait_for_app_run(page)
    expect(page.get_by_role("heading", name="Explore predictions")).to_be_visible()
    banner = page.get_by_test_id("stAlertContentInfo").filter(has_text="Showing one error cohort from Outcomes")
    expect(banner).to_contain_text(description.split(";")[0])
    counted = page.get_by_text(re.compile(r"^\d+ of \d+ applicants"))
    shown, total = re.match(r"(\d+) of (\d+)", counted.inner_text()).groups()
    assert 0 < int(shown) == int(total) < 300  # only the cohort's cases, of the 300
    page.get_by_test_id("stDataFrame").first.get_by_test_id("data-grid-canvas").wait_for()
    screenshot(page, "cohort-in-explore")

    page.go_back()
    wait_for_app_run(page)
    section = page.get_by_role("heading", name="How each input moves the score")
    section.scroll_into_view_if_needed()
    page.get_by_test_id("stSelectbox").filter(has_text="Input").first.click()
    page.get_by_role("option", name="Loan duration", exact=True).click()
    wait_for_app_run(page)
    page.get_by_test_id("stSelectbox").filter(has_text="Overlay another iteration").click()
    page.get_by_role("option", name="v2", exact=True).click()
    wait_for_app_run(page)
    chart = (
        page.get_by_test_id("stPlotlyChart").filter(has_text="Partial dependence and ICE").last
    )  # the data explorer follows
    chart.scroll_into_view_if_needed()
    chart.locator(".main-svg").first.wait_for()
    expect(chart).to_contain_text("v2")
    expect(page.get_by_test_id("stException")).to_have_count(0)
    screenshot(page, "duration-v2-v3")

    explorer = page.get_by_role("heading", name="The data behind it")
    explorer.scroll_into_view_if_needed()
    page.get_by_test_id("stSelectbox").filter(has_text="Input").last.click()
    page.get_by_role("option", name="Credit amount", exact=True).click()
    wait_for_app_run(page)
    page.get_by_test_id("stRadio").filter(has_text="Split by").get_by_text("protected group: Sex (protected)").click()
    wait_for_app_run(page)
    expect(page.get_by_text("Sex is a protected attribute: shown to review fairness, never a reason.")).to_be_visible()
    bars = page.get_by_test_id("stPlotlyChart").last
    bars.scroll_into_view_if_needed()
    bars.locator(".main-svg").first.wait_for()
    screenshot(page, "credit-amount-by-sex")
    page.get_by_text("Compare with the reference data").click()
    wait_for_app_run(page)
    expect(page.get_by_text("holds no reference data")).to_be_visible()  # credit's cases have no month
    expect(page.get_by_test_id("stException")).to_have_count(0)
    screenshot(page, "no-reference-data")
