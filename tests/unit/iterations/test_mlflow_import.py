"""Iterations imported from a real local MLflow tracking server (tests/mlflow_server.py): two versions by
alias and number with their tags, each data-only flavour, and every refusal with the registry unchanged."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import numpy as np
import pytest

from demo_models.examples.zoo import CATEGORICAL, TARGET, make_zoo_data
from demo_models.iterations import mlflow_import
from demo_models.iterations.registry import RegistryError, load_iteration, register_iteration
from demo_models.iterations.scoring import ScoredIteration
from demo_models.service.cli import main
from tests.helpers import free_port, snapshot_tree

pytest.importorskip("mlflow", reason='MLflow is not installed: pip install -e ".[mlflow]"')


def _import(models, uri: str, root: Path, **options):
    options.setdefault("eval_data", models.eval_data)
    return mlflow_import.register_iteration_from_mlflow(
        uri, target=TARGET, tracking_uri=models.url, registry_dir=root, positive_class="churn", **options
    )


def test_two_versions_come_in_by_alias_with_their_tags_and_description(mlflow_models, tmp_path):
    v1 = _import(mlflow_models, "models:/credit-risk@champion", tmp_path)
    v2 = _import(mlflow_models, "models:/credit-risk@candidate", tmp_path, eval_data=None, eval_artifact="eval.parquet")
    assert (v1.use_case, v1.version, v1.author, v1.parent) == ("credit-risk", "v1", "Dana", None)
    assert v1.notes == "Logistic regression.\n\nBaseline on every input."
    assert (v2.version, v2.author, v2.parent) == ("v2", "Omar", "v1")  # parent tag "1" is MLflow version 1
    assert v2.notes == "LightGBM, 25 trees.\n\nCaptures the fee and tenure interaction."
    assert v2.extra["mlflow"] == {
        "model_uri": "models:/credit-risk@candidate",
        "name": "credit-risk",
        "version": "2",
        "run_id": v2.extra["mlflow"]["run_id"],
        "flavour": "sklearn",
        "tracking_uri": mlflow_models.url,
    }
    assert v2.explainer == "TreeSHAP (exact, LightGBM native)" and v2.n_eval == len(mlflow_models.eval_data)
    for card, key in ((v1, "credit-risk/1"), (v2, "credit-risk/2")):
        iteration = load_iteration("credit-risk", card.version, tmp_path)
        X = mlflow_models.eval_data.drop(columns=TARGET)
        np.testing.assert_array_equal(iteration.model.predict_proba(X), mlflow_models.models[key].predict_proba(X))


def test_explicit_arguments_win_over_the_tags(mlflow_models, tmp_path):
    card = _import(
        mlflow_models,
        "models:/credit-risk/1",
        tmp_path,
        use_case="loans",
        version="lr-1",
        author="Ann",
        notes="Imported for the review.",
    )
    assert (card.use_case, card.version, card.author, card.notes) == (
        "loans",
        "lr-1",
        "Ann",
        "Imported for the review.",
    )


@pytest.mark.parametrize(
    ("uri", "explainer"),
    [
        ("models:/credit-xgb/1", "TreeSHAP (exact, XGBoost native pred_contribs)"),
        ("models:/credit-booster/1", "TreeSHAP (exact, XGBoost native pred_contribs)"),
        ("models:/credit-cat/1", "TreeSHAP (exact, CatBoost native ShapValues)"),
        ("models:/credit-lgb-booster/1", "TreeSHAP (exact, LightGBM native)"),
    ],
)
def test_each_native_flavour_is_imported_from_its_data_only_file(mlflow_models, tmp_path, uri, explainer):
    key = uri.removeprefix("models:/")
    if "cat" in key:
        data = mlflow_models.eval_data.fillna({c: "none" for c in CATEGORICAL})
    else:
        data = mlflow_models.booster_eval
    card = _import(mlflow_models, uri, tmp_path, eval_data=data)
    assert card.explainer == explainer and card.extra["mlflow"]["flavour"] == (
        "catboost" if "cat" in key else "lightgbm" if "lgb" in key else "xgboost"
    )
    scored = ScoredIteration(load_iteration(card.use_case, card.version, tmp_path))
    X = data.drop(columns=TARGET)
    original = mlflow_models.models[key]
    if "lgb" in key:
        expected = original.predict(X)  # a binary Booster predicts the probability
    elif "booster" in key:
        import xgboost

        expected = original.predict(xgboost.DMatrix(X, missing=np.nan))
    else:
        expected = original.predict_proba(X)[:, 1]
    np.testing.assert_allclose(scored.scores.to_numpy(), expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("models:/credit-pickle/1", "saved with cloudpickle: loading it would run whatever code the file holds"),
        ("models:/credit-pyfunc/1", "has the flavours python_function; none stores a format Involve can load"),
        ("models:/credit-lgb-regression/1", "LightGBM Booster's objective is 'regression': Involve needs binary"),
        ("models:/credit-nobody/1", "has no registered model 'credit-nobody'"),
        ("models:/credit-risk/9", "The registered model 'credit-risk' has no version 9 in MLflow."),
        ("models:/credit-risk@staging", "has no alias 'staging' in MLflow (its aliases: candidate, champion)"),
        ("runs:/abc/model", "is not an MLflow registry model URI: use models:/NAME@ALIAS"),
    ],
)
def test_refusals_say_why_and_leave_the_registry_byte_for_byte_unchanged(mlflow_models, tmp_path, uri, message):
    root = tmp_path / "registry"
    frame = make_zoo_data(120, seed=5)
    from sklearn.linear_model import LogisticRegression

    register_iteration(
        LogisticRegression().fit(frame[["tenure"]], frame[TARGET]),
        frame[["tenure", TARGET]],
        use_case="credit-pickle",
        version="v0",
        target=TARGET,
        author="Dana",
        registry_dir=root,
    )
    before = snapshot_tree(root)
    with pytest.raises(RegistryError, match=message.replace("(", r"\(").replace(")", r"\)")) as refused:
        _import(mlflow_models, uri, root)
    assert snapshot_tree(root) == before
    assert not mlflow_models.tripwire.exists()  # the pickle was never opened
    if "pickle" in uri:
        assert "serialization_format='skops'" in str(refused.value)


def test_a_server_that_is_down_or_hangs_is_refused_within_a_bounded_wait(mlflow_models, tmp_path):
    port = free_port()
    start = time.monotonic()
    with pytest.raises(RegistryError, match=rf"The MLflow tracking server at http://127.0.0.1:{port} does not answer"):
        mlflow_import.register_iteration_from_mlflow(
            "models:/credit-risk/1",
            target=TARGET,
            tracking_uri=f"http://127.0.0.1:{port}",
            registry_dir=tmp_path,
            eval_data=mlflow_models.eval_data,
        )
    assert time.monotonic() - start < 3
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        start = time.monotonic()
        with pytest.raises(RegistryError, match="does not answer .*timed out; waited at most 5 s"):
            mlflow_import.register_iteration_from_mlflow(
                "models:/credit-risk/1",
                target=TARGET,
                tracking_uri=url,
                registry_dir=tmp_path,
                eval_data=mlflow_models.eval_data,
            )
        assert time.monotonic() - start < mlflow_import.HEALTH_TIMEOUT_SECONDS + 3
    assert not tmp_path.joinpath("credit-risk").exists()


def test_the_command_line_imports_with_one_progress_bar_and_refuses_with_a_message(mlflow_models, tmp_path, capsys):
    root = tmp_path / "registry"
    common = ["--target", TARGET, "--tracking-uri", mlflow_models.url, "--registry", str(root)]
    mlflow_models.eval_data.to_parquet(tmp_path / "eval.parquet")
    assert (
        main(["register", "--from-mlflow", "models:/credit-risk@champion", str(tmp_path / "eval.parquet"), *common])
        == 0
    )
    out, err = capsys.readouterr()
    assert (
        out.strip()
        == "Registered credit-risk/v1 (linear SHAP (exact, evaluation cases as background), 200 evaluation cases)."
    )
    assert err.count("Explaining credit-risk/v1:") >= 1 and err.count("| 0/200 ") == 1  # one bar, started once
    assert (
        main(["register", "--from-mlflow", "models:/credit-risk@candidate", "--eval-artifact", "eval.parquet", *common])
        == 0
    )
    assert capsys.readouterr().out.startswith("Registered credit-risk/v2 (TreeSHAP (exact, LightGBM native)")
    assert load_iteration("credit-risk", "v2", root).card.parent == "v1"
    assert (
        main(["register", "--from-mlflow", "models:/credit-risk/1", "--eval-artifact", "missing.parquet", *common]) == 1
    )
    assert "The evaluation data 'missing.parquet' cannot be downloaded from MLflow" in capsys.readouterr().err
    assert (
        main(["register", "--from-mlflow", "models:/credit-pickle/1", "--eval-artifact", "eval.parquet", *common]) == 1
    )
    out, err = capsys.readouterr()
    assert err.startswith("Not registered: models:/credit-pickle/1 is a scikit-learn model saved with cloudpickle")
    assert "Traceback" not in err and not (root / "credit-pickle").exists()
    port = free_port()
    down = [
        "register",
        "--from-mlflow",
        "models:/credit-risk/1",
        "--eval-artifact",
        "eval.parquet",
        "--target",
        TARGET,
        "--tracking-uri",
        f"http://127.0.0.1:{port}",
        "--registry",
        str(root),
    ]
    assert main(down) == 1
    assert capsys.readouterr().err.startswith(
        f"Not registered: The MLflow tracking server at http://127.0.0.1:{port} does not answer"
    )
    assert main(["register", "--from-mlflow", "models:/credit-risk/1", "a.csv", "b.csv", *common]) == 1
    assert "at most one file" in capsys.readouterr().err
