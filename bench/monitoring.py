"""Benchmark: the fraud use case at scale — generate 1M transactions, score them, monitor them.

Reports (medians over several runs, each in a fresh process so memory is its own):
- generating 1,000,000 transactions and scoring them with built-in fraud/v1: seconds and the
  process's peak memory (target: under 2 GB);
- the Monitoring page's first view on a 1,000,000-transaction stream under AppTest (target: under
  5 s), and its rerun. The app is opened on Home and Explore first, so the model side is imported
  (~3 s on 2 cores, paid once per server by the first page that needs a model): a warm app.

    .venv/bin/python bench/monitoring.py [--runs 3] [--rows 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MEMORY_TARGET_GB, VIEW_TARGET_S = 2.0, 5.0

GENERATE = """
import json, resource, sys, time
from demo_models.builtin.training import ensure_builtin_iterations
from demo_models.builtin.fraud_stream import make_transactions
from demo_models.iterations.registry import load_iteration
registry, rows = sys.argv[1], int(sys.argv[2])
model = load_iteration("fraud", "v1", registry).model
start = time.perf_counter()
frame = make_transactions(rows, seed=13)
generated = time.perf_counter() - start
scores = model.predict_proba(frame[list(model.feature_names_in_)])[:, 1]
total = time.perf_counter() - start
peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
print(json.dumps({"generate_s": generated, "generate_and_score_s": total, "peak_gb": peak_gb, "rows": len(scores)}))
"""

VIEW = """
import json, os, sys, threading, time
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1], default_timeout=300)
at.query_params.update(use_case="fraud", iteration="v1")
at.run()
at.switch_page("pages/1_Explore.py").run()  # a first model page pays the imports of the model side
start = time.perf_counter()
at.switch_page("pages/10_Monitoring.py").run()
first = time.perf_counter() - start
assert not at.exception, at.exception
start = time.perf_counter()
at.run()
print(json.dumps({"first_view_s": first, "rerun_s": time.perf_counter() - start}))
"""


def _run(script: str, *args: str, env: dict | None = None) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", script, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        registry = Path(tmp) / "registry"
        subprocess.run(
            [
                sys.executable,
                "-c",
                f"from demo_models.builtin.training import ensure_builtin_iterations as e; e({str(registry)!r})",
            ],
            cwd=ROOT,
            check=True,
        )
        runs = [_run(GENERATE, str(registry), str(args.rows)) for _ in range(args.runs)]
        peak = max(r["peak_gb"] for r in runs)
        print(
            f"generate {args.rows:,} transactions: median {statistics.median(r['generate_s'] for r in runs):.2f} s; "
            f"with scoring by fraud/v1: {statistics.median(r['generate_and_score_s'] for r in runs):.2f} s; "
            f"peak memory {peak:.2f} GB ({'meets' if peak < MEMORY_TARGET_GB else 'MISSES'} the {MEMORY_TARGET_GB:.0f} "
            "GB target)"
        )
        env = {
            **os.environ,
            "INVOLVE_REGISTRY_DIR": str(registry),
            "INVOLVE_DATA_DIR": tmp,
            "INVOLVE_DEMO_HISTORY": "0",
            "INVOLVE_MONITOR_ROWS": str(args.rows),
            "INVOLVE_LOG_LEVEL": "WARNING",
        }
        views = [_run(VIEW, str(ROOT / "app.py"), env=env) for _ in range(args.runs)]
        first = statistics.median(v["first_view_s"] for v in views)
        print(
            f"Monitoring page on {args.rows:,} transactions: first view median {first:.2f} s "
            f"({'meets' if first < VIEW_TARGET_S else 'MISSES'} the {VIEW_TARGET_S:.0f} s target), "
            f"rerun median {statistics.median(v['rerun_s'] for v in views) * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
