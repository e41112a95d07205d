"""Waiting for Streamlit and driving its canvas widgets from Playwright."""

from playwright.sync_api import Page, expect

T = 30_000


def wait_for_app_run(page: Page, initial_wait_ms: int = 300) -> None:
    """Wait until the script run the last action started has finished."""
    page.wait_for_timeout(initial_wait_ms)
    app = page.locator("[data-testid='stApp']")
    expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=T)
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=T)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=T)


def goto_app(page: Page, url: str, oriented: bool = True) -> None:
    """Open the app at `url`; unless told otherwise, past the first-visit orientation ("Got it")."""
    page.goto(url)
    wait_for_app_run(page)
    got_it = page.get_by_role("button", name="Got it")
    if oriented and got_it.count():
        got_it.click()
        wait_for_app_run(page)


def wait_for_plotly(page: Page, nth: int = 0):
    chart = page.get_by_test_id("stPlotlyChart").nth(nth)
    chart.locator(".main-svg").first.wait_for(timeout=T)
    return chart


def say_who(page: Page, name: str, role: str) -> None:
    """Demo mode: enter a name and pick a role in the sidebar."""
    sidebar = page.get_by_test_id("stSidebar")
    field = sidebar.get_by_label("Your name")
    field.fill(name)
    field.press("Enter")
    wait_for_app_run(page)
    picker = sidebar.get_by_test_id("stSelectbox").filter(has_text="Your role").get_by_role("combobox")
    picker.scroll_into_view_if_needed()  # the sidebar's foot: below the fold with the whole menu above it
    picker.click()
    page.get_by_role("option", name=role, exact=True).click()
    wait_for_app_run(page)


def select_dataframe_row(page: Page, row: int, nth: int = 0, row_height: int = 35) -> None:
    """Click the row-marker column of a row of an st.dataframe (a canvas under a scroller)."""
    frame = page.get_by_test_id("stDataFrame").nth(nth)
    canvas = frame.get_by_test_id("data-grid-canvas")
    canvas.wait_for(timeout=T)
    canvas.click(position={"x": 15, "y": row_height * (row + 1) + row_height // 2}, force=True)
    wait_for_app_run(page)
