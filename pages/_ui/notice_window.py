"""The Documents page's batch of notices over a window of the use case's connected decision log: the window's
dates, how many declines the iteration made there, and the button writing their notices, with progress."""

from __future__ import annotations

import logging
import tomllib
from datetime import date

import streamlit as st

from demo_models.iterations.scoring import ScoredIteration
from demo_models.monitoring.log_notices import (
    BY_DECISION,
    WindowError,
    issue_window_batch,
    window_name,
)
from demo_models.monitoring.sources import Source
from demo_models.presentation.notices import NoticeError
from feedback.access import AccessError, Actor
from feedback.store.database import FeedbackStore, StoreError
from pages._ui.context import PageContext
from pages._ui.loaders import decision_log_of, log_days_of, window_declines_of
from pages._ui.text import md

log = logging.getLogger(__name__)

EVALUATION, WINDOW = "Evaluation cases", "Decision log window"


def connected_log(ctx: PageContext) -> Source | None:
    """The use case's decision-log source (the built-in fraud log written on first use, as Monitoring does), or
    None when none is connected (or the sources file is unreadable)."""
    try:
        return decision_log_of(ctx, ctx.use_case.name)
    except (tomllib.TOMLDecodeError, KeyError, OSError) as err:
        log.warning("the decision-log sources cannot be read: %s", err)
        return None


def choose_scope(source: Source | None) -> str:
    """ "Evaluation cases" or, where a decision log is connected, the choice of "Decision log window"."""
    if source is None:
        st.caption("No decision log is connected to this use case (Monitoring): the batch covers the evaluation cases.")
        return EVALUATION
    return st.radio("Notices for", [EVALUATION, WINDOW], horizontal=True, key="batch_scope")


def render_window_batch(
    ctx: PageContext, store: FeedbackStore, scored: ScoredIteration, source: Source, actor: Actor, allowed: bool
) -> None:
    """The window's dates, its declines by the iteration, and (for compliance or an admin) the button writing them;
    the ZIP is kept in the session as the evaluation batch's is."""
    card, use_case = scored.card, scored.use_case
    try:
        days = log_days_of(source)
    except WindowError as err:
        st.error(md("No notices: {}", err))
        return
    if days is None:
        st.info("The decision log holds no decision yet.")
        return
    first, last = days
    month_start = max(first, last.replace(day=1))
    start_col, end_col = st.columns(2)
    start = start_col.date_input("From", value=month_start, min_value=first, max_value=last, key="batch_from")
    end = end_col.date_input("To", value=last, min_value=first, max_value=last, key="batch_to")
    if not isinstance(start, date) or not isinstance(end, date):
        st.info("Choose the window's first and last day.")
        return
    if end < start:
        st.error(md("The window ends ({}) before it starts ({}).", end, start))
        return
    try:
        declines = window_declines_of(ctx, card, source, start, end)
    except WindowError as err:
        st.info(md("No notices for this window: {}", err))
        return
    count, declined = len(declines.rows), use_case.past(use_case.unfavourable_decision)
    st.caption(
        md(
            "The decisions {} made: the log's rows from {} that it served{} and {} ({}), {:,} of its {:,} decisions "
            "there. Each is scored and explained by {} from its logged inputs, so its reasons are its reason codes.",
            card.version,
            window_name(start, end),
            "" if not source.mapping.get("version") else " (by the log's version column)",
            declined,
            "by the logged decision" if declines.found_by == BY_DECISION else "by the logged score at the threshold",
            count,
            declines.window_decisions,
            card.version,
        )
    )
    if declines.not_repeated:
        st.caption(
            md(
                "{:,} logged decision(s) are not {} by {}'s own score at its threshold and get no notice: {}.",
                len(declines.not_repeated),
                declined,
                card.version,
                ", ".join(declines.not_repeated[:10]),
            )
        )
    if not allowed or not count:
        return
    if st.button(
        md("Write the {:,} notices of {} from {}", count, card.version, window_name(start, end)),
        key="batch_window_write",
    ):
        bar = st.progress(0.0, text="Writing the notices…")

        def progress(done: int, total: int) -> None:
            if done == total or done % 5 == 0:
                bar.progress(done / total, text=f"{done:,} of {total:,} notices")

        try:
            data, logged = issue_window_batch(store, scored, declines, actor, progress)
        except (AccessError, NoticeError, StoreError, OSError) as err:
            st.error(md("No notices written: {}", err))
        else:
            st.session_state["_batch"] = (card.use_case, card.version, logged.file_name, data, logged.case_count)
