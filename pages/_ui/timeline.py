"""The iterations of a use case as a timeline: versions, status badges, dates, notes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import streamlit as st

from feedback.hypotheses import CONFIRMED, REFUTED
from feedback.lifecycle import LifecycleEvent
from pages._ui.context import PageContext
from pages._ui.text import md, plain

if TYPE_CHECKING:
    from demo_models.iterations.hypotheses import HypothesisJudgement

OUTCOME_ICONS = {CONFIRMED: ":material/check_circle:", REFUTED: ":material/cancel:"}
BADGE_COLOURS = {"live": "green", "candidate": "blue", "deprecated": "orange", "retired": "gray"}


def live_announcement(ctx: PageContext, events: list[LifecycleEvent]) -> LifecycleEvent | None:
    """The event that made the current live iteration live, if there is one."""
    live = [v for v, s in ctx.statuses.items() if s == "live"]
    promotions = [e for e in events if e.to_status == "live" and live and e.iteration == live[0]]
    return promotions[-1] if promotions else None


def render_hypothesis(judgement: HypothesisJudgement) -> None:
    """The hypothesis an iteration tests, who stated it, and each claim's verdict (confirmed, refuted, waiting)."""
    from demo_models.iterations.hypotheses import describe_verdict

    stated = judgement.hypothesis
    st.markdown(md("**Hypothesis** — {} ({})", stated.statement, judgement.summary()))
    for verdict in judgement.verdicts:
        icon = OUTCOME_ICONS.get(verdict.outcome, ":material/hourglass_empty:")  # the code's own markdown
        st.markdown(md("- " + icon + " {}", describe_verdict(verdict)))
    st.caption(
        md("Stated by {} ({}) on {:%Y-%m-%d %H:%M} UTC.", stated.author_name, stated.author_role, stated.created_at)
    )


def render_timeline(
    ctx: PageContext, events: list[LifecycleEvent], judgements: Mapping[str, HypothesisJudgement] | None = None
) -> None:
    """Newest first: each iteration with its status, dates, lineage, notes, the hypothesis it tests (judged)
    and its last lifecycle change."""
    last_change = {e.iteration: e for e in events}
    for card in reversed(ctx.cards):
        status = ctx.statuses.get(card.version, "candidate")
        colour = BADGE_COLOURS.get(status, "gray")
        lineage = md(" · built on {}", card.parent) if card.parent else ""
        st.markdown(
            md(
                "**{}** :{}-badge[{}] · registered {} by {}{} · {}",
                card.version,
                colour,
                status,
                card.created[:10],
                card.author,
                lineage,
                card.model_type,
            )
        )
        st.caption(plain(card.notes) if card.notes else "No notes.")
        if judgements and card.version in judgements:
            render_hypothesis(judgements[card.version])
        event = last_change.get(card.version)
        if event is not None:
            extra = ""
            if event.sunset_date:
                extra = f" Sunset {event.sunset_date:%Y-%m-%d}, replaced by {event.replacement}."
            st.caption(
                md(
                    "{} → {} on {:%Y-%m-%d %H:%M} UTC by {} ({}): {}{}",
                    event.from_status,
                    event.to_status,
                    event.created_at,
                    event.actor_name,
                    event.actor_role,
                    event.reason,
                    extra,
                )
            )
