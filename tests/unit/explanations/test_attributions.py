import multiprocessing
import os
import time

import numpy as np
import pandas as pd
import pytest
import shap
from scipy.special import logit
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from demo_models.explanations import attributions
from demo_models.explanations.attributions import (
    CaseExplainer,
    ExplainError,
    RawCodec,
    explain_evaluation,
    grouping_matrix,
    map_outputs_to_inputs,
)
from tests.helpers import BUILTIN_VERSIONS


def _raw_log_odds(iteration) -> np.ndarray:
    """The model's own log-odds output, not derived from probabilities."""
    model = iteration.model
    X = model.named_steps["prep"].transform(iteration.features)
    clf = model.named_steps["clf"]
    if hasattr(clf, "decision_function"):
        return clf.decision_function(X)
    return clf.predict(X, raw_score=True)


@pytest.mark.parametrize("version", BUILTIN_VERSIONS)
def test_grouped_shap_adds_up_to_the_log_odds_for_every_evaluation_case(scored, version):
    it = scored[version]
    attribution = it.explainer.explain(it.iteration.features)
    assert attribution.contributions.shape == (300, len(attribution.columns))
    np.testing.assert_allclose(attribution.output, _raw_log_odds(it.iteration), atol=1e-6, rtol=0)
    np.testing.assert_allclose(attribution.scores, it.scores.to_numpy(), atol=1e-9, rtol=0)


@pytest.mark.parametrize("version", BUILTIN_VERSIONS)
def test_explanations_are_at_the_level_of_original_columns(scored, version):
    it = scored[version]
    columns = set(it.explainer.columns)
    assert columns <= set(it.card.features)
    assert not any("__" in c for c in columns)
    uses_protected = version == "v1"
    assert ({"sex", "age"} <= columns) is uses_protected


@pytest.mark.parametrize("version", ["v2", "v3"])
def test_lightgbm_native_treeshap_equals_shap_treeexplainer(scored, version):
    it = scored[version]
    X = it.explainer.transform(it.iteration.features)
    reference = shap.TreeExplainer(it.iteration.model.named_steps["clf"]).shap_values(X)
    reference = reference[1] if isinstance(reference, list) else reference
    ours = it.explainer.attribute(X)
    np.testing.assert_allclose(ours.contributions, reference @ it.explainer.grouping, atol=1e-9)


def test_linear_shap_equals_shap_linearexplainer(scored):
    it = scored["v1"]
    X = it.explainer.transform(it.iteration.features)
    clf = it.iteration.model.named_steps["clf"]
    explainer = shap.LinearExplainer(clf, shap.maskers.Independent(X, max_samples=len(X)))
    reference = explainer.shap_values(X)
    ours = it.explainer.attribute(X)
    np.testing.assert_allclose(ours.contributions, reference @ it.explainer.grouping, atol=1e-9)
    assert ours.base_value == pytest.approx(float(explainer.expected_value), abs=1e-9)


def _toy(positive_label):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "colour": rng.choice(["red", "green", "blue"], 200),
            "size": rng.normal(size=200),
            "size_band": rng.choice(["s", "m"], 200),  # a column whose name prefixes another
        }
    )
    y = np.where(X["size"] + (X["colour"] == "red") > 0.5, "yes", "no")
    prep = ColumnTransformer(
        [
            ("cat", OneHotEncoder(sparse_output=False), ["colour", "size_band"]),
            ("num", StandardScaler(), ["size"]),
        ]
    )
    model = Pipeline([("prep", prep), ("clf", LogisticRegression())]).fit(X, y)
    return model, X, CaseExplainer(model, X, positive_label=positive_label)


@pytest.mark.parametrize("positive_label", ["yes", "no"])
def test_either_class_can_be_the_positive_one(positive_label):
    model, X, explainer = _toy(positive_label)
    index = list(model.classes_).index(positive_label)
    np.testing.assert_allclose(explainer.explain(X).scores, model.predict_proba(X)[:, index], atol=1e-12)
    explainer.check_additivity(X)


def test_one_hot_columns_are_summed_back_to_their_source_column():
    model, X, explainer = _toy("yes")
    assert explainer.columns == ("colour", "size_band", "size")
    assert explainer.grouping.sum(axis=0).tolist() == [3, 2, 1]
    raw = model.named_steps["clf"].coef_[0] * (explainer.transform(X) - explainer.transform(X).mean(0))
    grouped = explainer.explain(X).contributions
    np.testing.assert_allclose(grouped[:, 0], raw[:, :3].sum(axis=1))
    np.testing.assert_allclose(grouped[:, 1], raw[:, 3:5].sum(axis=1))


def test_remainder_and_positional_column_selections_are_mapped():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": ["x", "y", "x", "y"], "c": [0.5, 0.1, 0.2, 0.9]})
    prep = ColumnTransformer([("cat", OneHotEncoder(), [1])], remainder="passthrough").fit(X)
    assert map_outputs_to_inputs(prep, list(X.columns), 4) == ["b", "b", "a", "c"]


def test_grouping_matrix_keeps_first_seen_order():
    matrix, groups = grouping_matrix(["b", "a", "b"])
    assert groups == ("b", "a")
    assert matrix.tolist() == [[1, 0], [0, 1], [1, 0]]


def _mixed(n=300):
    """Categorical and numeric columns with missing values, and a pipeline-ready target."""
    rng = np.random.default_rng(3)
    X = pd.DataFrame(
        {
            "plan": rng.choice(["basic", "pro", "max"], n),
            "tenure": rng.integers(1, 60, n),
            "fee": rng.normal(30, 10, n),
        }
    )
    X.loc[rng.random(n) < 0.1, "fee"] = np.nan
    X.loc[rng.random(n) < 0.05, "plan"] = None
    y = ((X["tenure"] < 15) ^ (rng.random(n) < 0.15)).astype(int)
    prep = ColumnTransformer(
        [
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value="none"), OneHotEncoder(handle_unknown="ignore")
                ),
                ["plan"],
            ),
            ("num", make_pipeline(SimpleImputer(), StandardScaler()), ["tenure", "fee"]),
        ]
    )
    return X, y, prep


@pytest.mark.parametrize(
    ("estimator", "scale"),
    [
        (HistGradientBoostingClassifier(max_iter=30, random_state=0), "log-odds"),
        (RandomForestClassifier(n_estimators=10, max_depth=4, random_state=0), "probability"),
    ],
)
def test_sklearn_tree_models_use_treeexplainer_on_the_right_scale(estimator, scale):
    X, y, prep = _mixed()
    model = Pipeline([("prep", prep), ("clf", estimator)]).fit(X, y)
    explainer = CaseExplainer(model, X)
    assert explainer.kind == "tree" and explainer.scale == scale
    assert explainer.columns == ("plan", "tenure", "fee")
    explainer.check_additivity(X)


def test_any_other_classifier_gets_a_model_agnostic_explainer_that_adds_up():
    X, y, prep = _mixed(200)
    model = Pipeline([("prep", prep), ("clf", KNeighborsClassifier(25))]).fit(X, y)
    explainer = CaseExplainer(model, X)
    assert explainer.kind == "agnostic" and "exact Shapley values" in explainer.method
    assert "50 background cases" in explainer.method
    attribution = explainer.explain(X.iloc[:20])
    assert attribution.columns == ("plan", "tenure", "fee")
    proba = model.predict_proba(X.iloc[:20])[:, 1]
    np.testing.assert_allclose(attribution.scores, np.clip(proba, 1e-12, 1 - 1e-12), atol=1e-6)
    assert explainer.seconds_per_case(X) > 0


def test_raw_codec_round_trips_categories_numbers_and_missing_values():
    X, _, _ = _mixed(50)
    codec = RawCodec(X)
    back = codec.decode(codec.encode(X))
    pd.testing.assert_frame_equal(back, X, check_dtype=False)
    assert back["tenure"].dtype == X["tenure"].dtype


def test_a_model_that_cannot_predict_on_the_data_is_refused():
    model, X, explainer = _toy("yes")
    with pytest.raises(ExplainError, match="cannot predict"):
        explainer.check_additivity(X.drop(columns="size"))


def test_logit_of_the_score_is_the_log_odds(scored):
    it = scored["v3"]
    case = it.explain_case(it.scores.index[0])
    assert logit(case.score) == pytest.approx(case.output, abs=1e-9)


def test_stored_shap_of_builtins_equals_live_explanations(scored):
    for it in scored.values():
        stored = it.iteration.shap_values
        assert len(stored) == 300 and it.card.shap_rows == 300
        live = it.explainer.explain(it.iteration.features)
        np.testing.assert_allclose(stored.to_numpy(), live.contributions, atol=1e-12)
        assert it.card.base_value == pytest.approx(live.base_value)
        importance = it.global_importance()
        assert importance.iloc[0] == pytest.approx(np.abs(live.contributions).mean(axis=0).max())


def test_slow_explainers_are_explained_on_a_disclosed_sample(monkeypatch):
    X, y, prep = _mixed(400)
    model = Pipeline([("prep", prep), ("clf", KNeighborsClassifier(25))]).fit(X, y)
    monkeypatch.setattr(attributions, "AGNOSTIC_GLOBAL_ROWS", 100)
    explained = explain_evaluation(CaseExplainer(model, X), X)
    assert explained.sampled and len(explained.contributions) == 100
    assert explained.contributions.index.isin(X.index).all()
    assert "model-agnostic" in explained.sample_rule and "100" in explained.sample_rule


def _burn(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def test_the_stored_rows_do_not_depend_on_how_busy_the_machine_is(monkeypatch):
    """Two explanations of the same model and data, one idle and one with every core busy: identical rows and values."""
    X, y, prep = _mixed(3000)
    model = Pipeline([("prep", prep), ("clf", RandomForestClassifier(20, max_depth=5, random_state=0))]).fit(X, y)
    explainer = CaseExplainer(model, X)
    work = attributions.tree_work_per_case(explainer.estimator)
    monkeypatch.setattr(attributions, "TREE_WORK_BUDGET", work * 1200)  # all 3,000 would exceed it: a sample of 1,200
    monkeypatch.setattr(attributions, "MIN_GLOBAL_ROWS", 100)
    idle = explain_evaluation(explainer, X)
    burners = [
        multiprocessing.get_context("spawn").Process(target=_burn, args=(30.0,)) for _ in range(os.cpu_count() or 2)
    ]
    for burner in burners:
        burner.start()
    try:
        time.sleep(0.5)
        busy = explain_evaluation(CaseExplainer(model, X), X)
    finally:
        for burner in burners:
            burner.terminate()
            burner.join()
    assert idle.sampled and len(idle.contributions) == 1200
    assert busy.contributions.index.equals(idle.contributions.index)
    np.testing.assert_array_equal(busy.contributions.to_numpy(), idle.contributions.to_numpy())
    assert "seeded sample of 1,200" in idle.sample_rule


def test_sample_size_comes_from_the_case_count_and_the_model_size(monkeypatch):
    X, y, prep = _mixed(600)
    forest = Pipeline([("prep", prep), ("clf", RandomForestClassifier(10, max_depth=4, random_state=0))]).fit(X, y)
    linear = Pipeline([("prep", prep), ("clf", LogisticRegression())]).fit(X, y)
    tree, lin = CaseExplainer(forest, X), CaseExplainer(linear, X)
    work = attributions.tree_work_per_case(tree.estimator)
    leaves = [(t.tree_.n_leaves, t.tree_.max_depth) for t in tree.estimator.estimators_]
    assert work == sum(n * d * d for n, d in leaves)  # TreeSHAP's leaves x depth^2, summed over the trees
    assert attributions.global_sample_size(tree, 600) == (600, "every case")
    monkeypatch.setattr(attributions, "MIN_GLOBAL_ROWS", 50)
    monkeypatch.setattr(attributions, "TREE_WORK_BUDGET", work * 250)
    assert attributions.global_sample_size(tree, 600)[0] == 250
    assert attributions.global_sample_size(tree, 200) == (200, "every case")
    monkeypatch.setattr(attributions, "EXACT_GLOBAL_MAX_ROWS", 300)
    assert attributions.global_sample_size(lin, 600)[0] == 300 and attributions.global_sample_size(lin, 300) == (
        300,
        "every case",
    )
