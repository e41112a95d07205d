"""What every page shares: page set-up, the sidebar pickers, cached loaders and the store."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from demo_models import __version__, settings
from demo_models.builtin.first_start import FirstStart, ReadOnlyRegistry, low_priority, start_first_start
from demo_models.iterations.registry import IterationCard, RegistryError, list_iterations, load_iteration
from demo_models.vocabulary import UseCase, get_use_case
from feedback.app_reports import REPORT_KINDS, AppReport
from feedback.records import FeedbackError
from feedback.store.app_reports import report_problem
from feedback.store.database import FeedbackStore, StoreError
from feedback.store.goals import current_thresholds
from feedback.store.lifecycle import lifecycle_statuses
from feedback.store.opening import read_only_requested
from feedback.store.telemetry import record_event
from pages._ui.banners import dismissed_by, render_announcements, render_orientation, render_store_state
from pages._ui.identity import Identity, current_identity
from pages._ui.remembered import remembered_widget
from pages._ui.text import md, plain

if TYPE_CHECKING:  # the model side is imported when a page first needs it, not at start-up
    from demo_models.iterations.scoring import ScoredIteration
    from demo_models.metrics.compare import Comparison
    from demo_models.metrics.outcomes import Latency
    from demo_models.monitoring.stream import Stream

log = logging.getLogger("involve.app")
FIRST_START_POLL_SECONDS = 2

#: The app's pages in menu order: (script relative to app.py, label, icon).
PAGES = (
    ("app.py", "Home", ":material/home:"),
    ("pages/1_Explore.py", "Explore", ":material/search:"),
    ("pages/2_What_if.py", "What-if", ":material/tune:"),
    ("pages/3_Compare.py", "Compare", ":material/compare_arrows:"),
    ("pages/4_Iterations.py", "Iterations", ":material/timeline:"),
    ("pages/5_Sign_off.py", "Sign-off", ":material/approval:"),
    ("pages/6_Goals.py", "Goals", ":material/flag:"),
    ("pages/7_Outcomes.py", "Outcomes", ":material/payments:"),
    ("pages/8_Inbox.py", "Inbox", ":material/inbox:"),
    ("pages/9_Fairness.py", "Fairness", ":material/balance:"),
    ("pages/10_Monitoring.py", "Monitoring", ":material/monitoring:"),
    ("pages/11_Notices.py", "Notices", ":material/campaign:"),
    ("pages/12_Guide.py", "Guide", ":material/menu_book:"),
)


@dataclass
class PageContext:
    """The use case and iteration the user picked, and the store (or why it is unavailable)."""

    registry_dir: Path
    use_case: UseCase
    cards: list[IterationCard]  # every iteration of the use case, retired included, oldest first
    card: IterationCard
    store: FeedbackStore | None
    store_error: str | None
    statuses: dict[str, str]  # lifecycle status of every iteration of the use case
    identity: Identity

    @property
    def versions(self) -> list[str]:
        """Versions of the use case's iterations, oldest first."""
        return [c.version for c in self.cards]


@st.cache_resource(show_spinner=False)
def _start_first_start(registry_dir: str, db_url: str, demo_history: bool) -> FirstStart | None:
    return start_first_start(Path(registry_dir), db_url, demo_history)


def _registered(registry_dir: str) -> tuple[str, ...]:
    return tuple(sorted(f"{c.use_case}/{c.version}" for c in list_iterations(registry_dir=Path(registry_dir))))


@st.fragment(run_every=FIRST_START_POLL_SECONDS)
def _first_start_progress(job: FirstStart, shown: tuple[str, ...]) -> None:
    """What the background preparation is doing; the whole page reruns when an iteration is added
    or the preparation ends, so it shows what is new."""
    progress = job.progress()
    if not progress.running or _registered(str(job.registry_dir)) != shown:
        if not progress.running and not st.session_state.get(_chosen_key("iteration")):
            for key in ("iteration", "_pick_iteration"):  # never picked: show the live one now
                st.session_state.pop(key, None)
        st.rerun(scope="app")
    step = (
        f"{progress.step} ({min(progress.done + 1, progress.total)} of {progress.total})"
        if progress.total
        else progress.step
    )
    st.progress(
        progress.done / progress.total if progress.total else 0.0, text=f"First start, in the background: {step}…"
    )


def _prepare_registry(registry_dir: str, titled: bool) -> None:
    """Start the first-start preparation once per server process (built-in iterations, demo history)
    and show its progress; a page with no iteration to show yet waits for the first one."""
    job = _start_first_start(registry_dir, settings.db_url(), settings.demo_history())
    if job is None:
        return
    progress = job.progress()
    if progress.state == "failed":
        st.error(plain(f"The first-start preparation failed: {progress.detail}. Its log is in {job.registry_dir}."))
        return
    if not progress.running:
        return
    shown = _registered(registry_dir)
    if not shown:
        if not titled:
            st.title("Involve")
        st.subheader("Getting ready for the first start")
        st.markdown(
            "Involve puts a machine-learning model in front of the people it serves while it is being built. "
            "On its first start it trains its built-in iterations (credit risk, card fraud)"
            + (", and writes a labelled demo history into the store if it is empty" if job.demo_history else "")
            + ". The pages fill in as each iteration is ready; this page updates by itself."
        )
    _first_start_progress(job, shown)
    if not shown:
        st.stop()


@st.cache_resource(show_spinner="Loading the iteration…", max_entries=16)
def _load_scored(registry_dir: str, use_case: str, version: str, created: str) -> ScoredIteration:
    from demo_models.iterations.scoring import ScoredIteration

    return ScoredIteration(load_iteration(use_case, version, Path(registry_dir)))


@st.cache_resource(show_spinner=False)
def _open_store(url: str, read_only: bool) -> FeedbackStore:
    return FeedbackStore(url, read_only=read_only)


@st.cache_resource(show_spinner="Comparing the iterations…", max_entries=8)
def _compare(registry_dir: str, use_case: str, old: tuple[str, str, float], new: tuple[str, str, float]) -> Comparison:
    from demo_models.metrics.compare import compare_iterations

    return compare_iterations(
        _load_scored(registry_dir, use_case, *old[:2]).at_threshold(old[2]),
        _load_scored(registry_dir, use_case, *new[:2]).at_threshold(new[2]),
    )


@st.cache_resource(show_spinner="Measuring how fast it decides and explains…", max_entries=32)
def _latency(registry_dir: str, use_case: str, version: str, created: str) -> Latency:
    from demo_models.metrics.outcomes import measure_latency

    return measure_latency(_load_scored(registry_dir, use_case, version, created))


def load_scored(ctx: PageContext, card: IterationCard | None = None) -> ScoredIteration:
    """An iteration (the picked one by default), scored on its evaluation cases (cached).

    Stops the page with a clear message if it cannot be loaded.
    """
    from demo_models.explanations.attributions import ExplainError

    card = card or ctx.card
    try:
        scored = _load_scored(str(ctx.registry_dir), card.use_case, card.version, card.created)
        return scored.at_threshold(card.threshold)
    except (RegistryError, ExplainError, OSError) as err:
        log.warning("iteration %s/%s cannot be loaded: %s", card.use_case, card.version, err)
        st.error(md("Iteration {} cannot be shown: {}", card.version, err))
        st.stop()


def load_comparison(ctx: PageContext, old: IterationCard, new: IterationCard) -> Comparison:
    """The comparison of two iterations (cached); stops the page with a clear message if impossible."""
    from demo_models.explanations.attributions import ExplainError
    from demo_models.metrics.compare import CompareError

    try:
        return _compare(
            str(ctx.registry_dir),
            old.use_case,
            (old.version, old.created, old.threshold),
            (new.version, new.created, new.threshold),
        )
    except (RegistryError, ExplainError, CompareError, OSError) as err:
        log.warning("cannot compare %s and %s: %s", old.version, new.version, err)
        st.error(md("{} and {} cannot be compared: {}", old.version, new.version, err))
        st.stop()


@st.cache_resource(show_spinner="Generating and scoring the monitoring stream…", max_entries=4)
def _stream(registry_dir: str, use_case: str, version: str, created: str, rows: int) -> Stream | None:
    from demo_models.monitoring.stream import build_stream

    return build_stream(_load_scored(registry_dir, use_case, version, created), rows)


def stream_of(ctx: PageContext, card: IterationCard) -> Stream | None:
    """The monitoring stream of a use case scored by an iteration (cached), or None if it has no time."""
    return _stream(str(ctx.registry_dir), card.use_case, card.version, card.created, settings.monitor_rows())


def latency_of(ctx: PageContext, card: IterationCard) -> Latency:
    """Measured time to decide and explain a case with this iteration (cached per process)."""
    return _latency(str(ctx.registry_dir), card.use_case, card.version, card.created)


@st.cache_resource(show_spinner="Comparing the groups…", max_entries=32)
def _fairness(registry_dir: str, use_case: str, iteration: tuple[str, str, float], attribute: str, resampled: bool):
    from demo_models.metrics.fairness import bootstrap_gaps, fairness_gaps, group_table

    scored = _load_scored(registry_dir, use_case, *iteration[:2]).at_threshold(iteration[2])
    if not resampled:
        return fairness_gaps(scored, attribute)
    return group_table(scored, attribute), bootstrap_gaps(scored, attribute)


def fairness_of(ctx: PageContext, card: IterationCard, attribute: str):
    """(the group-by-group table, each gap metric with its bootstrap interval and its chance) of an
    iteration at its threshold, cached per iteration, threshold and attribute (fairlearn and 500
    resamples are too slow to redo on every rerun). Raises FairnessError as `group_table` does."""
    return _fairness(
        str(ctx.registry_dir), card.use_case, (card.version, card.created, card.threshold), attribute, True
    )


def gaps_of(ctx: PageContext, card: IterationCard, attribute: str) -> dict[str, float]:
    """The gap metrics of an iteration at its threshold (`fairness_gaps`), cached the same way."""
    return _fairness(
        str(ctx.registry_dir), card.use_case, (card.version, card.created, card.threshold), attribute, False
    )


def _configure_logging() -> None:
    root = logging.getLogger()
    if not any(getattr(h, "_involve", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler._involve = True  # type: ignore[attr-defined]
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(settings.log_level())


def _chosen_key(state_key: str) -> str:
    return f"_{state_key}_chosen"  # set once the person picks it themselves (widget or link)


def _pick(label: str, options: list[str], state_key: str, query_key: str, describe, default: str, hidden=()) -> str:
    """A sidebar picker whose choice persists across pages and is mirrored in the URL."""
    requested = st.query_params.get(query_key)
    if requested is not None and requested != st.session_state.get(state_key):
        if requested in options:
            st.session_state[state_key] = requested
            st.session_state[_chosen_key(state_key)] = True
        else:
            why = (  # the URL is anyone's: never markup
                md("{!r} is retired; switch on “Show retired iterations” to see it", requested)
                if requested in hidden
                else md("There is no {} {!r}", label.lower(), requested)
            )
            st.error(md("{}. Showing {} instead; available: {}.", why, describe(default), ", ".join(options)))
            del st.query_params[query_key]
    remembered = st.session_state.get(state_key)
    if remembered not in options:
        if remembered is not None:
            st.warning(
                md(
                    "The {} {!r} you had picked is no longer available; showing {}.",
                    label.lower(),
                    remembered,
                    describe(default),
                )
            )
        st.session_state[state_key] = default

    def mirror(value: str) -> None:
        st.query_params[query_key] = value
        st.session_state[_chosen_key(state_key)] = True

    return remembered_widget(
        st.sidebar.selectbox,
        label,
        state_key,
        default,
        widget_key=f"_pick_{state_key}",
        then=mirror,
        options=options,
        format_func=describe,
    )


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
    except (subprocess.TimeoutExpired, json.JSONDecodeError, OSError) as err:
        results = [("health checks", False, f"could not run: {err}")]
    for name, ok, detail in results:
        if not ok:
            log.error("health check failed: %s: %s", name, detail)
    state["results"], state["at"], state["checked"] = (
        results,
        time.monotonic(),
        time.strftime("%H:%M:%S UTC", time.gmtime()),
    )


def _outage_banner(registry_dir: str, db_url: str) -> None:
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


FLASH = "_flash"


def confirm_and_rerun(message: str) -> None:
    """Rerun the page and show `message` (plain text, or `md(...)`) as a confirmation at the top of the next run."""
    st.session_state[FLASH] = message
    st.rerun()


def show_confirmation() -> None:
    """Show the confirmation left by `confirm_and_rerun`, once."""
    message = st.session_state.pop(FLASH, None)
    if message:
        st.success(plain(message))


def require_store(ctx: PageContext, what: str) -> FeedbackStore:
    """The store, or a clear message and the page stops when it is unavailable."""
    if ctx.store is None:
        st.error(md("{} unavailable: {}", what, ctx.store_error))
        st.stop()
    return ctx.store


def _report_form(store: FeedbackStore, page: str, identity: Identity) -> None:
    """ "Report a problem / suggest" in the sidebar of every page, tied to the page."""
    with st.sidebar.expander("Report a problem or suggest something"):
        with st.form("app_report", clear_on_submit=False, border=False):
            kind = st.selectbox("What is it?", REPORT_KINDS, key="report_kind")
            comment = st.text_area("Tell us", key="report_comment")
            if st.form_submit_button("Send"):
                try:
                    report_problem(store, AppReport(page, kind, comment, identity.name, identity.role, __version__))
                except (FeedbackError, StoreError) as err:
                    st.error(md("Not sent — {}", err))
                else:
                    st.success(md("Thank you — sent from the {} page.", page))


def setup_page(title: str, titled: bool = False) -> PageContext:
    """Configure the page and render the shared sidebar; returns what the user picked.

    titled: the page drew its "Involve" heading already (Home does, before its imports).
    """
    st.set_page_config(page_title=f"{title} · Involve", page_icon="🤝", layout="wide")
    _configure_logging()
    for script, label, icon in PAGES:
        st.sidebar.page_link(script, label=label, icon=icon)
    st.sidebar.divider()
    registry_dir = settings.registry_dir()
    read_only_registry = None
    try:
        _prepare_registry(str(registry_dir), titled)
    except ReadOnlyRegistry as err:
        read_only_registry = str(err)
    except (RegistryError, OSError) as err:
        log.exception("registry cannot be prepared")
        st.error(md("The built-in iterations cannot be prepared in {}: {}", registry_dir, err))
        st.stop()
    _outage_banner(str(registry_dir), settings.db_url())
    all_cards = list_iterations(registry_dir=registry_dir)
    if not all_cards:
        st.error(md("No iteration is registered in {}. {}", registry_dir, read_only_registry or ""))
        st.stop()
    store, store_error = None, None
    try:
        store = _open_store(settings.db_url(), read_only_requested())
    except StoreError as err:
        store_error = str(err)
        st.sidebar.error(md("Feedback is unavailable: {}", err))
    render_store_state(store, read_only_registry)
    use_cases = sorted({c.use_case for c in all_cards})
    default_use_case = "credit" if "credit" in use_cases else use_cases[0]
    name = _pick("Use case", use_cases, "use_case", "use_case", lambda n: get_use_case(n).title, default_use_case)
    cards = [c for c in all_cards if c.use_case == name]
    statuses = {c.version: "candidate" for c in cards}
    if store is not None:
        try:
            statuses = lifecycle_statuses(store, name, list(statuses))
            saved = current_thresholds(store, name)
            cards = [replace(c, threshold=saved.get(c.version, c.threshold)) for c in cards]
        except StoreError as err:
            store_error = str(err)
            st.sidebar.error(md("Lifecycle statuses are unavailable: {}", err))
    show_retired = remembered_widget(
        st.sidebar.toggle, "Show retired iterations", "retired_shown", False, widget_key="show_retired"
    )
    retired = [v for v, status in statuses.items() if status == "retired"]
    visible = [c for c in cards if show_retired or c.version not in retired] or cards
    by_version = {c.version: c for c in visible}
    live = [v for v in by_version if statuses[v] == "live"]
    version = _pick(
        "Iteration",
        list(by_version),
        "iteration",
        "iteration",
        lambda v: f"{v} · {statuses.get(v, '?')} · {by_version[v].model_type}" if v in by_version else v,
        default=live[0] if live else list(by_version)[-1],
        hidden=retired,
    )
    card = by_version[version]
    st.sidebar.caption(
        md(
            "This page shows {} · {} ({}) · threshold {:.1%} · {:,} evaluation cases · Involve {}",
            get_use_case(name).title,
            card.version,
            statuses.get(card.version, "?"),
            card.threshold,
            card.n_eval,
            __version__,
        )
    )
    st.sidebar.divider()
    identity = current_identity()
    dismissed = dismissed_by(store, identity)
    if title != "Guide":  # the Guide page holds the orientation itself
        render_orientation(store, identity, dismissed)
    if store is not None:
        render_announcements(store, name, identity, dismissed, live_health=bool(settings.health_every()))
        _report_form(store, title, identity)
        if st.session_state.get("_last_page") != (title, name):
            st.session_state["_last_page"] = (title, name)
            record_event(store, name, title, identity.role, "page view", version)
    from pages._ui.guide import render_page_guide  # here: the guide may import the shell

    render_page_guide(title)
    return PageContext(
        registry_dir,
        get_use_case(name, card.positive_class, card.favourable),
        cards,
        card,
        store,
        store_error,
        statuses,
        identity,
    )
