"""Every refusal happens before any SHAP is computed and leaves the registry byte-for-byte unchanged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline

from demo_models.explanations import attributions
from demo_models.iterations.registry import RegistryError, register_iteration
from tests.helpers import snapshot_tree

INPUTS = ["income", "debt"]


class Doubler(TransformerMixin, BaseEstimator):
    """A transformer of a type no allow-list knows: a model containing it must be refused."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.asarray(X, dtype=float) * 2


def _frame(n: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"income": rng.normal(50, 10, n), "debt": rng.normal(10, 3, n)})
    X["bad"] = (X["debt"] * 3 - X["income"] + rng.normal(0, 5, n) > -20).astype(int)
    return X


@pytest.fixture
def registry(tmp_path) -> Path:
    """A registry holding loans/v1 (so there is an existing version and a parent)."""
    frame = _frame()
    register_iteration(
        LogisticRegression().fit(frame[INPUTS], frame["bad"]),
        frame,
        use_case="loans",
        version="v1",
        target="bad",
        author="Dana",
        registry_dir=tmp_path,
    )
    return tmp_path


@pytest.fixture
def shap_calls(monkeypatch) -> list[int]:
    """Counts every SHAP computation (all explainers go through CaseExplainer.attribute)."""
    calls: list[int] = []
    original = attributions.CaseExplainer.attribute

    def counted(self, Xt):
        calls.append(1)
        return original(self, Xt)

    monkeypatch.setattr(attributions.CaseExplainer, "attribute", counted)
    return calls


def _logistic():
    frame = _frame()
    return LogisticRegression().fit(frame[INPUTS], frame["bad"]), frame


def _case(name):
    """(model, eval frame, keyword changes, expected message) for one refusal reason."""
    model, frame = _logistic()
    if name == "untrusted type":
        model = Pipeline([("double", Doubler()), ("clf", LogisticRegression())]).fit(frame[INPUTS], frame["bad"])
        return model, frame, {}, r"does not trust: \['[\w.]*test_registry_refusals.Doubler'\]"
    if name == "no predict_proba":
        return LinearRegression().fit(frame[INPUTS], frame["bad"]), frame, {}, "no predict_proba"
    if name == "columns the model cannot take":
        return model, frame.rename(columns={"debt": "liabilities"}), {}, "lacks inputs the model was fitted on: debt"
    if name == "columns in another order":
        return model, frame[["debt", "income", "bad"]], {}, "same order"
    if name == "three-class model":
        three = LogisticRegression().fit(frame[INPUTS], np.arange(len(frame)) % 3)
        return three, frame, {}, "binary classifier"
    if name == "target not binary":
        return model, frame.assign(bad=np.arange(len(frame)) % 3), {}, "exactly two outcomes"
    if name == "positive label not a model class":
        return (
            model,
            frame.assign(bad=frame["bad"].map({0: "no", 1: "yes"})),
            {"positive_label": "yes"},
            "not a model class",
        )
    if name == "duplicate case ids":
        return model, frame.set_index(pd.Index(["x"] * len(frame))), {}, "unique"
    changes = {
        "use case name": ({"use_case": "bad name!"}, "use case name"),
        "version name": ({"version": "../v9"}, "version name"),
        "author": ({"author": " "}, "author"),
        "threshold": ({"threshold": 1.0}, "strictly between 0 and 1"),
        "target missing": ({"target": "missing"}, "not in the evaluation data"),
        "positive label absent": ({"positive_label": 7}, "does not occur"),
        "protected attribute absent": ({"protected_attributes": ["sex"]}, "Protected attributes not in"),
        "existing version": ({"version": "v1"}, "already exists"),
        "unknown parent": ({"parent": "v0"}, "parent iteration loans/v0 does not exist"),
    }[name]
    return model, frame, *changes


REASONS = [
    "use case name",
    "version name",
    "author",
    "no predict_proba",
    "threshold",
    "target missing",
    "target not binary",
    "positive label absent",
    "duplicate case ids",
    "protected attribute absent",
    "existing version",
    "unknown parent",
    "untrusted type",
    "columns the model cannot take",
    "columns in another order",
    "three-class model",
    "positive label not a model class",
]


@pytest.mark.parametrize("reason", REASONS)
@pytest.mark.parametrize("use_case", ["loans", "cards"])  # an existing use case, and a new one
def test_each_refusal_computes_no_shap_and_leaves_the_registry_unchanged(registry, shap_calls, reason, use_case):
    model, frame, changes, message = _case(reason)
    if reason in {"existing version", "unknown parent"} and use_case == "cards":
        pytest.skip("only meaningful for the use case that has iterations")
    before = snapshot_tree(registry)
    args = dict(use_case=use_case, version="v2", target="bad", author="Dana", registry_dir=registry)
    with pytest.raises(RegistryError, match=message):
        register_iteration(model, frame, **(args | changes))
    assert shap_calls == []
    assert snapshot_tree(registry) == before


def test_a_refusal_does_not_even_create_a_missing_registry_folder(tmp_path, shap_calls):
    model, frame = _logistic()
    root = tmp_path / "not-yet"
    with pytest.raises(RegistryError, match="lacks inputs the model was fitted on"):
        register_iteration(
            model, frame.drop(columns="debt"), use_case="x", version="v1", target="bad", author="D", registry_dir=root
        )
    assert not root.exists() and shap_calls == []


@pytest.mark.parametrize(
    ("objective", "columns", "message"),
    [("reg:squarederror", INPUTS, "binary:logistic"), ("binary:logistic", ["debt", "income"], "in its order")],
)
def test_an_xgboost_booster_is_refused_unless_binary_and_given_its_own_columns(
    tmp_path, shap_calls, objective, columns, message
):
    xgb = pytest.importorskip("xgboost")
    frame = _frame()
    booster = xgb.train({"objective": objective}, xgb.DMatrix(frame[INPUTS], label=frame["bad"]), 3)
    with pytest.raises(RegistryError, match=message):
        register_iteration(
            booster,
            frame[[*columns, "bad"]],
            use_case="x",
            version="v1",
            target="bad",
            author="D",
            registry_dir=tmp_path,
        )
    assert snapshot_tree(tmp_path) == {} and shap_calls == []


def test_a_write_that_fails_midway_leaves_nothing(registry, monkeypatch):
    model, frame = _logistic()
    before = snapshot_tree(registry)
    original = Path.write_bytes

    def failing(self, data):
        if self.name == "shap.parquet":
            raise OSError("disk full")
        return original(self, data)

    monkeypatch.setattr(Path, "write_bytes", failing)
    with pytest.raises(OSError, match="disk full"):
        register_iteration(
            model, frame, use_case="cards", version="v1", target="bad", author="D", registry_dir=registry
        )
    assert snapshot_tree(registry) == before
