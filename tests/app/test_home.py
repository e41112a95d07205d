"""AppTest of the home page (app.py)."""

import shutil

import pytest

from demo_models.iterations.registry import MODEL_FILE, SCORES_FILE
from feedback.store.database import FeedbackStore
from feedback.store.goals import current_criteria, save_criterion
from feedback.store.records import add_feedback
from tests.app.apptest import open_app, tables_with
from tests.helpers import CRITERION_SPECS, make_criterion, make_draft


def test_home_shows_use_case_iterations_and_counts(app_env):
    add_feedback(FeedbackStore(f"sqlite:///{app_env}"), make_draft(iteration="v2"), {"v2"})
    at = open_app()
    assert not at.exception
    assert at.title[0].value == "Involve"
    assert [m.value for m in at.metric[:3]] == ["300", "3", "1"]
    assert at.subheader[0].value == "Selected iteration: v3"
    table = at.dataframe[0].value
    assert list(table["Version"]) == ["v3", "v2", "v1"]
    assert list(table["Feedback"]) == [0, 1, 0]
    assert "probability of **default** for an applicant" in at.info[0].value


def test_iteration_choice_persists_across_pages(app_env):
    at = open_app()
    at.sidebar.selectbox(key="_pick_iteration").select("v1").run()
    assert at.subheader[0].value == "Selected iteration: v1"
    assert at.query_params["iteration"] == "v1"
    at.switch_page("pages/1_Explore.py").run()
    assert not at.exception
    assert "iteration **v1**" in at.caption[0].value
    at.switch_page("app.py").run()
    assert at.subheader[0].value == "Selected iteration: v1"


def test_unknown_iteration_in_the_url_gets_a_clear_message(app_env):
    at = open_app(iteration="v9")
    assert not at.exception
    assert "There is no iteration 'v9'" in at.error[0].value
    assert "available: v1, v2, v3" in at.error[0].value
    assert at.subheader[0].value == "Selected iteration: v3"


def test_unknown_iteration_in_the_session_gets_a_clear_message(app_env):
    at = open_app()
    at.session_state["iteration"] = "v42"
    at.run()
    assert not at.exception
    assert "'v42' you had picked is no longer available" in at.warning[0].value


def test_a_store_that_is_not_a_database_is_reported_and_the_app_still_works(app_env):
    app_env.write_bytes(b"not a database" * 100)
    at = open_app()
    assert not at.exception
    assert "not a database file" in at.sidebar.error[0].value
    assert at.metric[2].value == "unavailable"
    at.switch_page("pages/1_Explore.py").run()
    assert not at.exception
    assert app_env.read_bytes() == b"not a database" * 100


def test_with_login_configured_the_app_asks_to_log_in_and_leaves_demo_mode(app_env):
    at = open_app(user=None)
    at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "x" * 32,
        "client_id": "involve",
        "client_secret": "s",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
    }
    at.run()
    assert not at.exception
    assert at.info[0].value == "Log in to use Involve."
    assert at.sidebar.button[0].label == "Log in"
    assert not [w for w in at.sidebar.warning if "Demo mode" in w.value]


def _judged_by_the_model(registry_dir, criteria) -> list[str]:
    from demo_models.iterations.registry import load_iteration
    from demo_models.iterations.scoring import ScoredIteration
    from demo_models.presentation.report_inputs import evaluate_criteria, verdict

    return [
        verdict(r)
        for r in evaluate_criteria(ScoredIteration(load_iteration("credit", "v3", registry_dir)), criteria, None)
    ]


@pytest.mark.parametrize("removed", [MODEL_FILE, SCORES_FILE])
def test_home_judges_the_iteration_from_its_stored_scores_or_else_its_model(
    app_env, registry_dir, tmp_path, monkeypatch, removed
):
    store = FeedbackStore(f"sqlite:///{app_env}")
    criteria = [
        make_criterion(target=0.55),
        make_criterion(metric="disparate_impact_ratio", target=0.8, attribute="sex"),
        make_criterion(metric="roc_auc", target=0.75),
    ]
    for criterion in criteria:
        save_criterion(store, criterion, ("sex", "age"), specs=CRITERION_SPECS)
    expected = _judged_by_the_model(registry_dir, current_criteria(store, "credit"))
    registry = tmp_path / "registry"
    shutil.copytree(registry_dir, registry)
    (registry / "credit" / "v3" / removed).unlink()  # no model: Home needs none; no scores: it loads the model
    monkeypatch.setenv("INVOLVE_REGISTRY_DIR", str(registry))
    at = open_app()
    assert not at.exception
    [scorecard] = tables_with(at, "Owner")
    assert (
        list(scorecard["v3"]) == expected and len(expected) == 3 and not any(c.startswith("no value") for c in expected)
    )
