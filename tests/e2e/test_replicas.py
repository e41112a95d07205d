"""Two app processes behind nginx (sticky by cookie), one PostgreSQL store and one registry: each
browser stays on its process, what one process records shows on the other, and a stopped process's
people land on the other one."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from demo_models.service.replicas import ROUTE_COOKIE, ReplicaSetup, write_nginx_config
from tests.conftest import _postgres_store
from tests.e2e.conftest import start_streamlit
from tests.e2e.st_e2e import goto_app, say_who, wait_for_app_run
from tests.helpers import free_port, stop_process_group

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
FAIL_TIMEOUT_S = 5  # nginx skips a process it saw fail for this long, then tries it again
pytestmark = pytest.mark.skipif(not Path(NGINX).exists(), reason="no nginx (apt-get install nginx-light)")


def _wait_for(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"nothing answers at {url}")


@pytest.fixture(scope="module")
def replicas(tmp_path_factory, registry_dir):
    """nginx on a free port in front of two `streamlit run app.py` sharing a registry and a PostgreSQL store."""
    work = tmp_path_factory.mktemp("replicas")
    registry = work / "registry"
    shutil.copytree(registry_dir, registry)
    with _postgres_store() as store:
        db_url = store.engine.url.render_as_string(hide_password=False)
        ports = [free_port(), free_port()]
        processes: dict[str, subprocess.Popen] = {}

        def start(upstream: str) -> None:
            port = int(upstream.rsplit(":", 1)[1])
            processes[upstream] = start_streamlit(work, registry, db_url, port, INVOLVE_HEALTH_EVERY="0")

        try:
            upstreams = tuple(f"127.0.0.1:{port}" for port in ports)
            for upstream in upstreams:
                start(upstream)
            listen = f"127.0.0.1:{free_port()}"
            user = "nobody:nogroup" if os.geteuid() == 0 else None
            setup = ReplicaSetup(listen, upstreams, work / "nginx", fail_timeout_s=FAIL_TIMEOUT_S, user=user)
            config = write_nginx_config(setup)
            nginx = subprocess.Popen(
                [NGINX, "-p", str(config.parent), "-c", str(config), "-g", "daemon off;"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                _wait_for(f"http://{listen}")
                yield SimpleNamespace(
                    url=f"http://{listen}",
                    upstreams=upstreams,
                    processes=processes,
                    start=start,
                    access_log=config.parent / "access.log",
                )
            finally:
                stop_process_group(nginx, timeout=10)
        finally:
            for proc in processes.values():
                stop_process_group(proc, timeout=10)
            store.engine.dispose()


def _served_by(replicas, route: str) -> list[str]:
    """The process that served each request made with this route, in order (from nginx's access log; where
    nginx tried several, `$upstream_addr` lists them all, "a, b", and the last one answered)."""
    pattern = re.compile(rf"route={re.escape(route)} upstream=(.+)$")
    return [
        m.group(1).split(", ")[-1].strip()
        for line in replicas.access_log.read_text().splitlines()
        if (m := pattern.search(line))
    ]


def _new_route(replicas) -> str:
    """A route as nginx gives a browser on its first request (the cookie it sets)."""
    with urllib.request.urlopen(f"{replicas.url}/", timeout=10) as response:
        cookie = response.headers["Set-Cookie"]
    return re.match(rf"{ROUTE_COOKIE}=([^;]+)", cookie).group(1)


def _get(replicas, route: str, path: str = "/") -> int:
    request = urllib.request.Request(f"{replicas.url}{path}", headers={"Cookie": f"{ROUTE_COOKIE}={route}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def _route_to_each(replicas, within_s: float = 30) -> dict[str, str]:
    """One route that nginx sends to each process (new browsers spread over both).

    A process nginx saw fail once (say a connection reset while the machine was busy) is skipped for
    FAIL_TIMEOUT_S, so new browsers are tried for longer than that before giving up."""
    found: dict[str, str] = {}
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        route = _new_route(replicas)
        time.sleep(0.05)  # the access log line is written once the response is sent
        found.setdefault(_served_by(replicas, route)[-1], route)
        if len(found) == len(replicas.upstreams):
            return found
        time.sleep(0.25)
    errors = (replicas.access_log.parent / "error.log").read_text(errors="replace")[-3000:]
    alive = {upstream: proc.poll() is None for upstream, proc in replicas.processes.items()}
    logs = "\n".join(
        f"--- {path.name}:\n{path.read_text(errors='replace')[-1500:]}"
        for path in sorted(replicas.access_log.parent.parent.glob("server-*.log"))
    )
    raise AssertionError(
        f"new browsers for {within_s} s all went to {sorted(found)}; processes alive: {alive}; "
        f"nginx's error log:\n{errors}\n{logs}"
    )


def test_new_browsers_spread_over_both_processes_and_each_stays_on_its_own(replicas):
    routes = _route_to_each(replicas)
    for upstream, route in routes.items():
        for path in ("/", "/Explore", "/_stcore/health", "/Notices"):
            assert _get(replicas, route, path) == 200
        assert set(_served_by(replicas, route)) == {upstream}


def _browser_on(browser, replicas, route: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1400})
    context.add_cookies([{"name": ROUTE_COOKIE, "value": route, "url": replicas.url}])
    page = context.new_page()
    page.route(re.compile(rf"^(?!{re.escape(replicas.url)})"), lambda r: r.abort())
    page.set_default_timeout(30_000)
    return context, page


def test_a_notice_posted_on_one_process_shows_on_the_other_and_survives_a_stopped_process(
    replicas, browser, screenshot
):
    routes = _route_to_each(replicas)
    first, second = replicas.upstreams
    poster_context, poster = _browser_on(browser, replicas, routes[first])
    reader_context, reader = _browser_on(browser, replicas, routes[second])
    try:
        goto_app(poster, f"{replicas.url}/Notices")
        say_who(poster, "Dana Scientist", "data scientist")
        form = poster.get_by_test_id("stForm")
        form.get_by_role("textbox", name="Title").fill("Scoring paused on Friday")
        form.get_by_role("textbox", name="Text").fill("Maintenance from 18:00 to 19:00 UTC.")
        form.get_by_role("button", name="Post").click()
        wait_for_app_run(poster)
        expect(poster.get_by_text("Posted: Scoring paused on Friday.")).to_be_visible()

        goto_app(reader, f"{replicas.url}/Explore")  # the other process, at its next page load
        expect(reader.get_by_text("Scoring paused on Friday")).to_be_visible()
        screenshot(reader, "notice-on-the-other-process")
        assert set(_served_by(replicas, routes[first])) == {first}
        assert set(_served_by(replicas, routes[second])) == {second}

        stop_process_group(replicas.processes[first], timeout=10)  # the poster's process goes away
        goto_app(poster, f"{replicas.url}/Explore")
        expect(poster.get_by_text("Scoring paused on Friday")).to_be_visible()
        assert _served_by(replicas, routes[first])[-1] == second
        expect(poster.get_by_test_id("stException")).to_have_count(0)
        screenshot(poster, "after-its-process-stopped")
    finally:
        poster_context.close()
        reader_context.close()
        if replicas.processes[first].poll() is not None:  # back for the other tests of the module, in any order:
            replicas.start(first)  # started again, and nginx past the time it skips the process that failed
            time.sleep(FAIL_TIMEOUT_S + 1)
