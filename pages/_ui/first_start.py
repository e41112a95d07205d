"""The first start of a server: its background preparation (built-in iterations, demo history) and
its progress, shown on every page until it ends; a page with nothing to show yet waits for it.

Light on purpose: nothing here imports pandas, the store or the registry, so Home's first run on an
empty registry (`show_first_start`) ends as soon as the "Getting ready" page is drawn."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from demo_models import settings
from demo_models.builtin.first_start import FirstStart, ReadOnlyRegistry, registered_names, start_first_start
from pages._ui.navigation import render_page_links
from pages._ui.remembered import chosen_key
from pages._ui.text import plain

FIRST_START_POLL_SECONDS = 2


@st.cache_resource(show_spinner=False)
def _start_first_start(registry_dir: str, db_url: str, demo_history: bool) -> FirstStart | None:
    return start_first_start(Path(registry_dir), db_url, demo_history)


def _registered(registry_dir: str) -> tuple[str, ...]:
    return registered_names(Path(registry_dir))


@st.fragment(run_every=FIRST_START_POLL_SECONDS)
def _first_start_progress(job: FirstStart, shown: tuple[str, ...]) -> None:
    """What the background preparation is doing; the whole page reruns when an iteration is added
    or the preparation ends, so it shows what is new."""
    progress = job.progress()
    if not progress.running or _registered(str(job.registry_dir)) != shown:
        if not progress.running and not st.session_state.get(chosen_key("iteration")):
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


def prepare_registry(registry_dir: str, titled: bool) -> None:
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


def show_first_start() -> None:
    """On a registry with no iteration yet (a first start): the menu, then the preparation's progress,
    ending the run (Home calls it before its imports). Does nothing once an iteration is registered."""
    registry_dir = str(settings.registry_dir())
    if registered_names(Path(registry_dir)):
        return
    try:
        job = _start_first_start(registry_dir, settings.db_url(), settings.demo_history())
    except (ReadOnlyRegistry, OSError):
        return  # setup_page says why, on the full path
    if job is None or not job.progress().running:
        return
    render_page_links()
    prepare_registry(registry_dir, titled=True)  # draws the progress and stops while nothing is registered
    st.rerun()  # the first iteration arrived meanwhile: the full page, from the top
