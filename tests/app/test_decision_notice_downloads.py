"""AppTest: the decision notice downloads on Explore and What-if, for a declined case only."""

from tests.app.apptest import open_app, select_row

LABELS = {"Decision notice (PDF)", "Decision notice (text)"}


def _downloads(at) -> dict:
    return {b.proto.label: b.proto for b in at.get("download_button") if b.proto.label in LABELS}


def test_explore_offers_the_notice_of_a_declined_case_and_nothing_for_an_approved_one(app_env, scored):
    at = open_app("pages/1_Explore.py")
    table = at.dataframe(key="cases").value  # highest score first: the first declined, the last approved
    assert table["Decision"].iloc[0] == "decline" and table["Decision"].iloc[-1] == "approve"
    select_row(at, "cases", 0)
    assert not at.exception
    downloads = _downloads(at)
    assert set(downloads) == LABELS
    for button in downloads.values():  # made on the click (deferred), without a rerun
        assert button.deferred_file_id and button.ignore_rerun
    assert not any("No standard reason statement" in c.value for c in at.caption)  # credit has every statement
    select_row(at, "cases", len(table) - 1)
    assert not at.exception
    assert at.metric[1].value == "Approve" and _downloads(at) == {}


def test_what_if_offers_the_notice_of_the_case_as_it_is_when_declined(app_env, scored):
    decisions = scored["v3"].decisions()
    declined, approved = decisions[decisions == "decline"].index[0], decisions[decisions == "approve"].index[0]
    at = open_app("pages/2_What_if.py")
    at.selectbox(key="whatif_case").select(declined).run()
    assert not at.exception
    assert set(_downloads(at)) == LABELS
    at.selectbox(key="whatif_case").select(approved).run()
    assert not at.exception and _downloads(at) == {}
