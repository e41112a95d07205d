"""The data explorer on a synthetic use case the project did not build (a categorical input, missing values,
an imbalanced target, a protected attribute with a group of no cases): every count and share equals a direct
pandas groupby / value_counts, undefined shares are NaN (shown "—"), never 0."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from demo_models.iterations.evaluation import Evaluation
from demo_models.iterations.registry import Iteration, IterationCard
from demo_models.metrics.data_explorer import (
    BY_DECISION,
    BY_OUTCOME,
    EVALUATION,
    REFERENCE,
    compare_with_reference,
    label_input,
    missing_by_group,
    profile_input,
    split_cases,
    split_options,
)
from demo_models.metrics.drift import feature_drift
from demo_models.metrics.error_map import bin_input
from demo_models.presentation.data_figures import build_share_bars, describe_share_bars


def _frame(rows: int = 900, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "colour": rng.choice(["red", "green", "blue"], rows, p=[0.5, 0.3, 0.2]).astype(object),
            "weight": rng.normal(70, 12, rows).round(1),
            "visits": rng.integers(0, 4, rows),  # four values: each its own bin
            "region": rng.choice(["north", "south"], rows),
            "bought": (rng.random(rows) < 0.06).astype(int),  # imbalanced: about 6 %
        },
        index=[f"S{i:04d}" for i in range(rows)],
    )
    frame.loc[rng.random(rows) < 0.1, "weight"] = np.nan
    frame.loc[rng.random(rows) < 0.05, "colour"] = None
    return frame


@pytest.fixture(scope="module")
def scored() -> Evaluation:
    frame = _frame()
    card = IterationCard(
        use_case="shop", version="v1", author="Test", created="2026-12-03", target="bought", positive_label=1,
        positive_class="bought", threshold=0.97, features=("colour", "weight", "visits", "region"),
        protected_attributes=("region",), n_eval=len(frame),
    )  # fmt: skip
    scores = pd.Series(np.random.default_rng(1).random(len(frame)), index=frame.index)
    return Evaluation(Iteration(card, None, frame, pd.DataFrame()), scores)


def _reference_counts(values: pd.Series, groups: pd.Series) -> pd.DataFrame:
    """Cases and share of each (group, value) with pandas alone: groupby size and value_counts(normalize)."""
    counts = pd.DataFrame({"g": groups.astype(str), "v": values.astype(str)}).groupby(["g", "v"]).size()
    shares = pd.concat(
        {
            g: part.value_counts(normalize=True, dropna=False)
            for g, part in values.astype(str).groupby(groups.astype(str))
        }
    )
    return pd.DataFrame({"cases": counts, "share": shares})


def test_a_categorical_input_by_outcome_equals_pandas(scored):
    profile = profile_input(scored, "colour", BY_OUTCOME)
    frame = scored.iteration.eval_data
    groups = np.where(frame["bought"] == 1, "actually “bought”", "actually not “bought”")
    values = frame["colour"].fillna("missing")
    expected = _reference_counts(values, pd.Series(groups, index=frame.index))
    shown = profile.table[profile.table["cases"] > 0].set_index(["group", "value"])
    assert len(shown) == len(expected)
    for (group, value), row in expected.iterrows():
        assert shown.loc[(group, value), "cases"] == row["cases"]
        assert shown.loc[(group, value), "share"] == pytest.approx(row["share"])
    assert frame["bought"].sum() == profile.groups.set_index("group").loc["actually “bought”", "cases"]
    missing = profile.groups.set_index("group")["missing"]
    assert missing.sum() == frame["colour"].isna().sum() > 0
    assert missing["actually “bought”"] == frame.loc[frame["bought"] == 1, "colour"].isna().sum()


def test_a_number_in_quantile_bins_by_decision_equals_pd_cut_and_its_quartiles(scored):
    profile = profile_input(scored, "weight", BY_DECISION)
    frame = scored.iteration.eval_data
    weight = frame["weight"]
    edges = np.unique(np.nanquantile(weight, np.linspace(0, 1, 6)))
    binned = pd.cut(weight, edges, include_lowest=True, labels=False)
    decision = np.where(scored.scores >= 0.97, "flag as bought", "pass")
    assert list(bin_input(weight, "weight", scored.use_case).cat.categories)[-1] == "missing"
    for group in ("pass", "flag as bought"):
        rows = profile.table[profile.table["group"] == group]
        here = binned[decision == group]
        expected = here.value_counts(dropna=False).sort_index(na_position="last")
        assert list(rows["cases"]) == list(expected.to_numpy())
        assert rows["share"].to_numpy() == pytest.approx((expected / len(here)).to_numpy())
    stats = profile.groups.set_index("group")
    direct = weight.groupby(decision).describe()
    for group in ("pass", "flag as bought"):
        assert stats.loc[group, "median"] == pytest.approx(direct.loc[group, "50%"])
        assert stats.loc[group, "25th percentile"] == pytest.approx(direct.loc[group, "25%"])
        assert stats.loc[group, "mean"] == pytest.approx(direct.loc[group, "mean"])
        assert stats.loc[group, "missing"] == weight[decision == group].isna().sum()
        assert stats.loc[group, "missing share"] == pytest.approx(weight[decision == group].isna().mean())


def test_a_group_with_no_cases_has_undefined_shares_not_zero(scored):
    nobody = scored.at_threshold(1.5)  # no score reaches it: nothing is flagged
    profile = profile_input(nobody, "visits", BY_DECISION)
    flagged = profile.table[profile.table["group"] == "flag as bought"]
    assert len(flagged) == 4 and (flagged["cases"] == 0).all() and flagged["share"].isna().all()
    groups = profile.groups.set_index("group")
    assert groups.loc["flag as bought", "cases"] == 0 and np.isnan(groups.loc["flag as bought", "missing share"])
    assert np.isnan(groups.loc["flag as bought", "median"])
    missing = missing_by_group(nobody, BY_DECISION)
    assert missing["missing share: flag as bought"].isna().all()
    text = describe_share_bars(profile.table, "group", "Visits")
    assert "flag as bought: no cases (—)" in text.summary
    assert len(build_share_bars(profile.table, "group", "Visits", "decision").data) == 2


def test_missing_values_per_protected_group_equal_pandas_and_the_attribute_is_labelled(scored):
    assert split_options(scored) == [BY_OUTCOME, BY_DECISION, "region"]
    frame = scored.iteration.eval_data
    table = missing_by_group(scored, "region").set_index("input")
    assert label_input(scored, "region") == "Region (protected)" and "Region (protected)" in table.index
    for column, label in (("weight", "Weight"), ("colour", "Colour")):
        assert table.loc[label, "missing"] == frame[column].isna().sum()
        assert table.loc[label, "missing share"] == pytest.approx(frame[column].isna().mean())
        by_region = frame[column].isna().groupby(frame["region"]).mean()
        for region in ("north", "south"):
            assert table.loc[label, f"missing share: {region}"] == pytest.approx(by_region[region])
    assert list(split_cases(scored, "region").cat.categories) == ["north", "south"]
    with pytest.raises(ValueError, match="neither"):
        split_cases(scored, "weight")


def test_the_comparison_with_reference_data_equals_value_counts_and_feature_drift(scored):
    evaluation = scored.features
    reference = _frame(600, seed=9)[list(scored.card.features)]
    reference.loc[reference.index[:50], "colour"] = "purple"  # a value the evaluation cases never have
    comparison = compare_with_reference(evaluation, reference, "colour", scored.use_case)
    table = comparison.table.set_index(["source", "value"])
    for source, frame in ((EVALUATION, evaluation), (REFERENCE, reference)):
        expected = frame["colour"].fillna("missing").value_counts()
        for value, count in expected.items():
            assert table.loc[(source, value), "cases"] == count
            assert table.loc[(source, value), "share"] == pytest.approx(count / len(frame))
    assert table.loc[(EVALUATION, "purple"), "cases"] == 0 and table.loc[(EVALUATION, "purple"), "share"] == 0
    expected_drift = feature_drift(reference, evaluation, list(evaluation.columns))
    pd.testing.assert_frame_equal(comparison.drift, expected_drift)
    assert (comparison.reference_cases, comparison.evaluation_cases) == (600, 900)
