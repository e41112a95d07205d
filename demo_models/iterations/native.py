"""XGBoost and CatBoost: their native exact TreeSHAP and their data-only file formats; raw boosters as classifiers.

A fitted pipeline whose final estimator is an XGBoost or CatBoost model is saved in two parts: the
pipeline around it through skops, with the estimator replaced by a `NativeSlot` (a trusted
placeholder that holds no code), and the estimator in the library's own data-only format
(XGBoost UBJSON, CatBoost ``cbm``), which cannot run code when it is read. Loading reverses it.
Neither library is imported unless a model needs it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.pipeline import Pipeline

XGBOOST_FILE, CATBOOST_FILE = "estimator.ubj", "estimator.cbm"
NATIVE_SUFFIXES = (".ubj", ".json", ".cbm")


class NativeSlot(BaseEstimator):
    """Where a natively saved estimator goes back into its pipeline on load (holds only names)."""

    def __init__(self, library: str = "", file: str = "") -> None:
        self.library = library
        self.file = file


class XGBoostBoosterClassifier(ClassifierMixin, BaseEstimator):
    """A raw `xgboost.Booster` (objective binary:logistic) as a classifier with predict_proba.

    Classes are 0 and 1; the inputs are the Booster's feature names, taken from a DataFrame.
    """

    def __init__(self, booster: Any = None) -> None:
        self.booster = booster

    @property
    def classes_(self) -> np.ndarray:
        """The two classes a binary:logistic Booster predicts."""
        return np.array([0, 1])

    @property
    def feature_names_in_(self) -> np.ndarray | None:
        """The Booster's input column names (None if it was trained without names)."""
        names = self.booster.feature_names
        return None if names is None else np.asarray(names, dtype=object)

    def _matrix(self, X: Any) -> Any:
        import xgboost as xgb

        names = self.booster.feature_names
        if isinstance(X, pd.DataFrame) and names:
            X = X[names]
        return xgb.DMatrix(np.asarray(X, dtype=float), missing=np.nan, feature_names=names)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probabilities of class 0 and class 1 for each row."""
        p = np.asarray(self.booster.predict(self._matrix(X)), dtype=float)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        """Class 1 where its probability is at least one half."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


class LightGBMBoosterClassifier(ClassifierMixin, BaseEstimator):
    """A raw `lightgbm.Booster` (objective binary) as a classifier: LightGBM's own TreeSHAP explains it.

    Classes are 0 and 1; the inputs are the Booster's feature names, taken from a DataFrame.
    """

    def __init__(self, booster: Any = None) -> None:
        self.booster = booster

    @property
    def booster_(self) -> Any:
        """The Booster, where LightGBM's scikit-learn classifier keeps it."""
        return self.booster

    @property
    def classes_(self) -> np.ndarray:
        """The two classes a binary Booster predicts."""
        return np.array([0, 1])

    @property
    def feature_names_in_(self) -> np.ndarray:
        """The Booster's input column names."""
        return np.asarray(self.booster.feature_name(), dtype=object)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probabilities of class 0 and class 1 for each row."""
        if isinstance(X, pd.DataFrame):
            X = X[self.booster.feature_name()]
        p = np.asarray(self.booster.predict(X), dtype=float)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        """Class 1 where its probability is at least one half."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


def is_lightgbm_booster(model: Any) -> bool:
    """Whether the object is a raw lightgbm.Booster (which has no predict_proba of its own)."""
    return type(model).__module__.startswith("lightgbm") and type(model).__name__ == "Booster"


def _lightgbm_objective(booster: Any) -> str:
    for line in booster.model_to_string(num_iteration=0).splitlines():  # the header comes before the trees
        if line.startswith("objective="):
            return line.removeprefix("objective=").split()[0]
        if line.startswith("Tree="):
            break
    return "unknown"


def is_xgboost_booster(model: Any) -> bool:
    """Whether the object is a raw xgboost.Booster (which has no predict_proba of its own)."""
    return type(model).__module__.startswith("xgboost") and type(model).__name__ == "Booster"


def as_classifier(model: Any) -> Any:
    """The model itself, or a raw binary XGBoost or LightGBM Booster wrapped as a classifier."""
    if is_lightgbm_booster(model):
        objective = _lightgbm_objective(model)
        if objective not in ("binary", "cross_entropy"):
            raise ValueError(
                f"The LightGBM Booster's objective is {objective!r}: Involve needs binary (probabilities of two "
                "classes)."
            )
        return LightGBMBoosterClassifier(model)
    if not is_xgboost_booster(model):
        return model
    import json

    objective = json.loads(model.save_config())["learner"]["objective"]["name"]
    if objective != "binary:logistic":
        raise ValueError(
            f"The XGBoost Booster's objective is {objective!r}: Involve needs binary:logistic "
            "(probabilities of two classes)."
        )
    return XGBoostBoosterClassifier(model)


def native_library(estimator: Any) -> str | None:
    """'xgboost' or 'catboost' when the estimator is one of theirs, else None."""
    module = type(estimator).__module__
    if isinstance(estimator, XGBoostBoosterClassifier) or module.startswith("xgboost"):
        return "xgboost"
    if module.startswith("catboost"):
        return "catboost"
    return None


def _booster(estimator: Any) -> Any:
    return estimator.booster if isinstance(estimator, XGBoostBoosterClassifier) else estimator.get_booster()


class XGBoostShap:
    """XGBoost's exact TreeSHAP (pred_contribs) in margin units, on private copies of the Booster.

    One row runs on a single-threaded copy (thread start-up would dominate), batches on a copy using
    every core; the model itself is never reconfigured, so concurrent sessions do not interfere.
    """

    def __init__(self, estimator: Any) -> None:
        booster = _booster(estimator)
        self.names = booster.feature_names
        self.single, self.batch = booster.copy(), booster.copy()
        self.single.set_param({"nthread": 1})
        self.batch.set_param({"nthread": 0})  # 0: every core

    def contributions(self, Xt: Any) -> tuple[np.ndarray, float]:
        """(contributions per model column, base value) for encoded rows."""
        import xgboost as xgb

        one_row = Xt.shape[0] == 1
        matrix = xgb.DMatrix(Xt, missing=np.nan, feature_names=self.names, nthread=1 if one_row else -1)
        booster = self.single if one_row else self.batch
        contrib = np.asarray(booster.predict(matrix, pred_contribs=True), dtype=float)
        return contrib[:, :-1], float(contrib[0, -1])


def catboost_frame(estimator: Any, Xt: Any) -> pd.DataFrame:
    """The rows as the DataFrame CatBoost was fitted on (its feature names, positional index)."""
    names = list(estimator.feature_names_)
    frame = Xt if isinstance(Xt, pd.DataFrame) else pd.DataFrame(np.asarray(Xt, dtype=object), columns=names)
    if set(frame.columns) == set(names):
        frame = frame[names]  # CatBoost reads the rows by position
    else:
        frame = frame.set_axis(names, axis=1)  # e.g. a model fitted on an array: columns "0", "1", ...
    return frame.reset_index(drop=True)


def catboost_contributions(estimator: Any, Xt: pd.DataFrame) -> tuple[np.ndarray, float]:
    """CatBoost's exact ShapValues in raw-formula (log-odds) units: (per model column, base value)."""
    from catboost import Pool

    threads = 1 if Xt.shape[0] == 1 else -1
    rows = Xt.to_numpy(dtype=object)  # a Pool from an object array is built ~15x faster than from a DataFrame
    pool = Pool(rows, cat_features=estimator.get_cat_feature_indices(), thread_count=threads)
    values = estimator.get_feature_importance(pool, type="ShapValues", thread_count=threads)
    return values[:, :-1], float(values[0, -1])


def _final(model: Any) -> Any:
    return model.steps[-1][1] if isinstance(model, Pipeline) else model


def _dump_native(estimator: Any, library: str) -> tuple[str, bytes]:
    if library == "xgboost":
        if isinstance(estimator, XGBoostBoosterClassifier):
            return XGBOOST_FILE, bytes(estimator.booster.save_raw("ubj"))
        with tempfile.TemporaryDirectory() as folder:  # save_model keeps the scikit-learn attributes
            path = Path(folder) / XGBOOST_FILE
            estimator.save_model(path)
            return XGBOOST_FILE, path.read_bytes()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / CATBOOST_FILE
        estimator.save_model(str(path), format="cbm")
        return CATBOOST_FILE, path.read_bytes()


def detach_native(model: Any) -> tuple[Any, dict[str, bytes]]:
    """(model with its XGBoost/CatBoost estimator replaced by a NativeSlot, native files by name).

    A model without one comes back unchanged with no files.
    """
    estimator = _final(model)
    library = native_library(estimator)
    if library is None:
        return model, {}
    name, data = _dump_native(estimator, library)
    kind = "xgboost-booster" if isinstance(estimator, XGBoostBoosterClassifier) else library
    slot = NativeSlot(kind, name)
    if isinstance(model, Pipeline):
        return Pipeline(model.steps[:-1] + [(model.steps[-1][0], slot)]), {name: data}
    return slot, {name: data}


def _load_native(slot: NativeSlot, read: Any) -> Any:
    data = read(slot.file)
    if slot.library == "xgboost-booster":
        import xgboost as xgb

        return XGBoostBoosterClassifier(xgb.Booster(model_file=bytearray(data)))
    if slot.library == "xgboost":
        import xgboost as xgb

        estimator = xgb.XGBClassifier()
        estimator.load_model(bytearray(data))
        return estimator
    if slot.library == "catboost":
        from catboost import CatBoostClassifier

        return CatBoostClassifier().load_model(blob=data)
    raise ValueError(f"Unknown native model library {slot.library!r}.")


def attach_native(model: Any, read: Any) -> Any:
    """The model with any NativeSlot replaced by its estimator; read(name) gives a native file's bytes."""
    slot = _final(model)
    if not isinstance(slot, NativeSlot):
        return model
    estimator = _load_native(slot, read)
    if isinstance(model, Pipeline):
        model.steps[-1] = (model.steps[-1][0], estimator)
        return model
    return estimator


def load_native_file(path: Path) -> Any:
    """A classifier from a data-only native file: an XGBoost Booster (.ubj, .json) or CatBoost model (.cbm)."""
    if path.suffix.lower() == ".cbm":
        from catboost import CatBoostClassifier

        return CatBoostClassifier().load_model(str(path), format="cbm")
    import xgboost as xgb

    return as_classifier(xgb.Booster(model_file=str(path)))
