"""AppTest of the What-if page (pages/9_What_if.py)."""

import json
import sqlite3

import pytest

from demo_models.whatif import edited_row
from tests.app.apptest import decode, open_app, plotly_figures

PAGE = "pages/9_What_if.py"


def _case(at):
    return at.selectbox(key="whatif_case").value


def test_editing_an_input_rescores_and_reexplains_next_to_the_original(app_env, scored):
    at = open_app(PAGE)
    assert not at.exception
    case_id = _case(at)
    at.number_input(key=f"whatif_{case_id}_duration").set_value(6).run()
    it = scored["v3"]
    original = it.features.loc[[case_id]]
    expected = it.explain_raw(edited_row(original, {"duration": 6}))
    assert at.metric[0].value == f"{it.scores[case_id]:.1%}"
    assert at.metric[1].value == f"{expected.score:.1%}"
    figures = plotly_figures(at)
    assert float(decode(figures["whatif_after"].data[0].x)[-1]) == pytest.approx(expected.output)
    before = int(original.iloc[0]["duration"])
    assert f"Loan duration {before} months → 6 months" in at.markdown[0].value.replace("\\", "")


def test_trying_the_suggestion_flips_the_decision(app_env, scored):
    at = open_app(PAGE)
    case_id = _case(at)
    it = scored["v3"]
    assert it.scores[case_id] >= it.threshold  # the first case (A0002) is declined by v3
    at.button(key="whatif_suggest").click().run()
    assert "would be approved" in at.success[0].value
    at.button(key="whatif_apply").click().run()
    assert at.metric[2].value == "Approve"


def test_feedback_on_a_what_if_records_the_edits(app_env):
    at = open_app(PAGE)
    case_id = _case(at)
    at.number_input(key=f"whatif_{case_id}_credit_amount").set_value(1000).run()
    at.radio(key="fb_verdict_0").set_value("agree")
    at.form_submit_button[0].click().run()
    assert not at.exception
    assert at.success[-1].value.startswith("Thank you")
    [(stored_case, what_if)] = sqlite3.connect(app_env).execute("SELECT case_id, what_if FROM feedback").fetchall()
    assert stored_case == case_id
    assert json.loads(what_if)["credit_amount"][1] == "1000"
