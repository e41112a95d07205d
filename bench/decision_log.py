"""Benchmark: Monitoring on a team's own decision log of 1M, 10M and 100M decisions in Parquet.

For each size, a seeded synthetic log (a credit-like use case: a timestamp over twelve months, a case id,
a number with gaps that drifts, an integer, a category, the logged score and decision, and a label known
for the first eight months) is written once as a month-partitioned Parquet dataset by DuckDB (out of core)
under --data (kept between runs). Then, each run in a fresh process so its memory is its own, the
Monitoring computation of the connected log (`summarise_log`: validation, histograms on the reference
window's bin edges, PSI, KS and chi-square per month where the engine has them, performance measured and
estimated by month) is timed twice — the first view and a rerun without the page's cache — with the peak
RSS of the process (for `--engine spark`, Spark's driver JVM is another process: not in it; its session is
started before the first view and timed apart). Medians over --runs. Targets on this 2-core machine:
10M first view <= 5 s, 100M <= 30 s, peak RSS <= 2 GB at any size.

    .venv/bin/python bench/decision_log.py [--rows 1000000 10000000 100000000] [--runs 3] [--engine duckdb]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS_S = {10_000_000: 5.0, 100_000_000: 30.0}
MEMORY_TARGET_GB = 2.0
THRESHOLD = 0.3
MAPPING = {
    "timestamp": "ts",
    "case_id": "loan_id",
    "inputs": ["income", "dependants", "region"],
    "score": "p_default",
    "decision": "approved",
    "label": "defaulted",
}

# Uniform draws from hashes of the row number, so the same rows come out on any machine and thread count.
_U = "(hash(i, {k}) % 1000000007) / 1000000007.0"
GENERATE = f"""
COPY (
  WITH base AS (
    SELECT i, {_U.format(k=1)} AS u1, {_U.format(k=2)} AS u2, {_U.format(k=3)} AS u3,
           {_U.format(k=4)} AS u4, {_U.format(k=5)} AS u5, {_U.format(k=6)} AS u6
    FROM range(?) t(i)
  ), rows AS (
    SELECT i, TIMESTAMP '2025-01-01' + to_seconds(CAST(floor(u1 * 365 * 86400) AS BIGINT)) AS ts,
           u1, u2, u3, u4, u5, u6 FROM base
  ), scored AS (
    SELECT *, least(0.999, greatest(0.001, u2 * (0.4 + 0.3 * u1))) AS p FROM rows
  )
  SELECT ts, 'L' || CAST(i AS VARCHAR) AS loan_id,
         CASE WHEN u3 < 0.05 THEN NULL ELSE exp(10 + u1 + 0.5 * (u4 - 0.5)) END AS income,
         CAST(floor(u5 * 4) AS INTEGER) AS dependants,
         CASE WHEN u6 < 0.5 THEN 'north' WHEN u6 < 0.8 THEN 'south' ELSE 'east' END AS region,
         p AS p_default, CAST(p < {THRESHOLD} AS INTEGER) AS approved,
         CASE WHEN month(ts) <= 8 THEN CAST(u4 < p AS DOUBLE) ELSE NULL END AS defaulted,
         strftime(ts, '%Y-%m') AS month
  FROM scored
) TO '{{folder}}' (FORMAT parquet, PARTITION_BY (month), OVERWRITE_OR_IGNORE)
"""

MONITOR = """
import json, resource, sys, time
from demo_models.monitoring.log_summary import summarise_log
from demo_models.monitoring.engines import connect_engine
from demo_models.monitoring.sources import Source
folder, mapping, threshold, engine = sys.argv[1], json.loads(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
source = Source("parquet", folder, mapping, engine=engine)
start = time.perf_counter()
connect_engine(source)  # Spark's session (about 10 s in local mode) starts once per process, before the page
session_s = time.perf_counter() - start
times = []
for _ in range(2):
    start = time.perf_counter()
    summary = summarise_log(source, threshold)
    times.append(time.perf_counter() - start)
assert not summary.problems and summary.performance is not None, (summary.problems, summary.why_no_performance)
peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
print(json.dumps({"first_s": times[0], "rerun_s": times[1], "peak_gb": peak_gb, "session_s": session_s}))
"""


def write_log(rows: int, data: Path) -> Path:
    """The seeded synthetic log of `rows` decisions as month-partitioned Parquet (written once, reused)."""
    import duckdb

    folder = data / f"log-{rows}"
    done = folder / "_written"
    if done.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with duckdb.connect() as connection:
        connection.execute("SET preserve_insertion_order = false")
        connection.execute(GENERATE.replace("{folder}", str(folder)), [rows])
    done.write_text(f"{time.perf_counter() - start:.1f} s\n")
    return folder


def _monitor(folder: Path, engine: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", MONITOR, str(folder), json.dumps(MAPPING), str(THRESHOLD), engine],
        capture_output=True,
        text=True,
        env=env,
    )
    if done.returncode != 0:  # the run's own error, not only its exit status
        sys.exit(f"The Monitoring run failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(next(line for line in reversed(done.stdout.splitlines()) if line.startswith("{")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000, 100_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", type=Path, default=Path("/tmp/involve-bench-logs"))
    parser.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb", help="the engine of the log")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}; engine {args.engine}; {args.runs} runs per size, medians")
    print(f"{'decisions':>12}{'written':>10}{'first view s':>14}{'rerun s':>9}{'peak RSS GB':>13}  target")
    for rows in args.rows:
        folder = write_log(rows, args.data)
        results = [_monitor(folder, args.engine) for _ in range(args.runs)]
        first = statistics.median(r["first_s"] for r in results)
        rerun = statistics.median(r["rerun_s"] for r in results)
        peak = max(r["peak_gb"] for r in results)
        target = TARGETS_S.get(rows)
        verdict = []
        if target is not None:
            verdict.append(f"first <= {target:.0f} s: {'met' if first <= target else 'MISSED'}")
        verdict.append(f"RSS <= {MEMORY_TARGET_GB:.0f} GB: {'met' if peak <= MEMORY_TARGET_GB else 'MISSED'}")
        written = (folder / "_written").read_text().strip()
        session = statistics.median(r["session_s"] for r in results)
        print(f"{rows:>12,}{written:>10}{first:>14.2f}{rerun:>9.2f}{peak:>13.2f}  {'; '.join(verdict)}")
        if args.engine == "spark":
            print(f"{'':>12}Spark session started in {session:.1f} s before the first view (not in it)")


if __name__ == "__main__":
    main()
