"""AppTest of the Goals page (pages/6_Goals.py)."""

from feedback.store.database import FeedbackStore
from feedback.store.goals import current_criteria, statement_history
from tests.app.apptest import open_app

PAGE = "pages/6_Goals.py"


def _add_criterion(at, target, metric="recall", key="new"):
    at.selectbox(key=f"criterion_metric_{key}").set_value(metric)
    at.number_input(key=f"criterion_target_{key}").set_value(target)
    at.text_input(key=f"criterion_owner_{key}").input("Credit risk team")
    next(b for b in at.form_submit_button if b.label == "Save the criterion").click().run()
    return at


def test_writing_the_problem_statement(app_env):
    at = open_app(PAGE)
    at.text_area(key="goal_problem").input("Too many defaults on small business loans")
    at.text_area(key="goal_users").input("Loan officers, when they decide on an application")
    next(b for b in at.form_submit_button if b.label == "Save the problem statement").click().run()
    assert not at.exception
    assert at.success[0].value == "Problem statement saved."
    [statement] = statement_history(FeedbackStore(f"sqlite:///{app_env}"), "credit")
    assert statement.problem == "Too many defaults on small business loans"


def test_an_empty_problem_statement_is_refused(app_env):
    at = open_app(PAGE)
    next(b for b in at.form_submit_button if b.label == "Save the problem statement").click().run()
    assert "Problem statement is required" in at.error[0].value


def test_a_criterion_is_added_judged_edited_and_removed(app_env, scored):
    at = _add_criterion(open_app(PAGE), 0.75)
    assert not at.exception
    assert at.success[0].value == "Saved: Recall >= 0.75."
    scorecard = at.dataframe[-1].value
    assert scorecard.loc["Recall >= 0.75", "v3"].startswith("FAIL")
    [criterion] = current_criteria(FeedbackStore(f"sqlite:///{app_env}"), "credit")
    at.selectbox(key="criterion_pick").set_value(criterion.key).run()
    _add_criterion(at, 0.5, key=criterion.key)
    assert at.success[0].value == "Saved: Recall >= 0.5."
    assert at.dataframe[-1].value.loc["Recall >= 0.5", "v3"].startswith("pass")
    at.selectbox(key="criterion_pick").set_value(criterion.key).run()
    next(b for b in at.form_submit_button if b.label == "Remove this criterion").click().run()
    assert at.success[0].value == "Removed: Recall >= 0.5."
    assert current_criteria(FeedbackStore(f"sqlite:///{app_env}"), "credit") == []


def test_a_target_outside_the_metric_range_is_refused(app_env):
    at = _add_criterion(open_app(PAGE), 1.5)
    assert "Recall must lie between 0 and 1" in at.error[0].value
    assert current_criteria(FeedbackStore(f"sqlite:///{app_env}"), "credit") == []


def test_fairness_criteria_that_cannot_be_computed_say_why(app_env):
    at = open_app(PAGE)
    at.selectbox(key="criterion_attribute_new").set_value("sex")
    _add_criterion(at, 0.8, metric="dp_ratio")
    assert at.success[0].value == "Saved: Disparate impact ratio (sex) >= 0.8."
    cost = _add_criterion(at, 100.0, metric="expected_cost_per_case")
    scorecard = cost.dataframe[-1].value
    assert (
        scorecard.loc["Expected cost per case >= 100", "v3"]
        == "no value: no cost matrix has been agreed for this use case"
    )
    assert scorecard.loc["Disparate impact ratio (sex) >= 0.8", "v3"].split(" · ")[0] in ("pass", "FAIL")
