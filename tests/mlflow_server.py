"""A real MLflow tracking server on 127.0.0.1 (SQLite backend, local artifact store) for the import tests,
and the models the tests log into it. Session-scoped; skipped with the reason when MLflow is not installed."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from demo_models.examples.zoo import (
    CATEGORICAL,
    TARGET,
    booster_frame,
    fit_family,
    make_zoo_data,
)
from tests.helpers import free_port, stop_process_group

START_TIMEOUT = (
    180  # seconds; the server imports MLflow and migrates its SQLite database (~30 s on a busy 2-core machine)
)


def _wait_until_answers(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"mlflow server exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"mlflow server did not answer within {START_TIMEOUT} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory) -> str:
    """URL of a fresh MLflow tracking server, stopped at the end of the session."""
    pytest.importorskip("mlflow", reason='MLflow is not installed: pip install -e ".[mlflow]" (the test extra has it)')
    work = tmp_path_factory.mktemp("mlflow-server")
    port, log = free_port(), work / "server.log"
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--backend-store-uri",
        f"sqlite:///{work / 'mlflow.db'}",
        "--artifacts-destination",
        str(work / "artifacts"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, cwd=work, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_until_answers(url, proc, log)
        yield url
    finally:
        stop_process_group(proc)


class Tripwire:
    """Unpickling this creates the file `path`: proof that a pickle was (or was not) opened."""

    def __init__(self, path: str) -> None:
        self.path = path

    def predict(self, X):
        return [0] * len(X)

    def __reduce__(self):
        return (open, (self.path, "w"))


@dataclass(frozen=True)
class LoggedModels:
    """What the tests logged into the MLflow server: the fitted models, their data, the tripwire file."""

    url: str
    eval_data: pd.DataFrame
    booster_eval: pd.DataFrame
    models: dict[str, object]  # "credit-risk/1", "credit-risk/2", "credit-xgb/1", ... -> fitted model
    tripwire: Path


def _log(mlflow, name: str, flavour, model, *, tags=None, description="", **options) -> str:
    """Log and register one model; returns its version."""
    client = mlflow.MlflowClient()
    if options.get("serialization_format") == "skops":  # MLflow asks to confirm the types skops does not know
        import skops.io

        options["skops_trusted_types"] = skops.io.get_untrusted_types(data=skops.io.dumps(model))
    info = flavour.log_model(model, name="model", registered_model_name=name, pip_requirements=[], **options)
    version = str(info.registered_model_version)
    for key, value in (tags or {}).items():
        client.set_model_version_tag(name, version, key, value)
    if description:
        client.update_model_version(name, version, description=description)
    return version


@pytest.fixture(scope="session")
def mlflow_models(mlflow_server, tmp_path_factory) -> LoggedModels:
    """credit-risk v1 (logistic regression, alias champion) and v2 (LightGBM, alias candidate, with its
    evaluation data as a run artifact), both scikit-learn pipelines saved with skops; an XGBClassifier, a
    raw XGBoost Booster, a CatBoostClassifier and a raw (binary) LightGBM Booster in their native flavours;
    and models Involve must refuse: a cloudpickled one (a tripwire), a pyfunc-only one, a regression Booster."""
    mlflow = pytest.importorskip("mlflow")
    import lightgbm
    import xgboost
    from catboost import CatBoostClassifier

    work = tmp_path_factory.mktemp("mlflow-models")
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(mlflow_server)
    train, evaluation = make_zoo_data(300, seed=3), make_zoo_data(200, seed=4)
    boost_train, boost_eval = booster_frame(train), booster_frame(evaluation)
    boost_eval = boost_eval.reindex(columns=boost_train.columns, fill_value=0.0)
    X, Xb = train.drop(columns=TARGET), boost_train.drop(columns=TARGET)
    cat_train = X.fillna({c: "none" for c in CATEGORICAL})
    models = {
        "credit-risk/1": fit_family("logistic regression", train),
        "credit-risk/2": fit_family("lightgbm", train),
        "credit-xgb/1": xgboost.XGBClassifier(n_estimators=20, max_depth=3, random_state=0).fit(
            Xb, boost_train[TARGET]
        ),
        "credit-booster/1": fit_family("xgboost booster", boost_train),
        "credit-cat/1": CatBoostClassifier(
            iterations=20, depth=3, random_seed=0, verbose=0, allow_writing_files=False, cat_features=CATEGORICAL
        ).fit(cat_train, train[TARGET]),
    }
    client = mlflow.MlflowClient()
    try:
        with mlflow.start_run():
            _log(
                mlflow,
                "credit-risk",
                mlflow.sklearn,
                models["credit-risk/1"],
                serialization_format="skops",
                tags={"author": "Dana", "notes": "Baseline on every input."},
                description="Logistic regression.",
            )
        with mlflow.start_run():
            evaluation.to_parquet(work / "eval.parquet")
            mlflow.log_artifact(str(work / "eval.parquet"))
            _log(
                mlflow,
                "credit-risk",
                mlflow.sklearn,
                models["credit-risk/2"],
                serialization_format="skops",
                tags={"author": "Omar", "parent": "1", "notes": "Captures the fee and tenure interaction."},
                description="LightGBM, 25 trees.",
            )
        client.set_registered_model_alias("credit-risk", "champion", "1")
        client.set_registered_model_alias("credit-risk", "candidate", "2")
        with mlflow.start_run():
            _log(mlflow, "credit-xgb", mlflow.xgboost, models["credit-xgb/1"], tags={"author": "Dana"})
            _log(mlflow, "credit-booster", mlflow.xgboost, models["credit-booster/1"], tags={"author": "Dana"})
            _log(mlflow, "credit-cat", mlflow.catboost, models["credit-cat/1"], tags={"author": "Dana"})
            tripwire = work / "unpickled.txt"
            _log(
                mlflow,
                "credit-pickle",
                mlflow.sklearn,
                Tripwire(str(tripwire)),
                serialization_format="cloudpickle",
                tags={"author": "Mallory"},
            )
            with warnings.catch_warnings():  # "add type hints to predict": irrelevant to a model that must be refused
                warnings.simplefilter("ignore")
                _log(mlflow, "credit-pyfunc", mlflow.pyfunc, None, python_model=_Constant(), tags={"author": "Dana"})
            models["credit-lgb-booster/1"] = lightgbm.train(
                {"objective": "binary", "verbose": -1},
                lightgbm.Dataset(Xb, label=boost_train[TARGET]),
                num_boost_round=5,
            )
            _log(mlflow, "credit-lgb-booster", mlflow.lightgbm, models["credit-lgb-booster/1"], tags={"author": "Dana"})
            regression = lightgbm.train(
                {"objective": "regression", "verbose": -1},
                lightgbm.Dataset(Xb, label=boost_train[TARGET]),
                num_boost_round=5,
            )
            _log(mlflow, "credit-lgb-regression", mlflow.lightgbm, regression, tags={"author": "Dana"})
    finally:
        mlflow.set_tracking_uri(previous)
    assert not tripwire.exists()  # logging pickles the tripwire; only unpickling would create the file
    return LoggedModels(mlflow_server, evaluation, boost_eval, models, tripwire)


class _Constant:
    """A pyfunc model (cloudpickled python_model, no data-only flavour)."""

    def __new__(cls):
        import mlflow.pyfunc

        class Constant(mlflow.pyfunc.PythonModel):
            def predict(self, context, model_input, params=None):
                return [0.5] * len(model_input)

        return Constant()
