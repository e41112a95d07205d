"""A review round in Chromium (issue 15): a data scientist creates a round of 20 cases for two reviewers with
overlap 2, both work through it blind first (one leaves and resumes), the creator closes it and the results
show Krippendorff's alpha and agreement with the model, equal to demo_models.metrics.agreement on the store;
she adjudicates a split case, which becomes an expectation, registers v4 from Python, and Home and Compare
show whether v4 meets it.

The journey has its own server (registry copy and store): registering credit v4 must not change what the
other journeys' shared server shows."""

import re
import shutil
import sqlite3
import uuid
from types import SimpleNamespace

import krippendorff
import pandas as pd
import pytest
from playwright.sync_api import expect
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa
from statsmodels.stats.proportion import proportion_confint

from demo_models.builtin.german_credit import CREDIT_TARGET, split_credit
from demo_models.builtin.training import CREDIT_PROTECTED
from demo_models.formats import format_number, format_share
from demo_models.iterations.registry import load_iteration, register_iteration
from demo_models.iterations.scoring import ScoredIteration
from demo_models.metrics.agreement import compute_alpha, rate_of
from tests.e2e.conftest import start_streamlit
from tests.e2e.st_e2e import goto_app, say_who, wait_for_app_run
from tests.helpers import free_port, stop_process_group

ANN, BO, DANA = (
    ("Ann Roundreviewer", "risk"),
    ("Bo Roundreviewer", "business user"),
    ("Dana Roundmaker", "data scientist"),
)
QUOTAS = {"Flips": 5, "Borderline": 5, "Costliest": 0, "Flagged": 0, "Random": 10}  # 20 cases
CASES = sum(QUOTAS.values())


@pytest.fixture(scope="module")
def round_server(tmp_path_factory, registry_dir):
    """The app over its own copy of the built-in registry and its own SQLite store."""
    work = tmp_path_factory.mktemp("round_server")
    registry = work / "registry"
    shutil.copytree(registry_dir, registry)
    port, db = free_port(), work / "feedback.sqlite3"
    proc = start_streamlit(work, registry, f"sqlite:///{db}", port)
    try:
        yield SimpleNamespace(url=f"http://127.0.0.1:{port}", db=db, registry=registry)
    finally:
        stop_process_group(proc, timeout=10)


@pytest.fixture
def round_page(page, round_server):
    """A browser page that may only reach the journey's server."""
    page.route(re.compile(rf"^(?!{re.escape(round_server.url)})"), lambda route: route.abort())
    page.set_default_timeout(30_000)
    return page


def _menu(page, name: str) -> None:
    page.get_by_test_id("stSidebar").get_by_role("link", name=name, exact=True).click()
    wait_for_app_run(page)


def _number(page, label: str, value: int) -> None:
    field = page.get_by_role("spinbutton", name=label, exact=True)
    field.fill(str(value))
    field.press("Enter")
    wait_for_app_run(page)


def _create_round(page, name: str, screenshot) -> None:
    main = page.get_by_test_id("stMain")
    expect(page.get_by_role("heading", name="New round")).to_be_visible()
    main.get_by_label("Name", exact=True).fill(name)
    main.get_by_label("Name", exact=True).press("Enter")
    wait_for_app_run(page)
    purpose = main.get_by_label("Purpose", exact=True)
    purpose.fill("Do credit officers decide as v3 does on flips, borderline and random cases?")
    purpose.press("Control+Enter")
    wait_for_app_run(page)
    typed = main.get_by_label("Other reviewers, one a line: name, role")
    typed.fill(f"{ANN[0]}, {ANN[1]}\n{BO[0]}, {BO[1]}")
    typed.press("Control+Enter")
    wait_for_app_run(page)
    _number(page, "Cases per reviewer", CASES)
    _number(page, "Overlap (reviewers per case)", 2)
    for label, quota in QUOTAS.items():
        _number(page, label, quota)
    expect(
        page.get_by_text("2 reviewers × 20 cases ÷ overlap 2 = room for 20 cases; the quotas ask for 20.")
    ).to_be_visible()
    page.get_by_role("button", name="Choose the cases").click()
    wait_for_app_run(page)
    page.get_by_test_id("stDataFrame").first.get_by_test_id("data-grid-canvas").wait_for()
    expect(main.get_by_test_id("stAlertContentWarning")).to_have_count(0)  # every quota met (no shortfall)
    expect(main.get_by_test_id("stDataFrame").first).to_be_visible()
    main.get_by_role("button", name="Create the round").scroll_into_view_if_needed()
    screenshot(page, "cases-chosen")
    page.get_by_role("button", name="Create the round").click()
    wait_for_app_run(page)
    expect(page.get_by_test_id("stAlertContentSuccess").filter(has_text=f"Round “{name}” created.")).to_be_visible()


def _current_case(page) -> tuple[str, int]:
    """The case id and 1-based position the My reviews section shows."""
    heading = page.get_by_role("heading", name=re.compile(rf"^Applicant .+ · \d+ of {CASES}$"))
    expect(heading).to_have_count(1)
    found = re.match(rf"^Applicant (.+) · (\d+) of {CASES}$", heading.inner_text().strip())
    assert found, heading.inner_text()
    return found.group(1), int(found.group(2))


def _review_case(page, position: int, own: str, verdict: str, screenshot=None) -> str:
    """Answer the case at `position` (1-based): the blind decision, then the reveal, then the verdict."""
    case_id, shown = _current_case(page)
    assert shown == position
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(0)  # nothing of the model before the own decision
    blind = page.get_by_test_id("stForm").filter(
        has=page.get_by_role("button", name="Save my decision and show the model's")
    )
    blind.get_by_text(own, exact=True).click()
    if screenshot:
        screenshot(page, "blind")
    blind.get_by_role("button", name="Save my decision and show the model's").click()
    wait_for_app_run(page)
    expect(page.get_by_text(f"Your decision before the reveal: {own}")).to_be_visible()
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(1)  # the model's reasons, revealed
    if screenshot:
        screenshot(page, "revealed")
    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Save my verdict"))
    form.get_by_text(verdict, exact=True).click()
    form.get_by_role("button", name="Save my verdict").click()
    wait_for_app_run(page)
    expect(page.get_by_test_id("stAlertContentSuccess").filter(has_text="Your verdict is saved.")).to_be_visible()
    return case_id


def _own(reviewer: int, position: int) -> str:
    """A blind decision pattern that makes the two reviewers agree on some cases and split on others."""
    return "decline" if (position % 2 if reviewer == 0 else position % 3 == 0) else "approve"


def _work_through(page, reviewer: int, positions: range, screenshot=None) -> list[str]:
    answered = []
    for position in positions:
        verdict = "disagree" if position % 4 == 0 else "agree"
        answered.append(
            _review_case(page, position, _own(reviewer, position), verdict, screenshot if position == 1 else None)
        )
    return answered


def _as(browser, url: str, who: tuple[str, str]):
    page = browser.new_context(viewport={"width": 1400, "height": 1400}).new_page()
    page.route(re.compile(rf"^(?!{re.escape(url)})"), lambda route: route.abort())
    page.set_default_timeout(30_000)
    goto_app(page, url)
    _menu(page, "Reviews")
    say_who(page, *who)
    return page


def _pick_iteration(page, version: str) -> None:
    """Pick an iteration in the sidebar, as a person does."""
    picker = page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text="Iteration")
    picker.get_by_role("combobox").click()
    page.get_by_role("option", name=re.compile(rf"^{version} · ")).click()
    wait_for_app_run(page)


def _metric(page, label: str):
    return page.get_by_test_id("stMetric").filter(has=page.get_by_text(label, exact=True))


def test_a_round_of_20_cases_to_alpha_an_adjudicated_expectation_and_v4_checked_against_it(
    round_page, round_server, browser, screenshot
):
    streamlit_server = round_server
    url, page = streamlit_server.url, round_page
    name = f"e2e round {uuid.uuid4().hex[:6]}"
    goto_app(page, url)
    _menu(page, "Reviews")
    expect(page.get_by_role("heading", name="Review rounds")).to_be_visible()
    say_who(page, *DANA)
    _create_round(page, name, screenshot)
    db = sqlite3.connect(streamlit_server.db)
    [(round_id, overlap)] = db.execute("SELECT id, overlap FROM review_rounds WHERE name = ?", (name,)).fetchall()
    assert overlap == 2
    chosen = db.execute("SELECT strategy, COUNT(*) FROM round_cases WHERE round_id = ? GROUP BY strategy", (round_id,))
    assert dict(chosen.fetchall()) == {s.lower(): n for s, n in QUOTAS.items() if n}  # 20 cases, by the quotas
    assert db.execute("SELECT COUNT(*) FROM round_assignments WHERE round_id = ?", (round_id,)).fetchone() == (
        2 * CASES,
    )

    # Ann answers 4 cases, leaves for Explore by the menu, comes back by the browser's back button
    say_who(page, *ANN)
    expect(page.get_by_text(f"0 of {CASES} answered").first).to_be_visible()
    done = _work_through(page, 0, range(1, 5), screenshot)
    expect(page.get_by_text(f"4 of {CASES} answered").first).to_be_visible()
    _menu(page, "Explore")
    expect(page.get_by_role("heading", name="Explore predictions")).to_be_visible()
    page.go_back()
    wait_for_app_run(page)
    expect(page.get_by_role("heading", name="Review rounds")).to_be_visible()
    expect(page.get_by_test_id("stSidebar").get_by_label("Your name")).to_have_value(ANN[0])
    case_id, position = _current_case(page)
    assert position == 5 and case_id not in done  # resumed at the first unanswered case
    screenshot(page, "resumed-after-back")
    done += _work_through(page, 0, range(5, 9))

    # Ann closes the browser and opens the app again: a new session resumes at case 9 (read from the store)
    ann = _as(browser, url, ANN)
    case_id, position = _current_case(ann)
    assert position == 9 and case_id not in done
    expect(ann.get_by_text(f"8 of {CASES} answered").first).to_be_visible()
    screenshot(ann, "resumed-new-session")
    done += _work_through(ann, 0, range(9, CASES + 1))
    ann.context.close()

    bo = _as(browser, url, BO)
    _work_through(bo, 1, range(1, CASES + 1))
    expect(bo.get_by_text(f"{CASES} of {CASES} answered").first).to_be_visible()
    bo.context.close()

    # the creator closes the round; the results show alpha and agreement with the model
    say_who(page, *DANA)
    expect(page.get_by_text("Agreement is shown when the round closes")).to_be_visible()
    page.get_by_role("button", name="Close the round").click()
    wait_for_app_run(page)
    expect(page.get_by_test_id("stAlertContentSuccess").filter(has_text=f"Round “{name}” closed")).to_be_visible()

    answers = pd.read_sql_query(
        "SELECT case_id, reviewer_name AS reviewer, own_decision, verdict, clarity FROM round_answers "
        "WHERE round_id = ?",
        db,
        params=(round_id,),
    )
    assert len(answers) == 2 * CASES and answers["verdict"].notna().all()
    scored = ScoredIteration(load_iteration("credit", "v3", streamlit_server.registry))
    model = scored.decisions().reindex(answers["case_id"]).to_numpy()
    with_model = rate_of(int((answers["own_decision"].to_numpy() == model).sum()), len(answers))
    alpha = compute_alpha(answers)
    codes = answers.pivot(index="reviewer", columns="case_id", values="own_decision").replace(
        {"approve": 0.0, "decline": 1.0}
    )
    reference = krippendorff.alpha(reliability_data=codes.to_numpy(dtype=float), level_of_measurement="nominal")
    assert alpha.value == pytest.approx(reference, abs=1e-12)  # the library on the reviewers × cases matrix
    table, _ = aggregate_raters(codes.T.to_numpy(dtype=int))
    kappa = fleiss_kappa(table, method="fleiss")
    assert (with_model.low, with_model.high) == pytest.approx(
        proportion_confint(with_model.successes, with_model.trials, method="wilson"), abs=1e-12
    )
    assert 0 < with_model.rate < 1 and -1 <= alpha.value < 1  # the pattern makes neither figure degenerate
    alpha_metric = _metric(page, "Krippendorff's alpha")
    expect(alpha_metric.get_by_test_id("stMetricValue")).to_have_text(format_number(alpha.value))
    if not pd.isna(alpha.low):
        expect(alpha_metric.get_by_test_id("stMetricDelta")).to_have_text(
            f"95 % interval {format_number(alpha.low)} to {format_number(alpha.high)}"
        )
    expect(_metric(page, "Fleiss' kappa").get_by_test_id("stMetricValue")).to_have_text(format_number(kappa))
    rate_metric = _metric(page, "Agreement with the model")
    expect(rate_metric.get_by_test_id("stMetricValue")).to_have_text(format_share(with_model.rate))
    expect(rate_metric.get_by_test_id("stMetricDelta")).to_have_text(
        f"95 % interval {format_share(with_model.low)} to {format_share(with_model.high)}"
    )
    expect(page.get_by_test_id("stException")).to_have_count(0)
    _metric(page, "Krippendorff's alpha").scroll_into_view_if_needed()
    screenshot(page, "results")

    # a case the reviewers split on is adjudicated by the creator (she reviewed none) and becomes an expectation
    blind = answers.groupby("case_id")["own_decision"].nunique()
    case_id = sorted(blind[blind > 1].index)[0]  # the two reviewers decided differently before the reveal
    adjudication = page.get_by_test_id("stForm").filter(
        has=page.get_by_role("button", name="Record the agreed outcome")
    )
    adjudication.scroll_into_view_if_needed()
    screenshot(page, "adjudication-queue")
    adjudication.get_by_test_id("stSelectbox").get_by_role("combobox").click()
    page.get_by_role("option", name=case_id, exact=True).click()
    adjudication.get_by_text("decline", exact=True).click()
    adjudication.get_by_label("Why this is the agreed outcome").fill("Two missed payments <b>and</b> no guarantor")
    adjudication.get_by_role("button", name="Record the agreed outcome").click()
    wait_for_app_run(page)
    expect(
        page.get_by_test_id("stAlertContentSuccess").filter(
            has_text=f"{case_id} adjudicated: decline. It is kept as an expectation."
        )
    ).to_be_visible()
    following = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Record the agreed outcome"))
    expect(following.get_by_label("Why this is the agreed outcome")).to_have_value("")  # the next case starts blank
    expect(following.get_by_role("radio", checked=True)).to_have_count(0)
    [(source, author, expected)] = db.execute(
        "SELECT source, author_name, expected_decision FROM expectations WHERE round_id = ? AND case_id = ?",
        (round_id, case_id),
    ).fetchall()
    assert (source, author, expected) == ("adjudicated", DANA[0], "decline")
    in_force = page.get_by_test_id("stExpander").filter(has_text="expectation(s) in force")
    in_force.locator("summary").click()
    in_force.scroll_into_view_if_needed()
    screenshot(page, "expectation-kept")

    # the data scientist registers v4 from Python (v3's model at a lower threshold), then reloads the app
    v3 = load_iteration("credit", "v3", streamlit_server.registry)
    register_iteration(
        v3.model,
        split_credit().eval,
        use_case="credit",
        version="v4",
        target=CREDIT_TARGET,
        author=DANA[0],
        positive_label=1,
        positive_class="default",
        threshold=0.3,
        protected_attributes=CREDIT_PROTECTED,
        parent="v3",
        notes="v3's model deciding at 30 %: fewer defaults missed",
        registry_dir=streamlit_server.registry,
    )
    v4 = ScoredIteration(load_iteration("credit", "v4", streamlit_server.registry)).decisions()
    kept = dict(db.execute("SELECT case_id, expected_decision FROM expectations ORDER BY id").fetchall())  # latest
    met_v4 = sum(v4[c] == d for c, d in kept.items())
    met_v3 = sum(scored.decisions()[c] == d for c, d in kept.items())
    broken_v4 = sorted(c for c, d in kept.items() if v4[c] != d)
    page.reload()
    wait_for_app_run(page)
    _menu(page, "Home")
    _pick_iteration(page, "v4")
    expect(_metric(page, "Expectations met: v4").get_by_test_id("stMetricValue")).to_have_text(
        f"{met_v4} of {len(kept)}"
    )
    said = page.get_by_test_id("stMarkdown").filter(has_text=re.compile(r"^v4 meets ")).inner_text()
    assert said.startswith(f"v4 meets {met_v4} of {len(kept)} expectations")
    assert (case_id in said) == (case_id in broken_v4)  # the adjudicated case: listed only if v4 breaks it
    each = page.get_by_test_id("stExpander").filter(has_text="Each expectation v4 is checked against")
    each.locator("summary").first.click()
    each.scroll_into_view_if_needed()
    _metric(page, "Expectations met: v4").scroll_into_view_if_needed()
    screenshot(page, "home-v4-expectations")
    _menu(page, "Compare")
    expect(_metric(page, "Expectations met: v4").get_by_test_id("stMetricValue")).to_have_text(
        f"{met_v4} of {len(kept)}"
    )
    expect(_metric(page, "Expectations met: v3").get_by_test_id("stMetricValue")).to_have_text(
        f"{met_v3} of {len(kept)}"
    )
    _metric(page, "Expectations met: v4").scroll_into_view_if_needed()
    screenshot(page, "compare-v3-v4-expectations")

    # she retires an expectation the reviewers agreed on (Reviews); Sign-off lists it apart, no longer counted
    [(gone_id, gone_case)] = db.execute(
        "SELECT id, case_id FROM expectations WHERE source = 'unanimous' ORDER BY id LIMIT 1"
    ).fetchall()
    _menu(page, "Reviews")
    say_who(page, *DANA)
    in_force = page.get_by_test_id("stExpander").filter(has_text="expectation(s) in force")
    retire = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Retire the expectation"))
    which = retire.get_by_test_id("stSelectbox").get_by_role("combobox")
    if in_force.locator("details").get_attribute("open") is None:  # the browser may keep it open from the last visit
        in_force.locator("summary").click()
    expect(which).to_be_visible()
    retire.scroll_into_view_if_needed()
    which.click()
    which.press_sequentially(f"#{gone_id} · ")  # typing opens the list and filters it (a bare click left it shut in CI)
    page.get_by_role("option", name=re.compile(rf"^#{gone_id} · {gone_case} should be ")).click()
    retire.get_by_label("Why it no longer holds").fill("The applicant's income was misread in the file")
    retire.get_by_role("button", name="Retire the expectation").click()
    wait_for_app_run(page)
    expect(
        page.get_by_test_id("stAlertContentSuccess").filter(has_text=f"Expectation #{gone_id} on {gone_case} retired")
    ).to_be_visible()
    _menu(page, "Sign-off")
    still = {c: d for c, d in kept.items() if c != gone_case}
    met_now = sum(v4[c] == d for c, d in still.items())
    summary = page.get_by_test_id("stMarkdown").filter(has_text="Expectations (round agreements").first
    expect(summary).to_contain_text(f"{met_now} of {len(still)} met")
    expect(summary).to_contain_text("; 1 retired, not counted")
    apart = page.get_by_text("Retired, not counted", exact=False).first
    apart.scroll_into_view_if_needed()
    screenshot(page, "signoff-expectations")
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stException")).to_have_count(0)
