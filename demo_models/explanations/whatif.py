"""What-if: edit a case's inputs, and the smallest change to actionable inputs that flips a decision."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import KNNImputer, SimpleImputer
from sklearn.pipeline import Pipeline

from demo_models.explanations.attributions import _column_names, split_pipeline
from demo_models.iterations.scoring import ScoredIteration

GRID_STEPS = 25
MAX_CANDIDATES = 20_000
CHUNK_ROWS = 50_000  # candidate rows scored in one predict_proba at most (a case's always together)
IMPUTERS = (SimpleImputer, KNNImputer)  # IterativeImputer is experimental: matched by name below


@dataclass(frozen=True)
class InputSpec:
    """How an input can be edited: numbers within a range (with a step), or one of the categories."""

    column: str
    numeric: bool
    low: float = 0.0
    high: float = 0.0
    step: float = 1.0
    integer: bool = False
    options: tuple = ()
    allows_missing: bool = False  # "missing" is a value the person may choose


def is_missing(value) -> bool:
    """Whether an input value is missing (None, NaN, pd.NA, NaT)."""
    return value is None or (np.ndim(value) == 0 and bool(pd.isna(value)))


def _is_imputer(step) -> bool:
    return isinstance(step, IMPUTERS) or type(step).__name__ == "IterativeImputer"


def _imputes(transformer) -> bool:
    if _is_imputer(transformer):
        return True
    return isinstance(transformer, Pipeline) and any(_imputes(step) for _, step in transformer.steps)


def imputed_columns(model, columns: list[str]) -> set[str]:
    """The input columns whose missing values the model's preprocessing fills in (an imputer applies to them)."""
    prep, _ = split_pipeline(model)
    steps = prep.steps if isinstance(prep, Pipeline) else [("prep", prep)] if prep is not None else []
    found: set[str] = set()
    for _, step in steps:
        if _imputes(step):
            return set(columns)  # an imputer before any column selection sees every input
        if isinstance(step, ColumnTransformer):
            for _, transformer, selection in step.transformers_:
                if transformer not in ("drop", "passthrough") and _imputes(transformer):
                    found.update(_column_names(selection, columns))
            return found
    return found


def input_specs(scored: ScoredIteration) -> list[InputSpec]:
    """An editing spec for every input, from the range / categories of the evaluation cases; an input
    allows "missing" when the evaluation cases have missing values in it or the model imputes it."""
    specs = []
    imputed = imputed_columns(scored.iteration.model, list(scored.features.columns))
    for column in scored.features.columns:
        values = scored.features[column]
        allows_missing = bool(values.isna().any()) or column in imputed
        if pd.api.types.is_numeric_dtype(values) and values.nunique() > 10:
            known = values.dropna()
            integer = pd.api.types.is_integer_dtype(values) or bool((known == known.round()).all())
            low, high = float(known.min()), float(known.max())
            step = 1.0 if integer else float(10 ** np.floor(np.log10(max((high - low) / 100, 1e-6))))
            specs.append(InputSpec(column, True, low, high, step, integer, allows_missing=allows_missing))
        else:
            options = tuple(sorted(values.dropna().unique().tolist(), key=str))
            specs.append(InputSpec(column, False, options=options, allows_missing=allows_missing))
    return specs


def missing_like(values: pd.Series):
    """How the column writes a missing value (the first one it holds, else NaN)."""
    holes = values[values.isna()]
    return holes.iloc[0] if len(holes) else np.nan


def edited_row(original: pd.DataFrame, changes: dict) -> pd.DataFrame:
    """The one-row frame with some inputs changed (dtypes kept; an integer input set missing becomes float)."""
    row = original.copy()
    for column, value in changes.items():
        dtype = row[column].dtype
        if is_missing(value):
            if pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_extension_array_dtype(dtype):
                dtype = np.dtype(float)
            value = missing_like(original[column])
        row[column] = pd.Series([value], index=row.index, dtype=object).astype(dtype)
    return row


def same_value(a, b) -> bool:
    """Equal inputs, a missing value being equal only to a missing value."""
    if is_missing(a) or is_missing(b):
        return is_missing(a) and is_missing(b)
    return bool(a == b)


def find_changes(original: pd.DataFrame, values: dict) -> dict[str, tuple]:
    """The inputs whose value differs from the case's: column -> (value shown, value edited)."""
    first = original.iloc[0]
    return {c: (first[c], v) for c, v in values.items() if not same_value(first[c], v)}


def changes_to_json(changes: dict[str, tuple]) -> str | None:
    """The edits as JSON, input -> [shown, edited] as text, a missing value as null; None without edits."""
    if not changes:
        return None
    return json.dumps({c: [_as_text(old), _as_text(new)] for c, (old, new) in changes.items()})


def _as_text(value) -> str | None:
    return None if is_missing(value) else str(value)


@dataclass(frozen=True)
class Counterfactual:
    """The smallest change found that flips the decision, with its distance and the new score."""

    changes: dict[str, tuple]  # column -> (old value, new value)
    score: float
    distance: float
    candidates: int


def _grid_base(scored: ScoredIteration, column: str) -> tuple[np.ndarray | list, bool]:
    """The values a search tries for an input before the case's own: GRID_STEPS numbers across the evaluation
    cases' range (whole numbers for an integer input), or every category; and whether it is a number."""
    values = scored.features[column]
    if pd.api.types.is_numeric_dtype(values) and values.nunique() > 10:
        grid = np.linspace(values.min(), values.max(), GRID_STEPS)
        if pd.api.types.is_integer_dtype(values):
            grid = np.unique(np.round(grid).astype(int))
        return grid, True
    return sorted(values.dropna().unique().tolist(), key=str), False


def _grid(scored: ScoredIteration, column: str, current, base: tuple | None = None) -> np.ndarray:
    """The values tried for an input, the case's own among them (`base`: `_grid_base`, when the caller has it)."""
    grid, numeric = base if base is not None else _grid_base(scored, column)
    if numeric:
        return np.append(grid, np.nan) if is_missing(current) else np.unique(np.append(grid, current))
    return np.array([*grid, current] if is_missing(current) else grid, dtype=object)


def _scale(scored: ScoredIteration, column: str) -> float | None:
    """The standard deviation a number's change is measured in; None for a category (or a coded number)."""
    values = scored.features[column]
    return float(values.std()) if pd.api.types.is_numeric_dtype(values) and values.nunique() > 10 else None


def distance(
    scored: ScoredIteration, changes: dict[str, tuple], scales: dict[str, float | None] | None = None
) -> float:
    """Size of a change: numbers in standard deviations of the evaluation cases, categories 1 each (`scales`: each
    column's `_scale`, when the caller has them already)."""
    total = 0.0
    for column, (old, new) in changes.items():
        scale = scales[column] if scales is not None else _scale(scored, column)
        if scale is not None and not (is_missing(old) or is_missing(new)):
            total += abs(float(new) - float(old)) / scale
        else:
            total += float(not same_value(old, new))
    return total


def find_counterfactual(scored: ScoredIteration, row: pd.DataFrame) -> Counterfactual | None:
    """The smallest change (by `distance`) to the use case's actionable inputs, on a grid of
    GRID_STEPS values per number (and every category), that flips the case's decision; None if none does."""
    return find_counterfactuals(scored, row)[0]


def find_counterfactuals(scored: ScoredIteration, rows: pd.DataFrame) -> list[Counterfactual | None]:
    """`find_counterfactual` of every row (a case each, in order), the candidates of up to CHUNK_ROWS rows scored
    in one predict_proba: its fixed cost is most of a search, and each row's scores are the same either way."""
    columns = [c for c in scored.use_case.actionable if c in rows.columns and c not in scored.card.protected_attributes]
    if not columns:
        return [None] * len(rows)
    bases = {c: _grid_base(scored, c) for c in columns}
    searches = [_Search.of(scored, rows.iloc[k], bases) for k in range(len(rows))]
    found: list[Counterfactual | None] = []
    scales = {c: _scale(scored, c) for c in columns}
    start = 0
    while start < len(searches):
        end, size = start + 1, searches[start].size
        while end < len(searches) and size + searches[end].size <= CHUNK_ROWS:
            size, end = size + searches[end].size, end + 1
        scores = _score_candidates(scored, rows.iloc[start:end], searches[start:end], columns)
        offset = 0
        for search in searches[start:end]:
            found.append(search.best(scored, scores[offset : offset + search.size], scales))
            offset += search.size
        start = end
    return found


@dataclass(frozen=True)
class _Search:
    """One case's counterfactual search: its actionable inputs' values, their grids and the combinations to try
    (the grids' product in order, the last input varying fastest)."""

    current: dict
    grids: list[np.ndarray]
    combos: list[tuple]

    @classmethod
    def of(cls, scored: ScoredIteration, row: pd.Series, bases: dict[str, tuple]) -> _Search:
        current = {c: row[c] for c in bases}
        grids = [_grid(scored, c, current[c], base) for c, base in bases.items()]
        return cls(current, grids, list(itertools.islice(itertools.product(*grids), MAX_CANDIDATES)))

    @property
    def size(self) -> int:
        """Rows scored: the case itself, then each combination."""
        return len(self.combos) + 1

    def best(self, scored: ScoredIteration, scores: np.ndarray, scales: dict) -> Counterfactual | None:
        """The nearest flipping combination by `distance` (fewest changed inputs on a tie, then the first) given the
        scores of `size` rows; each grid value's distance is computed once, and a combination's is their sum."""
        was_positive, proba = scores[0] >= scored.threshold, scores[1:]
        flipped = np.flatnonzero((proba >= scored.threshold) != was_positive)
        if not len(flipped):
            return None
        positions, stride = [], 1
        for grid in reversed(self.grids):  # a combination's position in each grid, from its index
            positions.insert(0, (flipped // stride) % len(grid))
            stride *= len(grid)
        totals, counts = np.zeros(len(flipped)), np.zeros(len(flipped), dtype=int)
        for (column, old), grid, at in zip(self.current.items(), self.grids, positions):  # summed as `distance` does
            changed = np.array([not same_value(v, old) for v in grid])
            costs = np.array(
                [distance(scored, {column: (old, v)}, scales) if c else 0.0 for v, c in zip(grid, changed)]
            )
            totals, counts = totals + costs[at], counts + changed[at]
        keys = [(round(float(total), 12), int(count)) for total, count in zip(totals, counts)]
        first = min(range(len(keys)), key=keys.__getitem__)
        combo = self.combos[flipped[first]]
        changes = {
            c: (old, combo[j]) for j, (c, old) in enumerate(self.current.items()) if not same_value(combo[j], old)
        }
        return Counterfactual(changes, float(proba[flipped[first]]), keys[first][0], len(self.combos))


def _score_candidates(
    scored: ScoredIteration, rows: pd.DataFrame, searches: list[_Search], columns: list[str]
) -> np.ndarray:
    """The positive-class scores of every search's rows (the case, then its combinations), one predict_proba."""
    repeat = np.repeat(np.arange(len(rows)), [s.size for s in searches])
    candidates = rows.iloc[repeat].reset_index(drop=True)
    for j, column in enumerate(columns):
        values = [v for s in searches for v in (s.current[column], *(combo[j] for combo in s.combos))]
        candidates[column] = pd.Series(values, dtype=object).astype(rows[column].dtype)
    return scored.iteration.model.predict_proba(candidates[list(rows.columns)])[:, scored.explainer.positive_index]


def describe_counterfactual(scored: ScoredIteration, counterfactual: Counterfactual) -> str:
    """In words: "Credit amount 5,951 DM → 3,000 DM and Loan duration 48 months → 24 months would be approved"."""
    use_case = scored.use_case
    parts = [
        f"{use_case.label(c)} {use_case.describe_value(c, old)} → {use_case.describe_value(c, new)}"
        for c, (old, new) in counterfactual.changes.items()
    ]
    new_decision = use_case.decision_for(counterfactual.score, scored.threshold)
    return f"{' and '.join(parts)} would be {use_case.past(new_decision)} (score {counterfactual.score:.0%})."
