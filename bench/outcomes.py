"""Benchmark: re-rendering the Outcomes page when the threshold slider moves, on ~10k cases.

Registers the churn example with 10,000 evaluation cases, sets a cost matrix, opens the Outcomes
page under AppTest and moves the threshold slider repeatedly; reports the server time of each
rerun (median and p95 over all moves of several runs) and, separately, the domain calls a move
triggers (metrics, confusion matrix, curves, cost curve). Target: under 200 ms per rerun.

    .venv/bin/python bench/outcomes.py [--runs 3] [--moves 20]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from demo_models.examples.churn import main as register_churn
from demo_models.iterations.registry import load_iteration
from demo_models.iterations.scoring import ScoredIteration
from demo_models.metrics.costs import case_costs, cost_curve, total_cost
from demo_models.metrics.outcomes import compute_curves, confusion
from demo_models.metrics.performance import headline_metrics
from feedback.goals import CostMatrix
from feedback.store.database import FeedbackStore
from feedback.store.goals import save_costs

ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 200.0


def _domain_ms(scored: ScoredIteration, thresholds: np.ndarray) -> list[float]:
    labels, scores = scored.iteration.labels, scored.scores.to_numpy()
    costs = case_costs(scored.features, 20, 150)
    times = []
    for threshold in thresholds:
        start = time.perf_counter()
        headline_metrics(labels, scores, threshold)
        confusion(labels, scores, threshold)
        compute_curves(labels, scores)
        curve = cost_curve(labels, scores, costs)
        total_cost(labels, scores, threshold, costs)
        curve.per_thousand(curve.totals)
        times.append((time.perf_counter() - start) * 1000)
    return times


def _page_ms(thresholds: np.ndarray) -> list[float]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["use_case"] = "churn"
    at.run()
    at.switch_page("pages/7_Outcomes.py").run()
    assert not at.exception, at.exception
    slider = "outcome_threshold_churn_v2"
    times = []
    for threshold in thresholds:
        at.slider(key=slider).set_value(float(round(threshold, 3)))
        start = time.perf_counter()
        at.run()
        times.append((time.perf_counter() - start) * 1000)
        assert not at.exception, at.exception
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--moves", type=int, default=20)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        registry = Path(tmp) / "registry"
        register_churn(rows=33_334, registry_dir=registry)
        os.environ.update(
            INVOLVE_REGISTRY_DIR=str(registry),
            INVOLVE_DATA_DIR=tmp,
            INVOLVE_LOG_LEVEL="WARNING",
            INVOLVE_DEMO_HISTORY="0",
        )
        store = FeedbackStore(f"sqlite:///{Path(tmp) / 'feedback.sqlite3'}")
        save_costs(store, CostMatrix("churn", false_positive_cost=20, false_negative_cost=150, author_name="bench"))
        scored = ScoredIteration(load_iteration("churn", "v2", registry))
        print(f"churn v2: {len(scored.scores):,} evaluation cases")
        rng = np.random.default_rng(0)
        domain, page = [], []
        for _ in range(args.runs):
            thresholds = rng.uniform(0.05, 0.95, args.moves)
            domain += _domain_ms(scored, thresholds)
            page += _page_ms(thresholds)
        for name, times in (("domain calls per move", domain), ("Outcomes page rerun (AppTest)", page)):
            print(
                f"{name:<32} median {statistics.median(times):6.1f} ms   p95 {np.percentile(times, 95):6.1f} ms   "
                f"(n={len(times)})"
            )
        verdict = "meets" if statistics.median(page) < TARGET_MS else "MISSES"
        print(f"page rerun median {statistics.median(page):.1f} ms {verdict} the {TARGET_MS:.0f} ms target")


if __name__ == "__main__":
    main()
