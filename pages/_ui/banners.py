"""Banners at the top of every page: the first-visit orientation and the announcements a person has
not dismissed (kept per person in the store, or for the session when they have not said who they are)."""

from __future__ import annotations

import logging

import streamlit as st

from feedback.announcements import DEGRADED, DEPRECATION, LIVE, NOTICE, RETIREMENT, banner_announcements, person_key
from feedback.announcements import ORIENTATION as ORIENTATION_ITEM
from feedback.store.announcements import dismiss, dismissed_items, list_announcements
from feedback.store.database import READ_ONLY_MESSAGE, FeedbackStore, StoreError
from feedback.store.opening import store_wait
from pages._ui.identity import Identity
from pages._ui.text import md

log = logging.getLogger("involve.app")

BANNER_LIMIT = 3
BANNER_STYLE = {  # kind -> (alert function name, icon)
    LIVE: ("success", ":material/rocket_launch:"),
    DEPRECATION: ("warning", ":material/event_busy:"),
    RETIREMENT: ("info", ":material/inventory_2:"),
    DEGRADED: ("error", ":material/warning:"),
    NOTICE: ("info", ":material/campaign:"),
}
SESSION_DISMISSED = "_dismissed_here"  # what an anonymous person dismissed, for this session only


def dismissed_by(store: FeedbackStore | None, identity: Identity) -> set[str]:
    """What the person dismissed: kept in the store for a named person, in the session otherwise
    (only the session's if the store cannot be read)."""
    here = set(st.session_state.setdefault(SESSION_DISMISSED, set()))
    if store is None:
        return here
    try:
        return here | dismissed_items(store, person_key(identity.name, identity.subject))
    except StoreError as err:
        log.warning("dismissals unavailable: %s", err)
        return here


def dismiss_items(store: FeedbackStore | None, identity: Identity, items: list[str]) -> None:
    """Dismiss for this person (in the store if they said who they are; for the session otherwise)."""
    st.session_state.setdefault(SESSION_DISMISSED, set()).update(items)
    person = person_key(identity.name, identity.subject)
    if person and store is not None:
        try:
            dismiss(store, person, items)
        except StoreError as err:
            log.warning("dismissal not saved: %s", err)


def render_announcements(
    store: FeedbackStore, use_case: str, identity: Identity, dismissed: set[str], live_health: bool
) -> None:
    """The announcements this person has not dismissed, newest first, with a dismiss button each.
    With `live_health` (the app runs the health checks itself) a recorded outage is left to the live
    outage banner, so that it is not said twice."""
    try:
        waiting = banner_announcements(list_announcements(store, use_case), dismissed)
    except StoreError as err:
        log.warning("announcements unavailable: %s", err)
        return
    if live_health:
        waiting = [n for n in waiting if not (n.source == "health" and n.kind == DEGRADED)]
    for notice in waiting[:BANNER_LIMIT]:
        alert, icon = BANNER_STYLE.get(notice.kind, ("info", ":material/campaign:"))
        text, button = st.columns([7, 1], vertical_alignment="center")
        getattr(text, alert)(
            md(
                "**{}** — {}  \n{} · {:%Y-%m-%d} · {}",
                notice.title,
                notice.body,
                notice.kind.capitalize(),
                notice.created_at,
                notice.author_name,
            ),
            icon=icon,
        )
        if button.button(
            "Dismiss", key=f"dismiss_{notice.id}", help="Hide this notice for you (it stays on the Notices page)."
        ):
            dismiss_items(store, identity, [notice.item])
            st.rerun()
    if len(waiting) > 1:
        more = len(waiting) - BANNER_LIMIT
        left, right = st.columns([7, 1], vertical_alignment="center")
        left.caption(
            (md("{} more on the Notices page. ", more) if more > 0 else "") + "Every notice stays on the Notices page."
        )
        if right.button("Dismiss all", key="dismiss_all"):
            dismiss_items(store, identity, [n.item for n in waiting])
            st.rerun()


def render_store_state(store: FeedbackStore | None, registry_note: str | None) -> None:
    """Say at the top of the page when the store is read-only or busy (pages still read; what a person
    sends is refused with a message), and what a read-only registry is missing."""
    if store is not None and store.is_busy():
        st.warning(
            md(
                "**The store is busy: another process is writing.** Every page can be read; what you send now may "
                "wait up to {} s and then be refused with a message (your input stays) — try again shortly.",
                f"{store_wait():g}",
            ),
            icon=":material/hourglass_top:",
        )
    if store is not None and store.read_only:
        st.warning(
            md(
                "**{}** Every page can be read; anything you send is refused with a message "
                "(the store is read-only because {}).",
                READ_ONLY_MESSAGE,
                store.read_only_reason,
            ),
            icon=":material/lock:",
        )
    if registry_note:
        st.warning(md("{}. Showing what is registered.", registry_note), icon=":material/lock:")


def render_orientation(store: FeedbackStore | None, identity: Identity, dismissed: set[str]) -> None:
    """A short orientation on the first visit, until the person says they have it."""
    if ORIENTATION_ITEM in dismissed:
        return
    from pages._ui.guide import ORIENTATION

    with st.expander("Welcome to Involve — a one-minute orientation", expanded=True, icon=":material/waving_hand:"):
        st.markdown(ORIENTATION)
        if st.button("Got it", key="orientation_done"):
            dismiss_items(store, identity, [ORIENTATION_ITEM])
            st.rerun()
