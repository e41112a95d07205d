"""Models brought from XGBoost, CatBoost, a raw LightGBM Booster and a scikit-learn forest work on every page."""

from __future__ import annotations

import shutil

import pytest

from demo_models.examples.zoo import TARGET, booster_frame, fit_family, make_zoo_data
from demo_models.iterations.registry import load_iteration, register_iteration
from demo_models.iterations.scoring import ScoredIteration
from tests.app.apptest import decode, open_app, plotly_figures, select_row

pytest.importorskip("xgboost")
pytest.importorskip("catboost")

PAGES = [
    "pages/1_Explore.py",
    "pages/2_What_if.py",
    "pages/3_Compare.py",
    "pages/4_Iterations.py",
    "pages/6_Goals.py",
    "pages/7_Outcomes.py",
    "pages/8_Inbox.py",
    "pages/9_Fairness.py",
    "pages/10_Monitoring.py",
    "pages/5_Sign_off.py",
    "pages/11_Notices.py",
    "pages/12_Guide.py",
]
#: zoo/v1 .. v5 in lineage order: a forest, XGBoost, CatBoost, a raw XGBoost Booster, a raw LightGBM Booster.
ZOO = [
    ("v1", "random forest"),
    ("v2", "xgboost"),
    ("v3", "catboost"),
    ("v4", "xgboost booster"),
    ("v5", "lightgbm booster"),
]


@pytest.fixture(scope="module")
def zoo_registry(registry_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("zoo-pages") / "registry"
    shutil.copytree(registry_dir, root)
    parent = None
    for version, family in ZOO:
        frame = make_zoo_data(200)
        frame = booster_frame(frame) if family.endswith("booster") else frame
        register_iteration(
            fit_family(family, frame),
            frame,
            use_case="zoo",
            version=version,
            target=TARGET,
            author="Dana",
            parent=parent,
            positive_class="churn",
            registry_dir=root,
        )
        parent = version
    return root


@pytest.mark.parametrize(("version", "family"), ZOO)
def test_every_page_works_on_each_native_family(app_env, zoo_registry, monkeypatch, version, family):
    monkeypatch.setenv("INVOLVE_REGISTRY_DIR", str(zoo_registry))
    at = open_app(use_case="zoo", iteration=version)
    assert not at.exception and at.subheader[0].value == f"Selected iteration: {version}"
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, (family, page)
        assert not at.error, (family, page, [e.value for e in at.error])
    at.switch_page("pages/1_Explore.py").run()
    select_row(at, "cases", 3)
    case_id = at.session_state["case_id"]
    expected = ScoredIteration(load_iteration("zoo", version, zoo_registry)).explain_case(case_id)
    x = decode(plotly_figures(at)["waterfall"].data[0].x)
    assert float(x[-1]) == pytest.approx(expected.output)
