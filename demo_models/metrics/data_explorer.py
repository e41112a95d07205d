"""The data behind an iteration: each input's distribution on the evaluation cases by actual outcome, by
decision and by protected group, its missing values per group, and how the cases compare with the reference
(training) data where one is held. Tidy tables; a share is undefined (NaN, shown "—") in a group with no
cases, never 0."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from demo_models.metrics.drift import feature_drift
from demo_models.metrics.error_map import HEAT_BINS, MISSING, bin_input, heat_map_inputs
from demo_models.metrics.groups import group_frame
from demo_models.vocabulary import UseCase

if TYPE_CHECKING:
    from demo_models.iterations.evaluation import Evaluation

BY_OUTCOME, BY_DECISION = "outcome", "decision"
EVALUATION, REFERENCE = "evaluation cases", "reference data"
PROFILE_COLUMNS = ["group", "value", "cases", "share"]


@dataclass(frozen=True)
class InputProfile:
    """One input split by `by` (outcome, decision or a protected attribute): `table` holds one row per group
    and value bin (cases, share of the group's cases; NaN share where the group has none); `groups` one row
    per group (cases, missing, missing share, and for a number its mean, median and quartiles)."""

    column: str
    by: str
    numeric: bool
    table: pd.DataFrame
    groups: pd.DataFrame


@dataclass(frozen=True)
class ReferenceComparison:
    """One input on the evaluation cases beside the reference data (`table`: source, value, cases, share)
    and every input's drift of the evaluation cases from the reference (`drift`: PSI, band, test)."""

    column: str
    table: pd.DataFrame
    drift: pd.DataFrame
    reference_cases: int
    evaluation_cases: int
    time_column: str | None = None  # the months the reference is chosen by: left out of the drift


def is_protected(scored: Evaluation, column: str) -> bool:
    """Whether `column` is one of the iteration's protected attributes."""
    return column in scored.card.protected_attributes


def label_input(scored: Evaluation, column: str) -> str:
    """An input's business label, "(protected)" after a protected attribute's."""
    label = scored.use_case.label(column)
    return f"{label} (protected)" if is_protected(scored, column) else label


def explorer_inputs(scored: Evaluation) -> list[str]:
    """Every input of the iteration, the most important first (as the heat map orders them)."""
    return heat_map_inputs(scored)


def split_options(scored: Evaluation) -> list[str]:
    """What an input can be split by: the actual outcome, the decision, each protected attribute held."""
    held = [a for a in scored.card.protected_attributes if a in scored.iteration.eval_data.columns]
    return [BY_OUTCOME, BY_DECISION, *held]


def split_cases(scored: Evaluation, by: str) -> pd.Series:
    """Each evaluation case's group as a categorical whose categories are every group, empty ones too:
    "actually <state>" by outcome, the decision at the iteration's threshold, or the protected group."""
    index = scored.features.index
    words = scored.use_case.words
    if by == BY_OUTCOME:
        names = [f"actually {words.negative_state}", f"actually {words.positive_state}"]
        values = np.asarray(names, dtype=object)[np.asarray(scored.iteration.labels, dtype=int)]
    elif by == BY_DECISION:
        names = [scored.use_case.negative_decision, scored.use_case.positive_decision]
        values = scored.decisions().reindex(index).to_numpy(dtype=object)
    elif by in split_options(scored):
        frame = scored.iteration.eval_data.loc[index, [by]]
        groups = group_frame(frame, (by,), scored.use_case)[by]
        values = groups.astype(object).where(groups.notna(), MISSING).astype(str).to_numpy(dtype=object)
        if isinstance(groups.dtype, pd.CategoricalDtype):  # bands of a number: every band, empty ones too
            names = [c for c in groups.cat.categories if c != MISSING]
        else:
            names = sorted(set(values) - {MISSING})
        names += [MISSING] if (values == MISSING).any() else []
    else:
        raise ValueError(f"{by!r} is neither the outcome, the decision nor a protected attribute of this iteration.")
    return pd.Series(pd.Categorical(values, categories=names), index=index, name=by)


def _group_summary(values: pd.Series, groups: pd.Series, numeric: bool) -> pd.DataFrame:
    """Per group: cases, missing, missing share; for a number its mean, median and quartiles."""
    cases = groups.value_counts(sort=False).reindex(groups.cat.categories, fill_value=0)
    missing = values.isna().groupby(groups, observed=False).sum().reindex(groups.cat.categories, fill_value=0)
    summary = pd.DataFrame({"cases": cases.astype(int), "missing": missing.astype(int)})
    summary["missing share"] = (summary["missing"] / summary["cases"]).where(summary["cases"] > 0)
    if numeric:
        grouped = values.astype(float).groupby(groups, observed=False)
        summary["mean"] = grouped.mean()
        summary["25th percentile"] = grouped.quantile(0.25)
        summary["median"] = grouped.median()
        summary["75th percentile"] = grouped.quantile(0.75)
    return summary.rename_axis("group").reset_index()


def profile_values(
    values: pd.Series, groups: pd.Series, column: str, use_case: UseCase, bins: int = HEAT_BINS
) -> InputProfile:
    """One input's values split by `groups` (a categorical, one label per case): counts and shares of each
    value bin per group (numbers in quantile bins, categories by value, missing values as a bin)."""
    binned = bin_input(values, column, use_case, bins)
    counts = pd.crosstab(groups, binned, dropna=False).reindex(
        index=groups.cat.categories, columns=binned.cat.categories, fill_value=0
    )
    totals = counts.sum(axis=1)
    shares = counts.div(totals.where(totals > 0), axis=0)
    table = pd.DataFrame(
        {
            "group": np.repeat(counts.index.astype(object), counts.shape[1]),
            "value": np.tile(counts.columns.astype(object), counts.shape[0]),
            "cases": counts.to_numpy().ravel().astype(int),
            "share": shares.to_numpy(dtype=float).ravel(),
        },
        columns=PROFILE_COLUMNS,
    )
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    numeric = numeric and column not in use_case.value_labels
    return InputProfile(column, str(groups.name), numeric, table, _group_summary(values, groups, numeric))


def profile_input(scored: Evaluation, column: str, by: str, bins: int = HEAT_BINS) -> InputProfile:
    """An input of the iteration's evaluation cases by outcome, decision or protected group (`split_options`)."""
    if column not in scored.features.columns:
        raise ValueError(f"{column!r} is not an input of iteration {scored.card.version}.")
    return profile_values(scored.features[column], split_cases(scored, by), column, scored.use_case, bins)


def missing_by_group(scored: Evaluation, by: str) -> pd.DataFrame:
    """Every input's missing values: overall count and share, then the share in each group (NaN, shown "—",
    where a group has no cases), one row per input, protected ones labelled so."""
    groups = split_cases(scored, by)
    features = scored.features
    missing = features.isna()
    cases = groups.value_counts(sort=False).reindex(groups.cat.categories, fill_value=0)
    per_group = missing.groupby(groups, observed=False).sum().reindex(groups.cat.categories, fill_value=0)
    shares = per_group.div(cases.where(cases > 0), axis=0).T
    table = pd.DataFrame(
        {
            "input": [label_input(scored, c) for c in features.columns],
            "missing": missing.sum().to_numpy().astype(int),
            "missing share": missing.mean().to_numpy(dtype=float) if len(features) else np.nan,
        }
    )
    for group in groups.cat.categories:
        table[f"missing share: {group}"] = shares.loc[:, group].to_numpy(dtype=float)
    return table


def compare_with_reference(
    evaluation: pd.DataFrame,
    reference: pd.DataFrame,
    column: str,
    use_case: UseCase,
    bins: int = HEAT_BINS,
    time_column: str | None = None,
) -> ReferenceComparison:
    """One input's distribution on the evaluation cases beside the reference data (bins of both together),
    and the drift of every input both hold (`metrics.drift.feature_drift`: PSI on the reference's deciles,
    Kolmogorov-Smirnov or chi-square) but `time_column`: the reference is chosen by it, so it differs by design."""
    if column not in evaluation.columns or column not in reference.columns:
        raise ValueError(f"{column!r} is not held in both the evaluation cases and the reference data.")
    both = pd.concat([evaluation[column], reference[column]], ignore_index=True)
    source = pd.Series(
        pd.Categorical(
            np.r_[np.repeat(EVALUATION, len(evaluation)), np.repeat(REFERENCE, len(reference))],
            categories=[EVALUATION, REFERENCE],
        ),
        name="source",
    )
    profile = profile_values(both, source, column, use_case, bins)
    shared = [c for c in evaluation.columns if c in reference.columns and c != time_column]
    drift = feature_drift(reference[shared], evaluation[shared], shared)
    table = profile.table.rename(columns={"group": "source"})
    held = time_column if time_column in evaluation.columns else None
    return ReferenceComparison(column, table, drift, len(reference), len(evaluation), held)
