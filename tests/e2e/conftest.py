"""Real-browser fixtures: `streamlit run` on a free loopback port, driven by Debian's Chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

from demo_models.examples.churn import main as register_churn
from tests.helpers import free_port as _free_port
from tests.helpers import stop_process_group

APP_DIR = Path(__file__).resolve().parents[2]
SCREENSHOTS = APP_DIR / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(config, items):
    reason = None
    if not Path(CHROMIUM).exists():
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)"
    else:
        try:
            import playwright  # noqa: F401
        except ImportError:
            reason = "playwright is not installed (pip install -e '.[test]')"
    for item in items:
        if "e2e" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


def _wait_ready(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                if response.read().strip() == b"ok":
                    break
        except OSError:
            time.sleep(0.1)
    else:
        raise TimeoutError(f"streamlit not healthy after {timeout}s:\n{log.read_text()}")
    try:  # run the entry script once so the first test does not pay for imports
        urllib.request.urlopen(f"{url}/_stcore/script-health-check", timeout=120).read()
    except urllib.error.HTTPError as err:
        if err.code != 404:
            raise RuntimeError(f"the app script fails ({err.code}):\n{log.read_text()}") from err


def start_streamlit(work: Path, registry: Path, db_url: str, port: int, **extra_env: str) -> subprocess.Popen:
    """`streamlit run app.py` on 127.0.0.1:port over `registry` and the store at `db_url`, its output in
    work/server-PORT.log; returns once it answers (stop it with stop_process_group)."""
    log = work / f"server-{port}.log"
    env = {
        **os.environ,
        "INVOLVE_DATA_DIR": str(work),
        "INVOLVE_REGISTRY_DIR": str(registry),
        "INVOLVE_DB_URL": db_url,
        "INVOLVE_MONITOR_ROWS": "50000",
        "INVOLVE_DEMO_HISTORY": "0",
        **extra_env,
    }
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.headless",
        "true",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--server.runOnSave",
        "false",
        "--server.scriptHealthCheckEnabled",
        "true",
    ]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            command, cwd=APP_DIR, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    try:
        _wait_ready(f"http://127.0.0.1:{port}", proc, log)
    except BaseException:
        stop_process_group(proc, timeout=10)
        raise
    return proc


@pytest.fixture(scope="session")
def streamlit_server(tmp_path_factory, registry_dir):
    """The app served on loopback: built-in iterations plus the churn example, its own SQLite store."""
    work = tmp_path_factory.mktemp("server")
    registry = work / "registry"
    shutil.copytree(registry_dir, registry)
    register_churn(rows=1500, registry_dir=registry)
    port, db = _free_port(), work / "feedback.sqlite3"
    proc = start_streamlit(work, registry, f"sqlite:///{db}", port)
    try:
        yield SimpleNamespace(url=f"http://127.0.0.1:{port}", db=db, log=work / f"server-{port}.log", registry=registry)
    finally:
        stop_process_group(proc, timeout=10)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1400}}


@pytest.fixture
def app_page(page, streamlit_server):
    """A browser page that may only reach the app (every other request is aborted)."""
    page.route(re.compile(rf"^(?!{re.escape(streamlit_server.url)})"), lambda route: route.abort())
    page.set_default_timeout(30_000)
    return page


@pytest.fixture
def screenshot(request):
    """Save a screenshot under test-artifacts/screenshots/<test>-<name>.png and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=path)
        return path

    return take
