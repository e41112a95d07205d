"""Iterations straight from an MLflow model registry, through the one `register_iteration` path.

``register_iteration_from_mlflow("models:/credit-risk@candidate", ...)`` reads the model version
(its number, description and tags ``author``, ``parent``, ``notes``), then only the version's
``MLmodel`` metadata to choose a flavour that stores a data-only format, and downloads and loads
only that flavour's file: an XGBoost UBJSON/JSON file, a CatBoost ``cbm`` file, a LightGBM Booster's
own text file (``model.lgb``), or a scikit-learn /
LightGBM model saved by MLflow with ``serialization_format="skops"`` (loaded with Involve's own
trusted-type list, never the one written in the MLmodel file). A pickled or cloudpickled flavour is
refused from its metadata, without its file ever being downloaded or opened. Every other check,
refusal and "nothing written on refusal" is `register_iteration`'s. MLflow is an optional extra.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from demo_models.iterations import native
from demo_models.iterations.registry import (
    MODEL_FILE,
    IterationCard,
    RegistryError,
    deserialize_model,
    read_eval_file,
    register_iteration,
)

log = logging.getLogger(__name__)

URI_PATTERN = re.compile(r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/@]+)|/(?P<version>\d+))$")
#: Bounded waits on the tracking server (MLflow's own default retries for minutes).
HEALTH_TIMEOUT_SECONDS = 5.0
MLFLOW_ENV = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "30",
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
}
XGBOOST_CLASSES = {"xgboost.sklearn.XGBClassifier": "classifier", "xgboost.core.Booster": "booster"}
XGBOOST_FORMATS = ("ubj", "json")
HOW_TO_LOG = (
    "Log it with a data-only format: mlflow.sklearn.log_model(model, name='model', serialization_format='skops') "
    "for scikit-learn (and LightGBM inside a pipeline), mlflow.lightgbm.log_model(LGBMClassifier, "
    "serialization_format='skops') or mlflow.lightgbm.log_model(Booster), mlflow.xgboost.log_model(model, "
    "model_format='ubj') or "
    "mlflow.catboost.log_model(model) (README, 'From an MLflow registry')."
)


@dataclass(frozen=True)
class MlflowSource:
    """Where an imported model came from: registered model, version, run and the flavour read."""

    uri: str
    name: str
    version: str
    description: str
    tags: dict[str, str]
    run_id: str | None
    download_uri: str


def parse_model_uri(uri: str) -> tuple[str, str | None, str | None]:
    """(name, version, alias) of ``models:/NAME@ALIAS`` or ``models:/NAME/VERSION``."""
    match = URI_PATTERN.fullmatch(str(uri).strip())
    if not match:
        raise RegistryError(
            f"{uri!r} is not an MLflow registry model URI: use models:/NAME@ALIAS (e.g. "
            "models:/credit-risk@candidate) or models:/NAME/VERSION (e.g. models:/credit-risk/3)."
        )
    return match["name"], match["version"], match["alias"]


def _import_mlflow() -> Any:
    try:
        import mlflow
    except ImportError as err:
        raise RegistryError('MLflow is not installed: pip install -e ".[mlflow]".') from err
    return mlflow


@contextmanager
def _bounded_mlflow_env() -> Iterator[None]:
    """MLflow's HTTP retries and timeout bounded, and its download bars off, unless the user set them."""
    added = {k: v for k, v in MLFLOW_ENV.items() if k not in os.environ}
    os.environ.update(added)
    try:
        yield
    finally:
        for key in added:
            os.environ.pop(key, None)


def _check_server(tracking_uri: str) -> None:
    if not tracking_uri.startswith(("http://", "https://")):
        return
    try:
        with urllib.request.urlopen(f"{tracking_uri.rstrip('/')}/health", timeout=HEALTH_TIMEOUT_SECONDS):
            return
    except urllib.error.HTTPError:
        return  # it answers (a proxy or an old server without /health): the calls will say more
    except (OSError, ValueError) as err:
        reason = getattr(err, "reason", err)
        raise RegistryError(
            f"The MLflow tracking server at {tracking_uri} does not answer ({reason}; waited at most "
            f"{HEALTH_TIMEOUT_SECONDS:g} s). Start it, or point MLFLOW_TRACKING_URI (--tracking-uri) at it."
        ) from err


def _mlflow_error(err: Exception, tracking_uri: str) -> str:
    text = str(getattr(err, "message", "") or err)
    text = re.sub(r"^[A-Z_]+: ", "", text)
    if "Max retries exceeded" in text or "Connection refused" in text or "timed out" in text:
        return f"The MLflow tracking server at {tracking_uri} does not answer: {text[:300]}"
    return f"MLflow at {tracking_uri} says: {text[:300]}"


def read_model_version(client: Any, uri: str, tracking_uri: str) -> MlflowSource:
    """The registered model version a models:/ URI names, with its description, tags and files' location."""
    name, version, alias = parse_model_uri(uri)
    from mlflow.exceptions import MlflowException

    try:
        try:
            found = client.get_model_version_by_alias(name, alias) if alias else client.get_model_version(name, version)
        except MlflowException as err:
            registered = client.search_registered_models(filter_string=f"name = '{name}'")
            if not registered:
                raise RegistryError(f"MLflow at {tracking_uri} has no registered model {name!r}.") from err
            if alias:
                aliases = sorted(registered[0].aliases or {})
                raise RegistryError(
                    f"The registered model {name!r} has no alias {alias!r} in MLflow (its aliases: "
                    f"{', '.join(aliases) or 'none'})."
                ) from err
            raise RegistryError(f"The registered model {name!r} has no version {version} in MLflow.") from err
        download_uri = client.get_model_version_download_uri(name, found.version)
    except MlflowException as err:
        raise RegistryError(_mlflow_error(err, tracking_uri)) from err
    return MlflowSource(
        uri=uri,
        name=name,
        version=str(found.version),
        description=(found.description or "").strip(),
        tags=dict(found.tags or {}),
        run_id=found.run_id or None,
        download_uri=download_uri,
    )


def _sklearn_file(conf: dict[str, Any], flavour: str, uri: str) -> str:
    fmt = conf.get("serialization_format", "cloudpickle")
    if fmt != "skops":
        raise RegistryError(
            f"{uri} is a {flavour} model saved with {fmt}: loading it would run whatever code the file holds, "
            f"so Involve refuses it without downloading or opening it. {HOW_TO_LOG}"
        )
    return str(conf.get("pickled_model") or conf.get("data"))


def choose_flavour(mlmodel: dict[str, Any], uri: str) -> tuple[str, str, dict[str, Any]]:
    """(flavour, model file, its settings) of the first data-only flavour in an MLmodel; refuses the others."""
    flavours = dict(mlmodel.get("flavors") or {})
    if "xgboost" in flavours:
        conf = flavours["xgboost"]
        kind = XGBOOST_CLASSES.get(conf.get("model_class", "xgboost.core.Booster"))
        if kind is None or conf.get("model_format") not in XGBOOST_FORMATS:
            raise RegistryError(
                f"{uri} is an XGBoost {conf.get('model_class')} in the {conf.get('model_format')!r} format: Involve "
                f"imports an XGBClassifier or a binary:logistic Booster saved as {' or '.join(XGBOOST_FORMATS)}. "
                f"{HOW_TO_LOG}"
            )
        return "xgboost", str(conf["data"]), conf
    if "catboost" in flavours:
        conf = flavours["catboost"]
        if conf.get("model_type") != "CatBoostClassifier" or conf.get("save_format", "cbm") != "cbm":
            raise RegistryError(
                f"{uri} is a CatBoost {conf.get('model_type')} saved as {conf.get('save_format')!r}: Involve "
                f"imports a CatBoostClassifier saved as cbm. {HOW_TO_LOG}"
            )
        return "catboost", str(conf.get("data", "model.cb")), conf
    if "lightgbm" in flavours:
        conf = flavours["lightgbm"]
        model_class = conf.get("model_class", "lightgbm.basic.Booster")
        if model_class == "lightgbm.basic.Booster":
            return "lightgbm", str(conf.get("data", "model.lgb")), conf  # LightGBM's own text format
        if model_class != "lightgbm.sklearn.LGBMClassifier":
            raise RegistryError(
                f"{uri} is a LightGBM {model_class}: Involve imports an LGBMClassifier (saved with skops) or a "
                f"binary Booster. {HOW_TO_LOG}"
            )
        return "lightgbm", _sklearn_file(conf, "LightGBM", uri), conf
    if "sklearn" in flavours:
        return "sklearn", _sklearn_file(flavours["sklearn"], "scikit-learn", uri), flavours["sklearn"]
    raise RegistryError(
        f"{uri} has the flavours {', '.join(sorted(flavours)) or 'none'}; none stores a format Involve can load "
        f"without running code. {HOW_TO_LOG}"
    )


def load_flavour(flavour: str, conf: dict[str, Any], data: bytes) -> Any:
    """The model from its flavour's file bytes, through data-only loaders (skops with Involve's trusted types)."""
    try:
        if flavour == "xgboost":
            import xgboost as xgb

            if XGBOOST_CLASSES[conf.get("model_class", "xgboost.core.Booster")] == "booster":
                return native.as_classifier(xgb.Booster(model_file=bytearray(data)))
            model = xgb.XGBClassifier()
            model.load_model(bytearray(data))
            return model
        if flavour == "catboost":
            from catboost import CatBoostClassifier

            return CatBoostClassifier().load_model(blob=data)
        if flavour == "lightgbm" and conf.get("model_class", "lightgbm.basic.Booster") == "lightgbm.basic.Booster":
            import lightgbm

            booster = lightgbm.Booster(model_str=data.decode("utf-8"))
            try:
                return native.as_classifier(booster)
            except ValueError as err:  # not a binary objective
                raise RegistryError(f"The MLflow LightGBM Booster cannot be imported: {err}") from err
    except RegistryError:
        raise
    except ImportError as err:
        raise RegistryError(f'Importing a {flavour} model needs {flavour}: pip install -e ".[models]".') from err
    except (ValueError, OSError, RuntimeError) as err:  # the libraries' own errors on a damaged file
        raise RegistryError(f"The MLflow {flavour} model file cannot be read ({err}).") from err
    return deserialize_model({MODEL_FILE: data}, MODEL_FILE)


def _download(mlflow: Any, artifact_uri: str, folder: str, tracking_uri: str) -> Path:
    from mlflow.exceptions import MlflowException

    try:
        return Path(
            mlflow.artifacts.download_artifacts(artifact_uri=artifact_uri, dst_path=folder, tracking_uri=tracking_uri)
        )
    except (MlflowException, OSError) as err:
        raise RegistryError(_mlflow_error(err, tracking_uri)) from err


def _read_mlmodel(path: Path, uri: str) -> dict[str, Any]:
    import yaml  # an MLflow dependency

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, OSError, UnicodeDecodeError) as err:
        raise RegistryError(f"The MLmodel file of {uri} cannot be read ({err}).") from err
    if not isinstance(data, dict):
        raise RegistryError(f"The MLmodel file of {uri} holds no model description.")
    return data


def _version_name(value: str) -> str:
    return f"v{value}" if str(value).isdigit() else str(value)


def _eval_frame(
    mlflow: Any,
    source: MlflowSource,
    eval_data: Any,
    eval_artifact: str | None,
    index_column: str | None,
    folder: str,
    tracking_uri: str,
) -> pd.DataFrame:
    if (eval_data is None) == (eval_artifact is None):
        raise RegistryError(
            "Give the evaluation data either as a file or DataFrame (eval_data) or as an MLflow artifact "
            "(eval_artifact)."
        )
    if isinstance(eval_data, pd.DataFrame):
        return eval_data
    if eval_data is not None:
        return read_eval_file(Path(eval_data), index_column)
    uri = eval_artifact if ":/" in eval_artifact else None
    if uri is None:
        if not source.run_id:
            raise RegistryError(f"{source.uri} has no run to take {eval_artifact!r} from: give a full artifact URI.")
        uri = f"runs:/{source.run_id}/{eval_artifact.lstrip('/')}"
    try:
        path = _download(mlflow, uri, folder, tracking_uri)
    except RegistryError as err:
        raise RegistryError(
            f"The evaluation data {eval_artifact!r} cannot be downloaded from MLflow ({uri}): {err}"
        ) from err
    return read_eval_file(path, index_column)


def register_iteration_from_mlflow(
    model_uri: str,
    *,
    target: str,
    eval_data: pd.DataFrame | str | Path | None = None,
    eval_artifact: str | None = None,
    case_id_column: str | None = None,
    tracking_uri: str | None = None,
    use_case: str | None = None,
    version: str | None = None,
    author: str | None = None,
    parent: str | None = None,
    notes: str | None = None,
    progress: bool = False,
    **options: Any,
) -> IterationCard:
    """Register an MLflow registry model version (models:/NAME@ALIAS or /VERSION) as an Involve iteration.

    Defaults: use case = the registered model's name, version = "v<N>", author / parent / notes from
    the version's tags (notes also from its description); other options go to `register_iteration`.
    """
    mlflow = _import_mlflow()
    parse_model_uri(model_uri)
    tracking = tracking_uri or mlflow.get_tracking_uri()
    with _bounded_mlflow_env(), tempfile.TemporaryDirectory(prefix="involve-mlflow-") as folder:
        _check_server(tracking)
        client = mlflow.MlflowClient(tracking_uri=tracking, registry_uri=tracking)
        source = read_model_version(client, model_uri, tracking)
        mlmodel = _read_mlmodel(_download(mlflow, f"{source.download_uri}/MLmodel", folder, tracking), model_uri)
        flavour, file, conf = choose_flavour(mlmodel, model_uri)  # refuses before the model file is fetched
        frame = _eval_frame(mlflow, source, eval_data, eval_artifact, case_id_column, folder, tracking)
        data = _download(mlflow, f"{source.download_uri}/{file}", folder, tracking)
        if not data.is_file():
            raise RegistryError(f"{model_uri}: the {flavour} model file {file!r} is not a file.")
        model = load_flavour(flavour, conf, data.read_bytes())
    tags = source.tags
    text = [t for t in (source.description, tags.get("notes", "").strip()) if t]
    tag_parent = tags.get("parent")
    extra = dict(options.pop("extra", None) or {})
    extra["mlflow"] = {
        "model_uri": model_uri,
        "name": source.name,
        "version": source.version,
        "run_id": source.run_id,
        "flavour": flavour,
        "tracking_uri": tracking,
    }
    card = register_iteration(
        model,
        frame,
        use_case=use_case or source.name,
        version=version or _version_name(source.version),
        target=target,
        author=author if author is not None else tags.get("author", ""),
        parent=parent if parent is not None else (_version_name(tag_parent) if tag_parent else None),
        notes=notes if notes is not None else "\n\n".join(dict.fromkeys(text)),
        extra=extra,
        progress=progress,
        **options,
    )
    log.info(
        "imported %s (MLflow version %s, %s flavour) as %s/%s",
        model_uri,
        source.version,
        flavour,
        card.use_case,
        card.version,
    )
    return card
