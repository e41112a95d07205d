"""Benchmark: the Compare page's computation for two iterations on ~10k evaluation cases.

Registers the churn example with 10,000 evaluation cases (logistic regression vs gradient
boosting) in a temporary registry, then reports, as medians over several runs:
- cold: load both iterations, score them and compare (what the page computes the first time);
- page: the Compare page's first render and its rerun from cache, under AppTest.

    .venv/bin/python bench/compare.py [--runs 5] [--rows 33334]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path

from demo_models.examples.churn import main as register_churn
from demo_models.iterations.registry import load_iteration
from demo_models.iterations.scoring import ScoredIteration
from demo_models.metrics.compare import compare_iterations

TARGET_SECONDS = 3.0
ROOT = Path(__file__).resolve().parents[1]


def _cold(registry: Path) -> float:
    start = time.perf_counter()
    old = ScoredIteration(load_iteration("churn", "v1", registry))
    new = ScoredIteration(load_iteration("churn", "v2", registry))
    comparison = compare_iterations(old, new)
    assert len(comparison.cases) >= 9_000
    return time.perf_counter() - start


def _page(registry: Path, data_dir: Path) -> tuple[float, float]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_resource.clear()  # every run starts cold, as a fresh server would
    os.environ.update(
        INVOLVE_REGISTRY_DIR=str(registry),
        INVOLVE_DATA_DIR=str(data_dir),
        INVOLVE_LOG_LEVEL="WARNING",
        INVOLVE_DEMO_HISTORY="0",
    )
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["use_case"] = "churn"
    at.run()
    start = time.perf_counter()
    at.switch_page("pages/3_Compare.py").run()
    first = time.perf_counter() - start
    assert not at.exception, at.exception
    start = time.perf_counter()
    at.run()
    return first, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rows", type=int, default=33_334, help="customers; 30 %% become evaluation cases")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        registry = Path(tmp) / "registry"
        start = time.perf_counter()
        register_churn(rows=args.rows, registry_dir=registry)
        print(f"registered churn v1 and v2 ({args.rows:,} rows) in {time.perf_counter() - start:.1f} s")
        _cold(registry)  # warm up imports
        cold = [_cold(registry) for _ in range(args.runs)]
        print(f"cold compare (load + score + compare), s: {' '.join(f'{c:.2f}' for c in cold)}")
        median = statistics.median(cold)
        verdict = "meets" if median < TARGET_SECONDS else "MISSES"
        print(f"median {median:.2f} s, {verdict} the {TARGET_SECONDS:.0f} s target")
        pages = [_page(registry, Path(tmp) / f"run{i}") for i in range(args.runs)]
        print(
            "Compare page under AppTest (caches cleared before each run): "
            f"first render median {statistics.median(p[0] for p in pages):.2f} s, "
            f"rerun from cache median {statistics.median(p[1] for p in pages) * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
