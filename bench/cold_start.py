"""First start of the app on a fresh data dir, in headless Chromium: medians of several runs.

    .venv/bin/python bench/cold_start.py [--runs 3] [--screenshots DIR] [--no-demo-history]

Each run starts `streamlit run app.py` on an empty data dir (no registry, no store) and opens Home:
- Home visible: the page has run and its heading shows (target under 5 s);
- first iteration: Home shows an iteration (its table of iterations is drawn);
- all ready: the background preparation has trained every built-in iteration, written the demo
  history (unless --no-demo-history) and Home has rerun without the progress bar, its goal
  scorecard (agreed in the demo history) and table of iterations drawn;
- restart: the server is stopped and started again on the same data dir: Home visible (its heading),
  then fully drawn (run to its end, the goal scorecard and the table of iterations drawn).
Times are from the moment `streamlit run` is started. For scale, each run first times a one-line
Streamlit page (`st.title`) the same way: what any Streamlit app pays on the machine at that moment.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from streamlit_server import start_server, stop_server

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 600_000
TARGET_SECONDS = 5.0


def _serve(data: Path, demo_history: bool, script: str = "app.py") -> tuple[subprocess.Popen, str]:
    env = {
        **os.environ,
        "INVOLVE_DATA_DIR": str(data),
        "INVOLVE_LOG_LEVEL": "WARNING",
        "INVOLVE_DEMO_HISTORY": "1" if demo_history else "0",
    }
    for name in ("INVOLVE_REGISTRY_DIR", "INVOLVE_DB_URL"):
        env.pop(name, None)
    return start_server(script, env, wait_seconds=600)


def _ran(page) -> None:
    from playwright.sync_api import expect

    page.wait_for_timeout(100)
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning", timeout=TIMEOUT_MS)


def _drawn(page, tables: int) -> None:
    """Home has run to its end and drawn its `tables` tables (the goal scorecard and the iterations)."""
    from playwright.sync_api import expect

    _ran(page)
    expect(page.get_by_test_id("stSpinner")).to_have_count(0, timeout=TIMEOUT_MS)
    frames = page.get_by_test_id("stDataFrame")
    expect(frames).to_have_count(tables, timeout=TIMEOUT_MS)
    for i in range(tables):
        frames.nth(i).get_by_test_id("data-grid-canvas").wait_for(timeout=TIMEOUT_MS)


def _status(data: Path) -> str:
    try:
        return json.loads((data / "registry" / ".first-start.json").read_text())["state"]
    except (OSError, ValueError, KeyError):
        return ""


def one_run(browser, demo_history: bool, shots: Path | None, run: int) -> dict[str, float]:
    """The reference and the four times of one first start (seconds)."""
    data = Path(tempfile.mkdtemp(prefix="involve-cold-"))
    times = {"load average (1 min) at the start": os.getloadavg()[0]}
    tables = 2 if demo_history else 1  # the demo history agrees goals: Home then draws its scorecard

    def shot(page, name):
        if shots is not None:
            page.screenshot(path=shots / f"run{run}-{name}.png")

    try:
        reference = data / "reference.py"  # what any Streamlit app pays on this machine now
        reference.write_text('import streamlit as st\nst.title("Involve")\n')
        start = time.perf_counter()
        server, url = _serve(data, demo_history, str(reference))
        page = browser.new_page(viewport={"width": 1400, "height": 1300})
        page.goto(url)
        page.get_by_role("heading", name="Involve", exact=True).first.wait_for(timeout=TIMEOUT_MS)
        _ran(page)
        times["reference: a one-line page visible"] = time.perf_counter() - start
        page.close()
        stop_server(server)
        start = time.perf_counter()
        server, url = _serve(data, demo_history)
        page = browser.new_page(viewport={"width": 1400, "height": 1300})
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(url) else r.abort())
        page.goto(url)
        page.get_by_role("heading", name="Involve", exact=True).first.wait_for(timeout=TIMEOUT_MS)
        _ran(page)
        times["Home visible"] = time.perf_counter() - start
        shot(page, "1-home-visible")
        page.get_by_test_id("stDataFrame").last.get_by_test_id("data-grid-canvas").wait_for(timeout=TIMEOUT_MS)
        times["first iteration"] = time.perf_counter() - start
        shot(page, "2-first-iteration")
        while _status(data) != "done":
            if _status(data) == "failed" or time.perf_counter() - start > TIMEOUT_MS / 1000:
                raise RuntimeError(
                    f"the preparation failed: {(data / 'registry' / '.first-start.log').read_text()[-2000:]}"
                )
            time.sleep(0.2)
        page.get_by_test_id("stProgress").wait_for(state="detached", timeout=TIMEOUT_MS)
        _drawn(page, tables)
        times["all ready"] = time.perf_counter() - start
        shot(page, "3-all-ready")
        page.close()
        stop_server(server)
        start = time.perf_counter()
        server, url = _serve(data, demo_history)
        page = browser.new_page(viewport={"width": 1400, "height": 1300})
        page.goto(url)
        page.get_by_role("heading", name="Involve", exact=True).first.wait_for(timeout=TIMEOUT_MS)
        times["restart, Home visible"] = time.perf_counter() - start
        _drawn(page, tables)
        times["restart, Home fully drawn"] = time.perf_counter() - start
        shot(page, "4-restart")
        page.close()
        stop_server(server)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    return times


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--screenshots", type=Path, default=None)
    parser.add_argument("--no-demo-history", action="store_true")
    args = parser.parse_args()
    if args.screenshots:
        args.screenshots.mkdir(parents=True, exist_ok=True)
    runs = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        for i in range(args.runs):
            runs.append(one_run(browser, not args.no_demo_history, args.screenshots, i + 1))
            print(
                f"run {i + 1}: "
                + ", ".join(f"{k} {v:.1f}{'' if k.startswith('load') else ' s'}" for k, v in runs[-1].items()),
                flush=True,
            )
        browser.close()
    print(f"\nfirst start on a fresh data dir, median of {len(runs)} runs (load average {os.getloadavg()[0]:.1f}):")
    for name in runs[0]:
        values = [r[name] for r in runs]
        target = (
            f"  (target < {TARGET_SECONDS:g} s: {'meets' if statistics.median(values) < TARGET_SECONDS else 'MISSES'})"
            if name == "Home visible"
            else ""
        )
        unit = "" if name.startswith("load") else " s"
        print(
            f"  {name:<36} {statistics.median(values):6.1f}{unit}   (min {min(values):.1f}, max "
            f"{max(values):.1f}){target}"
        )
    reference = statistics.median(r["reference: a one-line page visible"] for r in runs)
    for name in ("Home visible", "restart, Home visible", "restart, Home fully drawn"):
        print(f"  {name} / one-line page: {statistics.median(r[name] for r in runs) / reference:.2f}")


if __name__ == "__main__":
    main()
