"""What-if: edit a case's inputs, and the smallest change to actionable inputs that flips a decision."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from demo_models.scoring import ScoredIteration

GRID_STEPS = 25
MAX_CANDIDATES = 20_000


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


def input_specs(scored: ScoredIteration) -> list[InputSpec]:
    """An editing spec for every input, from the range / categories of the evaluation cases."""
    specs = []
    for column in scored.features.columns:
        values = scored.features[column]
        if pd.api.types.is_numeric_dtype(values) and values.nunique() > 10:
            integer = pd.api.types.is_integer_dtype(values)
            low, high = float(values.min()), float(values.max())
            step = 1.0 if integer else float(10 ** np.floor(np.log10(max((high - low) / 100, 1e-6))))
            specs.append(InputSpec(column, True, low, high, step, integer))
        else:
            specs.append(InputSpec(column, False, options=tuple(sorted(values.dropna().unique().tolist(), key=str))))
    return specs


def edited_row(original: pd.DataFrame, changes: dict) -> pd.DataFrame:
    """The one-row frame with some inputs changed (dtypes kept)."""
    row = original.copy()
    for column, value in changes.items():
        row[column] = pd.Series([value], index=row.index).astype(row[column].dtype)
    return row


@dataclass(frozen=True)
class Counterfactual:
    """The smallest change found that flips the decision, with its distance and the new score."""

    changes: dict[str, tuple]  # column -> (old value, new value)
    score: float
    distance: float
    candidates: int


def _grid(scored: ScoredIteration, column: str, current) -> np.ndarray:
    values = scored.features[column]
    if pd.api.types.is_numeric_dtype(values) and values.nunique() > 10:
        grid = np.linspace(values.min(), values.max(), GRID_STEPS)
        if pd.api.types.is_integer_dtype(values):
            grid = np.unique(np.round(grid).astype(int))
        return np.unique(np.append(grid, current))
    return np.array(sorted(values.dropna().unique().tolist(), key=str) , dtype=object)


def distance(scored: ScoredIteration, changes: dict[str, tuple]) -> float:
    """Size of a change: numbers in standard deviations of the evaluation cases, categories 1 each."""
    total = 0.0
    for column, (old, new) in changes.items():
        values = scored.features[column]
        if pd.api.types.is_numeric_dtype(values) and values.nunique() > 10:
            total += abs(float(new) - float(old)) / float(values.std())
        else:
            total += float(old != new)
    return total


def find_counterfactual(scored: ScoredIteration, row: pd.DataFrame) -> Counterfactual | None:
    """The smallest change (by `distance`) to the use case's actionable inputs, on a grid of
    GRID_STEPS values per number (and every category), that flips the case's decision; None if none does."""
    columns = [c for c in scored.use_case.actionable if c in row.columns and c not in scored.card.protected_attributes]
    if not columns:
        return None
    current = {c: row.iloc[0][c] for c in columns}
    grids = [_grid(scored, c, current[c]) for c in columns]
    combos = list(itertools.islice(itertools.product(*grids), MAX_CANDIDATES))
    candidates = pd.concat([row] * len(combos), ignore_index=True)
    for j, column in enumerate(columns):
        candidates[column] = pd.Series([combo[j] for combo in combos]).astype(row[column].dtype)
    proba = scored.iteration.model.predict_proba(candidates[list(row.columns)])[:, scored.explainer.positive_index]
    was_positive = scored.score_of(row) >= scored.threshold
    flipped = (proba >= scored.threshold) != was_positive
    best = None
    for i in np.flatnonzero(flipped):
        changes = {c: (current[c], combos[i][j]) for j, c in enumerate(columns) if combos[i][j] != current[c]}
        key = (round(distance(scored, changes), 12), len(changes))
        if best is None or key < best[0]:
            best = (key, changes, float(proba[i]))
    if best is None:
        return None
    return Counterfactual(best[1], best[2], best[0][0], len(combos))


def describe_counterfactual(scored: ScoredIteration, counterfactual: Counterfactual) -> str:
    """In words: "Credit amount 5,951 DM → 3,000 DM and Loan duration 48 months → 24 months would be approved"."""
    use_case = scored.use_case
    parts = [
        f"{use_case.label(c)} {use_case.describe_value(c, old)} → {use_case.describe_value(c, new)}"
        for c, (old, new) in counterfactual.changes.items()
    ]
    new_decision = use_case.decision_for(counterfactual.score, scored.threshold)
    return f"{' and '.join(parts)} would be {use_case.past(new_decision)} (score {counterfactual.score:.0%})."
