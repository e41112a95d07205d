"""Benchmark: every page while another process holds the store's locks for 30 s, and on a read-only store.

A second process takes the writers' file lock (`*.writers.lock`) and an exclusive SQLite lock
(`BEGIN EXCLUSIVE`) on the store and holds both (60 s by default, so that on a loaded machine every
page still runs under it; it is checked and said if not); meanwhile every page is run once in AppTest (after
one warm-up pass, so imports and cached models are not counted) and its server time measured. Then
the same on the store opened read-only (INVOLVE_STORE_READONLY=1). Also: how long a feedback
submission waits before it is refused with the "busy" message (INVOLVE_STORE_WAIT). Target: every
page within 2 s, with its banner.

    .venv/bin/python bench/locked_store.py [--hold 60] [--registry DIR]
    .venv/bin/python bench/locked_store.py hold DB SECONDS   # only hold the locks (used by the tests)
"""

from __future__ import annotations

import argparse
import fcntl
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 2.0


def hold_locks(database: Path, seconds: float) -> None:
    """Hold the writers' file lock and an exclusive SQLite lock on `database` for `seconds`;
    prints "held" once both are taken."""
    with open(f"{database}.writers.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        conn = sqlite3.connect(database, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        print("held", flush=True)
        time.sleep(seconds)
        conn.execute("ROLLBACK")


def start_holder(database: Path, seconds: float) -> subprocess.Popen:
    """A process holding the store's locks (returns once they are held)."""
    holder = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "hold", str(database), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    if holder.stdout.readline().strip() != "held":
        holder.kill()
        raise RuntimeError("the lock holder did not take the locks")
    return holder


def time_pages(pages) -> dict[str, tuple[float, list[str]]]:
    """Each page run once in AppTest: its server time and the warnings at its top."""
    from tests.app.apptest import open_app

    results = {}
    for script, label, _icon in pages:
        at = open_app()
        if script != "app.py":
            at.switch_page(script)
        started = time.perf_counter()
        at.run()
        elapsed = time.perf_counter() - started
        problems = [str(e.value) for e in at.exception]
        results[label] = (elapsed, [w.value for w in at.warning] + problems)
    return results


def _report(title: str, results: dict[str, tuple[float, list[str]]], banner: str | None) -> bool:
    print(f"\n{title}")
    ok = True
    for label, (elapsed, warnings) in results.items():
        shown = banner is None or any(banner in w for w in warnings)
        ok &= elapsed < TARGET_SECONDS and shown
        print(
            f"  {label:<11} {elapsed * 1000:7.0f} ms"
            + ("" if banner is None else f"  banner: {'yes' if shown else 'NO'}")
        )
    worst = max(elapsed for elapsed, _ in results.values())
    print(f"  slowest page {worst * 1000:.0f} ms (target {TARGET_SECONDS:.0f} s)")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hold", type=float, default=60.0, help="seconds the other process holds the locks")
    parser.add_argument("--registry", type=Path, default=None, help="registry to show (default: the app's)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from demo_models import settings
    from feedback.store.database import FeedbackStore
    from feedback.store.records import add_feedback
    from pages._ui.navigation import PAGES

    data = Path(tempfile.mkdtemp(prefix="involve-locked-"))
    database = data / "feedback.sqlite3"
    os.environ.update(
        INVOLVE_DATA_DIR=str(data),
        INVOLVE_REGISTRY_DIR=str(args.registry or settings.registry_dir()),
        INVOLVE_DB_URL=f"sqlite:///{database}",
        INVOLVE_HEALTH_EVERY="0",
        INVOLVE_DEMO_HISTORY="0",
        INVOLVE_MONITOR_ROWS="20000",
    )
    FeedbackStore(os.environ["INVOLVE_DB_URL"])
    time_pages(PAGES)  # warm-up: imports, models and streams loaded once
    _report("Store free (for comparison)", time_pages(PAGES), None)
    holder = start_holder(database, args.hold)
    started = time.monotonic()
    try:
        ok = _report(f"Store locked by another process ({args.hold:.0f} s)", time_pages(PAGES), "The store is busy")
        from feedback.store.database import StoreBusy
        from tests.helpers import make_draft

        draft, store = make_draft(reviewer_name="Bench"), FeedbackStore(os.environ["INVOLVE_DB_URL"])
        submit = time.perf_counter()
        try:
            add_feedback(store, draft, ["v3"])
            print("  a feedback write went through while the store was locked: NOT expected")
            ok = False
        except StoreBusy as err:
            print(f"  a feedback write waited {time.perf_counter() - submit:.2f} s, then: {err}")
        held = holder.poll() is None
        ok &= held
        print(
            f"  all of it within {time.monotonic() - started:.1f} s; the locks were "
            + ("still held at the end" if held else "RELEASED before the end: rerun with a longer --hold")
        )
    finally:
        holder.kill()
        holder.wait()
    os.environ["INVOLVE_STORE_READONLY"] = "1"
    ok &= _report("Store read-only (INVOLVE_STORE_READONLY=1)", time_pages(PAGES), "This store is read-only")
    shutil.rmtree(data, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "hold":
        hold_locks(Path(sys.argv[2]), float(sys.argv[3]))
        sys.exit(0)
    sys.exit(main())
