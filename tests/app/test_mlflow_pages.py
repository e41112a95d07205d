"""Two versions imported from a real MLflow registry show side by side on Compare."""

from __future__ import annotations

import shutil

import pytest
from sklearn.metrics import roc_auc_score

from demo_models.examples.zoo import TARGET
from demo_models.iterations import mlflow_import
from demo_models.iterations.registry import load_iteration
from demo_models.iterations.scoring import ScoredIteration
from tests.app.apptest import open_app, plotly_figures

pytest.importorskip("mlflow", reason='MLflow is not installed: pip install -e ".[mlflow]"')


@pytest.fixture(scope="module")
def imported_registry(registry_dir, mlflow_models, tmp_path_factory):
    root = tmp_path_factory.mktemp("mlflow-pages") / "registry"
    shutil.copytree(registry_dir, root)
    common = {"target": TARGET, "tracking_uri": mlflow_models.url, "registry_dir": root, "positive_class": "churn"}
    mlflow_import.register_iteration_from_mlflow(
        "models:/credit-risk@champion", eval_data=mlflow_models.eval_data, **common
    )
    mlflow_import.register_iteration_from_mlflow(
        "models:/credit-risk@candidate", eval_artifact="eval.parquet", **common
    )
    return root


def test_compare_shows_both_imported_versions(app_env, imported_registry, monkeypatch):
    monkeypatch.setenv("INVOLVE_REGISTRY_DIR", str(imported_registry))
    at = open_app("pages/3_Compare.py", use_case="credit-risk", iteration="v2")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.selectbox(key="compare_old").value == "v1" and at.selectbox(key="compare_new").value == "v2"
    scored = {v: ScoredIteration(load_iteration("credit-risk", v, imported_registry)) for v in ("v1", "v2")}
    metrics = at.dataframe[0].value
    labels = scored["v2"].iteration.labels
    for version in ("v1", "v2"):
        assert metrics.loc["ROC AUC", version] == pytest.approx(roc_auc_score(labels, scored[version].scores))
    assert [t.name for t in plotly_figures(at)["importance"].data] == ["v1", "v2"]
