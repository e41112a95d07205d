"""Every supported model family registers through the public call, round-trips safely and is explained exactly.

Each family is fitted on one seeded data set with missing values and categorical columns; the
references are the libraries themselves (their raw model output, shap.TreeExplainer /
LinearExplainer), summed back to the original columns here, independently of Involve's grouping.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shap
import skops.io as sio

from demo_models.examples.zoo import FAMILIES, TARGET, booster_frame, fit_family, make_zoo_data
from demo_models.iterations.native import as_classifier, detach_native
from demo_models.iterations.registry import TRUSTED_TYPES, load_iteration, register_iteration
from demo_models.iterations.scoring import ScoredIteration

xgb = pytest.importorskip("xgboost")
catboost = pytest.importorskip("catboost")

ROWS = 240
#: What each family's fitted pipeline contains beyond skops' defaults (what Involve must trust).
EXPECTED_UNTRUSTED = {
    "logistic regression": {"numpy.dtype"},
    "decision tree": {"numpy.dtype", "sklearn.tree._tree.Tree"},
    "random forest": {"numpy.dtype", "sklearn.tree._tree.Tree"},
    "extra trees": {"numpy.dtype", "sklearn.tree._tree.Tree"},
    "gradient boosting": {"numpy.dtype", "sklearn.tree._tree.Tree"},
    "hist gradient boosting": {"numpy.dtype", "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"},
    "lightgbm": {"numpy.dtype", "collections.OrderedDict", "lightgbm.basic.Booster", "lightgbm.sklearn.LGBMClassifier"},
    "xgboost": {"numpy.dtype", "demo_models.iterations.native.NativeSlot"},
    "catboost": {"numpy.dtype", "demo_models.iterations.native.NativeSlot"},
    "xgboost booster": {"demo_models.iterations.native.NativeSlot"},
    "lightgbm booster": {
        "collections.OrderedDict",
        "demo_models.iterations.native.LightGBMBoosterClassifier",
        "lightgbm.basic.Booster",
    },
}
PROBABILITY_SCALE = {"decision tree", "random forest", "extra trees"}
#: XGBoost sums its trees in float32: its own margin and its contributions agree to float32 precision.
TOLERANCE = {"xgboost": 1e-5, "xgboost booster": 1e-5}


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    """Every family registered (as zoo/<family>) in one registry: {family: (fitted model, eval frame)}."""
    root = tmp_path_factory.mktemp("zoo")
    fitted = {}
    for family in FAMILIES:
        frame = booster_frame(make_zoo_data(ROWS)) if family.endswith("booster") else make_zoo_data(ROWS)
        model = fit_family(family, frame)
        register_iteration(
            model,
            frame,
            use_case="zoo",
            version=family.replace(" ", "-"),
            target=TARGET,
            author="Dana",
            registry_dir=root,
        )
        fitted[family] = (model, frame)
    return root, fitted


def _untrusted_types(model) -> set[str]:
    skeleton, _ = detach_native(as_classifier(model))
    return set(sio.get_untrusted_types(data=sio.dumps(skeleton)))


@pytest.mark.parametrize("family", FAMILIES)
def test_the_types_each_family_contains_are_exactly_those_trusted(zoo, family):
    model, _ = zoo[1][family]
    assert _untrusted_types(model) == EXPECTED_UNTRUSTED[family]
    assert EXPECTED_UNTRUSTED[family] <= TRUSTED_TYPES


def test_trusted_types_are_no_more_than_the_families_need():
    assert TRUSTED_TYPES == set().union(*EXPECTED_UNTRUSTED.values())


@pytest.mark.parametrize("family", FAMILIES)
def test_a_registered_model_loads_back_and_predicts_identically(zoo, family):
    root, fitted = zoo
    model, frame = fitted[family]
    loaded = load_iteration("zoo", family.replace(" ", "-"), root)
    X = frame.drop(columns=TARGET)
    original = as_classifier(model).predict_proba(X)
    np.testing.assert_array_equal(loaded.model.predict_proba(loaded.features), original)


@pytest.mark.parametrize("family", ["xgboost", "catboost"])
def test_a_model_file_written_before_the_modules_moved_still_loads(zoo, family):
    """Iterations registered before the 2026-12 redesign name `demo_models.native` in their skops file."""
    import io
    import zipfile

    root, fitted = zoo
    model, frame = fitted[family]
    folder = root / "zoo" / family
    with zipfile.ZipFile(folder / "model.skops") as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    schema = members["schema.json"].decode()
    assert '"__module__": "demo_models.iterations.native"' in schema
    members["schema.json"] = schema.replace('"demo_models.iterations.native"', '"demo_models.native"').encode()
    old = io.BytesIO()
    with zipfile.ZipFile(old, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    (folder / "model.skops").write_bytes(old.getvalue())
    loaded = load_iteration("zoo", family, root)
    X = frame.drop(columns=TARGET)
    np.testing.assert_array_equal(loaded.model.predict_proba(loaded.features), as_classifier(model).predict_proba(X))


def _model_output(family: str, model, X: pd.DataFrame) -> np.ndarray:
    """The model's own output on the scale its explanation is stated in (log-odds, or probability)."""
    if family == "xgboost booster":
        return model.predict(xgb.DMatrix(X, missing=np.nan), output_margin=True).astype(float)
    if family == "lightgbm booster":
        return model.predict(X, raw_score=True)
    clf, Xt = model.steps[-1][1], model[:-1].transform(X)
    if family in PROBABILITY_SCALE:
        return clf.predict_proba(Xt)[:, 1]
    if family == "lightgbm":
        return clf.predict(Xt, raw_score=True)
    if family == "xgboost":
        return clf.predict(Xt, output_margin=True).astype(float)
    if family == "catboost":
        return clf.predict(Xt, prediction_type="RawFormulaVal")
    return clf.decision_function(Xt)


@pytest.mark.parametrize("family", FAMILIES)
def test_base_value_plus_contributions_is_the_model_output_for_every_case(zoo, family):
    root, fitted = zoo
    model, frame = fitted[family]
    scored = ScoredIteration(load_iteration("zoo", family.replace(" ", "-"), root))
    assert scored.card.scale == ("probability" if family in PROBABILITY_SCALE else "log-odds")
    attribution = scored.explainer.explain(scored.features)
    expected = _model_output(family, model, frame.drop(columns=TARGET))
    np.testing.assert_allclose(attribution.output, expected, atol=TOLERANCE.get(family, 1e-6), rtol=0)
    stored = scored.iteration.shap_values
    assert len(stored) == ROWS and scored.card.shap_rows == ROWS
    np.testing.assert_allclose(stored.to_numpy(), attribution.contributions, atol=1e-12)


def _source(name: str, inputs: list[str]) -> str:
    """Original column of an encoded column name such as 'cat__plan_basic' (written out here on purpose)."""
    bare = name.split("__", 1)[-1]
    return next(c for c in sorted(inputs, key=len, reverse=True) if bare == c or bare.startswith(f"{c}_"))


def _library_shap(family: str, model, X: pd.DataFrame) -> pd.DataFrame:
    """The library's SHAP per original column: shap's explainers on the encoded rows, summed by name."""
    if family.endswith("booster"):
        values = np.asarray(shap.TreeExplainer(model).shap_values(X))
        values = values[:, :, 1] if values.ndim == 3 else values
        return pd.DataFrame(values, columns=X.columns)
    prep, clf = model[:-1], model.steps[-1][1]
    Xt = prep.transform(X)
    names = list(prep.get_feature_names_out())
    if family == "logistic regression":
        values = shap.LinearExplainer(clf, shap.maskers.Independent(Xt, max_samples=len(Xt))).shap_values(Xt)
    elif family == "catboost":
        values = shap.TreeExplainer(clf).shap_values(catboost.Pool(Xt, cat_features=clf.get_cat_feature_indices()))
    else:
        values = shap.TreeExplainer(clf).shap_values(Xt)
    values = np.asarray(values)
    values = values[:, :, 1] if values.ndim == 3 else values
    per_encoded = pd.DataFrame(values, columns=names)
    return per_encoded.T.groupby([_source(n, list(X.columns)) for n in names], sort=False).sum().T


@pytest.mark.parametrize("family", FAMILIES)
def test_grouped_shap_equals_the_library_shap_summed_to_original_columns(zoo, family):
    root, fitted = zoo
    model, frame = fitted[family]
    scored = ScoredIteration(load_iteration("zoo", family.replace(" ", "-"), root))
    ours = pd.DataFrame(scored.explainer.explain(scored.features).contributions, columns=list(scored.explainer.columns))
    reference = _library_shap(family, model, frame.drop(columns=TARGET))
    assert set(ours.columns) == set(reference.columns)
    np.testing.assert_allclose(ours[reference.columns].to_numpy(), reference.to_numpy(), atol=1e-6, rtol=0)


@pytest.mark.parametrize("family", ["xgboost", "catboost", "xgboost booster", "lightgbm booster"])
def test_native_families_use_their_own_treeshap_and_one_case_explains_alone(zoo, family):
    root, _ = zoo
    scored = ScoredIteration(load_iteration("zoo", family.replace(" ", "-"), root))
    library = {"x": "XGBoost", "c": "CatBoost", "l": "LightGBM"}[family[0]]
    assert f"{library} native" in scored.card.explainer
    case = scored.explain_case(scored.features.index[7])
    assert case.score == pytest.approx(scored.scores.iloc[7], abs=1e-6)


def test_xgboost_on_a_sparse_encoding_reads_absent_entries_as_xgboost_does(tmp_path):
    """XGBoost treats an absent sparse entry as missing, not zero: the explanation must see the same rows."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    frame = make_zoo_data(ROWS).fillna({"plan": "none"})
    prep = ColumnTransformer(
        [("cat", OneHotEncoder(), ["plan", "region"])], remainder="passthrough", sparse_threshold=1.0
    )
    model = Pipeline([("prep", prep), ("clf", xgb.XGBClassifier(n_estimators=20, max_depth=3))])
    model.fit(frame.drop(columns=TARGET), frame[TARGET])
    assert hasattr(model[:-1].transform(frame.drop(columns=TARGET)), "tocsr")
    register_iteration(model, frame, use_case="zoo", version="sparse", target=TARGET, author="D", registry_dir=tmp_path)
    scored = ScoredIteration(load_iteration("zoo", "sparse", tmp_path))
    margin = model.steps[-1][1].predict(model[:-1].transform(frame.drop(columns=TARGET)), output_margin=True)
    np.testing.assert_allclose(scored.explainer.explain(scored.features).output, margin, atol=1e-5, rtol=0)
    assert scored.explain_case("case-3").score == pytest.approx(scored.scores["case-3"], abs=1e-6)


@pytest.mark.parametrize("family", FAMILIES)
def test_an_evaluation_case_is_explained_from_its_stored_shap_with_the_live_numbers(zoo, family):
    """Explore reads the exact SHAP stored at registration; it must be what the live explainer says."""
    root, _ = zoo
    scored = ScoredIteration(load_iteration("zoo", family.replace(" ", "-"), root))
    ids = list(scored.features.index[:25])
    stored = [scored.explain_case(c) for c in ids]
    assert len(scored._stored_shap()) == scored.card.shap_rows > 0  # the stored path is the one taken
    for case_id, fast in zip(ids, stored):
        row = scored.features.loc[[case_id]]
        live = scored.explain_raw(row)
        # within 1e-6: XGBoost and CatBoost compute in float32, batch and single row round differently
        assert fast.base_value == pytest.approx(live.base_value, abs=1e-6) and fast.scale == live.scale
        assert fast.score == pytest.approx(live.score, abs=1e-6)
        pd.testing.assert_series_equal(
            fast.contributions.sort_index(), live.contributions.sort_index(), atol=1e-6, rtol=0
        )
        assert [r.feature for r in fast.reasons] == [r.feature for r in live.reasons]


def test_stored_shap_that_disagrees_with_the_live_explainer_is_not_used(zoo):
    root, _ = zoo
    iteration = load_iteration("zoo", FAMILIES[0].replace(" ", "-"), root)
    iteration.shap_values.iloc[:, 0] += 1.0  # e.g. written by another explainer version
    scored = ScoredIteration(iteration)
    case_id = scored.features.index[0]
    assert scored._stored_shap() == {}
    live = scored.explain_raw(scored.features.loc[[case_id]])
    pd.testing.assert_series_equal(scored.explain_case(case_id).contributions, live.contributions)
