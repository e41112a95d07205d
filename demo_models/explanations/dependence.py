"""How each input moves the score: SHAP dependence from the stored SHAP values, partial dependence and ICE
curves from scikit-learn, and a note where an input is strongly associated with another.

The input a dependence plot is coloured by follows shap's own heuristic, `shap.utils.approximate_interactions`
(shap/utils/_general.py, shap 0.51; shapviz's `potential_interactions` is the same idea): sort the cases by the
input's value, cut them into consecutive bins of max(min(n / 10, 50), 1) cases, and in each bin take the absolute
Pearson correlation between the input's SHAP contribution and the other input's value (categories as their
sorted codes; also its missing-value indicator, the larger counts). The other input whose correlations sum
highest explains most of the spread left in the contribution at a given value: it interacts with it most.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from scipy.stats.contingency import association
from scipy.stats.mstats import mquantiles
from sklearn.base import BaseEstimator
from sklearn.inspection import partial_dependence

from demo_models.iterations.scoring import ScoredIteration
from demo_models.vocabulary import UseCase

log = logging.getLogger(__name__)

SEED = 0
ICE_LINES = 50  # individual curves drawn
PD_CASES = 1_000  # cases averaged for partial dependence on larger sets
SHAP_POINTS = 5_000  # stored SHAP points shown on larger sets
INTERACTION_CASES = 10_000  # as shap: the interaction heuristic on at most this many cases
ASSOCIATION_CASES = 5_000  # associations measured on at most this many cases (seeded)
GRID_RESOLUTION = 20
PERCENTILES = (0.05, 0.95)  # scikit-learn's default ends of a numeric grid
STRONG = 0.7  # |Spearman| or Cramér's V at or above this: "strongly associated"
QUANTILE_BINS = 5  # a numeric input against a categorical one: its quintiles against the categories


class DependenceError(ValueError):
    """An input that cannot be shown (not an input of the iteration)."""


@dataclass(frozen=True)
class Association:
    """Another input strongly associated with the chosen one, and how that was measured."""

    other: str
    measure: str  # "Spearman" or "Cramér's V"
    value: float


@dataclass(frozen=True)
class InputDependence:
    """One input of one iteration: its stored SHAP points, partial dependence with ICE lines, and notes."""

    version: str
    column: str
    categorical: bool
    scale: str  # of the SHAP contributions: "log-odds" or "probability"
    values: pd.Series  # the input per shown case, as the model saw it (index: case id)
    contributions: pd.Series | None  # its stored SHAP per shown case; None if the iteration does not use it
    stored_cases: int  # cases with stored SHAP (points shown: len(values))
    colour_by: str | None  # the input it interacts with most (see the module docstring)
    colour_values: pd.Series | None
    grid: np.ndarray  # the partial-dependence grid
    average: np.ndarray  # partial dependence: mean probability of the positive class at each grid value
    ice: pd.DataFrame  # one row per sampled case (index: case id), one column per grid value
    pd_cases: int  # cases averaged (a seeded sample of `cases` when larger than PD_CASES)
    cases: int  # evaluation cases of the iteration
    missing: int  # evaluation cases missing this input (never on the grid)
    seed: int
    associations: tuple[Association, ...]  # strongly associated inputs, strongest first


def is_categorical(series: pd.Series) -> bool:
    """Whether an input is treated as categories (anything not numeric; booleans are categories)."""
    return not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def dependence_inputs(scored: ScoredIteration) -> list[str]:
    """The iteration's inputs, those it uses first, by mean |SHAP| (largest first)."""
    used = [c for c in scored.global_importance().index if c in scored.features.columns]
    return used + [c for c in scored.features.columns if c not in used]


def _codes(series: pd.Series) -> np.ndarray:
    """An input as floats for correlations: numbers as they are, categories as sorted codes, missing as NaN."""
    if not is_categorical(series):
        return series.to_numpy(dtype=float, na_value=np.nan)
    codes, _ = pd.factorize(series.astype(object), sort=True)
    return np.where(codes < 0, np.nan, codes).astype(float)


def _bin_correlation(shap_sorted: np.ndarray, other: np.ndarray, size: int) -> float:
    """Sum over consecutive bins of `size` cases of |Pearson correlation| (bins where either side is constant,
    or `other` has a missing value, count 0, as in shap)."""
    if np.nansum(np.abs(other)) < 1e-8:
        return 0.0
    full = len(other) // size * size
    blocks = [(shap_sorted[:full].reshape(-1, size), other[:full].reshape(-1, size))]
    if full < len(other):
        blocks.append((shap_sorted[full:][None, :], other[full:][None, :]))
    total = 0.0
    for a, b in blocks:
        keep = (a.std(axis=1) > 0) & (b.std(axis=1) > 0)
        a = a[keep] - a[keep].mean(axis=1, keepdims=True)
        b = b[keep] - b[keep].mean(axis=1, keepdims=True)
        total += float(np.abs((a * b).sum(axis=1) / np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))).sum())
    return total


def rank_interactions(column: str, shap: pd.Series, features: pd.DataFrame) -> pd.Series:
    """Each other input's interaction strength with `column` (shap's approximate_interactions rule), largest
    first; `shap` and `features` share their index."""
    x = _codes(features[column])
    order = np.argsort(x)
    ref = shap.to_numpy(dtype=float)[order]
    size = max(min(int(len(x) / 10.0), 50), 1)
    strengths = {}
    for other in features.columns:
        if other == column:
            continue
        values = _codes(features[other])[order]
        strengths[other] = max(
            _bin_correlation(ref, values, size), _bin_correlation(ref, np.isnan(values).astype(float), size)
        )
    return pd.Series(strengths, dtype=float).sort_values(ascending=False, kind="stable")


def find_associations(column: str, features: pd.DataFrame, strong: float = STRONG) -> tuple[Association, ...]:
    """Inputs strongly associated with `column`: |Spearman| between numbers, Cramér's V (scipy) otherwise, a
    number then cut into quintiles and a missing value counted as its own category."""
    found = []
    mine = features[column]
    for other in features.columns:
        if other == column:
            continue
        theirs = features[other]
        if not is_categorical(mine) and not is_categorical(theirs):
            both = pd.concat([mine, theirs], axis=1).dropna()
            if len(both) < 3 or both.nunique().min() < 2:
                continue
            value, measure = float(abs(spearmanr(both.iloc[:, 0], both.iloc[:, 1]).statistic)), "Spearman"
        else:
            table = pd.crosstab(_as_categories(mine), _as_categories(theirs))
            if min(table.shape) < 2:
                continue
            value, measure = float(association(table.to_numpy(), method="cramer")), "Cramér's V"
        if value >= strong:
            found.append(Association(other, measure, value))
    return tuple(sorted(found, key=lambda a: -a.value))


def _as_categories(series: pd.Series) -> pd.Series:
    if is_categorical(series):
        return series.astype(object).where(series.notna(), "(missing)").astype(str)
    binned = pd.qcut(series, QUANTILE_BINS, duplicates="drop").astype(object)
    return binned.where(series.notna(), "(missing)").astype(str)


def build_grid(series: pd.Series, categorical: bool, resolution: int = GRID_RESOLUTION) -> np.ndarray:
    """The partial-dependence grid as scikit-learn builds it, on the non-missing values: the categories, or
    the unique values when fewer than `resolution`, else `resolution` steps between the 5th and 95th percentile."""
    present = series.dropna()
    if present.nunique() < 2:
        raise DependenceError(f"{series.name} has fewer than two distinct values: there is nothing to sweep.")
    if categorical:
        return np.array(sorted(present.astype(object).unique(), key=str), dtype=object)
    values = present.to_numpy(dtype=float)
    unique = np.unique(values)
    if len(unique) < resolution:
        return unique
    low, high = mquantiles(values, prob=PERCENTILES, axis=0)
    if np.allclose(low, high):
        raise DependenceError(f"{series.name} is too concentrated for a grid: its 5th and 95th percentiles agree.")
    return np.linspace(low, high, num=resolution, endpoint=True)


def sample_cases(index: pd.Index, size: int, seed: int) -> pd.Index:
    """All of `index` if it has at most `size` entries, else a seeded sample of `size` of them (in order)."""
    if len(index) <= size:
        return index
    return index[np.sort(np.random.default_rng(seed).choice(len(index), size, replace=False))]


def model_frame(features: pd.DataFrame, column: str) -> pd.DataFrame:
    """The cases as partial_dependence takes them: an integer `column` as floats (scikit-learn refuses
    integer data for the swept input, to avoid silent rounding)."""
    if pd.api.types.is_integer_dtype(features[column]) and not pd.api.types.is_bool_dtype(features[column]):
        return features.astype({column: float})
    return features


def sweep_input(model, frame: pd.DataFrame, column: str, grid: np.ndarray, positive_index: int) -> np.ndarray:
    """Each case's probability of the positive class with `column` set to each grid value (cases × grid):
    what scikit-learn's brute-force partial dependence computes, for a model it does not take."""
    curves = np.empty((len(frame), len(grid)))
    for i, value in enumerate(grid):
        swept = frame.copy()
        swept[column] = value
        curves[:, i] = np.asarray(model.predict_proba(swept), dtype=float)[:, positive_index]
    return curves


def explain_dependence(
    scored: ScoredIteration,
    column: str,
    ice_lines: int = ICE_LINES,
    pd_cases: int = PD_CASES,
    shap_points: int = SHAP_POINTS,
    seed: int = SEED,
) -> InputDependence:
    """SHAP dependence, partial dependence (sklearn) with a seeded sample of ICE lines, the interacting and
    strongly associated inputs, for one input of an iteration."""
    features = scored.features
    if column not in features.columns:
        raise DependenceError(f"{column!r} is not an input of iteration {scored.card.version}.")
    categorical = is_categorical(features[column])
    stored = scored.iteration.shap_values
    stored = stored.set_axis(stored.index.astype(str))
    ids = features.index.astype(str)
    known = stored.index[stored.index.isin(ids)]
    by_id = features.set_axis(ids)
    shown = sample_cases(known, shap_points, seed)
    contributions, colour_by, colour_values = None, None, None
    if column in stored.columns and len(known):
        contributions = stored.loc[shown, column].astype(float)
        ranked_on = sample_cases(known, INTERACTION_CASES, seed)
        ranking = rank_interactions(column, stored.loc[ranked_on, column], by_id.loc[ranked_on])
        if len(ranking) and ranking.iloc[0] > 0:
            colour_by = str(ranking.index[0])
            colour_values = by_id.loc[shown, colour_by]
    try:
        grid = build_grid(features[column], categorical)
    except DependenceError as err:
        raise DependenceError(f"in {scored.card.version}'s evaluation cases, {err}") from err
    averaged = sample_cases(features.index, pd_cases, seed)
    frame = model_frame(features.loc[averaged], column)
    model = scored.iteration.model
    if isinstance(model, BaseEstimator) and hasattr(model, "fit"):  # what partial_dependence takes
        result = partial_dependence(
            model,
            frame,
            [column],
            categorical_features=[column] if categorical else None,
            custom_values={column: grid},
            kind="both",
        )
        average, individual = result["average"][0], result["individual"][0]
        if scored.explainer.positive_index == 0:  # scikit-learn sweeps the probability of classes_[1]
            average, individual = 1.0 - average, 1.0 - individual
    else:  # a native booster scikit-learn does not take: the same sweep, by hand
        individual = sweep_input(model, frame, column, grid, scored.explainer.positive_index)
        average = individual.mean(axis=0)
    ice_rows = np.sort(np.random.default_rng(seed).choice(len(averaged), min(ice_lines, len(averaged)), replace=False))
    ice = pd.DataFrame(individual[ice_rows], index=averaged[ice_rows].astype(str), columns=range(len(grid)))
    return InputDependence(
        version=scored.card.version,
        column=column,
        categorical=categorical,
        scale=scored.explainer.scale,
        values=by_id.loc[shown, column],
        contributions=contributions,
        stored_cases=len(known),
        colour_by=colour_by,
        colour_values=colour_values,
        grid=grid,
        average=np.asarray(average, dtype=float),
        ice=ice,
        pd_cases=len(averaged),
        cases=len(features),
        missing=int(features[column].isna().sum()),
        seed=seed,
        associations=find_associations(column, features.loc[sample_cases(features.index, ASSOCIATION_CASES, seed)]),
    )


def dependence_notes(dependence: InputDependence, use_case: UseCase) -> list[str]:
    """What the reader must know: the samples drawn, and the cases missing the input."""
    label, cases = use_case.label(dependence.column), use_case.words.cases
    sampled = dependence.pd_cases < dependence.cases
    notes = [
        f"{dependence.version}: partial dependence averaged over {dependence.pd_cases:,} of {dependence.cases:,} "
        f"{cases}{f' (a seeded sample, seed {dependence.seed})' if sampled else ''}; {len(dependence.ice):,} of them "
        f"drawn as ICE lines (seed {dependence.seed}); "
        + (
            f"SHAP points of {len(dependence.values):,} of the {dependence.stored_cases:,} {cases} with stored SHAP."
            if dependence.contributions is not None
            else f"no SHAP points: {dependence.version} does not use {label.lower()}."
        )
    ]
    if not dependence.categorical and len(dependence.grid) == GRID_RESOLUTION:
        notes.append(
            f"The grid spans the 5th to the 95th percentile of {label.lower()} in {GRID_RESOLUTION} even steps "
            "(scikit-learn's default), so the rarest values are left out."
        )
    if dependence.missing:
        where = "drawn at “missing”" if dependence.categorical else "not drawn (they have no value to place)"
        notes.append(
            f"{dependence.missing:,} {cases} have no {label.lower()}: in the averages their value is replaced by "
            f"each grid value like everyone's; their SHAP points are {where}."
        )
    return notes


def association_warnings(dependence: InputDependence, use_case: UseCase) -> list[str]:
    """One honest warning per input strongly associated with the chosen one (partial dependence can mislead)."""
    label, cases = use_case.label(dependence.column), use_case.words.cases
    warnings = []
    for found in dependence.associations:
        warnings.append(
            f"{label} is strongly associated with {use_case.label(found.other).lower()} ({found.measure} "
            f"{found.value:.2f}): partial dependence sets {label.lower()} while keeping "
            f"{use_case.label(found.other).lower()} as it is, creating {cases} that rarely occur, so read the curve "
            "with care."
        )
    return warnings
