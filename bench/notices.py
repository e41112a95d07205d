"""Benchmark: decision notices of the built-in credit declines.

1. One notice, as a click on "Decision notice (PDF)" runs it on the server: build the notice (reasons, statements,
   counterfactual), render the PDF and record it in the audit log (SQLite). Median and worst over every declined
   case of v3. Target: <= 1 s.
2. A batch per built-in iteration (`write_notice_batch`, what the page and `involve notices` run): seconds per
   batch and per notice, medians over --runs.
3. 1,000 notices as a ZIP of PDFs (the declined cases of v1..v3 repeated to 1,000, built as a batch builds them),
   median seconds and CPU seconds over --runs, and peak Python memory (tracemalloc, one more pass). Target: <= 30 s.

    .venv/bin/python bench/notices.py [--runs 3] [--registry DIR]
"""

# ruff: noqa: E402 (the project's root goes on the path before its imports, as in locked_store.py)
from __future__ import annotations

import argparse
import itertools
import logging
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from demo_models.builtin.training import ensure_builtin_iterations
from demo_models.iterations.registry import load_iteration
from demo_models.iterations.scoring import ScoredIteration
from demo_models.presentation.notice_batch import CHUNK_NOTICES, declined_cases, write_notice_batch
from demo_models.presentation.notice_documents import current_wording, issue_notice
from demo_models.presentation.notice_render import notice_file_stem, prepare_notice_downloads, render_notice_pdf
from demo_models.presentation.notices import build_notices
from feedback.access import Actor
from feedback.store.database import FeedbackStore

VERSIONS = ("v1", "v2", "v3")
TARGET_ONE_S, TARGET_THOUSAND_S = 1.0, 30.0
LOU = Actor("Lou Officer", "business user")


def one_notice(store: FeedbackStore, scored: ScoredIteration) -> list[float]:
    """Seconds from click to download for each declined case: the notice built, its PDF, the audit record."""
    wording = current_wording(store, scored.card.use_case)
    timed = []
    for case_id in declined_cases(scored):
        start = time.perf_counter()
        downloads = prepare_notice_downloads(scored, scored.explain_case(case_id), wording)
        issue_notice(store, downloads, True, LOU)
        timed.append(time.perf_counter() - start)
    return timed


def thousand(iterations: dict[str, ScoredIteration], out: Path, n: int = 1000) -> int:
    """Write `n` notices (the declines of every iteration, repeated) as a ZIP of PDFs, built as a batch builds them
    (`build_notices` on up to CHUNK_NOTICES cases of one iteration at a time); its size in bytes."""
    cases = [(it, c) for it in iterations.values() for c in declined_cases(it)]
    numbered = enumerate(itertools.islice(itertools.cycle(cases), n))
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for _, run in itertools.groupby(numbered, key=lambda item: id(item[1][0])):
            run = list(run)
            for first in range(0, len(run), CHUNK_NOTICES):
                chunk = run[first : first + CHUNK_NOTICES]
                it = chunk[0][1][0]
                notices = build_notices(it, [it.explain_case(case_id) for _, (_, case_id) in chunk])
                for (number, (_, case_id)), notice in zip(chunk, notices):
                    stem = notice_file_stem(it.card.use_case, it.card.version, case_id)
                    archive.writestr(f"{number:04d}-{stem}.pdf", render_notice_pdf(notice))
    return out.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--registry", type=Path, default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="bench-notices-") as folder:
        root = Path(folder)
        registry = args.registry or root / "registry"
        ensure_builtin_iterations(registry)
        iterations = {v: ScoredIteration(load_iteration("credit", v, registry)) for v in VERSIONS}
        store = FeedbackStore(f"sqlite:///{root / 'store.sqlite3'}")
        print(f"load average at start: {os.getloadavg()[0]:.1f}")

        clicks = one_notice(store, iterations["v3"])
        worst = max(clicks)
        print(
            f"one notice, click to download (v3, {len(clicks)} declines): median {statistics.median(clicks):.3f} s, "
            f"worst {worst:.3f} s (target <= {TARGET_ONE_S:.0f} s: {'met' if worst <= TARGET_ONE_S else 'MISSED'})"
        )
        for version, it in iterations.items():
            seconds, cpus = [], []
            for run in range(args.runs):
                start, cpu = time.perf_counter(), time.process_time()
                batch = write_notice_batch(it, root / f"batch-{version}-{run}.zip")
                seconds.append(time.perf_counter() - start)
                cpus.append(time.process_time() - cpu)
            per_batch = statistics.median(seconds)
            print(
                f"batch {version}: {batch.notices} notices, median {per_batch:.2f} s per batch "
                f"({statistics.median(cpus):.2f} s CPU), {per_batch / max(batch.notices, 1) * 1000:.1f} ms per notice "
                f"({args.runs} runs, load average {os.getloadavg()[0]:.1f})"
            )
        walls, cpus, loads = [], [], []
        for run in range(args.runs):
            start, cpu = time.perf_counter(), time.process_time()
            size = thousand(iterations, root / f"thousand-{run}.zip")
            walls.append(time.perf_counter() - start)
            cpus.append(time.process_time() - cpu)
            loads.append(os.getloadavg()[0])
        seconds, cpu = statistics.median(walls), statistics.median(cpus)
        print("1,000 notices, each run: " + ", ".join(f"{w:.1f} s (load {a:.1f})" for w, a in zip(walls, loads)))
        tracemalloc.start()
        thousand(iterations, root / "thousand-traced.zip")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(
            f"1,000 notices as a ZIP: median {seconds:.1f} s ({cpu:.1f} s CPU, {args.runs} runs), {size / 1e6:.1f} MB, "
            f"peak Python memory {peak / 1e6:.1f} MB "
            f"(target <= {TARGET_THOUSAND_S:.0f} s: {'met' if seconds <= TARGET_THOUSAND_S else 'MISSED'})"
        )
        print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
