"""A brought use case whose positive class is the good outcome, on every page (AppTest)."""

import shutil

import pytest

from demo_models.iterations.registry import load_iteration
from demo_models.iterations.scoring import ScoredIteration
from demo_models.metrics.fairness import GAP_METRICS, fairness_gaps
from pages._ui.navigation import PAGES
from tests.app.apptest import open_app
from tests.helpers import register_approvals


@pytest.fixture(scope="module")
def loans_registry(registry_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("loans") / "registry"
    shutil.copytree(registry_dir, root)
    register_approvals(root)
    return root


@pytest.fixture
def loans_env(app_env, loans_registry, monkeypatch):
    monkeypatch.setenv("INVOLVE_REGISTRY_DIR", str(loans_registry))
    return app_env


def test_fairness_page_names_the_favourable_decision_and_shows_fairlearns_gaps(loans_env, loans_registry):
    at = open_app("pages/9_Fairness.py", use_case="loans")
    assert not at.exception
    scored = ScoredIteration(load_iteration("loans", "v1", loans_registry))
    favourable = scored.use_case.favourable_decision
    assert favourable == scored.use_case.positive_decision
    assert any(f"The favourable decision is “{favourable}”" in c.value for c in at.caption)
    gaps = at.dataframe[1].value["value"]
    expected = fairness_gaps(scored, "region")
    for key, label in GAP_METRICS.items():
        assert gaps[label] == pytest.approx(expected[key])


def test_every_page_runs_on_a_use_case_whose_positive_class_is_favourable(loans_env):
    at = open_app(use_case="loans")
    for script, label, _icon in PAGES:
        at.switch_page(script).run()
        assert not at.exception, (label, at.exception)
        assert not [e.value for e in at.error], (label, [e.value for e in at.error])
