"""A model brought from outside (the churn example script) works on every page."""

import shutil

import numpy as np
import pytest

from demo_models.examples.churn import main as register_churn
from demo_models.iterations.registry import list_iterations, load_iteration
from demo_models.iterations.scoring import ScoredIteration
from tests.app.apptest import decode, open_app, plotly_figures, select_row


@pytest.fixture(scope="module")
def churn_registry(registry_dir, tmp_path_factory):
    """A copy of the built-in registry plus the churn iterations, registered by the example script."""
    root = tmp_path_factory.mktemp("churn") / "registry"
    shutil.copytree(registry_dir, root)
    register_churn(rows=1500, registry_dir=root)
    return root


@pytest.fixture
def churn_env(app_env, churn_registry, monkeypatch):
    monkeypatch.setenv("INVOLVE_REGISTRY_DIR", str(churn_registry))
    return app_env


def test_the_script_registers_two_iterations_with_missing_values(churn_registry):
    cards = list_iterations("churn", churn_registry)
    assert [(c.version, c.model_type) for c in cards] == [
        ("v1", "LogisticRegression"),
        ("v2", "HistGradientBoostingClassifier"),
    ]
    it = load_iteration("churn", "v2", churn_registry)
    assert it.eval_data["monthly_fee"].isna().any()
    scored = ScoredIteration(it)
    attribution = scored.explainer.explain(it.features)
    proba = it.model.predict_proba(it.features)[:, 1]
    np.testing.assert_allclose(attribution.scores, proba, atol=1e-6)
    assert set(attribution.columns) == {
        "contract",
        "payment",
        "region",
        "tenure_months",
        "monthly_fee",
        "support_calls",
    }


def test_every_page_works_on_the_brought_model(churn_env, churn_registry):
    at = open_app(use_case="churn")
    assert not at.exception
    assert at.header[0].value == "Churn" and at.subheader[0].value == "Selected iteration: v2"
    at.switch_page("pages/1_Explore.py").run()
    assert not at.exception and len(at.dataframe(key="cases").value) == 450
    select_row(at, "cases", 0)
    case_id = at.session_state["case_id"]
    expected = ScoredIteration(load_iteration("churn", "v2", churn_registry)).explain_case(case_id)
    x = decode(plotly_figures(at)["waterfall"].data[0].x)
    assert float(x[-1]) == pytest.approx(expected.output)
    assert at.header[0].value == f"Case {case_id}"
    at.switch_page("pages/3_Compare.py").run()
    assert not at.exception
    assert at.selectbox(key="compare_old").value == "v1" and at.selectbox(key="compare_new").value == "v2"
    at.switch_page("pages/4_Iterations.py").run()
    assert not at.exception
