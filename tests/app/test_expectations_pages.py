"""AppTest of expectations on the pages: pinning a case on Explore, retiring one on Reviews, and "vN meets X of
Y expectations" on Home and Compare (with "—" while there is none)."""

from __future__ import annotations

from demo_models.formats import UNDEFINED
from feedback.access import Actor, demo_subject
from feedback.store.database import FeedbackStore
from feedback.store.expectations import list_expectations, list_retirements, save_pinned
from feedback.store.goals import save_criterion
from pages._ui.scorecard import EXPECTATIONS_ROW
from pages._ui.text import plain
from tests.app.apptest import open_app, select_row, tables_with
from tests.helpers import CRITERION_SPECS, make_criterion

DECISIONS = ("approve", "decline")
HOSTILE = "**bold** <b>tag</b> [link](https://x.example)"
OTHER = {"approve": "decline", "decline": "approve"}


def _store(db) -> FeedbackStore:
    return FeedbackStore(f"sqlite:///{db}")


def _pin(store, case_id: str, decision: str, reason: str = "Known good customer"):
    return save_pinned(store, Actor("Cy Judge", "risk"), "credit", case_id, "v3", decision, reason, decisions=DECISIONS)


def _texts(at) -> str:
    return "\n".join(m.value for m in [*at.markdown, *at.caption, *at.success, *at.error])


def _expected_met(at, version: str) -> str:
    [metric] = [m for m in at.metric if m.label == f"Expectations met: {version}"]
    return metric.value


def test_a_case_is_pinned_on_explore_by_its_author_with_the_reason_escaped(app_env, scored):
    at = open_app("pages/1_Explore.py", user=("Cy Judge", "risk"))
    select_row(at, "cases", 0)
    case_id = at.session_state["case_id"]
    assert "No expectation on this applicant yet." in _texts(at)
    at.radio(key="pin_decision").set_value("approve")
    [submit] = [b for b in at.form_submit_button if b.form_id.startswith("pin_")]
    submit.click().run()  # no reason: refused, nothing kept
    assert "Say why" in _texts(at) and list_expectations(_store(app_env), "credit") == []
    at.text_area(key="pin_reason").input(HOSTILE)
    [submit] = [b for b in at.form_submit_button if b.form_id.startswith("pin_")]
    submit.click().run()
    assert not at.exception
    [pinned] = list_expectations(_store(app_env), "credit")
    assert (pinned.case_id, pinned.expected_decision, pinned.source, pinned.iteration) == (
        case_id,
        "approve",
        "pinned",
        "v3",
    )
    assert (pinned.author_subject, pinned.author_name, pinned.reason) == (demo_subject("Cy Judge"), "Cy Judge", HOSTILE)
    [said] = [s.value for s in at.success if s.value.startswith("Pinned")]
    assert "should be approved" in said and f"({plain(HOSTILE)})" in said and "\\*\\*bold\\*\\*" in said
    [shown] = [i.value for i in at.info if i.value.startswith("Expected:")]  # the pin just saved
    assert (
        shown
        == f"Expected: this applicant should be **approved** (pinned from Explore by Cy Judge on v3): {plain(HOSTILE)}"
    )
    assert "No expectation on this applicant yet." not in _texts(at)


def test_a_business_user_cannot_pin(app_env):
    at = open_app("pages/1_Explore.py", user=("Bea Teller", "business user"))
    select_row(at, "cases", 0)
    assert not [b for b in at.form_submit_button if b.form_id.startswith("pin_")]
    assert "A case is pinned as an expectation by: admin, data scientist, risk, compliance." in _texts(at)


def test_home_shows_no_expectations_as_undefined_and_then_what_the_iteration_meets(app_env, scored):
    at = open_app()
    assert not at.exception and _expected_met(at, "v3") == UNDEFINED
    assert "No expectations yet" in _texts(at)
    model = scored["v3"].decisions()
    kept, broken = model.index[:2], model.index[2]
    for case in kept:
        _pin(_store(app_env), case, model[case])
    _pin(_store(app_env), broken, OTHER[model[broken]], HOSTILE)
    at = open_app()
    assert not at.exception and _expected_met(at, "v3") == "2 of 3"
    assert f"v3 meets 2 of 3 expectations (66.7%); 1 now contradict what reviewers agreed: {broken}" in _texts(at)
    [table] = tables_with(at, "Expected")  # the broken ones
    assert list(table["Applicant"]) == [broken] and list(table["Why expected"]) == [HOSTILE]
    assert list(table["From"]) == ["pinned from Explore by Cy Judge on v3"]
    assert list(table["Source"]) == ["pinned from Explore"]
    [each] = tables_with(at, "Met")  # every expectation checked, with its source and author
    assert sorted(zip(each["Applicant"], each["Met"])) == sorted(
        [(kept[0], "met"), (kept[1], "met"), (broken, "broken")]
    )
    assert set(each["Source"]) == {"pinned from Explore"} and set(each["By"]) == {"Cy Judge"}


def test_compare_checks_both_iterations_against_the_same_expectations(app_env, scored):
    at = open_app("pages/3_Compare.py")
    assert (_expected_met(at, "v2"), _expected_met(at, "v3")) == (UNDEFINED, UNDEFINED)
    cases = scored["v3"].decisions().index[:40]
    store = _store(app_env)
    for case in cases:  # what v3 decides: v3 meets every one, v2 those it decides the same way
        _pin(store, case, scored["v3"].decisions()[case])
    at = open_app("pages/3_Compare.py")
    assert not at.exception
    same = int((scored["v2"].decisions()[cases] == scored["v3"].decisions()[cases]).sum())
    assert 0 < same < 40  # the check can fail both ways
    assert (_expected_met(at, "v2"), _expected_met(at, "v3")) == (f"{same} of 40", "40 of 40")
    assert f"v2 meets {same} of 40 expectations" in _texts(at) and "v3 meets 40 of 40 expectations" in _texts(at)
    save_criterion(store, make_criterion(), specs=CRITERION_SPECS)
    at = open_app("pages/3_Compare.py")
    [scorecard] = tables_with(at, "Owner")  # the goal scorecard gains the expectations each iteration meets
    assert list(scorecard.loc[EXPECTATIONS_ROW, ["v2", "v3"]]) == [f"{same} of 40", "40 of 40"]


def test_a_data_scientist_retires_an_expectation_with_a_reason_and_it_is_kept(app_env, scored):
    model = scored["v3"].decisions()
    case = model.index[0]
    pinned = _pin(_store(app_env), case, OTHER[model[case]])
    page = "pages/13_Reviews.py"
    risk = open_app(page, user=("Cy Judge", "risk"))
    assert not [b for b in risk.form_submit_button if b.form_id == "retire_expectation"]
    assert "An expectation is retired by: admin, data scientist." in _texts(risk)

    dee = open_app(page, user=("Dee", "data scientist"))
    [row] = tables_with(dee, "Broken cases")
    assert row.iloc[0]["Met"] == "0 of 1"
    dee.selectbox(key="retire_which").select(pinned.id)
    [submit] = [b for b in dee.form_submit_button if b.form_id == "retire_expectation"]
    submit.click().run()  # without a reason: refused
    assert "Say why" in _texts(dee) and list_retirements(_store(app_env), "credit") == []
    dee.text_area(key="retire_reason").input(HOSTILE)
    [submit] = [b for b in dee.form_submit_button if b.form_id == "retire_expectation"]
    submit.click().run()
    assert not dee.exception
    [done] = list_retirements(_store(app_env), "credit")
    assert (done.expectation_id, done.actor_subject, done.reason) == (pinned.id, demo_subject("Dee"), HOSTILE)
    assert list_expectations(_store(app_env), "credit") == []  # no longer counts
    assert "No expectation yet" in _texts(dee)
    [history] = tables_with(dee, "Why retired")
    assert list(history["Why retired"]) == [HOSTILE] and list(history["Retired by"]) == ["Dee (data scientist)"]
    assert list(history["Was expected"]) == [{"approve": "approved", "decline": "declined"}[pinned.expected_decision]]
    home = open_app()
    assert _expected_met(home, "v3") == UNDEFINED
    [apart] = tables_with(home, "Why retired")  # listed apart on Home, not counted
    assert list(apart["Why retired"]) == [HOSTILE] and list(apart["Retired by"]) == ["Dee (data scientist)"]
    assert (list(apart["Source"]), list(apart["By"])) == (["pinned from Explore"], ["Cy Judge"])
