import itertools

import numpy as np
import pandas as pd
import pytest

from demo_models.whatif import _grid, describe_counterfactual, distance, edited_row, find_counterfactual, input_specs


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
            changes = {c: (row.iloc[0][c], v) for c, v in (("credit_amount", amount), ("duration", duration)) if v != row.iloc[0][c]}
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
