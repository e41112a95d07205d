"""AppTest of the Compare page (pages/3_Compare.py)."""

import pytest
from sklearn.metrics import roc_auc_score

from feedback.access import Actor
from feedback.store.database import FeedbackStore
from feedback.store.lifecycle import change_lifecycle
from feedback.store.records import add_feedback
from tests.app.apptest import decode, open_app, plotly_figures, select_row
from tests.helpers import make_draft

PAGE = "pages/3_Compare.py"


def test_compares_the_selected_iteration_with_its_parent(app_env, scored):
    at = open_app(PAGE)
    assert not at.exception
    assert at.selectbox(key="compare_old").value == "v2" and at.selectbox(key="compare_new").value == "v3"
    metrics = at.dataframe[0].value  # display tables have no key under AppTest
    labels = scored["v3"].iteration.labels
    assert metrics.loc["ROC AUC", "v2"] == pytest.approx(roc_auc_score(labels, scored["v2"].scores))
    assert metrics.loc["ROC AUC", "v3"] == pytest.approx(roc_auc_score(labels, scored["v3"].scores))
    old, new = scored["v2"].scores >= 0.4, scored["v3"].scores >= 0.4
    assert [m.value for m in at.metric[:3]] == [
        str((~old & new).sum()),
        str((old & ~new).sum()),
        str((old == new).sum()),
    ]
    assert at.metric[0].label == "approve → decline"
    by_sex, by_age = [df.value for df in at.dataframe if "flip rate" in df.value.columns]
    assert list(by_age.index) == ["under 25", "25–40", "over 40"]
    assert by_sex["cases"].sum() == 300
    figure = plotly_figures(at)["importance"]
    assert [t.name for t in figure.data] == ["v2", "v3"]


def test_a_flipped_case_opens_with_both_explanations(app_env, scored):
    at = open_app(PAGE)
    flips = at.dataframe(key="flip_cases").value
    select_row(at, "flip_cases", 0)
    assert not at.exception
    case_id = flips.index[0]
    figures = plotly_figures(at)
    for version in ("v2", "v3"):
        expected = scored[version].explain_case(case_id)
        x = decode(figures[f"waterfall_{version}"].data[0].x)
        assert float(x[-1]) == pytest.approx(expected.output)
    assert any(s.value.startswith(f"Applicant {case_id}") for s in at.subheader)


def test_fix_rate_counts_cases_reviewers_flagged_on_the_old_iteration(app_env, scored):
    store = FeedbackStore(f"sqlite:///{app_env}")
    v3_declines = scored["v3"].scores[scored["v3"].scores >= 0.4].index
    v3_approvals = scored["v3"].scores[scored["v3"].scores < 0.4].index
    add_feedback(store, make_draft(iteration="v2", case_id=v3_declines[0], expected_outcome="positive"), {"v2"})
    add_feedback(store, make_draft(iteration="v2", case_id=v3_approvals[0], expected_outcome="positive"), {"v2"})
    at = open_app(PAGE)
    assert not at.exception
    fix = next(m for m in at.metric if m.label.startswith("Flagged cases"))
    assert fix.value == "1 of 2"
    verdicts = next(d.value for d in at.dataframe if list(d.value.columns) == ["agree", "disagree", "unsure"])
    assert verdicts.loc["v2", "disagree"] == 2


def test_the_same_iteration_twice_asks_for_two(app_env):
    at = open_app(PAGE)
    at.selectbox(key="compare_old").select("v3").run()
    assert not at.exception
    assert at.info[0].value == "Pick two different iterations."


def test_retired_iterations_are_not_offered(app_env):
    change_lifecycle(
        FeedbackStore(f"sqlite:///{app_env}"),
        "credit",
        ["v1", "v2", "v3"],
        "v1",
        "retired",
        Actor("Dana", "data scientist"),
        "superseded",
        required_signoffs=("risk", "compliance"),
    )
    at = open_app(PAGE)
    assert at.selectbox(key="compare_old").options == ["v2", "v3"]


def test_a_flipped_case_can_be_opened_by_its_id(app_env, scored):
    """The keyboard path on Compare: the case picker opens what selecting the row opens."""
    at = open_app(PAGE)
    flips = at.dataframe(key="flip_cases").value
    case_id = flips.index[-1]
    assert at.selectbox(key="flip_pick").value is None
    at.selectbox(key="flip_pick").select(case_id).run()
    assert not at.exception
    assert any(s.value.startswith(f"Applicant {case_id}") for s in at.subheader)
    x = decode(plotly_figures(at)["waterfall_v3"].data[0].x)
    assert float(x[-1]) == pytest.approx(scored["v3"].explain_case(case_id).output)
    select_row(at, "flip_cases", 0)
    assert at.selectbox(key="flip_pick").value == flips.index[0]


def _scorecard(at):
    (table,) = [df.value for df in at.dataframe if df.value.index.name == "Criterion"]
    return table


def test_the_scorecard_is_judged_once_per_criteria_and_rejudged_after_an_edit(app_env, monkeypatch):
    import demo_models.iterations.evaluation as evaluation
    from feedback.store.goals import save_criterion
    from tests.helpers import CRITERION_SPECS, make_criterion

    store = FeedbackStore(f"sqlite:///{app_env}")
    save_criterion(store, make_criterion(target=0.31), ("sex", "age"), specs=CRITERION_SPECS)
    calls = []
    judge = evaluation.evaluate_criteria
    monkeypatch.setattr(
        evaluation, "evaluate_criteria", lambda *a, **k: calls.append(a[0].card.version) or judge(*a, **k)
    )
    at = open_app(PAGE)
    assert not at.exception and sorted(calls) == ["v2", "v3"]
    assert "Recall >= 0.31" in _scorecard(at).index
    at.run()
    assert sorted(calls) == ["v2", "v3"]  # the rerun reuses both judgements
    save_criterion(store, make_criterion(target=0.32), ("sex", "age"), specs=CRITERION_SPECS)
    at.run()
    assert sorted(calls) == ["v2", "v2", "v3", "v3"]
    scorecard = _scorecard(at)
    assert {"Recall >= 0.31", "Recall >= 0.32"} <= set(scorecard.index)
