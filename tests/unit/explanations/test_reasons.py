import pytest
from hypothesis import given
from hypothesis import strategies as st

from demo_models.explanations.reasons import MAX_REASONS, find_protected_drivers, rank_reasons
from demo_models.vocabulary import CREDIT
from tests.helpers import BUILTIN_VERSIONS

FEATURES = ["checking_account", "duration", "credit_amount", "purpose", "sex", "age", "housing"]
VALUES = {
    "checking_account": "little",
    "duration": 48,
    "credit_amount": 5951,
    "purpose": "radio/TV",
    "sex": "female",
    "age": 22,
    "housing": "own",
}
PROTECTED = ("sex", "age")


@given(st.lists(st.floats(-5, 5, allow_nan=False), min_size=len(FEATURES), max_size=len(FEATURES)))
def test_reasons_never_protected_at_most_four_only_towards_default_strongest_first(values):
    contributions = dict(zip(FEATURES, values))
    reasons = rank_reasons(contributions, VALUES, CREDIT, PROTECTED)
    assert len(reasons) <= MAX_REASONS
    assert all(r.feature not in PROTECTED for r in reasons)
    assert all(r.contribution > 0 for r in reasons)
    strengths = [r.contribution for r in reasons]
    assert strengths == sorted(strengths, reverse=True)
    eligible = sorted((c for f, c in contributions.items() if c > 0 and f not in PROTECTED), reverse=True)
    assert strengths == eligible[:MAX_REASONS]


def test_reasons_speak_business_language():
    contributions = {"checking_account": 0.9, "duration": 0.5, "credit_amount": 0.2, "purpose": -0.3}
    texts = [r.text for r in rank_reasons(contributions, VALUES, CREDIT, PROTECTED)]
    assert texts == ["Checking account: low balance", "Loan duration: 48 months", "Credit amount: 5,951 DM"]


def test_a_protected_attribute_among_the_top_drivers_is_reported_not_hidden():
    contributions = {"sex": 0.8, "duration": 0.5, "age": -0.6, "housing": 0.1, "purpose": 0.05}
    reasons = rank_reasons(contributions, VALUES, CREDIT, PROTECTED)
    assert [r.feature for r in reasons] == ["duration", "housing", "purpose"]
    drivers = find_protected_drivers(contributions, VALUES, CREDIT, PROTECTED)
    assert [(d.feature, d.text) for d in drivers] == [("sex", "Sex: female"), ("age", "Age: 22 years")]


def test_a_protected_attribute_outside_the_top_drivers_is_not_reported():
    contributions = {"sex": 0.01, "duration": 0.5, "checking_account": 0.4, "housing": 0.3, "purpose": 0.2}
    assert find_protected_drivers(contributions, VALUES, CREDIT, PROTECTED) == []


@pytest.mark.parametrize("version", BUILTIN_VERSIONS)
def test_reason_codes_of_every_declined_case_follow_the_rules(scored, version):
    it = scored[version]
    declined = it.scores[it.scores >= it.threshold].index
    assert len(declined) > 30
    for case_id in declined:
        case = it.explain_case(case_id)
        assert case.decision == "decline"
        assert 1 <= len(case.reasons) <= MAX_REASONS
        assert not {r.feature for r in case.reasons} & {"sex", "age"}
        assert all(case.contributions[r.feature] == r.contribution > 0 for r in case.reasons)


def test_v1_uses_protected_attributes_and_gets_flagged(scored):
    it = scored["v1"]
    flagged = [c for c in it.scores.index if it.explain_case(c).protected_drivers]
    assert flagged, "v1 uses sex and age: some cases must carry a fairness warning"
    assert not any(scored["v3"].explain_case(c).protected_drivers for c in flagged)
