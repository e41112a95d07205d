"""The page context: what every page starts with (`setup_page`), and what it hands the page — the
use case and iteration picked, the store (or why it is unavailable), and who is looking."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from demo_models import settings
from demo_models.builtin.first_start import ReadOnlyRegistry
from demo_models.iterations.registry import IterationCard, RegistryError, list_iterations
from demo_models.service.background_delivery import start_background_delivery
from demo_models.vocabulary import UseCase, get_use_case
from feedback.store.database import FeedbackStore
from feedback.store.telemetry import record_event
from pages._ui.banners import dismissed_by, render_announcements, render_orientation, render_store_state
from pages._ui.first_start import prepare_registry
from pages._ui.health_monitor import render_outage_banner
from pages._ui.identity import Identity, current_identity
from pages._ui.navigation import render_page_links
from pages._ui.pickers import pick_iteration
from pages._ui.report_form import render_report_form
from pages._ui.store_guard import open_store
from pages._ui.text import md

log = logging.getLogger("involve.app")


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


def _configure_logging() -> None:
    root = logging.getLogger()
    if not any(getattr(h, "_involve", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler._involve = True  # type: ignore[attr-defined]
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(settings.log_level())


def _prepare_registry(registry_dir: Path, titled: bool) -> str | None:
    """The registry ready to read: None, or why it is read-only; stops the page if it cannot be prepared."""
    try:
        prepare_registry(str(registry_dir), titled)
    except ReadOnlyRegistry as err:
        return str(err)
    except (RegistryError, OSError) as err:
        log.exception("registry cannot be prepared")
        st.error(md("The built-in iterations cannot be prepared in {}: {}", registry_dir, err))
        st.stop()
    return None


def setup_page(title: str, titled: bool = False) -> PageContext:
    """Configure the page and render the shared sidebar; returns what the user picked.

    titled: the page drew its "Involve" heading already (Home does, before its imports).
    """
    st.set_page_config(page_title=f"{title} · Involve", page_icon="🤝", layout="wide")
    _configure_logging()
    render_page_links()
    registry_dir = settings.registry_dir()
    read_only_registry = _prepare_registry(registry_dir, titled)
    render_outage_banner(str(registry_dir), settings.db_url())
    start_background_delivery(settings.db_url())  # INVOLVE_NOTIFY_BACKGROUND: once per server process
    all_cards = list_iterations(registry_dir=registry_dir)
    if not all_cards:
        st.error(md("No iteration is registered in {}. {}", registry_dir, read_only_registry or ""))
        st.stop()
    store, store_error = open_store(settings.db_url())
    render_store_state(store, read_only_registry)
    picked = pick_iteration(all_cards, store)
    name, card = picked.lineup.use_case, picked.card
    identity = current_identity()
    dismissed = dismissed_by(store, identity)
    if title != "Guide":  # the Guide page holds the orientation itself
        render_orientation(store, identity, dismissed)
    if store is not None:
        render_announcements(store, name, identity, dismissed, live_health=bool(settings.health_every()))
        render_report_form(store, title, identity)
        if st.session_state.get("_last_page") != (title, name):
            st.session_state["_last_page"] = (title, name)
            record_event(store, name, title, identity.role, "page view", card.version)
    from pages._ui.guide import render_page_guide  # here: the guide may import the page context

    render_page_guide(title)
    return PageContext(
        registry_dir,
        get_use_case(name, card.positive_class, card.favourable),
        list(picked.lineup.cards),
        card,
        store,
        picked.store_error or store_error,
        picked.lineup.statuses,
        identity,
    )
