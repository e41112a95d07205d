"""AppTest of the Inbox page (pages/8_Inbox.py) and the report form in every sidebar."""

from feedback.store.database import FeedbackStore
from feedback.store.records import add_feedback, list_feedback
from tests.app.apptest import open_app, select_row
from tests.helpers import make_draft

PAGE = "pages/8_Inbox.py"
KNOWN = {"v1", "v2", "v3"}


def _fill_store(db):
    store = FeedbackStore(f"sqlite:///{db}")
    add_feedback(store, make_draft(iteration="v2", verdict="agree", comment="fine by me", categories=()), KNOWN)
    add_feedback(store, make_draft(iteration="v3", case_id="A0012", comment="Duration is overweighted"), KNOWN)
    return store


def test_filter_and_search(app_env):
    _fill_store(app_env)
    at = open_app(PAGE)
    assert not at.exception
    assert at.header[0].value == "2 entries"
    at.multiselect(key="inbox_iterations").select("v3").run()
    assert list(at.dataframe(key="inbox_table").value["Case"]) == ["A0012"]
    at.multiselect(key="inbox_iterations").unselect("v3").run()
    at.text_input(key="inbox_text").input("FINE").run()
    assert list(at.dataframe(key="inbox_table").value["#"]) == [1]


def test_bulk_triage_as_a_data_scientist(app_env):
    store = _fill_store(app_env)
    at = open_app(PAGE, user=("Dana", "data scientist"))
    at.session_state["inbox_table"] = {"selection": {"rows": [0, 1], "columns": [], "cells": []}}
    at.run()
    at.selectbox(key="triage_status").set_value("triaged")
    next(b for b in at.form_submit_button if b.label == "Apply").click().run()
    assert not at.exception
    assert at.success[0].value == "2 entries now triaged."
    assert {f.triage_status for f in list_feedback(store, "credit")} == {"triaged"}


def test_a_reviewer_cannot_triage(app_env):
    store = _fill_store(app_env)
    at = open_app(PAGE, user=("Rita", "risk"))
    select_row(at, "inbox_table", 0)
    at.selectbox(key="triage_status").set_value("rejected")
    at.text_area(key="triage_note").input("no")
    next(b for b in at.form_submit_button if b.label == "Apply").click().run()
    assert "A risk cannot triage feedback" in at.error[0].value
    assert {f.triage_status for f in list_feedback(store, "credit")} == {"new"}


def test_one_selected_entry_shows_what_was_shown_and_links_to_the_case(app_env):
    _fill_store(app_env)
    at = open_app(PAGE)
    select_row(at, "inbox_table", 0)
    assert at.subheader[0].value == "#2 on A0012 (v3)"
    assert at.dataframe[1].value["Reasons shown"].tolist() == [
        "Loan duration: 48 months",
        "Checking account: low balance",
    ]
    [link] = [el for el in at.main.get("page_link") if el.proto.label == "Open A0012 in v3"]
    assert link.proto.query_string == "use_case=credit&iteration=v3&case=A0012"


def test_exports_follow_the_filters(app_env):
    _fill_store(app_env)
    at = open_app(PAGE)
    at.multiselect(key="inbox_verdicts").select("disagree").run()
    buttons = {b.proto.label: b for b in at.get("download_button")}
    assert set(buttons) == {"CSV", "JSON", "JSON lines (to move to another store)"}
    assert at.header[0].value == "1 entry"


def test_reporting_a_problem_from_any_page(app_env):
    at = open_app("pages/1_Explore.py", user=("Ann", "business user"))
    at.sidebar.selectbox(key="report_kind").set_value("slowness")
    at.sidebar.text_area(key="report_comment").input("The table is slow to filter")
    at.sidebar.form_submit_button[0].click().run()
    assert at.sidebar.success[0].value == "Thank you — sent from the Explore page."
    at.switch_page(PAGE).run()
    reports = at.dataframe[-1].value
    assert reports.iloc[0][["Page", "Kind", "Comment"]].tolist() == [
        "Explore",
        "slowness",
        "The table is slow to filter",
    ]


def test_demo_mode_is_visible_on_every_page(app_env):
    at = open_app()
    for page in [
        "app.py",
        "pages/1_Explore.py",
        "pages/3_Compare.py",
        "pages/4_Iterations.py",
        "pages/6_Goals.py",
        "pages/7_Outcomes.py",
        PAGE,
        "pages/9_Fairness.py",
        "pages/10_Monitoring.py",
    ]:
        at.switch_page(page).run()
        assert not at.exception, page
        assert "Demo mode" in at.sidebar.warning[0].value, page


def test_the_import_is_offered_only_to_the_roles_that_may_import(app_env):
    _fill_store(app_env)
    business = open_app(PAGE, user=("Bo", "business user"))
    assert not business.exception and business.get("file_uploader") == []
    assert any(
        "Importing feedback from another store is for: admin, data scientist" in c.value for c in business.caption
    )
    scientist = open_app(PAGE, user=("Dana", "data scientist"))
    assert len(scientist.get("file_uploader")) == 1


def test_triage_on_what_the_page_showed_is_refused_if_someone_changed_it_meanwhile(app_env):
    from feedback.access import Actor
    from feedback.store.triage import triage_feedback

    store = _fill_store(app_env)
    at = open_app(PAGE, user=("Dana", "data scientist"))
    select_row(at, "inbox_table", 0)  # the page shows #2 as new
    triage_feedback(store, [2], "accepted", Actor("Ada Admin", "admin"))  # another person, meanwhile
    at.selectbox(key="triage_status").set_value("rejected")
    at.text_area(key="triage_note").input("not a bug")
    next(b for b in at.form_submit_button if b.label == "Apply").click().run()
    assert not at.exception
    assert "#2 was changed by Ada Admin meanwhile (now accepted, you saw new)" in at.error[0].value
    assert {f.id: f.triage_status for f in list_feedback(store, "credit")} == {1: "new", 2: "accepted"}
