"""Exact SHAP attributions in log-odds, summed back to the original input columns.

Two exact fast paths, each checked against the `shap` package in the tests:
LightGBM's native TreeSHAP (``pred_contrib``, releases the GIL) and the closed form of linear SHAP
for logistic regression (``coef * (x - mean)`` over the evaluation cases as background).
One-hot (or any one-to-many) encoded columns are summed back with a precomputed 0/1 matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline

ADDITIVITY_TOLERANCE = 1e-6


class ExplainError(ValueError):
    """A model Involve cannot explain exactly; the message says why."""


@dataclass(frozen=True)
class Attribution:
    """Per-case contributions (log-odds) of each input column, plus the shared base value."""

    base_value: float
    contributions: np.ndarray  # shape (n cases, n columns)
    columns: tuple[str, ...]

    @property
    def log_odds(self) -> np.ndarray:
        """Model output in log-odds: base value plus the sum of the contributions."""
        return self.base_value + self.contributions.sum(axis=1)

    @property
    def scores(self) -> np.ndarray:
        """Probability of the positive class for each case."""
        return expit(self.log_odds)


def split_pipeline(model: Any) -> tuple[Any | None, Any]:
    """(preprocessing or None, final estimator) of a fitted model or pipeline."""
    if isinstance(model, Pipeline):
        steps = model.steps
        prep = None if len(steps) == 1 else (steps[0][1] if len(steps) == 2 else Pipeline(steps[:-1]))
        return prep, steps[-1][1]
    return None, model


def _column_names(selection: Any, columns: list[str]) -> list[str]:
    if isinstance(selection, str):
        return [selection]
    items = list(np.atleast_1d(selection))
    if items and isinstance(items[0], (bool, np.bool_)):
        return [c for c, keep in zip(columns, items) if keep]
    return [columns[int(i)] if isinstance(i, (int, np.integer)) else str(i) for i in items]


def _source_column(output: str, inputs: list[str]) -> str | None:
    matches = [c for c in inputs if output == c or output.startswith(f"{c}_")]
    if matches:
        return max(matches, key=len)
    return inputs[0] if len(inputs) == 1 else None


def _map_column_transformer(ct: ColumnTransformer, columns: list[str]) -> list[str] | None:
    sources: list[str | None] = [None] * sum(
        s.stop - s.start for s in ct.output_indices_.values()
    )
    for name, transformer, selection in ct.transformers_:
        span = ct.output_indices_.get(name)
        if transformer == "drop" or span is None or span.stop == span.start:
            continue
        inputs = _column_names(selection, columns)
        width = span.stop - span.start
        if width == len(inputs):
            mapped: list[str | None] = list(inputs)
        elif hasattr(transformer, "get_feature_names_out"):
            names = transformer.get_feature_names_out(inputs)
            mapped = [_source_column(str(n), inputs) for n in names]
        else:
            return None
        sources[span] = mapped
    return None if any(s is None for s in sources) else [str(s) for s in sources]


def map_outputs_to_inputs(prep: Any | None, columns: list[str], width: int) -> list[str]:
    """For each of the `width` columns the model sees, the input column it was derived from."""
    if prep is None:
        return list(columns)
    head = prep.steps[0][1] if isinstance(prep, Pipeline) else prep
    if isinstance(head, ColumnTransformer):
        mapped = _map_column_transformer(head, columns)
        if mapped is not None and len(mapped) == width:
            return mapped
    names = [str(n) for n in getattr(prep, "get_feature_names_out", lambda: [])()]
    if len(names) == width:
        return names
    raise ExplainError("Involve cannot tell which columns the model's preprocessing produces.")


def grouping_matrix(sources: list[str]) -> tuple[np.ndarray, tuple[str, ...]]:
    """0/1 matrix summing model columns into their source columns, and those columns' names."""
    groups = tuple(dict.fromkeys(sources))
    index = {g: i for i, g in enumerate(groups)}
    matrix = np.zeros((len(sources), len(groups)))
    for row, source in enumerate(sources):
        matrix[row, index[source]] = 1.0
    return matrix, groups


def _model_kind(estimator: Any) -> str:
    module = type(estimator).__module__
    if module.startswith("lightgbm") and hasattr(estimator, "booster_"):
        return "lightgbm"
    if type(estimator).__name__ in {"LogisticRegression", "LogisticRegressionCV"}:
        return "linear"
    raise ExplainError(
        f"Involve explains LightGBM and logistic-regression classifiers exactly; "
        f"{type(estimator).__name__} is not supported."
    )


class CaseExplainer:
    """Exact log-odds SHAP for one fitted model, grouped by original input column."""

    def __init__(self, model: Any, background: pd.DataFrame, positive_label: Any = 1) -> None:
        self.model = model
        self.prep, self.estimator = split_pipeline(model)
        self.kind = _model_kind(self.estimator)
        classes = list(getattr(self.estimator, "classes_", []))
        if len(classes) != 2:
            raise ExplainError(f"The model must be a binary classifier; it has classes {classes}.")
        if positive_label not in classes:
            raise ExplainError(f"The positive label {positive_label!r} is not a model class {classes}.")
        self.positive_index = classes.index(positive_label)
        self.sign = 1.0 if self.positive_index == 1 else -1.0
        self.input_columns = list(background.columns)
        try:
            background_t = self.transform(background)
        except Exception as err:
            raise ExplainError(f"The model cannot transform the evaluation data: {err}") from err
        sources = map_outputs_to_inputs(self.prep, self.input_columns, background_t.shape[1])
        self.grouping, self.columns = grouping_matrix(sources)
        if self.kind == "linear":
            self._coef = np.asarray(self.estimator.coef_, dtype=float).ravel()
            self._mean = background_t.mean(axis=0)
            self._base = float(self.estimator.intercept_[0] + self._coef @ self._mean)
            self.method = "linear SHAP (exact, evaluation cases as background)"
        else:
            self._booster = self.estimator.booster_
            self.method = "TreeSHAP (exact, LightGBM native)"

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """The model's own encoding of the input rows, as a dense float matrix."""
        Xt = X if self.prep is None else self.prep.transform(X)
        Xt = Xt.toarray() if hasattr(Xt, "toarray") else Xt
        return np.asarray(Xt, dtype=float)

    def attribute(self, Xt: np.ndarray) -> Attribution:
        """Attributions for rows already encoded with `transform`."""
        if self.kind == "linear":
            raw = self._coef * (Xt - self._mean)
            base = self._base
        else:
            contrib = self._booster.predict(Xt, pred_contrib=True)
            raw, base = contrib[:, :-1], float(contrib[0, -1])
        return Attribution(
            base_value=self.sign * base,
            contributions=self.sign * (raw @ self.grouping),
            columns=self.columns,
        )

    def explain(self, X: pd.DataFrame) -> Attribution:
        """Attributions for raw input rows."""
        return self.attribute(self.transform(X))

    def check_additivity(self, X: pd.DataFrame) -> None:
        """Raise ExplainError unless the attributions reproduce the model's probabilities."""
        try:
            proba = np.asarray(self.model.predict_proba(X), dtype=float)[:, self.positive_index]
        except Exception as err:
            raise ExplainError(f"The model cannot predict on the evaluation data: {err}") from err
        if not np.all(np.isfinite(proba)):
            raise ExplainError("The model returns non-finite probabilities on the evaluation data.")
        gap = float(np.max(np.abs(self.explain(X).scores - proba)))
        if gap > ADDITIVITY_TOLERANCE:
            raise ExplainError(
                f"The explanations do not add up to the model's output (off by {gap:.2g})."
            )
