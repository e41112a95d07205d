import pytest

from feedback.access import AccessError, Actor
from feedback.goals import CostMatrix, GoalError, GoalStatement, judge
from feedback.store.goals import (
    costs_history,
    criteria_history,
    current_criteria,
    current_thresholds,
    remove_criterion,
    save_costs,
    save_criterion,
    save_statement,
    save_threshold,
    statement_history,
    threshold_history,
)
from tests.helpers import CRITERION_SPECS
from tests.helpers import make_criterion as _criterion


def _costs(**changes) -> CostMatrix:
    values = dict(
        use_case="credit",
        false_positive_cost=300.0,
        false_negative_cost=0.0,
        author_name="Bo",
        false_negative_column="credit_amount",
        false_negative_fraction=0.5,
        currency="DM",
    )
    values.update(changes)
    return CostMatrix(**values)


def test_a_criterion_round_trips_and_edits_keep_history(store):
    saved = save_criterion(store, _criterion(), ("sex", "age"), specs=CRITERION_SPECS)
    assert saved.key and saved.id and saved.created_at
    assert current_criteria(store, "credit") == [saved]
    edited = save_criterion(
        store, _criterion(key=saved.key, target=0.75, author_name="Cy"), ("sex", "age"), specs=CRITERION_SPECS
    )
    assert current_criteria(store, "credit") == [edited]
    assert [c.target for c in criteria_history(store, "credit")] == [0.8, 0.75]
    remove_criterion(store, edited, Actor("Dee", "business user"), specs=CRITERION_SPECS)
    assert current_criteria(store, "credit") == []
    assert [c.active for c in criteria_history(store, "credit")] == [True, True, False]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (dict(target=1.2), "Recall must lie between 0 and 1"),
        (dict(metric="expected_cost_per_case", target=-5.0), "between 0 and no upper limit"),
        (dict(metric="accuracy_of_vibes"), "Unknown metric"),
        (dict(comparator="=="), "comparator"),
        (dict(metric="disparate_impact_ratio"), "name one"),
        (dict(metric="disparate_impact_ratio", attribute="income"), "not a protected attribute"),
        (dict(owner=" "), "Owner is required"),
        (dict(target=float("nan")), "must lie between"),
    ],
)
def test_invalid_criteria_are_refused_with_a_message(store, change, message):
    with pytest.raises(GoalError, match=message):
        save_criterion(store, _criterion(**change), ("sex", "age"), specs=CRITERION_SPECS)
    assert criteria_history(store, "credit") == []


def test_every_criterion_metric_has_a_label_and_a_range():
    for key, spec in CRITERION_SPECS.items():
        assert spec.label and spec.explanation and spec.low <= spec.high, key


def test_the_problem_statement_is_required_and_versioned(store):
    with pytest.raises(GoalError, match="Problem statement is required"):
        save_statement(store, GoalStatement("credit", "   ", "loan officers", "", "Ann", "risk"))
    first = save_statement(
        store, GoalStatement("credit", "Cut defaults", "Loan officers, at application", "", "Ann", "risk")
    )
    save_statement(
        store, GoalStatement("credit", "Cut defaults, keep approvals", "Loan officers", "Reasons", "Bo", "risk")
    )
    history = statement_history(store, "credit")
    assert [s.problem for s in history] == ["Cut defaults", "Cut defaults, keep approvals"]
    assert history[0] == first


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (dict(false_positive_cost=-1.0), "false positive must be a number of at least 0"),
        (dict(false_negative_fraction=-0.5), "share of the amount lost must be"),
        (dict(false_negative_column=None), "Name the column"),
        (dict(false_positive_cost=0.0, false_negative_fraction=0.0, false_negative_column=None), "must cost something"),
    ],
)
def test_invalid_costs_are_refused(store, change, message):
    with pytest.raises(GoalError, match=message):
        save_costs(store, _costs(**change))
    assert costs_history(store, "credit") == []


def test_costs_and_thresholds_keep_their_history(store):
    save_costs(store, _costs())
    save_costs(store, _costs(false_positive_cost=250.0))
    assert [c.false_positive_cost for c in costs_history(store, "credit")] == [300.0, 250.0]
    save_threshold(store, "credit", "v3", 0.3, 0.4, Actor("Rita", "risk"), "cost-optimal")
    save_threshold(store, "credit", "v3", 0.25, 0.3, Actor("Rita", "risk"), "tuned")
    assert current_thresholds(store, "credit") == {"v3": 0.25}
    assert [(r["previous"], r["threshold"]) for r in threshold_history(store, "credit")] == [(0.4, 0.3), (0.3, 0.25)]


@pytest.mark.parametrize(
    ("actor", "threshold", "message"),
    [(Actor("Bo", "business user"), 0.3, "business user cannot"), (Actor("Rita", "risk"), 1.0, "strictly between")],
)
def test_threshold_changes_are_role_gated_and_bounded(store, actor, threshold, message):
    with pytest.raises((GoalError, AccessError), match=message):
        save_threshold(store, "credit", "v3", threshold, 0.4, actor, "because")
    assert current_thresholds(store, "credit") == {}


def test_judging_criteria():
    recall = _criterion()
    assert judge(recall, 0.85).passed is True
    assert judge(recall, 0.75).passed is False
    assert judge(_criterion(comparator="<="), 0.75).passed is True
    missing = judge(recall, None, "no cost matrix")
    assert missing.passed is None and missing.note == "no cost matrix"
    assert judge(recall, float("nan")).passed is None
    assert (
        _criterion(metric="disparate_impact_ratio", attribute="sex").describe(CRITERION_SPECS)
        == "Disparate impact ratio (sex) >= 0.8"
    )
    assert (
        _criterion(metric="dp_ratio", attribute="age").describe(CRITERION_SPECS)
        == "Disparate impact ratio (age) >= 0.8"
    )


def test_a_criterion_saved_under_the_old_key_of_a_metric_stays_valid(store):
    """Criteria saved before the catalogue use `disparate_impact_ratio`; it is an alias of `dp_ratio`."""
    saved = save_criterion(store, _criterion(metric="disparate_impact_ratio", attribute="sex"), specs=CRITERION_SPECS)
    assert current_criteria(store, "credit") == [saved] and saved.metric == "disparate_impact_ratio"
    with pytest.raises(GoalError, match="Unknown metric"):
        save_criterion(store, _criterion(metric="dp_ratio", attribute="sex"), specs={})
