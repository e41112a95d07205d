"""The deployment's health checks, run in the background of the server, and the banner while one fails."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import time

import streamlit as st

from demo_models import settings
from demo_models.builtin.first_start import low_priority
from pages._ui.text import md

log = logging.getLogger("involve.app")
HEALTH_TIMEOUT_SECONDS = 120


@st.cache_resource(show_spinner=False)
def _health_monitor(registry_dir: str, db_url: str) -> dict:
    return {"results": None, "at": 0.0, "checked": None, "thread": None, "lock": threading.Lock()}


def _refresh_health(state: dict, registry_dir: str, db_url: str) -> None:
    """Run `involve health` in a separate process (this thread only waits for it), so the checks
    neither hold the GIL of the app nor compile code beside a page (CPython 3.11 is not safe there)."""
    command = low_priority(
        [  # below the pages: it loads and explains every live iteration
            sys.executable,
            "-m",
            "demo_models.service.cli",
            "health",
            "--json",
            "--record",
            "--registry",
            registry_dir,
            "--db",
            db_url,
        ]
    )
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=HEALTH_TIMEOUT_SECONDS, check=False)
        results = [tuple(item) for item in json.loads(done.stdout or "[]")]
        if not results:
            results = [("health checks", False, (done.stderr.strip().splitlines() or ["no output"])[-1])]
    except subprocess.TimeoutExpired:
        # At the lowest priority the checks starve while the pages keep both cores busy: not an outage to
        # announce to everyone. Each check bounds its own waits (an unreachable store fails, it does not hang),
        # so the last verdict stands and the team sees the overrun in the log.
        log.error("health checks did not finish within %s s, last verdict kept: %s", HEALTH_TIMEOUT_SECONDS, command)
        results = state["results"]
    except json.JSONDecodeError as err:
        log.error("health checks answered no JSON (%s): %.500s", err, done.stdout)
        results = [("health checks", False, "gave no readable answer; the team sees it in the logs")]
    except OSError as err:
        log.error("health checks could not start: %s", err)
        results = [("health checks", False, f"could not start ({err.strerror or err})")]
    for name, ok, detail in results or []:
        if not ok:
            log.error("health check failed: %s: %s", name, detail)
    state["results"], state["at"], state["checked"] = (
        results,
        time.monotonic(),
        time.strftime("%H:%M:%S UTC", time.gmtime()),
    )


def render_outage_banner(registry_dir: str, db_url: str) -> None:
    """A banner on every page while a health check fails. The checks run in the background (at most
    once a minute), so no page waits for them; the banner shows from the first completed run."""
    every = settings.health_every()
    if not every:
        return
    state = _health_monitor(registry_dir, db_url)
    with state["lock"]:
        running = state["thread"] is not None and state["thread"].is_alive()
        if not running and time.monotonic() - state["at"] > every:
            state["thread"] = threading.Thread(
                target=_refresh_health, args=(state, registry_dir, db_url), name="involve-health", daemon=True
            )
            state["thread"].start()
    failing = [(name, detail) for name, ok, detail in (state["results"] or []) if not ok]
    if failing:
        st.error(
            md(
                "**Degraded service** — {}. What still works keeps working; the team sees it in the logs.",
                "; ".join(f"{name}: {detail}" for name, detail in failing),
            ),
            icon=":material/warning:",
        )


def health_status() -> tuple[str | None, list[tuple[str, str]]]:
    """When the last health checks ran in this server (None: not yet, or off) and what failed."""
    if not settings.health_every():
        return None, []
    state = _health_monitor(str(settings.registry_dir()), settings.db_url())
    failing = [(name, detail) for name, ok, detail in (state["results"] or []) if not ok]
    return (f"at {state['checked']}" if state["results"] is not None else None), failing
