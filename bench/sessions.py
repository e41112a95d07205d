"""Benchmark: many people on one server — reruns per page over real websocket sessions, beside a one-widget page.

Starts `streamlit run app.py` on a prepared data dir (the built-in iterations and the demo history,
prepared once in the foreground) and, for the same load, a second server running a one-widget page
(`st.slider`). For each page (What-if, Explore, Compare) and each session count (1, 8, 16), that many
websocket sessions — each speaking Streamlit's own protocol, as a browser tab does: a `rerun_script`
back-message, then every forward-message until `script_finished` — rerun the page back to back for
--seconds, while one more session reruns the one-widget page on the other server. A rerun sends no
widget states, so it is the whole page as a freshly opened tab shows it (its defaults), not the rerun after
moving one widget (that is --move). Reported per row:
p50 / p95 of a rerun, reruns per second over all sessions, the app processes' CPU (user + system, from
/proc) per rerun over the measured seconds (less sensitive to other work on the machine than the times), and
the one-widget page's p50 / p95 under that load with the ratio of the p95s. AppTest cannot run sessions in
parallel threads, hence the real server.

    .venv/bin/python bench/sessions.py [--sessions 1 8 16] [--processes 1 2 4]
        [--page What_if --page Explore --page Compare] [--seconds 20] [--data DIR] [--heavy] [--move]

--move makes each rerun the one a person moving an input causes: the page's first number input (with room to
move) set to one of two other values in turn, sent as the browser sends it — a rerun of the fragment holding the
input, with its new value (What-if's inputs and results are one fragment), or of the whole page when it is in no
fragment. Only that widget's state is sent; the others keep theirs on the server.

--page one-widget runs the sessions on the one-widget page itself: Streamlit's own floor for that many
sessions in one process, to read the app's figures against.

--processes spreads the sessions round-robin over that many `streamlit run app.py` processes on the
same data dir (as `involve nginx`'s sticky routing spreads browsers; nginx itself is not in the
measured path), to show how reruns per second grow with processes on this machine's cores.

--heavy adds a concurrent heavy action for the whole run: a registration of a 10,000-case random
forest in another process, over and over (target: no one's rerun pushed past 250 ms p95).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit_server import start_server, stop_server

ROOT = Path(__file__).resolve().parents[1]
FINISHED = ForwardMsg.DESCRIPTOR.fields_by_name["script_finished"].enum_type.values_by_name
DONE = {
    FINISHED[name].number
    for name in ("FINISHED_SUCCESSFULLY", "FINISHED_WITH_COMPILE_ERROR", "FINISHED_FRAGMENT_RUN_SUCCESSFULLY")
}
ONE_WIDGET = 'import streamlit as st\nst.slider("A number", 0, 10, 5)\n'
HEAVY = """
import tempfile
from pathlib import Path
from demo_models.examples.zoo import TARGET, fit_family, make_zoo_data
from demo_models.iterations.registry import register_iteration
model = fit_family("random forest", make_zoo_data(5000, seed=1), trees=100, depth=6)
evaluation = make_zoo_data(10000, seed=2)
root = Path(tempfile.mkdtemp(prefix="involve-heavy-"))
for i in range(1000):
    register_iteration(model, evaluation, use_case="heavy", version=f"v{i}", target=TARGET, author="bench",
                       registry_dir=root)
"""


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the processes have used so far (from /proc/PID/stat; Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of stat)
    return total / tick


def _serve(script: str, data: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "INVOLVE_DATA_DIR": str(data), "INVOLVE_LOG_LEVEL": "WARNING", "INVOLVE_HEALTH_EVERY": "0"}
    for name in ("INVOLVE_REGISTRY_DIR", "INVOLVE_DB_URL"):
        env.pop(name, None)
    server, url = start_server(script, env)
    return server, url.replace("http://", "ws://") + "/_stcore/stream"


async def _run(ws, page_hash: str, move: dict | None = None) -> tuple[float, ForwardMsg | None]:
    """One rerun of the page: seconds until it finished, and the message listing the pages if one came.

    move: None for a rerun of the whole page with no widget state (a freshly opened tab); else a number input
    (from `_number_input`) set to its next value, sent as the browser sends a moved input: a rerun of the
    fragment holding it (the whole page when it is in none) with that widget's new value."""
    back = BackMsg()
    back.rerun_script.query_string = ""
    back.rerun_script.page_script_hash = page_hash
    back.rerun_script.widget_states.SetInParent()
    if move is not None and move["id"] is not None:
        move["turn"] += 1
        state = back.rerun_script.widget_states.widgets.add()
        state.id = move["id"]
        value = move["values"][move["turn"] % 2]
        if move["integer"]:
            state.int_value = int(value)
        else:
            state.double_value = float(value)
        back.rerun_script.fragment_id = move["fragment_id"]
    start = time.perf_counter()
    await ws.send(back.SerializeToString())
    new_session = None
    while True:
        message = ForwardMsg()
        message.ParseFromString(await ws.recv())
        kind = message.WhichOneof("type")
        if kind in ("new_session", "navigation"):
            new_session = message if kind == "navigation" or new_session is None else new_session
        elif kind == "delta" and move is not None and move.get("id") is None:
            _note_number_input(message.delta, move)
        elif kind == "script_finished" and message.script_finished in DONE:
            return time.perf_counter() - start, new_session


def _note_number_input(delta, move: dict) -> None:
    """Keep the first number input with room to move: its id, its fragment and two values other than its own."""
    if delta.WhichOneof("type") != "new_element" or delta.new_element.WhichOneof("type") != "number_input":
        return
    widget = delta.new_element.number_input
    value = widget.value if widget.HasField("value") else widget.default if widget.HasField("default") else None
    if value is None or not widget.has_max or value + 2 * widget.step > widget.max:
        return
    move.update(
        id=widget.id,
        fragment_id=delta.fragment_id,
        integer=widget.data_type == widget.INT,
        values=(value + widget.step, value + 2 * widget.step),
    )


async def _pages(url: str) -> dict[str, str]:
    """Each page's url path -> its script hash, from the first run's new-session message."""
    async with websockets.connect(url, subprotocols=["streamlit"], max_size=None) as ws:
        _, new_session = await _run(ws, "")
    pages = (
        new_session.navigation.app_pages if new_session.HasField("navigation") else new_session.new_session.app_pages
    )
    return {p.url_pathname or "Home": p.page_script_hash for p in pages}


async def _session(
    url: str, page_hash: str, clock: dict, times: list[float], ready: list[bool], moves: bool = False
) -> None:
    async with websockets.connect(url, subprotocols=["streamlit"], max_size=None) as ws:
        move = {"id": None, "turn": 0} if moves else None
        await _run(ws, page_hash, move)  # the first view: loads and caches (and finds the input to move); not counted
        if move is not None and move["id"] is None:
            raise SystemExit("--move: the page shows no number input with room to move")
        ready.append(True)
        while not clock["started"]:
            await asyncio.sleep(0.01)
        while time.perf_counter() < clock["until"]:
            seconds, _ = await _run(ws, page_hash, move)
            times.append(seconds)


async def measure(
    urls: list[str],
    page_hash: str,
    sessions: int,
    reference: tuple[str, str],
    seconds: float,
    moves: bool = False,
    pids: list[int] | None = None,
) -> dict:
    """`sessions` sessions rerunning one page for `seconds`, spread round-robin over the app processes at
    `urls` (as the sticky balancer spreads browsers), and one on the reference page meanwhile; with `moves`
    each rerun moves one of the page's number inputs (the reference page is rerun whole, as moving its
    slider does). `pids`: the app processes whose CPU per rerun is reported (cpu_ms)."""
    clock = {"started": False, "until": float("inf")}
    times: list[list[float]] = [[] for _ in range(sessions)]
    ref_times: list[float] = []
    ready: list[bool] = []
    tasks = [
        asyncio.create_task(_session(urls[i % len(urls)], page_hash, clock, t, ready, moves))
        for i, t in enumerate(times)
    ]
    tasks.append(asyncio.create_task(_session(*reference, clock, ref_times, ready)))
    deadline = time.perf_counter() + 600
    while len(ready) < len(tasks) and time.perf_counter() < deadline:  # every session has had its first view
        await asyncio.sleep(0.05)
    clock["until"] = time.perf_counter() + seconds
    cpu_before = _cpu_seconds(pids or [])
    clock["started"] = True
    await asyncio.gather(*tasks)  # each ends after its rerun in progress at `until`
    cpu = _cpu_seconds(pids or []) - cpu_before
    flat = [x for t in times for x in t]
    return {
        "p50": statistics.median(flat) * 1000 if flat else float("nan"),
        "p95": float(np.percentile(flat, 95)) * 1000 if flat else float("nan"),
        "per_second": len(flat) / seconds,
        "cpu_ms": cpu * 1000 / len(flat) if flat and pids else float("nan"),
        "ref_p50": statistics.median(ref_times) * 1000 if ref_times else float("nan"),
        "ref_p95": float(np.percentile(ref_times, 95)) * 1000 if ref_times else float("nan"),
    }


def _prepare(data: Path) -> None:
    if (data / "registry" / "credit").exists():
        return
    print(f"preparing the built-in iterations and the demo history in {data} …", flush=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "demo_models.builtin.first_start",
            "--registry",
            str(data / "registry"),
            "--db",
            f"sqlite:///{data / 'feedback.sqlite3'}",
            "--demo-history",
        ],
        cwd=ROOT,
        check=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 8, 16])
    parser.add_argument(
        "--page",
        action="append",
        help="url path of a page (default: What_if, Explore, Compare); one-widget: the reference page itself",
    )
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--data", type=Path, default=None, help="a data dir (prepared if empty)")
    parser.add_argument(
        "--move",
        action="store_true",
        help="each rerun moves the page's first number input, as a person does (a fragment rerun where it is in one)",
    )
    parser.add_argument("--heavy", action="store_true", help="a registration running in another process meanwhile")
    parser.add_argument(
        "--processes", type=int, nargs="+", default=[1], help="app processes the sessions are spread over (e.g. 1 2 4)"
    )
    args = parser.parse_args()
    data = args.data or Path(tempfile.mkdtemp(prefix="involve-sessions-"))
    _prepare(data)
    reference_script = data / "one_widget.py"
    reference_script.write_text(ONE_WIDGET)
    apps = [_serve("app.py", data) for _ in range(max(args.processes))]
    app_urls = [url for _, url in apps]
    ref, ref_url = _serve(str(reference_script), data)
    heavy = None
    try:
        pages = asyncio.run(_pages(app_urls[0]))
        ref_hash = asyncio.run(_pages(ref_url))["Home"]
        if args.heavy:
            heavy = subprocess.Popen(
                [sys.executable, "-c", HEAVY],
                cwd=ROOT,
                start_new_session=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(5)
        load = os.getloadavg()[0]
        print(
            f"{os.cpu_count()} cores; {args.seconds:.0f} s per row; load average {load:.1f} at the start"
            + ("; a registration runs in another process meanwhile" if heavy else "")
            + ("; each rerun moves a number input" if args.move else "; each rerun is the whole page")
        )
        print(
            f"{'page':10s} {'processes':>9s} {'sessions':>8s} {'p50 ms':>8s} {'p95 ms':>8s} {'reruns/s':>9s} "
            f"{'CPU ms/rerun':>12s}   {'one-widget p50':>14s} {'p95':>7s}  {'p95 ratio':>9s}"
        )
        for page in args.page or ["What_if", "Explore", "Compare"]:
            for processes in args.processes:
                for n in args.sessions:
                    if page == "one-widget":  # the floor itself under the same number of sessions
                        urls, page_hash, pids = [ref_url], ref_hash, [ref.pid]
                    else:
                        urls, page_hash = app_urls[:processes], pages[page]
                        pids = [app.pid for app, _ in apps[:processes]]
                    moves = args.move and page != "one-widget"
                    r = asyncio.run(measure(urls, page_hash, n, (ref_url, ref_hash), args.seconds, moves, pids))
                    print(
                        f"{page:10s} {processes:9d} {n:8d} {r['p50']:8.1f} {r['p95']:8.1f} {r['per_second']:9.1f} "
                        f"{r['cpu_ms']:12.1f}   {r['ref_p50']:14.1f} {r['ref_p95']:7.1f}  "
                        f"{r['p95'] / r['ref_p95']:8.1f}×",
                        flush=True,
                    )
    finally:
        for process in (*(app for app, _ in apps), ref, heavy):
            if process is not None:
                stop_server(process)


if __name__ == "__main__":
    main()
