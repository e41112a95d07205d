"""Benchmark: 8 processes each writing 500 feedback entries at once into one store.

Reports, per backend, writes per second over the whole run and the p50 / p99 latency of one write
(median over several runs), and checks that exactly 4,000 distinct rows arrived. SQLite always;
PostgreSQL too when INVOLVE_TEST_PG_URL names a server (a database is created and dropped).
Target: p99 under 20 ms on SQLite.

    .venv/bin/python bench/store_writes.py [--runs 3]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from feedback.records import FeedbackDraft
from feedback.store.database import FeedbackStore
from feedback.store.records import add_feedback, list_feedback

PROCESSES, WRITES = 8, 500
TARGET_P99_MS = 20.0


def _draft(case_id: str) -> FeedbackDraft:
    return FeedbackDraft(
        use_case="credit",
        iteration="v3",
        case_id=case_id,
        score=0.7,
        threshold=0.4,
        decision="decline",
        reasons_shown=("Loan duration: 48 months",),
        reviewer_name="Bench",
        reviewer_role="risk",
        verdict="disagree",
        expected_outcome="negative",
        categories=("wrong prediction",),
        comment="bench",
    )


def _writer(url: str, worker: int, start, results) -> None:
    store = FeedbackStore(url)
    start.wait()
    latencies = []
    for i in range(WRITES):
        t0 = time.perf_counter()
        add_feedback(store, _draft(f"P{worker}-{i}"), {"v3"})
        latencies.append(time.perf_counter() - t0)
    results.put(latencies)


def _run(url: str) -> tuple[float, float, float]:
    FeedbackStore(url)  # migrate once before the race
    context = multiprocessing.get_context("fork")
    start, results = context.Event(), context.Queue()
    workers = [context.Process(target=_writer, args=(url, n, start, results)) for n in range(PROCESSES)]
    for worker in workers:
        worker.start()
    t0 = time.perf_counter()
    start.set()
    latencies = [x for _ in workers for x in results.get(timeout=600)]
    elapsed = time.perf_counter() - t0
    for worker in workers:
        worker.join()
    store = FeedbackStore(url)
    entries = list_feedback(store, "credit")
    assert len(entries) == len({e.case_id for e in entries}) == PROCESSES * WRITES, len(entries)
    store.engine.dispose()
    ms = np.array(latencies) * 1000
    return PROCESSES * WRITES / elapsed, float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def _report(name: str, runs: list[tuple[float, float, float]]) -> None:
    rate = statistics.median(r[0] for r in runs)
    p50 = statistics.median(r[1] for r in runs)
    p99 = statistics.median(r[2] for r in runs)
    print(
        f"{name:<11} {rate:8.0f} writes/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   (4,000 rows, none lost, "
        f"{len(runs)} runs)"
    )
    if name == "SQLite":
        print(
            f"{'':<11} p99 {p99:.2f} ms {'meets' if p99 < TARGET_P99_MS else 'MISSES'} the {TARGET_P99_MS:.0f} ms "
            "target"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        _report("SQLite", [_run(f"sqlite:///{Path(tmp) / f'run{i}.sqlite3'}") for i in range(args.runs)])
    admin_url = os.environ.get("INVOLVE_TEST_PG_URL")
    if not admin_url:
        print("PostgreSQL  skipped: set INVOLVE_TEST_PG_URL to a server")
        return
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    runs = []
    for _ in range(args.runs):
        name = f"involve_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            runs.append(_run(make_url(admin_url).set(database=name).render_as_string(hide_password=False)))
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _report("PostgreSQL", runs)


if __name__ == "__main__":
    main()
