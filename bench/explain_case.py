"""Benchmark: explain one case (score + grouped SHAP + reason codes) for every evaluation case.

Prints, per built-in iteration, the median and p95 latency over all evaluation cases for each of
several runs, and the median over runs; and the same for a plain `shap.TreeExplainer` baseline on
the same LightGBM model and rows (SHAP only, ungrouped, no reasons) with the ratio.

    .venv/bin/python bench/explain_case.py [--runs 5]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from demo_models.builtin.training import ensure_builtin_iterations
from demo_models.iterations.registry import load_iteration
from demo_models.iterations.scoring import ScoredIteration

TARGET_P95_MS = 15.0


def _time_each(fn, items) -> np.ndarray:
    times = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        times.append(time.perf_counter() - start)
    return np.array(times) * 1000


def _shap_baseline(scored: ScoredIteration):
    import shap

    warnings.filterwarnings("ignore", module="shap")
    explainer = shap.TreeExplainer(scored.iteration.model.named_steps["clf"])
    encoded = scored.explainer.transform(scored.iteration.features)
    return lambda i: explainer.shap_values(encoded[i : i + 1]), range(len(encoded))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        ensure_builtin_iterations(Path(tmp))
        print(f"explain one case: {args.runs} runs over all evaluation cases (ms)")
        print(f"{'iteration':<10}{'what':<28}{'p50 per run':<34}{'median p50':>11}{'median p95':>11}")
        for version in ("v1", "v2", "v3"):
            scored = ScoredIteration(load_iteration("credit", version, Path(tmp)))
            cases = list(scored.scores.index)
            rows = [("involve explain_case", scored.explain_case, cases)]
            if scored.explainer.kind == "lightgbm":
                rows.append(("shap.TreeExplainer (SHAP only)", *_shap_baseline(scored)))
            medians = {}
            for name, fn, items in rows:
                fn(items[0])  # warm-up
                runs = [_time_each(fn, items) for _ in range(args.runs)]
                p50 = statistics.median(float(np.percentile(r, 50)) for r in runs)
                p95 = statistics.median(float(np.percentile(r, 95)) for r in runs)
                medians[name] = p50
                per_run = " ".join(f"{np.percentile(r, 50):.2f}" for r in runs)
                print(f"{version:<10}{name:<28}{per_run:<34}{p50:>11.2f}{p95:>11.2f}")
                if name == "involve explain_case":
                    verdict = "meets" if p95 < TARGET_P95_MS else "MISSES"
                    print(f"{'':<10}p95 {p95:.2f} ms {verdict} the {TARGET_P95_MS:.0f} ms target")
            if len(medians) == 2:
                ours, theirs = medians.values()
                print(f"{'':<10}ratio shap baseline / involve (median p50): {theirs / ours:.2f}x")


if __name__ == "__main__":
    main()
