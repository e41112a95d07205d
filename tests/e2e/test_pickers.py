"""A person moving through the menu sees, on every page, the iteration the page uses."""

import re

from playwright.sync_api import expect

from pages._ui.navigation import PAGES
from tests.e2e.st_e2e import goto_app, wait_for_app_run


def _pick(page, label: str, option: str) -> None:
    page.get_by_test_id("stSidebar").get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=re.compile(rf"^{re.escape(option)}")).click()
    wait_for_app_run(page)


def _assert_pickers_match_page(page, where: str, title: str, version: str) -> None:
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_role("combobox", name="Use case"), where).to_have_value(title)
    expect(sidebar.get_by_role("combobox", name="Iteration"), where).to_have_value(re.compile(rf"^{version} · "))
    expect(
        sidebar.get_by_text(re.compile(rf"^This page shows {re.escape(title)} · {version} \(")), where
    ).to_be_visible()


def test_every_page_twice_shows_the_picked_use_case_and_iteration(app_page, streamlit_server, screenshot):
    page = app_page
    goto_app(page, streamlit_server.url)
    labels = [label for _script, label, _icon in PAGES]
    for title, version in (("Card fraud", "v1"), ("Credit risk", "v2")):
        _pick(page, "Use case", title)
        _pick(page, "Iteration", version)
        for visit in (1, 2):
            for label in labels:
                page.get_by_test_id("stSidebar").get_by_role("link", name=label, exact=True).click()
                wait_for_app_run(page)
                _assert_pickers_match_page(page, f"{title} {version}, visit {visit}, {label}", title, version)
        screenshot(page, f"{title.split()[0].lower()}-after-two-rounds")
    # choosing the first option on a page reached by the menu takes effect
    page.get_by_test_id("stSidebar").get_by_role("link", name="What-if", exact=True).click()
    wait_for_app_run(page)
    _pick(page, "Iteration", "v1")
    _assert_pickers_match_page(page, "What-if after choosing v1", "Credit risk", "v1")
    page.get_by_test_id("stSidebar").get_by_role("link", name="Compare", exact=True).click()
    wait_for_app_run(page)
    _assert_pickers_match_page(page, "Compare after What-if on v1", "Credit risk", "v1")
    page.go_back()
    wait_for_app_run(page)
    _assert_pickers_match_page(page, "back to What-if", "Credit risk", "v1")
