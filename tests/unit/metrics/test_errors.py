"""Error cohorts: on a loan book the project did not build (missing values, a categorical input, an
imbalanced target, the good outcome as the positive class) where the errors are planted in one region,
every cohort's cases, rate, interval and cost equal a brute force over its stated rule."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from demo_models.metrics.costs import CaseCosts
from demo_models.metrics.errors import (
    cohorts_table,
    describe_rule,
    find_error_cohorts,
    rule_from_text,
    rule_to_text,
    select_rule,
)
from demo_models.vocabulary import get_use_case

N = 3_000
RNG = np.random.default_rng(11)


def _loans():
    features = pd.DataFrame(
        {
            "duration": RNG.integers(6, 72, N).astype(float),
            "amount": RNG.gamma(2.0, 4_000.0, N).round(),
            "purpose": RNG.choice(["car", "education", "furniture"], N, p=[0.5, 0.2, 0.3]),
        },
        index=pd.Index([f"L{i:05d}" for i in range(N)], name="case_id"),
    )
    features.loc[RNG.random(N) < 0.08, "amount"] = np.nan
    repaid = (RNG.random(N) < 0.85).astype(int)  # the positive class is the good outcome, imbalanced
    scores = np.where(repaid == 1, RNG.uniform(0.55, 1.0, N), RNG.uniform(0.0, 0.45, N))
    planted = (features["duration"] > 48) & (features["purpose"] == "education")
    flip = planted.to_numpy() & (RNG.random(N) < 0.7)  # the model is wrong there most of the time
    scores = np.where(flip, 1 - scores, scores)
    use_case = get_use_case("loans", "repaid", favourable="positive")
    return SimpleNamespace(
        iteration=SimpleNamespace(labels=repaid),
        scores=pd.Series(scores, index=features.index),
        threshold=0.5,
        features=features,
        use_case=use_case,
        card=SimpleNamespace(protected_attributes=()),
    )


def _members(features: pd.DataFrame, rule) -> np.ndarray:
    inside = np.ones(len(features), bool)
    for column, op, value, missing in rule:
        values = features[column]
        test = {"<=": values <= value, ">": values > value, "==": values == value, "!=": ~(values == value)}[op]
        inside &= (test | (values.isna() & missing)).to_numpy()
    return inside


@pytest.mark.parametrize("kind", ["errors", "false_positives", "false_negatives"])
def test_each_cohort_is_what_its_rule_says_with_the_brute_force_rate_and_interval(kind):
    scored = _loans()
    labels, positive = scored.iteration.labels, scored.scores.to_numpy() >= 0.5
    among = {"errors": np.ones(N, bool), "false_positives": labels == 0, "false_negatives": labels == 1}[kind]
    wrong = positive != (labels == 1)
    costs = CaseCosts(np.full(N, 3.0), scored.features["duration"].to_numpy() * 10)
    found = find_error_cohorts(scored, kind, costs)
    assert (found.cases, found.errors) == (among.sum(), (wrong & among).sum())
    base = scored.features[among]
    seen: set = set()
    for cohort in found.cohorts:
        inside = _members(base, cohort.rule)
        assert set(base.index[inside]) == set(cohort.case_ids)
        assert not seen & set(cohort.case_ids)
        seen |= set(cohort.case_ids)
        errors = int(wrong[among][inside].sum())
        assert (cohort.cases, cohort.errors, cohort.rate) == (inside.sum(), errors, errors / inside.sum())
        assert (cohort.low, cohort.high) == pytest.approx(proportion_confint(errors, inside.sum(), method="wilson"))
        cost = np.where(labels == 1, costs.false_negative, costs.false_positive)[among][inside & wrong[among]].sum()
        assert cohort.cost == pytest.approx(cost)
    assert seen == set(base.index)  # the cohorts split all the cases
    assert [c.rate for c in found.cohorts] == sorted((c.rate for c in found.cohorts), reverse=True)


def test_the_planted_region_is_the_worst_cohort_and_is_described_in_words():
    found = find_error_cohorts(_loans())
    worst = found.cohorts[0]
    assert worst.rate > 0.5 > 5 * found.rate
    assert "Duration over" in worst.description and "Purpose is “education”" in worst.description
    assert {(c, op) for c, op, *_ in worst.rule} >= {("duration", ">"), ("purpose", "==")}


def test_no_cohort_splits_on_a_protected_attribute_unless_asked():
    scored = _loans()
    age = np.where(scored.features["duration"] > 48, "over 60", "under 60")  # the planted errors, by age
    scored.features = scored.features.assign(age_band=age)
    scored.card = SimpleNamespace(protected_attributes=("age_band",))
    by_default = find_error_cohorts(scored)
    assert by_default.cohorts and not any(c == "age_band" for k in by_default.cohorts for c, *_ in k.rule)
    assert not any("Age band" in k.description for k in by_default.cohorts)
    asked = find_error_cohorts(scored, protected=True)
    assert any(c == "age_band" for k in asked.cohorts for c, *_ in k.rule)  # the opt-in really can split on it


def test_feedback_disagreement_is_the_share_on_the_cohorts_cases_and_undefined_without_feedback():
    scored = _loans()
    found = find_error_cohorts(scored)
    assert all(np.isnan(c.disagreed) and c.feedback == 0 for c in found.cohorts)
    worst = found.cohorts[0]
    ids = list(worst.case_ids[:4])
    verdicts = pd.Series(["disagree", "disagree", "agree", "unsure", "disagree"], index=[*ids, "elsewhere"])
    with_feedback = find_error_cohorts(scored, verdicts=verdicts).cohorts[0]
    assert (with_feedback.feedback, with_feedback.disagreed) == (4, 0.5)
    table = cohorts_table(find_error_cohorts(scored, verdicts=verdicts))
    assert table.loc[0, "feedback disagreeing"] == 0.5 and table["cases"].sum() == N


def test_no_errors_gives_one_cohort_of_all_cases_and_an_unknown_kind_is_refused():
    scored = _loans()
    scored.scores = pd.Series(scored.iteration.labels.astype(float), index=scored.features.index)
    found = find_error_cohorts(scored)
    assert found.errors == 0 and len(found.cohorts) == 1 and found.cohorts[0].description == "all cases"
    with pytest.raises(ValueError, match="not a kind of error"):
        find_error_cohorts(scored, "typos")


def test_a_built_in_iteration(scored):
    found = find_error_cohorts(scored["v3"])
    assert sum(c.cases for c in found.cohorts) == 300 and found.cohorts[0].rate >= found.rate


@pytest.mark.parametrize("kind", ["errors", "false_positives", "false_negatives"])
def test_a_cohort_travels_to_explore_as_its_rule_and_selects_the_same_cases(kind):
    """Explore opens a cohort from its link: the rule read back selects exactly the cohort's cases among all
    the cases (the brute force), and is described the same way; a tampered link is refused."""
    scored = _loans()
    found = find_error_cohorts(scored, kind, threshold=0.5)
    for cohort in found.cohorts:
        rule = rule_from_text(rule_to_text(cohort.rule), scored.features)
        selected = select_rule(scored.features, rule)
        assert set(selected) == set(scored.features.index[_members(scored.features, cohort.rule)])
        assert set(cohort.case_ids) <= set(selected)
        assert describe_rule(rule, scored.use_case) == cohort.description
    for tampered in ('[["salary", ">", 1, false]]', '[["duration", "~", 1, false]]', "not json", "[]"):
        with pytest.raises(ValueError):
            rule_from_text(tampered, scored.features)


def test_an_input_pinned_to_one_value_is_not_also_said_to_differ_from_another():
    use_case = _loans().use_case
    rule = (("purpose", "!=", "car", False), ("purpose", "==", "education", False), ("duration", ">", 48.0, False))
    assert describe_rule(rule, use_case).count("Purpose") == 1 and "is not" not in describe_rule(rule, use_case)
    assert "is not “car”" in describe_rule(rule[:1], use_case)
