"""The charts' text alternatives say what the charts draw, with the same numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from demo_models.iterations.scoring import CaseExplanation
from demo_models.metrics.costs import CaseCosts, cost_curve, total_cost
from demo_models.metrics.outcomes import compute_curves
from demo_models.presentation.chart_text import (
    describe_bars,
    describe_cost_curve,
    describe_importance,
    describe_lines,
    describe_psi_heatmap,
    describe_roc_pr,
    describe_waterfall,
)
from demo_models.presentation.figures import MAX_WATERFALL_BARS, build_waterfall
from demo_models.vocabulary import get_use_case

CREDIT = get_use_case("credit")


def _explanation(n_inputs: int = 13) -> CaseExplanation:
    rng = np.random.default_rng(3)
    columns = [f"input_{i}" for i in range(n_inputs)]
    contributions = pd.Series(rng.normal(0, 0.5, n_inputs), index=columns)
    contributions = contributions.reindex(contributions.abs().sort_values(ascending=False).index)
    values = pd.Series(rng.integers(0, 100, n_inputs), index=columns)
    return CaseExplanation("A0001", values, 0.7, 0.4, "decline", -1.1, contributions, [], [])


def test_the_waterfall_table_holds_every_bar_of_the_figure():
    explanation = _explanation()
    text = describe_waterfall(explanation, CREDIT)
    ((_, table),) = text.tables
    trace = build_waterfall(explanation, CREDIT).data[0]
    assert list(table["Step"]) == list(trace.y)
    assert len(table) == MAX_WATERFALL_BARS + 3  # start, 10 inputs, the rest, end
    assert list(table["Contribution (log-odds)"])[1:-1] == list(trace.text)[1:-1]
    assert table["Running total (log-odds)"].iloc[-1] == f"{explanation.output:+.2f}"
    assert table["Running total (log-odds)"].iloc[-2] == f"{explanation.output:+.2f}"  # the bars add up


def test_the_waterfall_sentence_names_the_strongest_push_each_way():
    explanation = _explanation(5)
    text = describe_waterfall(explanation, CREDIT).summary
    up = explanation.contributions.idxmax()
    down = explanation.contributions.idxmin()
    assert f"{CREDIT.label(up)} = " in text.split("raised")[0]
    assert f"{explanation.contributions[up]:+.2f} log-odds" in text
    assert f"{CREDIT.label(down)} = " in text.split("raised")[1].split("lowered")[0]
    assert text.startswith("From the average applicant (25%) to this applicant (70%)")


def test_a_case_no_input_moves():
    explanation = _explanation(3)
    flat = CaseExplanation("A1", explanation.values, 0.25, 0.4, "approve", -1.1, explanation.contributions * 0, [], [])
    assert describe_waterfall(flat, CREDIT).summary.endswith("no input moved the score.")


def test_importance_lists_the_top_inputs_of_the_new_iteration():
    importance = pd.DataFrame(
        {"old": [0.1, 0.5, 0.2, 0.05], "new": [0.4, 0.3, 0.2, 0.6]}, index=["duration", "age", "sex", "job"]
    )
    text = describe_importance(importance, CREDIT, "v1", "v2")
    assert text.summary.startswith(
        "The inputs that drive v2's scores most: Job (0.600; 0.050 in v1), Loan duration (0.400"
    )
    ((_, table),) = text.tables
    assert list(table["Mean |SHAP| (v2)"]) == [0.4, 0.3, 0.2, 0.6]


def _brute_force_roc(labels, scores):
    points = []
    for t in [np.inf, *np.unique(scores)]:
        decided = scores >= t
        points.append(
            ((decided & (labels == 0)).sum() / (labels == 0).sum(), (decided & (labels == 1)).sum() / labels.sum())
        )
    return np.array(points)


def test_roc_table_and_auc_equal_a_brute_force_over_every_threshold():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 400)
    scores = np.clip(labels * 0.2 + rng.normal(0.4, 0.2, 400), 0, 1).round(2)  # ties on purpose
    curves = compute_curves(labels, scores)
    operating = {"fpr": 0.25, "tpr": 0.6, "recall": 0.6, "precision": 0.7}
    text = describe_roc_pr(curves, operating, CREDIT)
    assert text.summary.startswith(f"ROC AUC {roc_auc_score(labels, scores):.3f}. ")
    assert "recall (defaulters caught) 60.0% at a false-positive rate of 25.0%, precision 70.0%" in text.summary
    (_, roc), (_, pr) = text.tables
    points = _brute_force_roc(labels, scores)
    for level, best in zip(roc["False positive rate (at most)"], roc["Recall (best, defaulters caught)"]):
        assert best == pytest.approx(points[points[:, 0] <= level + 1e-12, 1].max(), abs=5e-4)
    pr_points = [(0.0, 1.0)]  # scikit-learn's convention: recall 0 at precision 1
    for t in np.unique(scores):
        decided = scores >= t
        pr_points.append(
            ((decided & (labels == 1)).sum() / labels.sum(), (decided & (labels == 1)).sum() / decided.sum())
        )
    pr_points = np.array(pr_points)
    for level, best in zip(pr["Recall (at least)"], pr["Precision (best)"]):
        assert best == pytest.approx(pr_points[pr_points[:, 0] >= level - 1e-12, 1].max(), abs=5e-4)


def test_cost_table_equals_the_cost_at_each_threshold_it_names():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 300)
    scores = rng.random(300)
    costs = CaseCosts(np.full(300, 100.0), rng.uniform(200, 900, 300))
    curve = cost_curve(labels, scores, costs)
    current_total = total_cost(labels, scores, 0.4, costs)
    text = describe_cost_curve(curve, 0.4, current_total, "DM")
    best = total_cost(labels, scores, curve.optimal_threshold, costs) / 300 * 1000
    assert text.summary.startswith(
        f"Lowest expected cost: {best:,.0f} DM per 1,000 cases at threshold {curve.optimal_threshold:.3f}"
    )
    assert f"at the current threshold (0.400) {current_total / 300 * 1000:,.0f} DM." in text.summary
    ((_, table),) = text.tables
    assert len(table) >= 10
    exact = dict(zip(curve.thresholds.round(3), curve.totals))
    for threshold, cost in zip(table["threshold"], table["Expected cost per 1,000 cases (DM)"]):
        assert cost == round(exact[threshold] / 300 * 1000)


def test_lines_and_bars_name_their_extremes():
    weeks = pd.date_range("2026-01-05", periods=3, freq="W-MON")
    frame = pd.DataFrame({"v1": [0.5, 0.25, 0.75], "v2": [0.1, np.nan, 0.0]}, index=weeks)
    text = describe_lines(frame, "Share of disagree", digits=2)
    assert (
        text.summary
        == "Share of disagree: v1 from 0.25 (2026-01-12) to 0.75 (2026-01-19); v2 from 0.00 (2026-01-19) to 0.10 "
        "(2026-01-05)."
    )
    counts = pd.DataFrame({"agree": [3, 1, 0], "disagree": [1, 5, 2]}, index=["v1", "v2", "v3"])
    assert (
        describe_bars(counts, "Entries per iteration").summary
        == "Entries per iteration, largest first: v2 6, v1 4 and v3 2."
    )
    assert describe_bars(pd.Series(dtype=int), "Mentions").summary == "Mentions: none."


def test_the_psi_map_names_the_largest_drift_and_counts_cells_to_act_on():
    by_month = pd.DataFrame(
        {"Amount": [0.01, 0.3, 0.05], "Channel": [0.02, 0.61, 0.27]}, index=["2026-07", "2026-08", "2026-09"]
    )
    text = describe_psi_heatmap(by_month, 0.25)
    assert text.summary == "Largest drift: Channel in 2026-08 (PSI 0.610); 3 of 6 column-months over 0.25 (act)."


def test_lines_are_drawn_from_the_frame_they_describe():
    from demo_models.presentation.figures import build_lines

    weeks = pd.date_range("2026-01-05", periods=3, freq="W-MON")
    frame = pd.DataFrame({"v1": [0.5, 0.25, 0.75], "v2": [0.1, np.nan, 0.0]}, index=weeks)
    figure = build_lines(frame, "share", "week")
    assert [t.name for t in figure.data] == ["v1", "v2"]
    assert list(figure.data[0].x) == ["2026-01-05", "2026-01-12", "2026-01-19"]
    assert list(figure.data[0].y) == [0.5, 0.25, 0.75]
