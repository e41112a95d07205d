"""Benchmark: batch notices over a window of the built-in fraud decision log (200,000 transactions, served by v1).

1. Reading the window's declines (`read_window_declines`: the filtered query through the engine, then v1's score
   of the rows that came back), for the log's last month: median seconds over --runs.
2. Writing their notices (`write_window_batch`: explained by v1, a PDF each, the CSV): median seconds per batch and
   per notice over --runs.

    .venv/bin/python bench/notices_window.py [--runs 3] [--rows 200000]
"""

# ruff: noqa: E402 (the project's root goes on the path before its imports, as in notices.py)
from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from demo_models.builtin.training import ensure_builtin_iterations
from demo_models.iterations.registry import load_iteration
from demo_models.iterations.scoring import ScoredIteration
from demo_models.monitoring.builtin_log import ensure_fraud_log
from demo_models.monitoring.log_notices import read_window_declines, write_window_batch

START, END = date(2025, 12, 1), date(2025, 12, 31)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="bench-notices-window-") as folder:
        root = Path(folder)
        os.environ["INVOLVE_DATA_DIR"] = str(root)
        ensure_builtin_iterations(root / "registry")
        v1 = ScoredIteration(load_iteration("fraud", "v1", root / "registry"))
        source = ensure_fraud_log(v1, args.rows)
        print(f"load average at start: {os.getloadavg()[0]:.1f}")
        reads, writes = [], []
        for run in range(args.runs):
            start = time.perf_counter()
            declines = read_window_declines(source, v1, START, END)
            reads.append(time.perf_counter() - start)
            start = time.perf_counter()
            batch = write_window_batch(v1, declines, root / f"window-{run}.zip")
            writes.append(time.perf_counter() - start)
        read, write = statistics.median(reads), statistics.median(writes)
        print(
            f"window {START} to {END} of {args.rows:,} logged transactions: {len(declines.rows):,} flagged by v1 of "
            f"its {declines.window_decisions:,} decisions; read in {read:.2f} s (median of {args.runs})"
        )
        print(
            f"their notices: median {write:.2f} s per batch, {write / max(batch.notices, 1) * 1000:.1f} ms per notice "
            f"({args.runs} runs)"
        )
        print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
