"""Benchmark: Outcomes' error views (issue 20) on 10,000 and 100,000 evaluation cases.

Trains the built-in iterations in a temporary registry, then enlarges fraud v1 and v2's evaluation cases to
each size by drawing their transactions again with new ids (the same draws for both, so the two iterations
share every case), and reports medians over the runs of:
- cohorts: `find_error_cohorts` with reviewer agreement beside it (`cohorts_with_agreement`, 500 verdicts);
- heat map: `error_heat_map` over the two most important inputs, its figure and text;
- side by side: `compare_cohorts` (both iterations' cohorts under both, both calibrations), figure and text;
- data explorer: the most important input by actual outcome (`profile_input`, its figure and text) and every
  input's missing values by decision (`missing_by_group`);
- against the reference: the most important input and every input's drift against the reference months of the
  monitoring stream (`compare_with_reference`; the stream, 200,000 transactions as Monitoring builds it, is
  generated once outside the timing: Monitoring's cached stream);
each as a first render (computed) and as a rerun (the cached figure serialised, as Streamlit does).
Targets (issue 20): first render at most 1 s at 10,000 and 3 s at 100,000; rerun at most 150 ms.

    .venv/bin/python bench/error_views.py [--runs 3] [--sizes 10000 100000] [--registry DIR]
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
import pandas as pd

from demo_models.builtin.training import ensure_builtin_iterations
from demo_models.iterations.registry import load_iteration
from demo_models.iterations.scoring import ScoredIteration
from demo_models.metrics.cohort_compare import cohorts_with_agreement, compare_cohorts
from demo_models.metrics.data_explorer import (
    BY_DECISION,
    BY_OUTCOME,
    compare_with_reference,
    explorer_inputs,
    label_input,
    missing_by_group,
    profile_input,
)
from demo_models.metrics.error_map import error_heat_map, heat_map_inputs
from demo_models.metrics.errors import find_error_cohorts
from demo_models.monitoring.stream import build_stream, reference_cases
from demo_models.presentation.data_figures import build_share_bars, describe_share_bars
from demo_models.presentation.error_figures import (
    build_error_heat_map,
    build_reliability_pair,
    describe_error_heat_map,
    describe_reliability_pair,
)

TARGETS = {10_000: 1.0, 100_000: 3.0}
RERUN_TARGET_MS = 150.0


def _enlarged(registry: Path, version: str, rows: int, seed: int = 0) -> ScoredIteration:
    """Fraud `version` on `rows` evaluation cases drawn from its own (the same draws for every version)."""
    iteration = load_iteration("fraud", version, registry)
    picks = np.random.default_rng(seed).choice(len(iteration.eval_data), rows, replace=rows > len(iteration.eval_data))
    ids = [f"B{i:07d}" for i in range(rows)]
    data = iteration.eval_data.iloc[picks].set_axis(ids)
    shap = iteration.shap_values.set_axis(iteration.shap_values.index.astype(str))
    shap = shap.loc[iteration.eval_data.index.astype(str)[picks]].set_axis(ids)
    return ScoredIteration(replace(iteration, eval_data=data, shap_values=shap))


def _explorer_views(new: ScoredIteration, reference: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """(first render s, rerun ms) of the data explorer's views."""
    timings = {}
    column = explorer_inputs(new)[0]
    label = label_input(new, column)
    start = time.perf_counter()
    profile = profile_input(new, column, BY_OUTCOME)
    figure = build_share_bars(profile.table, "group", label, "outcome")
    describe_share_bars(profile.table, "group", label)
    missing = missing_by_group(new, BY_DECISION)
    first = time.perf_counter() - start
    start = time.perf_counter()
    figure.to_json()
    profile.groups.to_json()
    missing.to_json()
    timings["data explorer"] = (first, (time.perf_counter() - start) * 1000)
    start = time.perf_counter()
    comparison = compare_with_reference(new.features, reference, column, new.use_case)
    figure = build_share_bars(comparison.table, "source", label, "source")
    describe_share_bars(comparison.table, "source", label)
    first = time.perf_counter() - start
    start = time.perf_counter()
    figure.to_json()
    comparison.drift.to_json()
    timings["against the reference"] = (first, (time.perf_counter() - start) * 1000)
    return timings


def _views(old: ScoredIteration, new: ScoredIteration, reviewed: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """(first render s, rerun ms) of each view."""
    use_case = new.use_case
    timings = {}
    start = time.perf_counter()
    found = find_error_cohorts(new, "errors")
    table = cohorts_with_agreement(found, reviewed)
    first = time.perf_counter() - start
    start = time.perf_counter()
    table.to_json()  # a rerun sends the cached table again
    timings["cohorts + reviewer agreement"] = (first, (time.perf_counter() - start) * 1000)
    x, y = heat_map_inputs(new)[:2]
    start = time.perf_counter()
    heat = error_heat_map(new, x, y)
    figure = build_error_heat_map(heat, use_case)
    describe_error_heat_map(heat, use_case)
    first = time.perf_counter() - start
    start = time.perf_counter()
    figure.to_json()
    timings["heat map"] = (first, (time.perf_counter() - start) * 1000)
    start = time.perf_counter()
    change = compare_cohorts(old, new)
    figure = build_reliability_pair(change, use_case.words.outcome)
    describe_reliability_pair(change, use_case.words.outcome)
    first = time.perf_counter() - start
    start = time.perf_counter()
    figure.to_json()
    change.table.to_json()
    timings["two iterations side by side"] = (first, (time.perf_counter() - start) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--registry", type=Path, help="a registry with the built-in iterations (else trained)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        registry = args.registry or Path(tmp) / "registry"
        if args.registry is None:
            ensure_builtin_iterations(registry)
        print(f"{'view':<30} {'cases':>8} {'first (s)':>10} {'target':>7} {'rerun (ms)':>11}")
        for size in args.sizes:
            old, new = _enlarged(registry, "v1", size), _enlarged(registry, "v2", size)
            rng = np.random.default_rng(1)
            reviewed = pd.DataFrame(
                {
                    "case_id": rng.choice(new.scores.index, 500),
                    "own_decision": "x",
                    "verdict": rng.choice(["agree", "disagree", "unsure"], 500),
                }
            )
            reference, _ = reference_cases(new, build_stream(new, 200_000))
            runs = [{**_views(old, new, reviewed), **_explorer_views(new, reference)} for _ in range(args.runs)]
            for view in runs[0]:
                first = statistics.median(r[view][0] for r in runs)
                rerun = statistics.median(r[view][1] for r in runs)
                target = TARGETS.get(size)
                ok = "" if target is None else ("meets" if first <= target and rerun <= RERUN_TARGET_MS else "MISSES")
                shown = f"{target:.0f} s" if target else "—"
                print(f"{view:<30} {size:>8,} {first:>10.3f} {shown:>7} {rerun:>11.1f}  {ok}")


if __name__ == "__main__":
    main()
