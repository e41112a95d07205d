"""How each input moves the score: SHAP dependence, partial dependence and ICE against their references."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr
from scipy.stats.contingency import association
from shap.utils import approximate_interactions
from sklearn.inspection import partial_dependence

from demo_models.explanations.dependence import (
    PD_CASES,
    SEED,
    DependenceError,
    dependence_inputs,
    explain_dependence,
    find_associations,
    model_frame,
    rank_interactions,
    sample_cases,
    sweep_input,
)
from demo_models.iterations.registry import load_iteration, register_iteration
from demo_models.iterations.scoring import ScoredIteration
from tests.helpers import fit_planted_model, planted_approvals


@pytest.fixture(scope="module")
def brought(tmp_path_factory) -> ScoredIteration:
    """A brought model with missing values and categories, and two planted pairs (`planted_approvals`)."""
    frame = planted_approvals()
    root = tmp_path_factory.mktemp("registry")
    register_iteration(
        fit_planted_model(frame),
        frame.iloc[:600],
        use_case="loans",
        version="v1",
        target="approved",
        author="Test",
        positive_label=1,
        positive_class="approved",
        threshold=0.4,
        favourable="positive",
        registry_dir=root,
    )
    return ScoredIteration(load_iteration("loans", "v1", root))


def _reference(scored: ScoredIteration, column: str, grid=None, cases=None):
    features = scored.features if cases is None else scored.features.loc[cases]
    categorical = [column] if not pd.api.types.is_numeric_dtype(features[column]) else None
    extra = {} if grid is None else {"custom_values": {column: grid}}
    return partial_dependence(
        scored.iteration.model,
        model_frame(features, column),
        [column],
        categorical_features=categorical,
        grid_resolution=20,
        kind="both",
        **extra,
    )


@pytest.mark.parametrize("column", ["duration", "credit_amount", "checking_account", "job"])
def test_partial_dependence_equals_sklearn_on_its_own_grid(scored, column):
    it = scored["v3"]
    found = explain_dependence(it, column)
    reference = _reference(it, column)  # scikit-learn builds the grid itself: no missing values here
    assert list(found.grid) == list(reference["grid_values"][0])
    assert np.array_equal(found.average, reference["average"][0])
    assert found.pd_cases == found.cases == 300


def test_partial_dependence_on_a_large_set_is_a_disclosed_seeded_sample(registry_dir):
    it = ScoredIteration(load_iteration("fraud", "v2", registry_dir))
    found = explain_dependence(it, "amount")
    assert (found.cases, found.pd_cases) == (20_000, PD_CASES)
    cases = sample_cases(it.features.index, PD_CASES, SEED)
    reference = _reference(it, "amount", found.grid, cases)
    assert np.array_equal(found.average, reference["average"][0])
    rows = [cases.get_loc(i) for i in found.ice.index]
    assert np.array_equal(found.ice.to_numpy(), reference["individual"][0][rows])


def test_dependence_points_are_the_stored_shap_values(scored):
    it = scored["v3"]
    found = explain_dependence(it, "duration")
    stored = it.iteration.shap_values.set_axis(it.iteration.shap_values.index.astype(str))
    assert len(found.values) == found.stored_cases == len(stored)
    assert found.contributions.to_numpy().tolist() == stored.loc[found.contributions.index, "duration"].tolist()
    assert (
        found.values.tolist()
        == it.features.set_axis(it.features.index.astype(str)).loc[found.values.index, "duration"].tolist()
    )
    assert found.scale == it.explainer.scale


def test_an_input_the_iteration_does_not_use_has_no_contributions_but_a_flat_partial_dependence(scored):
    it = scored["v3"]
    unused = [c for c in it.features.columns if c not in it.iteration.shap_values.columns]
    assert unused, "v3 leaves out some inputs"
    found = explain_dependence(it, unused[0])
    assert found.contributions is None and found.colour_by is None
    assert np.ptp(found.average) == pytest.approx(0.0, abs=1e-12)


def test_ice_lines_are_a_seeded_reproducible_sample(scored):
    it = scored["v3"]
    first, again = explain_dependence(it, "duration"), explain_dependence(it, "duration")
    other = explain_dependence(it, "duration", seed=1)
    assert len(first.ice) == 50 and first.ice.equals(again.ice)
    assert list(other.ice.index) != list(first.ice.index)
    reference = _reference(it, "duration")["individual"][0]
    rows = [it.features.index.astype(str).get_loc(i) for i in first.ice.index]
    assert np.array_equal(first.ice.to_numpy(), reference[rows])
    assert np.allclose(reference.mean(axis=0), first.average)  # PD is the mean of all the ICE lines


def test_a_categorical_input_sweeps_its_categories(scored):
    found = explain_dependence(scored["v3"], "checking_account")
    assert found.categorical
    assert list(found.grid) == sorted(scored["v3"].features["checking_account"].unique())
    assert found.ice.shape == (50, len(found.grid))


def test_the_colouring_input_is_shaps_approximate_interactions_choice(scored):
    it = scored["v3"]
    features = it.features.set_axis(it.features.index.astype(str))
    stored = it.iteration.shap_values.set_axis(it.iteration.shap_values.index.astype(str)).loc[features.index]
    encoded = pd.DataFrame(
        {c: pd.factorize(features[c], sort=True)[0] if features[c].dtype != "int64" else features[c] for c in features},
        dtype=float,
    )
    matrix = np.column_stack([stored[c] if c in stored else np.zeros(len(stored)) for c in features.columns])
    for column in ("duration", "credit_amount"):
        ours = rank_interactions(column, stored[column], features)
        order = approximate_interactions(column, matrix, encoded)
        theirs = [features.columns[i] for i in order if features.columns[i] != column]
        assert ours.index[0] == theirs[0]
        assert explain_dependence(it, column).colour_by == ours.index[0]


def test_a_planted_correlated_pair_gets_a_note_and_an_independent_input_does_not(brought):
    income = explain_dependence(brought, "income")
    assert [(a.other, a.measure) for a in income.associations] == [("savings", "Spearman")]
    both = brought.features[["income", "savings"]].dropna()
    assert income.associations[0].value == pytest.approx(abs(spearmanr(both["income"], both["savings"]).statistic))
    region = explain_dependence(brought, "region")
    assert [(a.other, a.measure) for a in region.associations] == [("branch", "Cramér's V")]
    table = pd.crosstab(brought.features["region"], brought.features["branch"].fillna("(missing)"))
    assert region.associations[0].value == pytest.approx(association(table.to_numpy(), method="cramer"))
    assert explain_dependence(brought, "tenure").associations == ()
    assert find_associations("tenure", brought.features) == ()


def test_a_brought_model_with_missing_values_and_categories_works(brought):
    income = explain_dependence(brought, "income")
    assert income.missing == int(brought.features["income"].isna().sum()) > 0
    assert not np.isnan(income.grid).any() and len(income.grid) == 20
    reference = _reference(brought, "income", income.grid)
    assert np.array_equal(income.average, reference["average"][0])
    branch = explain_dependence(brought, "branch")
    assert branch.categorical and list(branch.grid) == ["N-office", "S-office"] and branch.missing > 0
    assert np.array_equal(branch.average, _reference(brought, "branch", branch.grid)["average"][0])
    assert branch.contributions is not None and branch.contributions.notna().all()


def test_the_inputs_it_uses_come_first_and_an_unknown_input_is_refused(scored):
    it = scored["v3"]
    inputs = dependence_inputs(it)
    assert inputs[: len(it.global_importance())] == list(it.global_importance().index)
    assert sorted(inputs) == sorted(it.features.columns)
    with pytest.raises(DependenceError, match="not an input"):
        explain_dependence(it, "no_such_input")


def test_when_the_positive_class_is_the_first_the_partial_dependence_is_of_that_class(tmp_path):
    frame = planted_approvals()
    register_iteration(
        fit_planted_model(frame),
        frame.iloc[:300],
        use_case="loans",
        version="v1",
        target="approved",
        author="Test",
        positive_label=0,
        positive_class="refused",
        registry_dir=tmp_path,
    )
    it = ScoredIteration(load_iteration("loans", "v1", tmp_path))
    assert it.explainer.positive_index == 0
    found = explain_dependence(it, "tenure")
    reference = _reference(it, "tenure", found.grid)  # scikit-learn sweeps classes_[1], "approved"
    assert np.allclose(found.average, 1.0 - reference["average"][0], rtol=0, atol=1e-12)
    case = found.ice.index[0]
    row = it.features.loc[[case]].astype({"tenure": float})
    row["tenure"] = found.grid[3]
    assert found.ice.loc[case, 3] == pytest.approx(it.score_of(row), abs=1e-12)  # the score Involve shows: P(refused)


def test_an_input_with_a_single_value_is_refused_clearly(tmp_path):
    frame = planted_approvals()
    frame["tenure"] = 5.0
    register_iteration(
        fit_planted_model(frame),
        frame.iloc[:300],
        use_case="loans",
        version="v1",
        target="approved",
        author="Test",
        positive_class="approved",
        registry_dir=tmp_path,
    )
    it = ScoredIteration(load_iteration("loans", "v1", tmp_path))
    with pytest.raises(DependenceError, match="fewer than two distinct values"):
        explain_dependence(it, "tenure")


@pytest.mark.parametrize("column", ["duration", "checking_account"])
def test_the_sweep_for_models_scikit_learn_does_not_take_equals_its_partial_dependence(scored, column):
    """A native booster is swept by hand (`sweep_input`): on a model scikit-learn takes, the same sweep gives
    scikit-learn's individual curves and their mean its partial dependence."""
    it = scored["v3"]
    reference = _reference(it, column)
    grid = reference["grid_values"][0]
    curves = sweep_input(it.iteration.model, model_frame(it.features, column), column, grid, 1)
    np.testing.assert_allclose(curves, reference["individual"][0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(curves.mean(axis=0), reference["average"][0], rtol=1e-12, atol=1e-12)
