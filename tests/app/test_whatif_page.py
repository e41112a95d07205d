"""AppTest of the What-if page (pages/2_What_if.py)."""

import json
import shutil
import sqlite3

import numpy as np
import pytest
from scipy.special import expit

from demo_models.explanations.whatif import edited_row
from demo_models.iterations.registry import load_iteration
from demo_models.iterations.scoring import ScoredIteration
from tests.app.apptest import decode, open_app, plotly_figures
from tests.missing_model import USE_CASE, register_missing_model

PAGE = "pages/2_What_if.py"


def _case(at):
    return at.selectbox(key="whatif_case").value


NOW, WITH_CHANGES, DECISION = "now", "with your changes", "Decision"


def _metric(at, which: str):
    """The one metric of the case as it is (NOW), of the edited case (WITH_CHANGES) or the edited decision."""

    def kind(label: str) -> str:
        return DECISION if label == DECISION else NOW if label.endswith(", now") else WITH_CHANGES

    [metric] = [m for m in at.metric if kind(m.label) == which]
    return metric


def test_editing_an_input_rescores_and_reexplains_next_to_the_original(app_env, scored):
    at = open_app(PAGE)
    assert not at.exception
    case_id = _case(at)
    at.number_input(key=f"whatif_{case_id}_duration").set_value(6).run()
    it = scored["v3"]
    original = it.features.loc[[case_id]]
    expected = it.explain_raw(edited_row(original, {"duration": 6}))
    assert _metric(at, NOW).value == f"{it.scores[case_id]:.1%}"
    assert _metric(at, WITH_CHANGES).value == f"{expected.score:.1%}"
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
    assert _metric(at, DECISION).value == "Approve"


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


# --- missing inputs stay missing -----------------------------------------------------------------


@pytest.fixture(scope="module")
def missing_registry(registry_dir, tmp_path_factory):
    """The built-in registry plus retention/v1, whose cases have missing fees and payment methods."""
    root = tmp_path_factory.mktemp("missing") / "registry"
    shutil.copytree(registry_dir, root)
    register_missing_model(root)
    return root


@pytest.fixture
def missing_env(app_env, missing_registry, monkeypatch):
    monkeypatch.setenv("INVOLVE_REGISTRY_DIR", str(missing_registry))
    return app_env


def _open_case_with_missing(column, registry):
    it = ScoredIteration(load_iteration(USE_CASE, "v1", registry))
    case_id = it.features.index[it.features[column].isna()][0]
    at = open_app(PAGE, use_case=USE_CASE)
    at.selectbox(key="whatif_case").set_value(case_id).run()
    assert not at.exception
    return at, it, case_id


def _score_shown(at):
    """The edited case's probability, from the waterfall's end (log-odds), to full precision."""
    return float(expit(float(decode(plotly_figures(at)["whatif_after"].data[0].x)[-1])))


@pytest.mark.parametrize(
    "column, shown, other, new",
    [("monthly_fee", None, "tenure_months", 30), ("payment", "(missing)", "contract", "two years")],
)
def test_editing_another_input_keeps_the_missing_value_and_scores_exactly_that_row(
    missing_env, missing_registry, column, shown, other, new
):
    at, it, case_id = _open_case_with_missing(column, missing_registry)
    key = f"whatif_{case_id}_{column}"
    widget = at.number_input(key=key) if shown is None else at.selectbox(key=key)
    assert widget.value == shown  # missing is shown as missing, not as a value
    other_key = f"whatif_{case_id}_{other}"
    edit = at.number_input(key=other_key) if isinstance(new, int) else at.selectbox(key=other_key)
    edit.set_value(new).run()
    assert not at.exception
    assert (at.number_input(key=key) if shown is None else at.selectbox(key=key)).value == shown
    expected = it.features.loc[[case_id]].copy()
    expected[other] = new  # the case with exactly that one edit, its missing value untouched
    proba = it.iteration.model.predict_proba(expected)[0, 1]
    assert _score_shown(at) == pytest.approx(proba, rel=1e-9)
    assert _metric(at, WITH_CHANGES).value == f"{proba:.1%}"
    changed = at.markdown[0].value
    assert changed.startswith("Changed: ") and changed.count("→") == 1
    at.radio(key="fb_verdict_0").set_value("agree")
    at.form_submit_button[0].click().run()
    assert at.success[-1].value.startswith("Thank you")
    [(what_if,)] = sqlite3.connect(missing_env).execute("SELECT what_if FROM feedback").fetchall()
    assert json.loads(what_if) == {other: [str(it.features.loc[case_id, other]), str(new)]}


def test_missing_can_be_chosen_in_a_number_and_in_a_category(missing_env, missing_registry):
    it = ScoredIteration(load_iteration(USE_CASE, "v1", missing_registry))
    complete = it.features[it.features.notna().all(axis=1)]
    case_id = complete.index[0]
    at = open_app(PAGE, use_case=USE_CASE)
    at.selectbox(key="whatif_case").set_value(case_id).run()
    assert at.selectbox(key=f"whatif_{case_id}_payment").options[-1] == "missing"  # the option, as shown
    at.number_input(key=f"whatif_{case_id}_monthly_fee").set_value(None)
    at.selectbox(key=f"whatif_{case_id}_payment").set_value("(missing)").run()
    assert not at.exception
    expected = complete.loc[[case_id]].copy()
    expected["monthly_fee"], expected["payment"] = np.nan, np.nan
    assert _score_shown(at) == pytest.approx(it.iteration.model.predict_proba(expected)[0, 1], rel=1e-9)
    assert "→ missing" in at.markdown[0].value
    at.radio(key="fb_verdict_0").set_value("disagree")
    at.form_submit_button[0].click().run()
    [(what_if,)] = sqlite3.connect(missing_env).execute("SELECT what_if FROM feedback").fetchall()
    assert json.loads(what_if) == {
        "monthly_fee": [str(complete.loc[case_id, "monthly_fee"]), None],
        "payment": [complete.loc[case_id, "payment"], None],
    }


def test_the_feedback_categories_offer_no_select_all(app_env):
    at = open_app(PAGE)
    categories = at.multiselect(key="fb_categories_0")
    assert categories.proto.select_all == 0  # Streamlit's default (1000) shows "Select all" under 1,000 options
    categories.select("wrong prediction").select("missing factor")
    at.radio(key="fb_verdict_0").set_value("disagree")
    at.form_submit_button[0].click().run()
    [(stored,)] = sqlite3.connect(app_env).execute("SELECT categories FROM feedback").fetchall()
    assert json.loads(stored) == ["wrong prediction", "missing factor"]


def test_an_unchanged_case_shows_no_arrow_and_a_flip_names_the_decision_it_replaces(app_env):
    """'+0.0 points' with a red up arrow on an untouched case read as the risk going up."""
    at = open_app(PAGE)
    assert _metric(at, WITH_CHANGES).proto.delta == "no change" and _metric(at, DECISION).proto.delta == "unchanged"
    at.button(key="whatif_suggest").click().run()
    at.button(key="whatif_apply").click().run()
    assert _metric(at, DECISION).proto.delta == "changed from decline"
    assert _metric(at, WITH_CHANGES).proto.delta.startswith("-")


# --- the case as it is, beside the fragment; the tables only when opened ------------------------------


def _end_of(at, key: str) -> float:
    """Where a waterfall ends (the case's log-odds)."""
    return float(decode(plotly_figures(at)[key].data[0].x)[-1])


def test_the_case_as_it_is_is_drawn_beside_the_edits_and_stays_as_it_is(app_env, scored):
    """Score, decision notice and waterfall of the case as it is come from the stored explanation and do not
    move when an input does; the edited case's score and waterfall do."""
    at = open_app(PAGE)
    case_id = _case(at)
    it = scored["v3"]
    stored = it.explain_case(case_id)
    assert {"Inputs", "With your changes", "As it is"} <= {h.value for h in at.header}
    notices = {b.proto.label for b in at.get("download_button")}
    assert {"Decision notice (PDF)", "Decision notice (text)"} <= notices  # A0002 is declined by v3
    for edit in (None, 6, 7):
        if edit is not None:
            at.number_input(key=f"whatif_{case_id}_duration").set_value(edit).run()
        assert not at.exception
        assert _metric(at, NOW).value == f"{it.scores[case_id]:.1%}"
        assert _end_of(at, "whatif_before") == pytest.approx(stored.output)
        assert {b.proto.label for b in at.get("download_button")} == notices  # still the case as it is
        expected = it.explain_raw(edited_row(it.features.loc[[case_id]], {"duration": edit})) if edit else stored
        assert _end_of(at, "whatif_after") == pytest.approx(expected.output)
        assert _metric(at, WITH_CHANGES).value == f"{expected.score:.1%}"
    assert _end_of(at, "whatif_after") != pytest.approx(_end_of(at, "whatif_before"))


def test_a_waterfall_s_table_is_made_when_it_is_opened_and_follows_the_edits(app_env, scored):
    at = open_app(PAGE)
    case_id = _case(at)
    assert len(at.dataframe) == 0  # both tables closed: not made, not sent
    assert [e.label for e in at.expander].count("Chart as a table") == 2
    at.session_state["whatif_after_as_table"] = True  # what opening the expander does
    at.session_state["whatif_before_as_table"] = True
    at.run()
    at.number_input(key=f"whatif_{case_id}_duration").set_value(6).run()
    assert not at.exception
    it = scored["v3"]
    edited = it.explain_raw(edited_row(it.features.loc[[case_id]], {"duration": 6}))
    after, before = at.dataframe  # the edited case's (beside the inputs), then the case as it is
    for shown, explanation in ((after, edited), (before, it.explain_case(case_id))):
        table = shown.value
        assert float(table.iloc[-1, -1]) == pytest.approx(explanation.output, abs=0.005)  # "+1.23", to 2 places
