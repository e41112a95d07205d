"""Start and stop a real `streamlit run` server for the benchmarks, on the loopback address."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(script: str, env: dict[str, str], wait_seconds: float = 120.0) -> tuple[subprocess.Popen, str]:
    """`streamlit run script` with `env`, headless on 127.0.0.1; (process, http URL) once it answers /health."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read()
            return server, url
        except OSError:
            time.sleep(0.05)
    stop_server(server)
    raise SystemExit(f"the server for {script} did not answer within {wait_seconds:.0f} s")


def stop_server(server: subprocess.Popen) -> None:
    """Stop the server and everything it started (its process group)."""
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
