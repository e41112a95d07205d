"""Real journeys in headless Chromium (marked e2e; skipped when no Chromium is installed)."""

import json
import re
import sqlite3
import uuid

import pytest
from playwright.sync_api import expect

from demo_models.iterations.registry import load_iteration
from demo_models.iterations.scoring import ScoredIteration
from tests.e2e.st_e2e import goto_app, say_who, select_dataframe_row, wait_for_app_run, wait_for_plotly


def test_home_page_renders_iterations(app_page, streamlit_server, screenshot):
    page = app_page
    goto_app(page, streamlit_server.url, oriented=False)
    expect(page.get_by_text("Welcome to Involve — a one-minute orientation")).to_be_visible()
    screenshot(page, "orientation")
    page.get_by_role("button", name="Got it").click()
    wait_for_app_run(page)
    expect(page.get_by_text("Welcome to Involve — a one-minute orientation")).to_have_count(0)
    expect(page.get_by_role("heading", name="Involve", exact=True)).to_be_visible()
    expect(page.get_by_text("Selected iteration: v3")).to_be_visible()
    page.get_by_test_id("stDataFrame").get_by_test_id("data-grid-canvas").wait_for()
    expect(page.get_by_test_id("stSidebar").get_by_role("link", name="Explore")).to_be_visible()
    screenshot(page, "home")


def test_business_user_explores_a_case_and_leaves_feedback(app_page, streamlit_server, screenshot):
    page = app_page
    goto_app(page, streamlit_server.url)
    expect(page.get_by_text("Demo mode")).to_be_visible()
    say_who(page, "Erin Browser", "risk")
    page.get_by_test_id("stSidebar").get_by_role("link", name="Explore").click()
    wait_for_app_run(page)
    expect(page.get_by_role("heading", name="Explore predictions")).to_be_visible()
    expect(page.get_by_test_id("stSidebar").get_by_label("Your name")).to_have_value("Erin Browser")

    select_dataframe_row(page, 0)
    heading = page.get_by_role("heading", name="Applicant A")
    expect(heading).to_be_visible()
    case_id = heading.inner_text().split()[-1]
    wait_for_plotly(page)
    expect(page.get_by_text("Principal reasons for “decline”")).to_be_visible()
    screenshot(page, "case")

    comment = f"e2e {uuid.uuid4().hex[:8]}: duration weighs too much"
    form = page.get_by_test_id("stForm")
    form.get_by_text("disagree", exact=True).click()
    form.get_by_text("an applicant who repays", exact=True).click()
    form.get_by_role("textbox", name="Comment").fill(comment)
    form.get_by_test_id("stMultiSelect").filter(has_text="What is it about?").click()
    expect(page.get_by_role("option", name="wrong prediction", exact=True)).to_be_visible()
    expect(page.get_by_text(re.compile("select all", re.IGNORECASE))).to_have_count(0)  # one category at a time
    screenshot(page, "categories")
    page.get_by_role("option", name="wrong prediction", exact=True).click()
    page.keyboard.press("Escape")
    form.get_by_role("button", name="Submit feedback").click()
    wait_for_app_run(page)
    expect(page.get_by_test_id("stAlertContentSuccess").filter(has_text=f"on {case_id} (v3) saved")).to_be_visible()
    expect(page.get_by_text("1 feedback entry")).to_be_visible()
    screenshot(page, "saved")

    rows = (
        sqlite3.connect(streamlit_server.db)
        .execute(
            "SELECT iteration, case_id, verdict, expected_outcome, reviewer_name, reasons_shown, categories "
            "FROM feedback WHERE comment = ?",
            (comment,),
        )
        .fetchall()
    )
    assert len(rows) == 1
    iteration, stored_case, verdict, expected, name, reasons, categories = rows[0]
    assert (iteration, stored_case, verdict, expected, name) == ("v3", case_id, "disagree", "negative", "Erin Browser")
    assert json.loads(categories) == ["wrong prediction"]
    assert 1 <= len(json.loads(reasons)) <= 4
    expect(form.get_by_role("textbox", name="Comment")).to_have_value("")


def _no_exception(page):
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_data_scientist_compares_and_opens_a_flipped_case(app_page, streamlit_server, screenshot):
    page = app_page
    goto_app(page, f"{streamlit_server.url}/Compare")
    expect(page.get_by_role("heading", name="Decisions that flip")).to_be_visible()
    wait_for_plotly(page)
    # the flipped cases: the table that offers row selection (charts' tables sit in collapsed expanders)
    frames = page.get_by_test_id("stDataFrame")
    flips = next(
        i
        for i in range(frames.count())
        if frames.nth(i).locator("xpath=ancestor::*[contains(@class, 'st-key-flip_cases')]").count()
    )
    frames.nth(flips).scroll_into_view_if_needed()
    select_dataframe_row(page, 0, nth=flips)
    expect(page.get_by_role("heading", name="Applicant A")).to_be_visible()
    wait_for_plotly(page, nth=2)
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(3)
    _no_exception(page)
    screenshot(page, "compare")


def _sign_off_as(page, url, name, role, screenshot=None):
    goto_app(page, f"{url}/Sign_off")
    say_who(page, name, role)
    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name=f"Sign off v3 as {role}"))
    form.get_by_role("textbox", name="Comment").fill(f"{name}: scorecard and fairness gaps checked")
    form.get_by_role("button", name=f"Sign off v3 as {role}").click()
    wait_for_app_run(page)
    expect(page.get_by_test_id("stAlertContentSuccess").filter(has_text=f"v3 signed off as {role}.")).to_be_visible()
    if screenshot:
        screenshot(page, "signed-off")


def test_signed_off_promoted_and_announced_to_another_user(app_page, streamlit_server, browser, screenshot):
    page = app_page
    url = streamlit_server.url
    _sign_off_as(page, url, "Rita Risk", "risk")
    _sign_off_as(page, url, "Cora Compliance", "compliance", screenshot)
    expect(page.get_by_text("v3 is signed off by every required role")).to_be_visible()

    page.get_by_test_id("stSidebar").get_by_role("link", name="Iterations").click()
    wait_for_app_run(page)
    say_who(page, "Dana Scientist", "data scientist")
    expect(page.get_by_text("v3 is signed off by risk, compliance.")).to_be_visible()
    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Promote to live"))
    form.get_by_role("textbox", name="Why").fill("Meets the goals agreed with the credit team")
    form.get_by_role("textbox", name="Migration note: what changes for business users").fill(
        "Longer loans never look less risky any more."
    )
    form.get_by_role("button", name="Promote to live").click()
    wait_for_app_run(page)
    expect(page.get_by_test_id("stAlertContentSuccess").filter(has_text="v3 is now live")).to_be_visible()
    expect(page.get_by_text("candidate → live on")).to_be_visible()
    screenshot(page, "iterations")

    other = browser.new_context(viewport={"width": 1400, "height": 1400}).new_page()  # another person
    other.route(re.compile(rf"^(?!{re.escape(url)})"), lambda route: route.abort())
    goto_app(other, f"{url}/Explore")
    say_who(other, "Bob Business", "business user")
    banner = other.get_by_test_id("stAlertContentSuccess").filter(has_text="What changes for you")
    expect(banner).to_contain_text("v3 is live")
    expect(banner).to_contain_text("Longer loans never look less risky any more.")
    _no_exception(other)
    screenshot(other, "banner-for-another-user")
    other.get_by_role("button", name="Dismiss", exact=True).first.click()
    wait_for_app_run(other)
    expect(banner).to_have_count(0)
    other.get_by_test_id("stSidebar").get_by_role("link", name="Notices").click()
    wait_for_app_run(other)
    expect(other.get_by_role("heading", name="All notices")).to_be_visible()
    expect(banner).to_have_count(0)  # dismissed on every page
    screenshot(other, "notices")
    other.context.close()


def test_a_brought_model_works_on_every_page(app_page, streamlit_server, screenshot):
    page = app_page
    for path, heading in [
        ("", "Churn"),
        ("Explore", "Explore predictions"),
        ("Compare", "Compare iterations"),
        ("Iterations", "Iterations"),
    ]:
        goto_app(page, f"{streamlit_server.url}/{path}?use_case=churn")
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        _no_exception(page)
        expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
        if path == "Explore":
            select_dataframe_row(page, 1)
            expect(page.get_by_role("heading", name="Case C")).to_be_visible()
            wait_for_plotly(page)
        screenshot(page, f"churn-{path or 'home'}")


def _optimal(page) -> str:
    metric = page.get_by_test_id("stMetric").filter(has=page.get_by_text("Cost-optimal threshold", exact=True))
    return metric.get_by_test_id("stMetricValue").inner_text()


def test_business_owner_sets_costs_and_the_optimal_threshold_moves(app_page, streamlit_server, screenshot):
    page = app_page
    goto_app(page, f"{streamlit_server.url}/Outcomes?iteration=v2")
    say_who(page, "Bo Business", "business user")
    wait_for_plotly(page)
    form = page.get_by_test_id("stForm").filter(has_text="What does each error cost")
    form.get_by_label("An applicant who repays wrongly declined").fill("300")
    form.get_by_label("Share (0.5 = half)").fill("0.5")
    page.get_by_test_id("stSelectbox").filter(has_text="… plus a share of").click()
    page.get_by_role("option", name="Credit amount", exact=True).click()
    form.get_by_role("button", name="Save the cost matrix").click()
    wait_for_app_run(page)
    expect(page.get_by_test_id("stAlertContentSuccess").filter(has_text="Cost matrix saved")).to_be_visible()
    first = _optimal(page)
    wait_for_plotly(page, nth=1)
    screenshot(page, "costs")

    form.get_by_label("An applicant who repays wrongly declined").fill("50")
    form.get_by_role("button", name="Save the cost matrix").click()
    wait_for_app_run(page)
    second = _optimal(page)
    assert float(second) < float(first)  # cheaper wrong declines: the best threshold moves down
    page.get_by_role("button", name="Move the threshold to the cost-optimal one").click()
    wait_for_app_run(page)
    expect(page.get_by_test_id("stSlider").filter(has_text="Threshold")).to_contain_text(
        f"{round(float(second), 3):.3f}"
    )
    _no_exception(page)
    screenshot(page, "optimal")


def test_goals_page_renders_the_scorecard(app_page, streamlit_server, screenshot):
    page = app_page
    goto_app(page, f"{streamlit_server.url}/Goals")
    expect(page.get_by_role("heading", name="Success criteria")).to_be_visible()
    expect(page.get_by_role("heading", name="Scorecard")).to_be_visible()
    _no_exception(page)
    screenshot(page, "goals")


def test_feedback_is_triaged_in_the_inbox_and_the_status_shows_on_the_case(app_page, streamlit_server, screenshot):
    page = app_page
    goto_app(page, f"{streamlit_server.url}/Explore?iteration=v2")
    say_who(page, "Dana Scientist", "data scientist")
    select_dataframe_row(page, 2)
    heading = page.get_by_role("heading", name="Applicant A")
    case_id = heading.inner_text().split()[-1]
    comment = f"e2e-triage {uuid.uuid4().hex[:8]}"
    form = page.get_by_test_id("stForm").filter(has_text="Your feedback on")
    form.get_by_text("unsure", exact=True).click()
    form.get_by_role("textbox", name="Comment").fill(comment)
    form.get_by_role("button", name="Submit feedback").click()
    wait_for_app_run(page)
    expect(page.get_by_test_id("stAlertContentSuccess").filter(has_text="saved")).to_be_visible()

    page.get_by_test_id("stSidebar").get_by_role("link", name="Inbox").click()
    wait_for_app_run(page)
    page.get_by_label("Search the comments").fill(comment)
    page.get_by_label("Search the comments").press("Enter")
    wait_for_app_run(page)
    expect(page.get_by_role("heading", name="1 entry")).to_be_visible()
    select_dataframe_row(page, 0)
    expect(page.get_by_role("heading", name=f"on {case_id} (v2)")).to_be_visible()
    triage = page.get_by_test_id("stForm").filter(has_text="New status")
    page.get_by_test_id("stSelectbox").filter(has_text="New status").click()
    page.get_by_role("option", name="accepted", exact=True).click()
    triage.get_by_role("button", name="Apply").click()
    wait_for_app_run(page)
    expect(page.get_by_test_id("stAlertContentSuccess").filter(has_text="1 entry now accepted")).to_be_visible()
    screenshot(page, "inbox")

    goto_app(page, f"{streamlit_server.url}/Explore?iteration=v2&case={case_id}")
    page.get_by_text("What others said").click()
    grid = page.get_by_test_id("stExpander").filter(has_text="What others said").get_by_test_id("stDataFrame")
    grid.get_by_test_id("data-grid-canvas").wait_for()
    expect(grid).to_contain_text("accepted")
    _no_exception(page)
    screenshot(page, "status-on-case")


@pytest.mark.parametrize("use_case", ["credit", "fraud"])
def test_fairness_and_monitoring_pages_in_the_browser(app_page, streamlit_server, screenshot, use_case):
    page = app_page
    iteration = "v1"
    goto_app(page, f"{streamlit_server.url}/Fairness?use_case={use_case}&iteration={iteration}")
    expect(page.get_by_role("heading", name="Gaps between groups")).to_be_visible()
    expect(page.get_by_text("Four-fifths screen: the")).to_be_visible()
    wait_for_plotly(page)
    _no_exception(page)
    screenshot(page, f"fairness-{use_case}")
    goto_app(page, f"{streamlit_server.url}/Monitoring?use_case={use_case}&iteration={iteration}")
    expect(page.get_by_role("heading", name="How the app is used")).to_be_visible()
    if use_case == "fraud":
        expect(page.get_by_role("heading", name="Month by month")).to_be_visible()
        wait_for_plotly(page)
    else:
        expect(page.get_by_text("has no month")).to_be_visible()
    _no_exception(page)
    screenshot(page, f"monitoring-{use_case}")


def test_the_iteration_report_opens_offline_with_every_figure(
    app_page, streamlit_server, screenshot, browser, tmp_path
):
    page = app_page
    goto_app(page, f"{streamlit_server.url}/Iterations")
    page.get_by_role("button", name="Prepare the report of v3").click()
    wait_for_app_run(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the report of v3").click()
    path = tmp_path / "report.html"
    info.value.save_as(path)
    offline = browser.new_page(viewport={"width": 1200, "height": 1400})
    offline.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file://") else route.abort())
    offline.goto(path.as_uri())
    figures = offline.locator(".plotly-graph-div")
    # importance, 3 waterfalls, heat map, the pair's reliability, 2 dependence, reliability, 2 inputs by outcome
    expect(figures).to_have_count(11)
    for i in range(11):
        figures.nth(i).locator(".main-svg").first.wait_for()
    expect(offline.get_by_role("heading", name="Credit risk — iteration v3")).to_be_visible()
    screenshot(offline, "report")
    offline.close()


def test_what_if_moves_the_score_and_suggests_the_smallest_change(app_page, streamlit_server, screenshot):
    """Moving an input reruns the fragment: the edited case's score moves; the case as it is, drawn outside the
    fragment, stays (its score, its decision notice); a waterfall's table appears when its expander is opened."""
    page = app_page
    goto_app(page, f"{streamlit_server.url}/What_if")
    expect(page.get_by_role("heading", name="What if…")).to_be_visible()
    wait_for_plotly(page, nth=1)
    metrics = page.get_by_test_id("stMetric")  # with your changes, its decision, then the case as it is
    before = metrics.nth(0).get_by_test_id("stMetricValue").inner_text()
    now = metrics.nth(2).get_by_test_id("stMetricValue").inner_text()
    assert before == now  # nothing changed yet
    duration = page.get_by_label("Loan duration")
    duration.fill("6")
    duration.press("Enter")
    wait_for_app_run(page)
    expect(page.get_by_text("Changed: Loan duration")).to_be_visible()
    after = metrics.nth(0).get_by_test_id("stMetricValue").inner_text()
    assert after != before
    expect(metrics.nth(2).get_by_test_id("stMetricValue")).to_have_text(now)
    expect(page.get_by_role("heading", name="As it is")).to_be_visible()
    expect(page.get_by_role("button", name="Decision notice (PDF)")).to_be_visible()  # A0002 is declined
    expect(page.get_by_test_id("stDataFrame")).to_have_count(0)
    page.get_by_test_id("stExpander").filter(has_text="Chart as a table").first.get_by_text("Chart as a table").click()
    wait_for_app_run(page)
    expect(page.get_by_test_id("stDataFrame")).to_have_count(1)
    expect(page.get_by_text("Changed: Loan duration")).to_be_visible()  # the edit kept while the table opened
    _no_exception(page)
    screenshot(page, "what-if")


def test_what_if_in_its_fragment_tries_the_suggestion_and_saves_feedback_with_the_edits(
    app_page, streamlit_server, screenshot
):
    """What-if's inputs and results are a fragment: the suggestion, "Try it" and the feedback form work in a
    browser, where a moved input or a click reruns the fragment alone (AppTest reruns the whole page)."""
    page = app_page
    goto_app(page, streamlit_server.url)
    say_who(page, "Fran Fragment", "risk")
    page.get_by_test_id("stSidebar").get_by_role("link", name="What-if", exact=True).click()
    wait_for_app_run(page)
    expect(page.get_by_role("heading", name="What if…")).to_be_visible()
    decision = page.get_by_test_id("stMetric").nth(1).get_by_test_id("stMetricValue")  # the edited case's
    expect(decision).to_have_text("Decline")  # the first case, A0002, is declined by v3
    page.get_by_role("button", name="Suggest the smallest change that would overturn it").click()
    wait_for_app_run(page)
    expect(page.get_by_test_id("stAlertContentSuccess").filter(has_text="would be approved")).to_be_visible()
    page.get_by_role("button", name="Try it").click()
    wait_for_app_run(page)
    expect(decision).to_have_text("Approve")
    expect(page.get_by_text("Changed: ")).to_be_visible()
    expect(page.get_by_test_id("stSidebar").get_by_label("Your name")).to_have_value("Fran Fragment")
    form = page.get_by_test_id("stForm")
    form.get_by_text("agree", exact=True).click()
    form.get_by_role("button", name="Submit feedback").click()
    wait_for_app_run(page)
    expect(page.get_by_test_id("stAlertContentSuccess").filter(has_text="on A0002 (v3) saved")).to_be_visible()
    _no_exception(page)
    screenshot(page, "what-if-tried")
    [(what_if,)] = (
        sqlite3.connect(streamlit_server.db)
        .execute("SELECT what_if FROM feedback WHERE reviewer_name = ?", ("Fran Fragment",))
        .fetchall()
    )
    assert json.loads(what_if)  # the inputs the suggestion changed, as the feedback's what-if


def test_reviewer_retires_an_iteration_and_it_leaves_the_picker(app_page, streamlit_server, screenshot):
    page = app_page
    goto_app(page, f"{streamlit_server.url}/Iterations?use_case=churn&iteration=v1")
    say_who(page, "Ada Admin", "admin")
    page.get_by_text("Retire", exact=True).click()
    wait_for_app_run(page)
    form = page.get_by_test_id("stForm")
    form.get_by_role("textbox", name="Why").fill("Superseded by v2")
    form.get_by_role("button", name="Retire").click()
    wait_for_app_run(page)
    expect(page.get_by_test_id("stAlertContentSuccess").filter(has_text="v1 is now retired")).to_be_visible()
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text="Iteration").click()
    expect(page.get_by_role("option", name="v1", exact=False)).to_have_count(0)
    page.keyboard.press("Escape")
    _no_exception(page)
    screenshot(page, "retired")


def test_a_business_user_looks_up_a_number_in_the_guide(app_page, streamlit_server, screenshot):
    page = app_page
    goto_app(page, f"{streamlit_server.url}/Explore")
    page.get_by_text("How to read this page").first.click()
    expect(page.get_by_text("What it answers:").first).to_be_visible()
    page.get_by_test_id("stSidebar").get_by_role("link", name="Guide").click()
    wait_for_app_run(page)
    expect(page.get_by_role("heading", name="Glossary")).to_be_visible()
    search = page.get_by_role("textbox", name="Search the glossary")
    search.fill("precision")
    search.press("Enter")
    wait_for_app_run(page)
    expect(page.get_by_text("Worked example:").first).to_be_visible()
    expect(page.get_by_text(re.compile(r"precision = \d+ / \d+ = \d+\.\d%")).first).to_be_visible()
    _no_exception(page)
    screenshot(page, "glossary")


def test_what_if_keeps_a_missing_fee_missing_while_another_input_changes(app_page, streamlit_server, screenshot):
    it = ScoredIteration(load_iteration("churn", "v2", streamlit_server.db.parent / "registry"))
    case_id = it.features.index[it.features["monthly_fee"].isna()][0]
    page = app_page
    goto_app(page, f"{streamlit_server.url}/What_if?use_case=churn")
    page.get_by_test_id("stSelectbox").filter(has_text="to start from").click()
    page.keyboard.type(case_id)
    page.get_by_role("option", name=case_id, exact=True).click()
    wait_for_app_run(page)
    fee = page.get_by_role("spinbutton", name="Monthly fee")
    expect(fee).to_have_value("")  # missing is shown as missing (empty), not as a number
    expect(fee).to_have_attribute("placeholder", "missing")
    tenure = page.get_by_role("spinbutton", name="Tenure months")
    tenure.fill("30")
    tenure.press("Enter")
    wait_for_app_run(page)
    expect(page.get_by_text("Changed: Tenure months")).to_be_visible()
    expect(fee).to_have_value("")
    edited = it.features.loc[[case_id]].copy()
    edited["tenure_months"] = 30
    proba = it.iteration.model.predict_proba(edited)[0, 1]
    invented = it.iteration.model.predict_proba(edited.assign(monthly_fee=it.features["monthly_fee"].min()))[0, 1]
    assert f"{proba:.1%}" != f"{invented:.1%}"  # the test tells the two apart
    shown = page.get_by_test_id("stMetric").nth(0).get_by_test_id("stMetricValue")  # the edited case's score
    expect(shown).to_have_text(f"{proba:.1%}")
    _no_exception(page)
    screenshot(page, "missing-fee")

    fee.fill("80")  # a value typed in, then cleared again: missing once more
    fee.press("Enter")
    wait_for_app_run(page)
    expect(page.get_by_text("Monthly fee missing → 80")).to_be_visible()
    fee.fill("")
    fee.press("Enter")
    wait_for_app_run(page)
    expect(fee).to_have_value("")
    expect(shown).to_have_text(f"{proba:.1%}")
