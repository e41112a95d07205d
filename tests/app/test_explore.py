"""AppTest of the Explore page (pages/1_Explore.py): cases, one case's explanation, feedback."""

import sqlite3

import numpy as np
import pytest

from demo_models.iterations.registry import load_iteration
from demo_models.iterations.scoring import ScoredIteration
from tests.app.apptest import decode, open_app, plotly_figures, select_row

PAGE = "pages/1_Explore.py"


def _rows(db):
    return (
        sqlite3.connect(db)
        .execute("SELECT iteration, case_id, verdict, decision, score, threshold, reasons_shown, comment FROM feedback")
        .fetchall()
    )


def _fill(at, verdict="disagree", comment="Duration weighs too much"):
    if verdict:
        at.radio(key="fb_verdict_0").set_value(verdict)
    at.radio(key="fb_expected_0").set_value("an applicant who repays")
    at.multiselect(key="fb_categories_0").select("wrong prediction")
    at.feedback(key="fb_rating_0").set_value(1)
    at.text_area(key="fb_comment_0").input(comment)


@pytest.fixture
def explore(app_env):
    at = open_app(PAGE)
    assert not at.exception
    return at


def test_lists_every_evaluation_case_with_score_and_decision(explore, scored):
    table = explore.dataframe(key="cases").value
    assert len(table) == 300
    assert table["Score"].is_monotonic_decreasing
    expected = scored["v3"].scores
    assert np.allclose(table["Score"].to_numpy(), expected[table.index].to_numpy())
    assert (table["Decision"] == np.where(table["Score"] >= 0.4, "decline", "approve")).all()
    assert "Select a row" in explore.info[0].value


def test_filters_narrow_the_cases(explore):
    explore.pills(key="filter_decision").set_value(["decline"]).run()
    explore.slider(key="filter_score").set_value((0.5, 0.8)).run()
    table = explore.dataframe(key="cases").value
    assert len(table) > 0
    assert (table["Decision"] == "decline").all()
    assert table["Score"].between(0.5, 0.8).all()
    explore.selectbox(key="filter_sort").select("case id").run()
    assert list(explore.dataframe(key="cases").value.index) == sorted(table.index)


def test_selecting_a_case_shows_its_waterfall_and_reasons(explore, registry_dir):
    table = explore.dataframe(key="cases").value
    select_row(explore, "cases", 0)
    assert not explore.exception
    case_id = table.index[0]
    assert explore.header[0].value == f"Applicant {case_id}"
    expected = ScoredIteration(load_iteration("credit", "v3", registry_dir)).explain_case(case_id)
    assert explore.metric[0].value == f"{expected.score:.1%}"
    assert explore.metric[1].value == "Decline"
    figure = plotly_figures(explore)["waterfall"]
    x = np.asarray(decode(figure.data[0].x), dtype=float)
    assert x[0] == pytest.approx(expected.base_value) and x[-1] == pytest.approx(expected.output)
    assert x[0] + x[1:-1].sum() == pytest.approx(x[-1], abs=1e-9)
    assert len(x) == len(expected.contributions) + 2
    reasons = explore.markdown[0].value.replace("\\", "")
    assert reasons == "\n".join(f"{i}. {r.text}" for i, r in enumerate(expected.reasons, 1))
    assert explore.query_params["case"] == case_id


def test_v1_case_driven_by_a_protected_attribute_shows_a_fairness_warning(app_env, scored):
    case_id = next(c for c in scored["v1"].scores.index if scored["v1"].explain_case(c).protected_drivers)
    driver = scored["v1"].explain_case(case_id).protected_drivers[0]
    at = open_app(PAGE, iteration="v1", case=case_id)
    assert not at.exception
    assert at.header[0].value == f"Applicant {case_id}"
    warning = at.warning[0].value.replace("\\", "")
    assert f"protected attribute **{driver.text}** is among the top drivers" in warning
    assert driver.feature not in {r.feature for r in scored["v1"].explain_case(case_id).reasons}


def test_an_unknown_case_in_the_url_gets_a_clear_message(app_env):
    at = open_app(PAGE, case="Z0000")
    assert not at.exception
    assert "There is no case 'Z0000'" in at.error[0].value


def test_submitting_feedback_writes_exactly_one_row(explore, app_env, scored):
    select_row(explore, "cases", 0)
    case_id = explore.session_state["case_id"]
    _fill(explore)
    explore.form_submit_button[0].click().run()
    assert not explore.exception
    assert explore.success[0].value == f"Thank you — feedback #1 on {case_id} (v3) saved."
    [row] = _rows(app_env)
    case = scored["v3"].explain_case(case_id)
    assert row[:4] == ("v3", case_id, "disagree", "decline")
    assert row[4] == pytest.approx(case.score) and row[5] == 0.4
    assert row[6] == '["' + '", "'.join(r.text for r in case.reasons) + '"]'
    assert any("1 feedback entry" in m.value for m in explore.markdown), [m.value for m in explore.markdown]
    assert explore.text_area(key="fb_comment_1").value == ""  # a fresh form for the next entry
    assert sqlite3.connect(app_env).execute("SELECT reviewer_name, reviewer_role FROM feedback").fetchall() == [
        ("Ann Example", "data scientist")
    ]


def test_a_100kb_comment_is_refused_with_a_message_and_kept_in_the_form(explore, app_env):
    select_row(explore, "cases", 3)
    _fill(explore, comment="x" * 100_000)
    explore.form_submit_button[0].click().run()
    assert not explore.exception
    assert "Comment is 100,000 characters long; the limit is 2,000" in explore.error[0].value
    assert _rows(app_env) == []
    assert len(explore.text_area(key="fb_comment_0").value) == 100_000


def test_feedback_without_a_verdict_is_refused(explore, app_env):
    select_row(explore, "cases", 1)
    _fill(explore, verdict=None)
    explore.form_submit_button[0].click().run()
    assert "Verdict: choose one of agree, disagree, unsure" in explore.error[0].value
    assert _rows(app_env) == []


def test_feedback_needs_to_know_who_gives_it(app_env):
    at = open_app(PAGE, user=None)
    assert "Demo mode" in at.sidebar.warning[0].value
    select_row(at, "cases", 0)
    _fill(at)
    at.form_submit_button[0].click().run()
    assert "Your name is required" in at.error[0].value and "sidebar" in at.error[0].value
    assert _rows(app_env) == []
    at.sidebar.text_input(key="_identity_name").input("Late Larry").run()
    at.form_submit_button[0].click().run()
    assert at.success[0].value.startswith("Thank you")


def test_a_case_can_be_chosen_by_its_id_and_the_picker_follows_the_table(explore):
    """The keyboard path: a selectbox of case ids does what selecting a row does."""
    table = explore.dataframe(key="cases").value
    assert explore.selectbox(key="case_pick").value is None
    assert any("Shift+Space" in c.value for c in explore.caption)
    case_id = table.index[5]
    explore.selectbox(key="case_pick").select(case_id).run()
    assert not explore.exception
    assert explore.header[0].value == f"Applicant {case_id}"
    assert explore.query_params["case"] == case_id
    assert any(f"[Go to the feedback form on {case_id}](#feedback)" in m.value for m in explore.markdown)
    assert [h.value for h in explore.header][-1] == "Feedback"
    select_row(explore, "cases", 2)
    assert explore.header[0].value == f"Applicant {table.index[2]}"
    assert explore.selectbox(key="case_pick").value == table.index[2]


def test_every_chart_of_a_case_has_its_text_alternative(explore):
    select_row(explore, "cases", 0)
    captions = [c.value for c in explore.caption]
    assert any(c.startswith("From the average applicant") for c in captions)
    assert "Chart as a table" in [e.label for e in explore.expander]
