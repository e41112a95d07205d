"""Which decision is favourable belongs to the use case: fairness, goals and sign-off use it.

A held-out style use case whose positive class is the good outcome ("approved"), with missing
values and a categorical input: every fairness number equals fairlearn's on the favourable outcome.
"""

from __future__ import annotations

import numpy as np
import pytest
from fairlearn.metrics import MetricFrame, selection_rate, true_positive_rate

from demo_models.iterations.registry import RegistryError, load_iteration, register_iteration
from demo_models.iterations.scoring import ScoredIteration
from demo_models.metrics.catalogue import get_metric
from demo_models.metrics.fairness import bootstrap_gaps, fairness_gaps, gaps_by_threshold, group_table
from demo_models.metrics.outcomes import fairness_value, metric_value
from demo_models.metrics.performance import headline_metrics
from demo_models.presentation.report_inputs import compose_snapshot
from demo_models.vocabulary import get_use_case
from tests.helpers import approvals_data as _approvals
from tests.helpers import fit_approvals_model as _model


@pytest.fixture(scope="module")
def approvals(tmp_path_factory) -> ScoredIteration:
    root = tmp_path_factory.mktemp("registry")
    frame = _approvals()
    register_iteration(
        _model(frame),
        frame.iloc[:600],
        use_case="loans",
        version="v1",
        target="approved",
        author="Test",
        positive_label=1,
        positive_class="approved",
        threshold=0.4,
        favourable="positive",
        protected_attributes=["region"],
        registry_dir=root,
    )
    return ScoredIteration(load_iteration("loans", "v1", root))


def _fairlearn_on_favourable(scored: ScoredIteration, attribute: str, favourable_is_positive: bool):
    positive = (scored.scores >= scored.threshold).to_numpy().astype(int)
    labels = scored.iteration.labels
    deserved, favoured = (labels, positive) if favourable_is_positive else (1 - labels, 1 - positive)
    return MetricFrame(
        metrics={"selection": selection_rate, "tpr": true_positive_rate},
        y_true=deserved,
        y_pred=favoured,
        sensitive_features=scored.features[attribute].astype(str),
    )


def test_the_card_and_use_case_say_the_positive_decision_is_favourable(approvals):
    assert approvals.card.favourable == "positive"
    assert approvals.use_case.favourable_is_positive
    assert approvals.use_case.favourable_decision == approvals.use_case.positive_decision


def test_fairness_on_the_favourable_outcome_equals_fairlearn(approvals):
    frame = _fairlearn_on_favourable(approvals, "region", True)
    gaps = fairness_gaps(approvals, "region")
    assert gaps["dp_ratio"] == pytest.approx(frame.ratio()["selection"])
    assert gaps["dp_difference"] == pytest.approx(frame.difference()["selection"])
    assert gaps["equal_opportunity_difference"] == pytest.approx(frame.difference()["tpr"])
    table = group_table(approvals, "region")
    assert table["favourable rate"].to_dict() == pytest.approx(frame.by_group["selection"].to_dict())
    # the wrong side (what was computed before) differs here, so this test can fail
    wrong = _fairlearn_on_favourable(approvals, "region", False)
    assert gaps["dp_ratio"] != pytest.approx(wrong.ratio()["selection"])


def test_goals_sign_off_bootstrap_and_sweep_use_the_same_side(approvals):
    gaps = fairness_gaps(approvals, "region")
    assert fairness_value(approvals, "disparate_impact_ratio", "region")[0] == pytest.approx(gaps["dp_ratio"])
    assert fairness_value(approvals, "equal_opportunity_difference", "region")[0] == pytest.approx(
        gaps["equal_opportunity_difference"]
    )
    snapshot = compose_snapshot(approvals, [], [])
    assert snapshot.fairness_gaps["region"] == pytest.approx(gaps)
    assert snapshot.favourable_decision == approvals.use_case.positive_decision
    assert bootstrap_gaps(approvals, "region")["value"].to_dict() == pytest.approx(gaps)
    sweep = gaps_by_threshold(approvals, "region", np.array([approvals.threshold]))
    assert sweep.iloc[0].to_dict() == pytest.approx(gaps)


def test_credit_fairness_is_on_approval_and_repayment(scored):
    it = scored["v1"]
    frame = _fairlearn_on_favourable(it, "sex", False)
    gaps = fairness_gaps(it, "sex")
    assert gaps["dp_ratio"] == pytest.approx(frame.ratio()["selection"])
    assert gaps["equal_opportunity_difference"] == pytest.approx(frame.difference()["tpr"])
    assert it.use_case.favourable_decision == "approve"


def test_favourable_is_refused_when_invalid_or_inconsistent(approvals, tmp_path):
    frame = _approvals(300, seed=1)
    model = _model(frame)
    common = dict(target="approved", author="Test", positive_class="approved", registry_dir=tmp_path)
    with pytest.raises(RegistryError, match="favourable must be"):
        register_iteration(model, frame, use_case="loans", version="v1", favourable="good", **common)
    with pytest.raises(RegistryError, match="belongs to the use case"):
        register_iteration(model, frame, use_case="credit", version="v9", favourable="positive", **common)
    register_iteration(model, frame, use_case="loans", version="v1", favourable="positive", **common)
    with pytest.raises(RegistryError, match="treat the positive decision as favourable"):
        register_iteration(model, frame, use_case="loans", version="v2", **common)
    assert get_use_case("loans", "approved", "positive").favourable_is_positive


def test_undefined_rates_are_nan_with_a_reason_never_zero(approvals):
    labels = approvals.iteration.labels
    scores = approvals.scores.to_numpy()
    nobody = headline_metrics(labels, scores, threshold=1.01)  # no positive decision at all
    assert np.isnan(nobody["precision"])
    assert nobody["recall"] == 0.0
    assert "no case got" in get_metric("precision").undefined_reason(approvals.use_case)
    single = headline_metrics(np.zeros_like(labels), scores, 0.5)
    assert np.isnan(single["recall"]) and np.isnan(single["roc_auc"])
    value, why = metric_value(approvals.at_threshold(0.999999), "precision")
    assert value is None and why.startswith("undefined: no case got")


def test_an_undefined_fairness_ratio_has_no_value_and_says_why(approvals):
    nobody_favoured = approvals.at_threshold(0.999999)  # favourable = positive decision: nobody gets it
    assert np.isnan(fairness_gaps(nobody_favoured, "region")["dp_ratio"])
    value, why = fairness_value(nobody_favoured, "disparate_impact_ratio", "region")
    assert value is None and "undefined" in why
    snapshot = compose_snapshot(nobody_favoured, [], [])
    assert snapshot.fairness_gaps["region"]["dp_ratio"] is None


def test_the_glossary_speaks_of_the_favourable_decision(approvals):
    from demo_models.presentation.glossary import GLOSSARY, phrase_term
    from demo_models.presentation.worked_examples import worked_example

    term = next(t for t in GLOSSARY if t.key == "dp_ratio")
    phrased = phrase_term(term, approvals.use_case)
    assert f"“{approvals.use_case.positive_decision}”" in phrased.meaning
    text = worked_example(next(t for t in GLOSSARY if t.key == "equal_opportunity_difference"), approvals)
    assert f"{approvals.use_case.words.positive_cases}" in text
    assert f"{fairness_gaps(approvals, 'region')['equal_opportunity_difference']:.3f}" in text


def test_the_registration_snippet_keeps_the_favourable_decision(approvals):
    import ast

    from demo_models.presentation.snippets import registration_snippet

    call = ast.parse(registration_snippet(approvals.card, ["v1"])).body[-1].value
    assert {k.arg: ast.literal_eval(k.value) for k in call.keywords}["favourable"] == "positive"
