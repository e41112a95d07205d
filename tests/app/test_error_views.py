"""AppTest: Outcomes' error views — the heat map over two inputs, two iterations side by side and reviewer
agreement beside the cohorts — on credit and on a brought use case whose positive class is the good outcome
(missing incomes), each figure equal to the domain function's."""

from __future__ import annotations

import os
import shutil
from datetime import date, timedelta

import numpy as np
import plotly.io as pio
import pytest

from demo_models.formats import format_share
from demo_models.iterations.registry import load_iteration, register_iteration
from demo_models.iterations.scoring import ScoredIteration
from demo_models.metrics.cohort_compare import compare_cohorts
from demo_models.metrics.error_map import error_heat_map
from demo_models.metrics.errors import find_error_cohorts
from demo_models.reviews.rounds import choose_cases, start_round
from feedback.access import Actor, demo_subject
from feedback.rounds import Reviewer, ReviewRound, Verdict
from feedback.store.database import FeedbackStore
from feedback.store.rounds import close_round, my_queue, save_own_decision, save_verdict
from tests.app.apptest import open_app
from tests.helpers import approvals_data, fit_approvals_model, register_approvals


def _table(at, column: str):
    """The displayed table holding `column` (a display dataframe has no key AppTest can look up)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _figure(at, key: str):
    return pio.from_json(next(el for el in at.get("plotly_chart") if el.key == key).proto.spec)


def test_the_heat_map_follows_the_inputs_and_shows_small_cells_as_undefined(app_env, scored):
    at = open_app("pages/7_Outcomes.py", iteration="v3")
    assert not at.exception
    at.selectbox(key="heat_x").select("purpose").run()
    at.selectbox(key="heat_y").select("duration").run()
    assert not at.exception
    expected = error_heat_map(scored["v3"], "purpose", "duration")
    figure = _figure(at, "error_heat_map")
    assert list(figure.data[0].x) == list(expected.x_bins) and list(figure.data[0].y) == list(expected.y_bins)
    text = np.array(figure.data[0].text)
    small = (expected.cases > 0) & (expected.cases < expected.min_cases)
    assert small.any() and all(t.startswith("— (") for t in text[small])  # undefined, with the count, not 0 %
    i, j = np.argwhere(expected.cases >= expected.min_cases)[0]
    assert text[i, j].endswith(f"{expected.errors[i, j]} of {expected.cases[i, j]}")
    at.radio(key="heat").set_value("cost").run()  # no cost matrix yet: said, and the rate stays
    assert any("No cost per cell yet" in i.value for i in at.info)


def test_two_iterations_side_by_side_equal_compare_cohorts(app_env, scored):
    at = open_app("pages/7_Outcomes.py", iteration="v3")
    assert at.selectbox(key="pair_other").value == "v2"  # v3's parent by default
    expected = compare_cohorts(scored["v2"], scored["v3"])
    shown = _table(at, "found on")
    assert list(shown["cohort"]) == list(expected.table["cohort"])
    assert list(shown["errors after"]) == list(expected.table["errors after"])
    calibration = _table(at, "iteration")
    assert list(calibration["Brier"]) == pytest.approx([s.brier for s in expected.calibration])
    assert len(_figure(at, "reliability_pair").data) == 3  # the diagonal and both iterations
    at.selectbox(key="pair_other").select("v1").run()
    assert not at.exception
    assert list(_table(at, "found on")["errors before"]) == list(
        compare_cohorts(scored["v1"], scored["v3"]).table["errors before"]
    )


def test_reviewer_agreement_of_a_closed_round_is_beside_each_cohort(app_env, scored):
    store = FeedbackStore(os.environ["INVOLVE_DB_URL"])
    v3 = scored["v3"]
    dee, ann = Actor("Dee", "data scientist"), Actor("Ann", "risk")
    draft = ReviewRound(
        "credit", "v3", "Round 1", "Where is it wrong?", date.today() + timedelta(days=7),
        (Reviewer(demo_subject("Ann"), "Ann", "risk"),), 30, 1, 3, "", "",
    )  # fmt: skip
    round_, _ = start_round(store, draft, choose_cases(store, v3, {"random": 30}, 3), dee, {"v1", "v2", "v3"})
    model, allowed = v3.decisions(), tuple(sorted(set(v3.decisions())))
    verdicts = {}
    for i, item in enumerate(my_queue(store, round_.id, ann)):
        save_own_decision(store, round_.id, item.case_id, ann, model[item.case_id], 3, decisions=allowed)
        verdicts[item.case_id] = "agree" if i % 3 else "disagree"
        save_verdict(store, round_.id, item.case_id, ann, Verdict(verdicts[item.case_id]))
    at = open_app("pages/7_Outcomes.py", iteration="v3")
    shown = _table(at, "reviewer verdicts")
    assert (shown["reviewer verdicts"] == 0).all() and (shown["reviewers agreeing"] == "—").all()  # still open
    close_round(store, round_.id, dee)
    at = open_app("pages/7_Outcomes.py", iteration="v3")
    shown = _table(at, "reviewer verdicts")
    for cohort, (_, row) in zip(find_error_cohorts(v3).cohorts, shown.iterrows()):
        here = [v for case, v in verdicts.items() if case in cohort.case_ids]
        assert row["reviewer verdicts"] == len(here)
        agreeing = row["reviewers agreeing"]  # text once a cohort without reviewed cases shows "—"
        if here:
            expected = here.count("agree") / len(here)
            assert (
                agreeing == format_share(expected) if isinstance(agreeing, str) else agreeing == pytest.approx(expected)
            )
        else:
            assert agreeing == "—"
    assert shown["reviewer verdicts"].sum() == len(verdicts)


@pytest.fixture(scope="module")
def loans_registry(registry_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("loans-pair") / "registry"
    shutil.copytree(registry_dir, root)
    register_approvals(root)
    frame = approvals_data()
    register_iteration(
        fit_approvals_model(frame.iloc[300:]),
        frame.iloc[200:800],  # 400 cases shared with v1
        use_case="loans",
        version="v2",
        target="approved",
        author="Test",
        positive_class="approved",
        threshold=0.5,
        favourable="positive",
        protected_attributes=["region"],
        parent="v1",
        registry_dir=root,
    )
    return root


def test_a_brought_use_case_with_missing_values_and_a_favourable_positive_class(app_env, loans_registry, monkeypatch):
    monkeypatch.setenv("INVOLVE_REGISTRY_DIR", str(loans_registry))
    at = open_app("pages/7_Outcomes.py", use_case="loans", iteration="v2")
    assert not at.exception
    v1, v2 = (ScoredIteration(load_iteration("loans", v, loans_registry)) for v in ("v1", "v2"))
    at.selectbox(key="heat_x").select("income").run()
    at.selectbox(key="heat_y").select("region").run()
    assert not at.exception
    figure = _figure(at, "error_heat_map")
    expected = error_heat_map(v2.at_threshold(v2.card.threshold), "income", "region")
    assert "missing" in expected.x_bins and list(figure.data[0].x) == list(expected.x_bins)
    change = compare_cohorts(v1.at_threshold(v1.card.threshold), v2.at_threshold(v2.card.threshold))
    assert change.cases == 400
    shown = _table(at, "found on")
    assert list(shown["errors before"]) == list(change.table["errors before"])
    assert any("400 " in c.value and "v1" in c.value for c in at.caption)


def test_fraud_heat_map_and_side_by_side_equal_the_domain_functions(app_env, registry_dir):
    at = open_app("pages/7_Outcomes.py", use_case="fraud", iteration="v2")
    assert not at.exception
    v1, v2 = (ScoredIteration(load_iteration("fraud", v, registry_dir)) for v in ("v1", "v2"))
    v1, v2 = v1.at_threshold(v1.card.threshold), v2.at_threshold(v2.card.threshold)
    x, y = at.selectbox(key="heat_x").value, at.selectbox(key="heat_y").value
    expected = error_heat_map(v2, x, y)
    figure = _figure(at, "error_heat_map")
    assert list(figure.data[0].x) == list(expected.x_bins) and list(figure.data[0].y) == list(expected.y_bins)
    assert at.selectbox(key="pair_other").value == "v1"
    shown = _table(at, "found on")
    assert list(shown["errors after"]) == list(compare_cohorts(v1, v2).table["errors after"])
