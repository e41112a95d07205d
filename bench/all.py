"""All benchmarks in one command: prints a table of medians, then each detailed benchmark.

    .venv/bin/python bench/all.py [--runs 5]

Measured here: start of the app on a built registry and an empty store until Home is fully
rendered in headless Chromium; the What-if page's rerun after an input changes (server time,
AppTest); global SHAP of 1k / 10k / 100k fraud transactions with fraud/v1 (LightGBM native
TreeSHAP, grouped) against a plain shap.TreeExplainer on the same model and rows. Then it runs
cold_start.py (the first start on a fresh data dir), explain_case.py, compare.py, outcomes.py, dependence.py,
store_writes.py and monitoring.py, which print their own medians and targets.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings
from pathlib import Path

import numpy as np

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


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cold_start(registry: Path, runs: int) -> list[float]:
    """Seconds from `streamlit run` to Home fully rendered (grid and sidebar) in Chromium."""
    from playwright.sync_api import expect, sync_playwright

    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        for _ in range(runs):
            data = Path(tempfile.mkdtemp())
            port = _port()
            env = {
                **os.environ,
                "INVOLVE_REGISTRY_DIR": str(registry),
                "INVOLVE_DATA_DIR": str(data),
                "INVOLVE_LOG_LEVEL": "WARNING",
                "INVOLVE_DEMO_HISTORY": "0",
            }
            start = time.perf_counter()
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "streamlit",
                    "run",
                    "app.py",
                    "--server.headless",
                    "true",
                    "--server.port",
                    str(port),
                    "--server.address",
                    "127.0.0.1",
                    "--browser.gatherUsageStats",
                    "false",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            try:
                url = f"http://127.0.0.1:{port}"
                while True:
                    try:
                        urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read()
                        break
                    except OSError:
                        time.sleep(0.05)
                page = browser.new_page(viewport={"width": 1400, "height": 1300})
                page.goto(url)
                expect(page.get_by_test_id("stApp")).to_have_attribute(
                    "data-test-script-state", "notRunning", timeout=60_000
                )
                page.get_by_test_id("stDataFrame").last.get_by_test_id("data-grid-canvas").wait_for(timeout=60_000)
                times.append(time.perf_counter() - start)
                page.close()
            finally:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=20)
                shutil.rmtree(data, ignore_errors=True)
        browser.close()
    return times


def whatif_reruns(registry: Path, moves: int = 20) -> list[float]:
    """Server seconds of the What-if page's rerun after an input changes (AppTest)."""
    from streamlit.testing.v1 import AppTest

    os.environ.update(
        INVOLVE_REGISTRY_DIR=str(registry),
        INVOLVE_DATA_DIR=tempfile.mkdtemp(),
        INVOLVE_LOG_LEVEL="WARNING",
        INVOLVE_DEMO_HISTORY="0",
    )
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/2_What_if.py").run()
    case_id = at.selectbox(key="whatif_case").value
    times = []
    for duration in np.linspace(6, 60, moves).round().astype(int):
        at.number_input(key=f"whatif_{case_id}_duration").set_value(int(duration))
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
        assert not at.exception, at.exception
    return times


def global_shap(registry: Path, sizes: tuple[int, ...], runs: int) -> dict[int, tuple[float, float]]:
    """Median seconds of grouped SHAP for n fraud transactions: Involve's and plain shap.TreeExplainer's."""
    import shap

    from demo_models.builtin.fraud_stream import make_transactions
    from demo_models.iterations.registry import load_iteration
    from demo_models.iterations.scoring import ScoredIteration

    warnings.filterwarnings("ignore", module="shap")
    scored = ScoredIteration(load_iteration("fraud", "v1", registry))
    stream = make_transactions(max(sizes), seed=99, case_ids=False)[list(scored.card.features)]
    tree = shap.TreeExplainer(scored.iteration.model.named_steps["clf"])
    out = {}
    for n in sizes:
        rows = stream.iloc[:n]
        ours, theirs = [], []
        for _ in range(runs):
            start = time.perf_counter()
            scored.explainer.explain(rows)
            ours.append(time.perf_counter() - start)
            start = time.perf_counter()
            tree.shap_values(scored.explainer.transform(rows))
            theirs.append(time.perf_counter() - start)
        out[n] = (statistics.median(ours), statistics.median(theirs))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    registry = Path(tempfile.mkdtemp()) / "registry"
    subprocess.run(
        [
            sys.executable,
            "-c",
            f"from demo_models.builtin.training import ensure_builtin_iterations as e; e({str(registry)!r})",
        ],
        cwd=ROOT,
        check=True,
    )

    rows = []
    if Path(CHROMIUM).exists():
        cold = cold_start(registry, args.runs)
        rows.append(
            (
                "start, built registry, to Home fully rendered (Chromium)",
                f"{statistics.median(cold):.2f} s",
                "< 6 s",
                statistics.median(cold) < 6,
            )
        )
    else:
        rows.append(("start, built registry, to Home fully rendered (Chromium)", "skipped: no Chromium", "< 6 s", None))
    reruns = np.array(whatif_reruns(registry)) * 1000
    rows.append(
        (
            "What-if rerun after an input changes (server)",
            f"{np.median(reruns):.0f} ms (p95 {np.percentile(reruns, 95):.0f})",
            "< 150 ms",
            np.median(reruns) < 150,
        )
    )
    for n, (ours, theirs) in global_shap(registry, (1_000, 10_000, 100_000), max(3, args.runs // 2)).items():
        rows.append(
            (
                f"global SHAP, {n:,} rows (ratio vs shap.TreeExplainer)",
                f"{ours:.2f} s (shap {theirs:.2f} s, {theirs / ours:.1f}x)",
                "< 5 s at 10k" if n == 10_000 else "",
                ours < 5 if n == 10_000 else None,
            )
        )
    width = max(len(r[0]) for r in rows)
    print(f"\n{'measure':<{width}}  {'median':<38} {'target':<14} verdict")
    for name, value, target, ok in rows:
        print(f"{name:<{width}}  {value:<38} {target:<14} {'' if ok is None else 'meets' if ok else 'MISSES'}")
    for script in (
        "cold_start.py",
        "explain_case.py",
        "compare.py",
        "outcomes.py",
        "dependence.py",
        "store_writes.py",
        "monitoring.py",
    ):
        print(f"\n== bench/{script}")
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / script), "--runs", str(min(args.runs, 3))], cwd=ROOT, check=False
        )
    shutil.rmtree(registry.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
