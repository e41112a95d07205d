"""The one-row encoder equals sklearn's ColumnTransformer on every case, and leaves to sklearn what it cannot."""

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder

from demo_models.explanations.row_encoder import checked_row_encoder
from tests.helpers import BUILTIN_VERSIONS


def _prep(it):
    return it.iteration.model.named_steps["prep"]


@pytest.mark.parametrize("version", BUILTIN_VERSIONS)
def test_every_evaluation_case_encodes_as_sklearn_encodes_it(scored, version):
    it = scored[version]
    features, prep = it.iteration.features, _prep(it)
    reference = np.asarray(prep.transform(features), dtype=float)
    encoder = checked_row_encoder(prep, features, reference)
    assert encoder is not None, f"{version}: {prep}"
    encoded = 0
    for i in range(len(features)):
        mine = encoder.encode(features.iloc[i : i + 1])
        if mine is not None:
            np.testing.assert_array_equal(mine[0], reference[i])
            encoded += 1
    assert encoded == len(features.dropna())  # every case without a missing value, and no other
    edited = features.dropna().iloc[[0]].copy()
    edited["credit_amount"] = 12345  # a pass-through input moved outside the range seen
    np.testing.assert_array_equal(encoder.encode(edited), np.asarray(prep.transform(edited), dtype=float))


def test_the_explainer_gives_the_same_explanation_with_and_without_it(scored):
    it = scored["v3"]
    assert it.explainer._row_encoder is not None
    row = it.features.dropna().iloc[[4]].copy()
    row["duration"] = 7
    assert it.explainer._row_encoder.encode(row) is not None
    fast = it.explain_raw(row)
    it.explainer._row_encoder, saved = None, it.explainer._row_encoder
    try:
        slow = it.explain_raw(row)
    finally:
        it.explainer._row_encoder = saved
    assert fast.score == slow.score
    np.testing.assert_array_equal(fast.contributions.to_numpy(), slow.contributions.to_numpy())


def _frame():
    return pd.DataFrame({"colour": ["red", "blue", "red", None], "size": [1.0, 2.0, np.nan, 4.0]})


def test_a_missing_or_unseen_value_or_a_text_number_is_left_to_sklearn():
    frame = _frame()
    prep = ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), ["colour"]),
            ("num", "passthrough", ["size"]),
        ]
    ).fit(frame)
    encoder = checked_row_encoder(prep, frame, np.asarray(prep.transform(frame), dtype=float))
    assert encoder is not None
    assert encoder.encode(frame.iloc[[3]]) is None  # colour missing (a category of its own in sklearn)
    assert encoder.encode(frame.iloc[[2]]) is None  # size missing
    assert encoder.encode(pd.DataFrame({"colour": ["green"], "size": [1.0]})) is None  # unseen
    assert encoder.encode(pd.DataFrame({"colour": ["red"], "size": ["1"]}).astype(object)) is None  # text
    row = pd.DataFrame({"colour": ["blue"], "size": [3.5]})
    np.testing.assert_array_equal(encoder.encode(row), prep.transform(row))  # the missing category is a column


def test_another_transformer_or_a_wrong_check_gives_no_encoder():
    frame = _frame().dropna()
    scaled = ColumnTransformer([("num", MinMaxScaler(), ["size"])]).fit(frame)
    assert checked_row_encoder(scaled, frame, scaled.transform(frame)) is None
    prep = ColumnTransformer(
        [("cat", OneHotEncoder(sparse_output=False), ["colour"]), ("num", "passthrough", ["size"])]
    ).fit(frame)
    wrong = np.asarray(prep.transform(frame), dtype=float)
    wrong[0, -1] += 1
    assert checked_row_encoder(prep, frame, wrong) is None
