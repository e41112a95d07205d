import itertools
import json

import numpy as np
import pandas as pd
import pytest

from demo_models.examples.churn import NUMERIC
from demo_models.explanations.whatif import (
    _grid,
    changes_to_json,
    describe_counterfactual,
    distance,
    edited_row,
    find_changes,
    find_counterfactual,
    imputed_columns,
    input_specs,
    is_missing,
)
from demo_models.iterations.registry import load_iteration
from demo_models.iterations.scoring import ScoredIteration
from tests.missing_model import USE_CASE, register_missing_model


def _declined(scored, n):
    it = scored["v3"]
    return it, it.scores[it.scores >= it.threshold].index[n]


@pytest.mark.parametrize("n", [0, 5, 20])
def test_the_counterfactual_really_flips_only_actionable_inputs_and_is_the_smallest(scored, n):
    it, case_id = _declined(scored, n)
    row = it.features.loc[[case_id]]
    found = find_counterfactual(it, row)
    assert found is not None
    assert set(found.changes) <= {"credit_amount", "duration"}
    changed = edited_row(row, {c: new for c, (_, new) in found.changes.items()})
    assert it.score_of(changed) == pytest.approx(found.score)
    assert it.use_case.decision_for(it.score_of(changed), it.threshold) == "approve"  # re-scored: it flips
    # brute force over the same grid: nothing that flips is smaller
    grids = [_grid(it, c, row.iloc[0][c]) for c in ("credit_amount", "duration")]
    pairs = list(itertools.product(*grids))
    candidates = pd.concat([edited_row(row, {"credit_amount": a, "duration": d}) for a, d in pairs])
    scores = it.iteration.model.predict_proba(candidates)[:, 1]
    best = np.inf
    for (amount, duration), score in zip(pairs, scores):
        if score < it.threshold:
            changes = {
                c: (row.iloc[0][c], v)
                for c, v in (("credit_amount", amount), ("duration", duration))
                if v != row.iloc[0][c]
            }
            best = min(best, distance(it, changes))
    assert found.distance == pytest.approx(best)


def test_the_counterfactual_is_described_in_words(scored):
    it, case_id = _declined(scored, 0)
    found = find_counterfactual(it, it.features.loc[[case_id]])
    text = describe_counterfactual(it, found)
    assert "would be approved" in text and ("Loan duration" in text or "Credit amount" in text)


def test_no_actionable_inputs_no_counterfactual(scored):
    it = scored["v3"]
    fraud_like = type(it.use_case)(**{**it.use_case.__dict__, "actionable": ()})
    clone = object.__new__(type(it))
    clone.__dict__.update(it.__dict__, use_case=fraud_like)
    assert find_counterfactual(clone, it.features.iloc[[0]]) is None


def test_edited_rows_keep_dtypes_and_specs_follow_the_data(scored):
    it = scored["v3"]
    row = it.features.iloc[[0]]
    edited = edited_row(row, {"duration": 12, "purpose": "car"})
    assert edited.dtypes.equals(row.dtypes) and edited.iloc[0]["duration"] == 12
    specs = {s.column: s for s in input_specs(it)}
    assert specs["duration"].numeric and specs["duration"].integer
    assert specs["duration"].low == it.features["duration"].min()
    assert "car" in specs["purpose"].options and not specs["purpose"].numeric


# --- missing inputs stay missing -----------------------------------------------------------------


@pytest.fixture(scope="module")
def missing(tmp_path_factory):
    """retention/v1: missing fees (numbers) and missing payment methods (categories), imputed by the pipeline."""
    root = tmp_path_factory.mktemp("missing")
    register_missing_model(root)
    return ScoredIteration(load_iteration(USE_CASE, "v1", root))


def _as_shown(row):
    """What the widgets hold before any edit: the case's own values."""
    return dict(row.iloc[0].items())


@pytest.mark.parametrize(
    "column, other, new", [("monthly_fee", "tenure_months", 30), ("payment", "contract", "two years")]
)
def test_editing_another_input_keeps_a_missing_value_missing(missing, column, other, new):
    case_id = missing.features.index[missing.features[column].isna()][0]
    row = missing.features.loc[[case_id]]
    values = {**_as_shown(row), other: new}
    changes = find_changes(row, values)
    assert list(changes) == [other]  # the missing input is not an edit
    edited = edited_row(row, {c: b for c, (_, b) in changes.items()})
    expected = row.copy()
    expected[other] = new  # built by hand: the case with exactly that one edit
    assert edited[column].isna().all() and edited.dtypes.equals(row.dtypes)
    proba = missing.iteration.model.predict_proba(expected)[0, 1]
    assert missing.score_of(edited) == proba
    assert missing.explain_raw(edited).score == pytest.approx(proba, abs=1e-12)
    # the bug this guards against: the missing input replaced by the lowest value shown
    spec = {s.column: s for s in input_specs(missing)}[column]
    invented = spec.low if spec.numeric else spec.options[0]
    assert missing.score_of(edited_row(expected, {column: invented})) != pytest.approx(proba, abs=1e-4)


def test_missing_is_a_choice_where_the_data_or_the_pipeline_allows_it(missing, scored):
    specs = {s.column: s for s in input_specs(missing)}
    assert specs["monthly_fee"].allows_missing and specs["payment"].allows_missing  # missing in the data
    assert specs["support_calls"].allows_missing  # no missing value, but the pipeline imputes it
    assert not specs["age"].allows_missing  # not a model input, never missing
    assert not any(s.allows_missing for s in input_specs(scored["v3"]))  # credit: complete data, no imputer
    assert set(NUMERIC) <= imputed_columns(missing.iteration.model, list(missing.features.columns))


def test_an_imputer_on_the_numbers_only_allows_missing_numbers_only():
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    frame = pd.DataFrame({"a": [1.0, np.nan, 3.0], "b": ["x", "y", "x"]})
    prep = ColumnTransformer([("num", make_pipeline(SimpleImputer()), ["a"]), ("cat", OneHotEncoder(), ["b"])]).fit(
        frame
    )
    assert imputed_columns(make_pipeline(prep, "passthrough"), ["a", "b"]) == {"a"}
    assert imputed_columns(make_pipeline(SimpleImputer(), "passthrough"), ["a", "b"]) == {"a", "b"}


def test_an_input_set_missing_is_scored_missing(missing):
    case_id = missing.features.index[missing.features["monthly_fee"].notna() & missing.features["payment"].notna()][0]
    row = missing.features.loc[[case_id]]
    changes = find_changes(row, {**_as_shown(row), "monthly_fee": None, "payment": None, "tenure_months": None})
    assert set(changes) == {"monthly_fee", "payment", "tenure_months"}
    edited = edited_row(row, {c: b for c, (_, b) in changes.items()})
    expected = row.copy()
    expected["monthly_fee"], expected["payment"] = np.nan, np.nan
    expected["tenure_months"] = expected["tenure_months"].astype(float)
    expected.loc[case_id, "tenure_months"] = np.nan  # an integer input made missing becomes a float column
    assert edited.isna().sum().to_dict() == expected.isna().sum().to_dict()
    assert missing.score_of(edited) == missing.iteration.model.predict_proba(expected)[0, 1]
    stored = json.loads(changes_to_json(changes))
    assert stored["monthly_fee"] == [str(row.iloc[0]["monthly_fee"]), None] and stored["payment"][1] is None


def test_missing_values_compare_and_serialise_as_missing():
    row = pd.DataFrame({"fee": [np.nan], "plan": [None]}, index=["C1"])
    assert find_changes(row, {"fee": None, "plan": np.nan}) == {}
    assert is_missing(pd.NA) and is_missing(None) and not is_missing(0) and not is_missing("")
    assert json.loads(changes_to_json(find_changes(row, {"fee": 12.5, "plan": None}))) == {"fee": [None, "12.5"]}
    assert changes_to_json({}) is None
