"""Accessibility in the browser: axe-core (WCAG 2.1 A/AA and best practices) on every page, whole page,
for credit and fraud; and the keyboard path to a case and its feedback form."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from playwright.sync_api import expect

from demo_models import __version__
from feedback.records import FeedbackDraft
from feedback.store.database import FeedbackStore
from feedback.store.records import add_feedback
from pages._ui.navigation import PAGES
from tests.e2e.axe import AxeUnavailable, axe_script, blocking, describe, run_axe, show_whole_page, wait_for_charts
from tests.e2e.st_e2e import goto_app

LATEST = {"credit": "v3", "fraud": "v2"}
# a page's first visit loads and caches its iteration (20,000 fraud cases): minutes on a busy 2-core machine
FIRST_LOAD_MS = 300_000


def _settle(page) -> None:
    """Wait for the run the last action started, however long a first load takes."""
    page.wait_for_timeout(300)
    app = page.locator("[data-testid='stApp']")
    expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=FIRST_LOAD_MS)
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=FIRST_LOAD_MS)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=FIRST_LOAD_MS)  # lazily loaded elements


@pytest.fixture(scope="session")
def axe():
    try:
        return axe_script()
    except AxeUnavailable as err:
        pytest.skip(str(err))


def _case_ids(server, use_case: str) -> list[str]:
    return list(pd.read_parquet(server.registry / use_case / LATEST[use_case] / "eval.parquet").index[:3])


def _seed_feedback(server, use_case: str) -> None:
    """A few entries, so the Inbox draws its charts and Explore lists earlier feedback."""
    store = FeedbackStore(f"sqlite:///{server.db}")
    for case_id, verdict, categories in zip(
        _case_ids(server, use_case),
        ("agree", "disagree", "unsure"),
        (("wrong prediction",), ("unclear explanation", "missing factor"), ()),
    ):
        add_feedback(
            store,
            FeedbackDraft(
                use_case=use_case,
                iteration=LATEST[use_case],
                case_id=case_id,
                score=0.5,
                threshold=0.4,
                decision="decline",
                reasons_shown=("a reason",),
                reviewer_name="Axe Auditor",
                reviewer_role="risk",
                verdict=verdict,
                categories=categories,
                comment="the amount is missing from the reasons",
                app_version=__version__,
            ),
            [LATEST[use_case]],
        )


def _open_a_case(page) -> None:
    page.get_by_test_id("stSelectbox").filter(has_text="to explain").click()
    page.get_by_role("option").first.click()
    _settle(page)
    expect(page.get_by_role("link", name=re.compile("Go to the feedback form"))).to_be_visible()


@pytest.mark.parametrize("use_case", ["credit", "fraud"])
def test_every_page_passes_an_axe_audit(app_page, streamlit_server, screenshot, axe, use_case):
    page = app_page
    _seed_feedback(streamlit_server, use_case)
    goto_app(page, f"{streamlit_server.url}/?use_case={use_case}", oriented=False)  # the first visit's orientation too
    failures, heights = {}, {}
    for _, label, _ in PAGES:
        if label != "Home":
            page.get_by_test_id("stSidebar").get_by_role("link", name=label).click()
            _settle(page)
        if label == "Explore":
            _open_a_case(page)
        heights[label] = show_whole_page(page)
        wait_for_charts(page, FIRST_LOAD_MS)
        found = blocking(run_axe(page, axe))
        screenshot(page, f"{use_case}-{label}")
        if found:
            failures[label] = describe(found)
        if label == "Home":
            page.get_by_role("button", name="Got it").click()
            _settle(page)
    assert not failures, "\n".join(f"{label}:\n{text}" for label, text in failures.items())
    assert all(h > 1400 for label, h in heights.items() if label in ("Explore", "Outcomes")), heights  # seen whole


def test_a_keyboard_user_opens_a_case_and_reaches_its_feedback_form(app_page, streamlit_server, screenshot):
    page = app_page
    case_id = _case_ids(streamlit_server, "credit")[1]
    goto_app(page, f"{streamlit_server.url}/Explore?use_case=credit")
    expect(page.get_by_text("Shift+Space")).to_be_visible()
    picker = page.get_by_role("combobox", name="Applicant to explain")
    picker.focus()
    page.keyboard.type(case_id)
    page.keyboard.press("Enter")
    _settle(page)
    expect(page.get_by_role("heading", name=f"Applicant {case_id}")).to_be_visible()
    link = page.get_by_role("link", name=f"Go to the feedback form on {case_id}")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_timeout(500)
    in_form = "() => !!document.activeElement.closest('[data-testid=stForm]')"
    for _ in range(3):  # the heading's own anchor link, "What others said" when the case has feedback, the form
        page.keyboard.press("Tab")
        if page.evaluate(in_form):
            break
    assert page.evaluate(in_form), page.evaluate("() => document.activeElement.outerHTML.slice(0, 200)")
    expect(page.get_by_role("heading", name="Feedback", exact=True)).to_be_in_viewport()
    screenshot(page, "feedback-form-reached")
