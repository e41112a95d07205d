"""SHAP attributions, summed back to the original input columns.

Exact fast paths, each checked against the `shap` package in the tests: the native TreeSHAP of
LightGBM (``pred_contrib``) and XGBoost (``pred_contribs``), which release the GIL, and of CatBoost
(``ShapValues``), and the closed form of linear SHAP for logistic regression
(``coef * (x - mean)`` over the evaluation cases as background).
Other scikit-learn tree models use ``shap.TreeExplainer``; any other classifier a model-agnostic
shap explainer of its log-odds. One-hot (or any one-to-many) encoded columns are summed back with
a precomputed 0/1 matrix.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, logit
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline

from demo_models.explanations.row_encoder import checked_row_encoder
from demo_models.iterations import native

ADDITIVITY_TOLERANCE = 1e-6
#: XGBoost computes its margin and contributions in float32: they agree to float32 precision.
FLOAT32_TOLERANCE = 1e-5


class ExplainError(ValueError):
    """A model Involve cannot explain exactly; the message says why."""


@dataclass(frozen=True)
class Attribution:
    """Per-case contributions of each input column, plus the shared base value.

    On the "log-odds" scale (all but scikit-learn forests) or the "probability" scale.
    """

    base_value: float
    contributions: np.ndarray  # shape (n cases, n columns)
    columns: tuple[str, ...]
    scale: str = "log-odds"

    @property
    def output(self) -> np.ndarray:
        """Model output on the explanation's scale: base value plus the sum of the contributions."""
        return self.base_value + self.contributions.sum(axis=1)

    @property
    def scores(self) -> np.ndarray:
        """Probability of the positive class for each case."""
        return expit(self.output) if self.scale == "log-odds" else self.output


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
    sources: list[str | None] = [None] * sum(s.stop - s.start for s in ct.output_indices_.values())
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


TREE_MODELS = frozenset(
    {
        "HistGradientBoostingClassifier",
        "GradientBoostingClassifier",
        "RandomForestClassifier",
        "ExtraTreesClassifier",
        "DecisionTreeClassifier",
    }
)
AGNOSTIC_BACKGROUND_ROWS = 50
AGNOSTIC_EXACT_MAX_COLUMNS = 10
#: How many evaluation cases get their SHAP stored is decided from the case count and the model's
#: size, never from the clock, so the same model and data store the same rows on any machine at any load.
#: Exact explainers (native, linear, scikit-learn trees) explain every case up to this many:
EXACT_GLOBAL_MAX_ROWS = 200_000
#: TreeSHAP's work per case is the sum over trees of leaves x depth^2 (Lundberg et al., 2020); a
#: scikit-learn tree model explains every case while the total stays under this budget (about a
#: minute with shap.TreeExplainer on a 2-core machine), else a seeded sample that fits it.
TREE_WORK_BUDGET = 12_000_000_000
#: A model-agnostic explainer costs hundreds of model calls per case: a seeded sample of this many.
AGNOSTIC_GLOBAL_ROWS = 500
#: The smallest sample a global importance is ever computed on.
MIN_GLOBAL_ROWS = 500
#: Evaluation cases explained per call at registration: one progress bar step each, and a pause
#: between calls in which a GIL-holding explainer lets other threads run.
EXPLAIN_CHUNK_ROWS = 2_000
#: Evaluation cases encoded per call of the model's preprocessing: its fixed cost is paid per call
#: (about 15 ms for a ColumnTransformer), its memory per row.
ENCODE_CHUNK_ROWS = 50_000
SCALE_PROBE_ROWS = 20


def model_kind(estimator: Any) -> str:
    """Which explainer fits the final estimator: lightgbm, xgboost, catboost, linear, tree or agnostic."""
    lightgbm_api = type(estimator).__module__.startswith("lightgbm") and hasattr(estimator, "booster_")
    if lightgbm_api or isinstance(estimator, native.LightGBMBoosterClassifier):
        return "lightgbm"
    library = native.native_library(estimator)
    if library is not None:
        return library
    if type(estimator).__name__ in {"LogisticRegression", "LogisticRegressionCV"}:
        return "linear"
    if type(estimator).__name__ in TREE_MODELS:
        return "tree"
    return "agnostic"


class RawCodec:
    """Raw input columns as numbers (categories as codes) and back, for shap's tabular maskers."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.columns = list(frame.columns)
        self.dtypes = frame.dtypes
        self.categories = {
            c: pd.Index(frame[c].dropna().unique())
            for c in self.columns
            if not pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c])
        }

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        """Numeric matrix of the frame: numbers as they are, categories as codes, NaN kept."""
        out = np.empty((len(frame), len(self.columns)))
        for j, column in enumerate(self.columns):
            values = frame[column]
            if column in self.categories:
                codes = self.categories[column].get_indexer(values).astype(float)
                codes[(codes < 0) | values.isna().to_numpy()] = np.nan
                out[:, j] = codes
            else:
                out[:, j] = values.to_numpy(dtype=float, na_value=np.nan)
        return out

    def decode(self, array: np.ndarray) -> pd.DataFrame:
        """The frame an encoded matrix stands for, with the original dtypes where possible."""
        data = {}
        for j, column in enumerate(self.columns):
            values = array[:, j]
            if column in self.categories:
                known = ~np.isnan(values)
                decoded = np.full(len(values), None, dtype=object)
                decoded[known] = self.categories[column][values[known].astype(int)].to_numpy()
                data[column] = decoded
            elif pd.api.types.is_integer_dtype(self.dtypes[column]) and not np.isnan(values).any():
                data[column] = values.astype(self.dtypes[column])
            else:
                data[column] = values
        return pd.DataFrame(data, columns=self.columns)


def _one_class(values: Any, expected: Any, positive_index: int) -> tuple[np.ndarray, float, bool]:
    """shap's output for the positive class: (values, base, whether it is already that class)."""
    if isinstance(values, list):
        return np.asarray(values[positive_index]), float(np.ravel(expected)[positive_index]), True
    values = np.asarray(values)
    if values.ndim == 3:
        return values[:, :, positive_index], float(np.ravel(expected)[positive_index]), True
    return values, float(np.ravel(expected)[-1]), False


class CaseExplainer:
    """Exact SHAP for one fitted model, grouped by original input column.

    Fast exact paths for LightGBM (native TreeSHAP) and logistic regression (closed form);
    shap.TreeExplainer for scikit-learn tree ensembles; anything else gets a model-agnostic
    explainer (exact or permutation Shapley values of the log-odds) on a bounded background
    sample, whose cost per case is measured and shown.
    """

    def __init__(self, model: Any, background: pd.DataFrame, positive_label: Any = 1) -> None:
        self.model = model
        self.prep, self.estimator = split_pipeline(model)
        self.kind = model_kind(self.estimator)
        classes = list(getattr(self.estimator, "classes_", []))
        if len(classes) != 2:
            raise ExplainError(f"The model must be a binary classifier; it has classes {classes}.")
        if positive_label not in classes:
            raise ExplainError(f"The positive label {positive_label!r} is not a model class {classes}.")
        self.positive_index = classes.index(positive_label)
        self.sign = 1.0 if self.positive_index == 1 else -1.0
        self.input_columns = list(background.columns)
        self.scale = "log-odds"
        self.tolerance = FLOAT32_TOLERANCE if self.kind == "xgboost" else ADDITIVITY_TOLERANCE
        names = getattr(self.estimator, "feature_names_in_", None)
        if self.prep is None and names is not None and list(names) != self.input_columns:
            raise ExplainError(f"The evaluation data's input columns must be the model's, in its order: {list(names)}.")
        if self.kind == "agnostic":
            self._init_agnostic(background)
            return
        # The linear explainer centres on the mean of every case; the others only need the encoding's
        # width and a few rows to detect the scale, so they encode a probe (a page load pays this too).
        probe = background if self.kind == "linear" else background.iloc[:SCALE_PROBE_ROWS]
        self._row_encoder = None
        try:
            background_t = self._encode(probe)
        except Exception as err:
            raise ExplainError(f"The model cannot transform the evaluation data: {err}") from err
        if self.kind != "catboost":  # CatBoost takes the categories themselves, not their encoding
            self._row_encoder = checked_row_encoder(self.prep, probe, background_t)
        sources = map_outputs_to_inputs(self.prep, self.input_columns, background_t.shape[1])
        self.grouping, self.columns = grouping_matrix(sources)
        if self.kind == "linear":
            self._coef = np.asarray(self.estimator.coef_, dtype=float).ravel()
            self._mean = background_t.mean(axis=0)
            self._base = float(self.estimator.intercept_[0] + self._coef @ self._mean)
            self.method = "linear SHAP (exact, evaluation cases as background)"
        elif self.kind == "lightgbm":
            self._booster = self.estimator.booster_
            self.method = "TreeSHAP (exact, LightGBM native)"
        elif self.kind == "xgboost":
            self._xgboost = native.XGBoostShap(self.estimator)
            self.method = "TreeSHAP (exact, XGBoost native pred_contribs)"
        elif self.kind == "catboost":
            self.method = "TreeSHAP (exact, CatBoost native ShapValues)"
        else:
            import shap  # ~2 s to import: only for the models that need it

            self._tree = shap.TreeExplainer(self.estimator)
            self.method = f"TreeSHAP (exact, shap.TreeExplainer on {type(self.estimator).__name__})"
            self.scale = self._detect_scale(background_t)

    def _init_agnostic(self, background: pd.DataFrame) -> None:
        import shap

        self._codec = RawCodec(background)
        self.columns = tuple(self.input_columns)
        self.grouping = np.eye(len(self.columns))
        sample = background.sample(min(len(background), AGNOSTIC_BACKGROUND_ROWS), random_state=0)
        masker = shap.maskers.Independent(self._codec.encode(sample), max_samples=len(sample))
        exact = len(self.columns) <= AGNOSTIC_EXACT_MAX_COLUMNS
        if exact:
            self._shap = shap.explainers.Exact(self._log_odds_of_codes, masker)
        else:
            self._shap = shap.explainers.Permutation(self._log_odds_of_codes, masker, seed=0)
        kind = "exact Shapley values" if exact else "permutation SHAP"
        self.method = (
            f"model-agnostic {kind} of the log-odds for {type(self.estimator).__name__}, {len(sample)} background cases"
        )

    def _log_odds_of_codes(self, codes: np.ndarray) -> np.ndarray:
        proba = np.asarray(self.model.predict_proba(self._codec.decode(codes)), dtype=float)
        return logit(np.clip(proba[:, self.positive_index], 1e-12, 1 - 1e-12))

    def _encode(self, X: pd.DataFrame) -> np.ndarray | pd.DataFrame:
        encoder = getattr(self, "_row_encoder", None)  # explainers pickled before it existed have none
        if encoder is not None and len(X) == 1 and (one := encoder.encode(X)) is not None:
            return one  # exactly sklearn's encoding (checked at construction), without its per-call cost
        Xt = X if self.prep is None else self.prep.transform(X)
        if self.kind == "catboost":  # categorical columns stay as they are: CatBoost encodes them
            return native.catboost_frame(self.estimator, Xt)
        if self.kind == "xgboost" and hasattr(Xt, "tocsr"):  # XGBoost reads a sparse zero as missing
            return Xt.tocsr().astype(float)
        Xt = Xt.toarray() if hasattr(Xt, "toarray") else Xt
        return np.asarray(Xt, dtype=float)

    def _detect_scale(self, encoded: np.ndarray) -> str:
        # The full additivity check (on the whole model) comes later, on every explained case; the
        # estimator on the rows already encoded gives the same probabilities without encoding again.
        attribution = self.attribute(encoded)
        total = attribution.output
        with warnings.catch_warnings():  # fitted on named columns, given the same columns as an array
            warnings.filterwarnings("ignore", message="X does not have valid feature names")
            proba = np.asarray(self.estimator.predict_proba(encoded), dtype=float)[:, self.positive_index]
        if np.allclose(expit(total), proba, atol=self.tolerance, rtol=0):
            return "log-odds"
        if np.allclose(total, proba, atol=self.tolerance, rtol=0):
            return "probability"
        raise ExplainError(f"shap's explanation of {type(self.estimator).__name__} does not add up to its output.")

    def transform(self, X: pd.DataFrame) -> np.ndarray | pd.DataFrame:
        """The rows in the form `attribute` takes: the model's encoding (or coded raw columns)."""
        return self._codec.encode(X) if self.kind == "agnostic" else self._encode(X)

    def attribute(self, Xt: np.ndarray) -> Attribution:
        """Attributions for rows already encoded with `transform`."""
        sign = self.sign
        if self.kind == "linear":
            raw, base = self._coef * (Xt - self._mean), self._base
        elif self.kind == "lightgbm":
            # One row on one thread: under load, LightGBM's thread start-up gave a 24 ms p95 for a 0.3 ms call.
            threads = {"num_threads": 1} if Xt.shape[0] == 1 else {}
            contrib = self._booster.predict(Xt, pred_contrib=True, **threads)
            raw, base = contrib[:, :-1], float(contrib[0, -1])
        elif self.kind == "xgboost":
            raw, base = self._xgboost.contributions(Xt)
        elif self.kind == "catboost":
            raw, base = native.catboost_contributions(self.estimator, Xt)
        elif self.kind == "tree":
            raw, base, own_class = _one_class(
                self._tree.shap_values(Xt, check_additivity=False), self._tree.expected_value, self.positive_index
            )
            sign = 1.0 if own_class else sign
        else:
            result = self._shap(Xt, silent=True)  # one bar per registration, not one per call
            raw, base, sign = np.asarray(result.values), float(np.ravel(result.base_values)[0]), 1.0
        if self.scale == "probability" and sign < 0:
            raise ExplainError("A probability-scale explanation of the negative class is not supported.")
        return Attribution(
            base_value=sign * base,
            contributions=sign * (raw @ self.grouping),
            columns=self.columns,
            scale=self.scale,
        )

    def explain(self, X: pd.DataFrame) -> Attribution:
        """Attributions for raw input rows."""
        return self.attribute(self.transform(X))

    def seconds_per_case(self, X: pd.DataFrame, rows: int = 3, encoded: Any = None) -> float:
        """Measured time to explain one case (median of a few), so slow explainers are visible.

        encoded: X's first rows already encoded with `transform` (saves encoding them again)."""
        encoded = self.transform(X.iloc[:rows]) if encoded is None else _take(encoded, 0, rows)
        times = []
        for i in range(encoded.shape[0]):
            start = time.perf_counter()
            self.attribute(_take(encoded, i, i + 1))
            times.append(time.perf_counter() - start)
        return float(np.median(times))

    def check_additivity(
        self, X: pd.DataFrame, attribution: Attribution | None = None, proba: np.ndarray | None = None
    ) -> None:
        """Raise ExplainError unless the attributions (of X) reproduce the model's probabilities.

        proba: the model's probabilities of the positive class on X when already computed."""
        if proba is None:
            try:
                proba = np.asarray(self.model.predict_proba(X), dtype=float)[:, self.positive_index]
            except Exception as err:
                raise ExplainError(f"The model cannot predict on the evaluation data: {err}") from err
        proba = np.asarray(proba, dtype=float)
        if not np.all(np.isfinite(proba)):
            raise ExplainError("The model returns non-finite probabilities on the evaluation data.")
        if attribution is None:
            attribution = self.explain(X)
        if self.kind == "agnostic":
            proba = np.clip(proba, 1e-12, 1 - 1e-12)  # the log-odds it explains are clipped alike
        gap = float(np.max(np.abs(attribution.scores - proba)))
        if gap > self.tolerance:
            raise ExplainError(f"The explanations do not add up to the model's output (off by {gap:.2g}).")


@dataclass(frozen=True)
class GlobalExplanation:
    """Contributions of the evaluation cases (all, or a seeded sample sized from the case count and model)."""

    contributions: pd.DataFrame  # cases x input columns, on the explanation's scale
    base_value: float
    seconds_per_case: float
    sampled: bool
    sample_rule: str = "every case"  # why these rows (global_sample_size)


def _take(encoded: Any, start: int, stop: int) -> Any:
    """Rows start:stop of an encoding (an array, a sparse matrix or CatBoost's frame)."""
    return encoded.iloc[start:stop] if isinstance(encoded, pd.DataFrame) else encoded[start:stop]


def _explain_in_chunks(explainer: CaseExplainer, rows: pd.DataFrame, progress: bool | str) -> tuple[Attribution, float]:
    """The rows' attributions and the measured seconds per case, with one progress bar on stderr if asked.

    Rows are encoded ENCODE_CHUNK_ROWS at a time (an encoder's fixed cost is paid per call, its memory
    per row) and explained EXPLAIN_CHUNK_ROWS at a time."""
    # tqdm: a dependency of shap; tqdm.auto draws a widget in a notebook, a text bar on a terminal
    from tqdm.auto import tqdm

    label = progress if isinstance(progress, str) else "Explaining evaluation cases"
    parts, per_case = [], float("nan")
    bar = tqdm(total=len(rows), unit="case", desc=label, disable=not progress, leave=False, mininterval=0, miniters=1)
    with bar:  # redrawn after every chunk (a chunk takes far longer than drawing)
        for block_start in range(0, len(rows), ENCODE_CHUNK_ROWS):
            block = rows.iloc[block_start : block_start + ENCODE_CHUNK_ROWS]
            try:
                encoded = explainer.transform(block)
            except Exception as err:
                raise ExplainError(f"The model cannot transform the evaluation data: {err}") from err
            if block_start == 0:
                per_case = explainer.seconds_per_case(block, encoded=encoded)
            for start in range(0, len(block), EXPLAIN_CHUNK_ROWS):
                parts.append(explainer.attribute(_take(encoded, start, start + EXPLAIN_CHUNK_ROWS)))
                bar.update(min(EXPLAIN_CHUNK_ROWS, len(block) - start))
    attribution = Attribution(
        base_value=parts[0].base_value,
        contributions=np.vstack([part.contributions for part in parts]),
        columns=parts[0].columns,
        scale=parts[0].scale,
    )
    return attribution, per_case


def tree_work_per_case(estimator: Any) -> int | None:
    """TreeSHAP work per explained case of a scikit-learn tree model: sum of leaves x depth^2 (None if unknown)."""
    trees: list[tuple[int, int]] = []
    if hasattr(estimator, "tree_"):  # a single decision tree
        trees = [(estimator.tree_.n_leaves, estimator.tree_.max_depth)]
    elif hasattr(estimator, "_predictors"):  # HistGradientBoosting: lists of TreePredictor per iteration
        trees = [(p.get_n_leaf_nodes(), p.get_max_depth()) for stage in estimator._predictors for p in stage]
    elif hasattr(estimator, "estimators_"):  # forests (a list) and GradientBoosting (an array of stages)
        members = np.asarray(estimator.estimators_, dtype=object).ravel()
        trees = [(m.tree_.n_leaves, m.tree_.max_depth) for m in members if hasattr(m, "tree_")]
    if not trees:
        return None
    return int(sum(leaves * max(depth, 1) ** 2 for leaves, depth in trees))


def global_sample_size(explainer: CaseExplainer, n_cases: int) -> tuple[int, str]:
    """How many of n_cases evaluation cases get their SHAP stored, and why (the card states it).

    Deterministic: from the case count, the explainer and the model's size; never from a timing.
    """
    if explainer.kind == "agnostic":
        rows = min(n_cases, AGNOSTIC_GLOBAL_ROWS)
        why = f"a model-agnostic explainer: a seeded sample of at most {AGNOSTIC_GLOBAL_ROWS:,} cases"
    elif explainer.kind == "tree":
        work = tree_work_per_case(explainer.estimator)
        affordable = EXACT_GLOBAL_MAX_ROWS if work is None else max(MIN_GLOBAL_ROWS, TREE_WORK_BUDGET // work)
        rows = min(n_cases, EXACT_GLOBAL_MAX_ROWS, affordable)
        why = (
            f"TreeSHAP of this model's trees (work {work:,} per case) on every case would exceed the budget: "
            f"a seeded sample of {rows:,}"
            if work is not None and affordable < min(n_cases, EXACT_GLOBAL_MAX_ROWS)
            else f"a seeded sample of {EXACT_GLOBAL_MAX_ROWS:,}, the most an exact explainer stores"
        )
    else:
        rows = min(n_cases, EXACT_GLOBAL_MAX_ROWS)
        why = f"a seeded sample of {EXACT_GLOBAL_MAX_ROWS:,}, the most an exact explainer stores"
    return rows, ("every case" if rows >= n_cases else why)


def explain_evaluation(
    explainer: CaseExplainer, X: pd.DataFrame, progress: bool | str = False, scores: pd.Series | None = None
) -> GlobalExplanation:
    """Explain every case, or a seeded sample whose size `global_sample_size` chose (never the clock).

    Also checks that the explanations add up to the model's probabilities on those cases (`scores`,
    by case id, when already computed). progress: draw one progress bar (a string is its label).
    """
    size, why = global_sample_size(explainer, len(X))
    rows = X if size >= len(X) else X.sample(size, random_state=0).sort_index()
    attribution, per_case = _explain_in_chunks(explainer, rows, progress)
    proba = None if scores is None else scores.loc[rows.index].to_numpy()
    explainer.check_additivity(rows, attribution, proba=proba)
    frame = pd.DataFrame(attribution.contributions, index=rows.index, columns=list(attribution.columns))
    return GlobalExplanation(frame, attribution.base_value, per_case, sampled=len(rows) < len(X), sample_rule=why)
