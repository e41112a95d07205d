"""The iterations of a use case as a timeline: versions, status badges, dates, notes."""

from __future__ import annotations

import streamlit as st

from feedback.lifecycle import LifecycleEvent
from pages._ui.shell import PageContext
from pages._ui.text import escape_markdown

BADGE_COLOURS = {"live": "green", "candidate": "blue", "deprecated": "orange", "retired": "gray"}


def live_announcement(ctx: PageContext, events: list[LifecycleEvent]) -> LifecycleEvent | None:
    """The event that made the current live iteration live, if there is one."""
    live = [v for v, s in ctx.statuses.items() if s == "live"]
    promotions = [e for e in events if e.to_status == "live" and live and e.iteration == live[0]]
    return promotions[-1] if promotions else None


def render_timeline(ctx: PageContext, events: list[LifecycleEvent]) -> None:
    """Newest first: each iteration with its status, dates, lineage, notes and last lifecycle change."""
    last_change = {e.iteration: e for e in events}
    for card in reversed(ctx.cards):
        status = ctx.statuses.get(card.version, "candidate")
        colour = BADGE_COLOURS.get(status, "gray")
        lineage = f" · built on {escape_markdown(card.parent)}" if card.parent else ""
        st.markdown(
            f"**{escape_markdown(card.version)}** :{colour}-badge[{status}] · registered "
            f"{card.created[:10]} by {escape_markdown(card.author)}{lineage} · "
            f"{escape_markdown(card.model_type)}"
        )
        st.caption(escape_markdown(card.notes) if card.notes else "No notes.")
        event = last_change.get(card.version)
        if event is not None:
            extra = ""
            if event.sunset_date:
                extra = f" Sunset {event.sunset_date:%Y-%m-%d}, replaced by {event.replacement}."
            st.caption(
                f"{event.from_status} → {event.to_status} on {event.created_at:%Y-%m-%d %H:%M} UTC by "
                + escape_markdown(f"{event.actor_name} ({event.actor_role}): {event.reason}{extra}")
            )
