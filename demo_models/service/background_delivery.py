"""The delivery worker in the app's background: `involve notify --deliver` as a child process of the app's
server, started once per server process when INVOLVE_NOTIFY_BACKGROUND is 1 (off by default: run the worker
beside the app, from cron or a sidecar).

A child process rather than a thread, as for the health checks: sending (apprise, SMTP, HTTP) neither holds
the GIL of the pages nor imports code beside a page. Several servers (replicas) may each run one: the outbox's
claims make each message delivered once all the same. The worker is stopped when the server exits normally;
one that died is started again by the next call (`start_background_delivery` is cheap while it runs).
"""

from __future__ import annotations

import atexit
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

from demo_models import settings

log = logging.getLogger("involve.notify")
ROOT = Path(__file__).resolve().parents[2]  # the project, for the child's imports
STOP_SECONDS = 10.0

_lock = threading.Lock()
_worker: subprocess.Popen | None = None
_stop_registered = False


def delivery_command(db_url: str, poll: float) -> list[str]:
    """The command of the background worker: `involve notify --deliver` on this store, looking every `poll` s."""
    return [
        sys.executable,
        "-m",
        "demo_models.service.cli",
        "notify",
        "--deliver",
        "--poll",
        f"{poll:g}",
        "--db",
        db_url,
    ]


def start_background_delivery(db_url: str | None = None, poll: float = 10.0) -> subprocess.Popen | None:
    """Start the delivery worker as a child of this process if INVOLVE_NOTIFY_BACKGROUND is on and none runs
    (the running one is returned); None if off or it cannot start (logged). Stopped when this process exits."""
    global _worker, _stop_registered
    if not settings.notify_background():
        return None
    with _lock:
        if _worker is not None and _worker.poll() is None:
            return _worker
        if _worker is not None:
            log.error("background delivery worker exited with status %s; starting it again", _worker.returncode)
        env = os.environ | {"PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        try:
            _worker = subprocess.Popen(
                delivery_command(db_url or settings.db_url(), poll), stdin=subprocess.DEVNULL, env=env
            )
        except OSError as err:
            log.error("background delivery worker could not start: %s", err)
            _worker = None
            return None
        if not _stop_registered:
            atexit.register(stop_background_delivery)
            _stop_registered = True
        log.info("background delivery worker started (pid %s)", _worker.pid)
        return _worker


def stop_background_delivery(timeout: float = STOP_SECONDS) -> None:
    """Stop the background worker, if one runs (terminate, then kill after `timeout` seconds)."""
    global _worker
    with _lock:
        worker, _worker = _worker, None
    if worker is None or worker.poll() is not None:
        return
    worker.terminate()
    try:
        worker.wait(timeout)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(timeout)
    log.info("background delivery worker stopped (pid %s)", worker.pid)
