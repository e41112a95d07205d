"""Benchmark: "How each input moves the score" (Outcomes) on 10,000 and 100,000 fraud transactions.

Trains the built-in iterations in a temporary registry, then enlarges fraud v2's evaluation cases to each
size by drawing its 20,000 transactions again with new ids (a drawn transaction keeps its stored SHAP row,
which is exact for it), and reports per input, as medians over the inputs and runs:
- first: `explain_dependence` (stored SHAP points, interactions, partial dependence and ICE lines on the
  disclosed samples, associations) plus the figure and its text, what the page computes the first time;
- rerun: what a rerun does with the cached figure (Plotly serialises it for the browser).
Targets (issue 20): first render at most 1 s at 10,000 and 3 s at 100,000; rerun at most 150 ms.

    .venv/bin/python bench/dependence.py [--runs 3] [--sizes 10000 100000]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from demo_models.builtin.training import ensure_builtin_iterations
from demo_models.explanations.dependence import dependence_inputs, explain_dependence
from demo_models.iterations.registry import load_iteration
from demo_models.iterations.scoring import ScoredIteration
from demo_models.presentation.chart_text import describe_dependence
from demo_models.presentation.figures import build_dependence

TARGETS = {10_000: 1.0, 100_000: 3.0}
RERUN_TARGET_MS = 150.0


def _enlarged(registry: Path, rows: int, seed: int = 0) -> ScoredIteration:
    """Fraud v2 on `rows` evaluation cases drawn from its own, each with its stored SHAP row."""
    iteration = load_iteration("fraud", "v2", registry)
    picks = np.random.default_rng(seed).choice(len(iteration.eval_data), rows, replace=rows > len(iteration.eval_data))
    ids = [f"B{i:07d}" for i in range(rows)]
    data = iteration.eval_data.iloc[picks].set_axis(ids)
    shap = iteration.shap_values.set_axis(iteration.shap_values.index.astype(str))
    shap = shap.loc[iteration.eval_data.index.astype(str)[picks]].set_axis(ids)
    return ScoredIteration(replace(iteration, eval_data=data, shap_values=shap))


def _measure(scored: ScoredIteration, runs: int) -> tuple[list[float], list[float]]:
    firsts, reruns = [], []
    for run in range(runs):
        for column in dependence_inputs(scored):
            start = time.perf_counter()
            found = explain_dependence(scored, column, seed=run)
            figure = build_dependence(found, scored.use_case)
            describe_dependence(found, scored.use_case)
            firsts.append(time.perf_counter() - start)
            start = time.perf_counter()
            figure.to_json()
            reruns.append((time.perf_counter() - start) * 1000)
    return firsts, reruns


def main() -> None:
    """Print the first render and rerun of the section at each size against the targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as folder:
        registry = Path(folder) / "registry"
        ensure_builtin_iterations(registry)
        print(f"{'cases':>8}  {'first (median, max)':<24} {'target':<8} {'rerun ms (median)':<18} verdict")
        for rows in args.sizes:
            firsts, reruns = _measure(_enlarged(registry, rows), args.runs)
            first, rerun = statistics.median(firsts), statistics.median(reruns)
            target = TARGETS.get(rows)
            ok = (target is None or first <= target) and rerun <= RERUN_TARGET_MS
            shown = f"{first:.2f} s, {max(firsts):.2f} s"
            print(
                f"{rows:>8,}  {shown:<24} {'' if target is None else f'≤ {target:g} s':<8} {rerun:<18.0f} "
                f"{'meets' if ok else 'MISSES'}"
            )


if __name__ == "__main__":
    main()
