import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from demo_models.iterations.scoring import (
    DECISION_COLUMN,
    OUTCOME_COLUMN,
    SCORE_COLUMN,
    SORT_ORDERS,
    UnknownCaseError,
    filter_case_table,
)
from demo_models.presentation.figures import build_waterfall
from demo_models.vocabulary import CREDIT, get_use_case


def test_case_table_shows_scores_decisions_and_outcomes(scored):
    it = scored["v3"]
    table = it.case_table()
    assert len(table) == 300
    assert list(table.columns) == [
        "Credit amount",
        "Loan duration",
        "Purpose",
        "Checking account",
        "Savings",
        SCORE_COLUMN,
        DECISION_COLUMN,
        OUTCOME_COLUMN,
    ]
    declined = table[SCORE_COLUMN] >= 0.4
    assert (table.loc[declined, DECISION_COLUMN] == "decline").all()
    assert (table.loc[~declined, DECISION_COLUMN] == "approve").all()
    assert (table[OUTCOME_COLUMN] == "default").sum() == 90
    assert set(table["Checking account"]) <= set(CREDIT.value_labels["checking_account"].values())


def test_explaining_a_case_matches_the_batch_score(scored):
    it = scored["v2"]
    for case_id in it.scores.index[::25]:
        case = it.explain_case(case_id)
        assert case.score == pytest.approx(it.scores[case_id], abs=1e-12)
        assert case.score == pytest.approx(expit(case.output), abs=1e-12)
        assert case.decision == ("decline" if case.score >= 0.4 else "approve")
        strengths = case.contributions.abs().tolist()
        assert strengths == sorted(strengths, reverse=True)
        assert case.values.name == case_id


def test_an_unknown_case_is_a_clear_error(scored):
    with pytest.raises(UnknownCaseError, match="no case 'Z9999'"):
        scored["v1"].explain_case("Z9999")


def test_filtering_and_sorting_cases():
    table = pd.DataFrame(
        {SCORE_COLUMN: [0.1, 0.9, 0.5, 0.45], DECISION_COLUMN: ["approve", "decline", "decline", "decline"]},
        index=["c", "a", "d", "b"],
    )
    view = filter_case_table(table, ["decline"], (0.4, 0.6), SORT_ORDERS[0])
    assert list(view.index) == ["d", "b"]
    assert list(filter_case_table(table, None, (0.0, 1.0), SORT_ORDERS[1]).index) == ["c", "b", "d", "a"]
    assert list(filter_case_table(table, None, (0.0, 1.0), SORT_ORDERS[2]).index) == ["a", "b", "c", "d"]
    assert filter_case_table(table, [], (0.0, 1.0)).empty


def test_waterfall_runs_from_the_base_value_to_the_case_output(scored):
    case = scored["v1"].explain_case("A0012")
    figure = build_waterfall(case, CREDIT)
    bars = figure.data[0]
    x = np.asarray(bars.x, dtype=float)
    assert bars.measure[0] == "absolute" and bars.measure[-1] == "total"
    assert x[0] == pytest.approx(case.base_value)
    assert x[0] + x[1:-1].sum() == pytest.approx(x[-1], abs=1e-9)
    assert x[-1] == pytest.approx(case.output)
    assert bars.y[1] == "Loan duration = 48 months"
    assert bars.y[-1] == f"This applicant ({case.score:.0%})"
    assert "log-odds of default" in figure.layout.xaxis.title.text


def test_waterfall_folds_the_long_tail_into_one_bar(scored):
    case = scored["v1"].explain_case("A0012")
    many = pd.Series(np.linspace(0.3, -0.3, 14), index=[f"f{i}" for i in range(14)])
    wide = type(case)(**{**case.__dict__, "contributions": many, "values": pd.Series(dtype=object)})
    bars = build_waterfall(wide, get_use_case("other")).data[0]
    assert len(bars.y) == 10 + 3 and bars.y[-2] == "4 other inputs"
    assert float(bars.x[-2]) == pytest.approx(many.iloc[10:].sum())


def test_values_are_described_in_business_words():
    assert CREDIT.describe_value("credit_amount", 5951) == "5,951 DM"
    assert CREDIT.describe_value("job", 2) == "skilled"
    assert CREDIT.describe_value("purpose", "furniture/equipment") == "furniture/equipment"
    assert CREDIT.describe_value("age", float("nan")) == "missing"
    generic = get_use_case("churn", "churn")
    assert generic.positive_decision == "flag as churn" and generic.label("monthly_fee") == "Monthly fee"


def test_outcomes_of_known_cases(scored):
    it = scored["v3"]
    declined = it.scores[it.scores >= 0.4].index[0]
    approved = it.scores[it.scores < 0.4].index[0]
    assert it.outcomes([declined, approved, "nope", declined]) == {declined: "positive", approved: "negative"}
