"""The scores stored at registration: equal to the loaded model's, and every scorecard number computed
from them equals the one computed from the model, at the registered threshold and at a changed one."""

from __future__ import annotations

import shutil
from datetime import date

import pandas as pd
import pytest

from demo_models.builtin.training import CREDIT_ITERATIONS, FRAUD_ITERATIONS
from demo_models.iterations.evaluation import load_evaluation
from demo_models.iterations.registry import SCORES_FILE, iteration_dir, load_iteration
from demo_models.iterations.scoring import ScoredIteration
from demo_models.presentation.report_inputs import evaluate_criteria
from feedback.goals import CostMatrix, Criterion

BUILTINS = [("credit", s.version) for s in CREDIT_ITERATIONS] + [("fraud", s.version) for s in FRAUD_ITERATIONS]


def _criteria(use_case: str, attribute: str) -> list[Criterion]:
    metrics = [
        ("recall", ">=", 0.55, None),
        ("precision", ">=", 0.3, None),
        ("negative_rate", ">=", 0.65, None),
        ("roc_auc", ">=", 0.75, None),
        ("accuracy", ">=", 0.7, None),
        ("positive_rate", "<=", 0.5, None),
        ("disparate_impact_ratio", ">=", 0.8, attribute),
        ("equal_opportunity_difference", "<=", 0.1, attribute),
        ("expected_cost_per_case", "<=", 400, None),
    ]
    return [
        Criterion(
            use_case=use_case,
            key="",
            metric=m,
            comparator=c,
            target=t,
            owner="risk",
            agreed_on=date(2025, 1, 1),
            author_name="Mara",
            attribute=a,
        )
        for m, c, t, a in metrics
    ]


@pytest.mark.parametrize(("use_case", "version"), BUILTINS)
def test_stored_scores_equal_the_loaded_models(registry_dir, use_case, version):
    stored = load_evaluation(use_case, version, registry_dir)
    fresh = ScoredIteration(load_iteration(use_case, version, registry_dir))
    assert stored is not None and stored.iteration.model is None
    pd.testing.assert_series_equal(stored.scores, fresh.scores, check_exact=True)
    assert stored.features.equals(fresh.features) and stored.card == fresh.card


@pytest.mark.parametrize(
    ("use_case", "version", "attribute"),
    [("credit", "v1", "sex"), ("credit", "v2", "age"), ("fraud", "v2", "customer_age_band")],
)
def test_the_scorecard_from_stored_scores_equals_the_models_at_any_threshold(
    registry_dir, use_case, version, attribute
):
    stored = load_evaluation(use_case, version, registry_dir)
    fresh = ScoredIteration(load_iteration(use_case, version, registry_dir))
    criteria = _criteria(use_case, attribute)
    costs = CostMatrix(use_case, 250, 500, "Mara", None, 0.5, "DM")
    registered = evaluate_criteria(stored, criteria, costs)
    assert registered == evaluate_criteria(fresh, criteria, costs)
    assert all(r.value is not None for r in registered if r.criterion.metric != "precision")
    changed = fresh.threshold / 2
    moved = evaluate_criteria(stored.at_threshold(changed), criteria, costs)
    assert moved == evaluate_criteria(fresh.at_threshold(changed), criteria, costs)
    recall = [r.value for r in (registered, moved) for r in r if r.criterion.metric == "recall"]
    assert recall[1] > recall[0]  # a lower threshold catches more: not the registered numbers served again
    assert stored.at_threshold(changed).threshold == changed and stored.threshold == fresh.threshold


def test_an_iteration_without_stored_scores_or_with_other_cases_is_left_to_its_model(registry_dir, tmp_path):
    shutil.copytree(registry_dir / "credit", tmp_path / "credit")
    (iteration_dir("credit", "v1", tmp_path) / SCORES_FILE).unlink()
    assert load_evaluation("credit", "v1", tmp_path) is None
    other = load_evaluation("credit", "v2", tmp_path).scores.iloc[:-1].to_frame()
    other.to_parquet(iteration_dir("credit", "v2", tmp_path) / SCORES_FILE)
    assert load_evaluation("credit", "v2", tmp_path) is None
    assert load_evaluation("credit", "v3", tmp_path) is not None


@pytest.mark.parametrize("attribute", ["sex", "age"])
def test_one_gap_alone_equals_the_same_gap_among_all(scored, attribute):
    from demo_models.metrics.fairness import GAP_METRICS, fairness_gaps

    every = fairness_gaps(scored["v2"], attribute)
    assert set(every) == set(GAP_METRICS)
    for name in GAP_METRICS:
        assert fairness_gaps(scored["v2"], attribute, only=(name,)) == {name: every[name]}


def test_the_numbers_stored_at_registration_serve_only_their_threshold(registry_dir, tmp_path):
    import json

    from demo_models.iterations.registry import JUDGED_FILE

    shutil.copytree(registry_dir / "credit", tmp_path / "credit")
    path = iteration_dir("credit", "v2", tmp_path) / JUDGED_FILE
    judged = json.loads(path.read_text())
    fresh = ScoredIteration(load_iteration("credit", "v2", registry_dir))
    assert judged["threshold"] == fresh.threshold and judged["headline"] == fresh.headline()
    assert judged["gaps"]["age"]["dp_ratio"] == fresh.gap("age", "dp_ratio")
    judged["headline"]["recall"], judged["gaps"]["age"]["dp_ratio"] = 0.123, 0.456  # marked: where are they read?
    path.write_text(json.dumps(judged))
    stored = load_evaluation("credit", "v2", tmp_path)
    assert stored.headline()["recall"] == 0.123 and stored.gap("age", "dp_ratio") == 0.456
    moved = stored.at_threshold(0.3)
    assert moved.headline() == fresh.at_threshold(0.3).headline() and moved.headline()["recall"] != 0.123
    assert moved.gap("age", "dp_ratio") == fresh.at_threshold(0.3).gap("age", "dp_ratio") != 0.456
