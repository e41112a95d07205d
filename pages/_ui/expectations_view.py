"""What Reviews shows after a round: the adjudication queue with its form, and every iteration against the
expectations reviewers agreed on (with the control that retires one); "vN meets X of Y expectations" on Home
and Compare; pinning a case as an expectation on Explore."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from demo_models.formats import UNDEFINED
from demo_models.iterations.evaluation import Evaluation
from demo_models.iterations.registry import IterationCard
from demo_models.metrics.expectations import ExpectationCheck, expectations_frame, lines_frame, retired_frame
from demo_models.reviews.expectations import (
    adjudication_queue,
    check_iterations,
    expectation_on,
    pin_case,
    record_adjudication,
)
from feedback.access import PERMISSIONS, AccessError
from feedback.expectations import SOURCE_LABELS, ExpectationBook, ExpectationError
from feedback.rounds import ReviewRound, RoundError
from feedback.store.database import FeedbackStore, StoreError
from feedback.store.expectations import read_expectation_book, retire_expectation
from pages._ui.context import PageContext
from pages._ui.flash import confirm_and_rerun
from pages._ui.text import md, plain

RECORDED = "_adjudication_recorded"  # set when an agreed outcome is saved: the form is emptied on the next run


def render_adjudication(ctx: PageContext, store: FeedbackStore, round_: ReviewRound, scored: Evaluation) -> None:
    """The round's cases to adjudicate (split, or all against the model) and, for a role that adjudicates,
    the form that records the agreed outcome with a reason."""
    actor, words = ctx.identity.actor, ctx.use_case.words
    st.subheader("Adjudication")
    try:
        queue = adjudication_queue(store, round_.id, actor, scored)
    except RoundError as err:
        st.error(plain(err))
        return
    if queue.cases.empty:
        st.caption(plain(queue.why_empty))
        return
    view = queue.cases.reset_index()
    st.dataframe(
        pd.DataFrame(
            {
                words.case.capitalize(): view["case_id"],
                "Why": view["why"],
                "Model's decision": view["model"],
                "What the reviewers said": view["reviewers"],
                "Agreed outcome": view["adjudicated"].replace("", "waiting"),
                "By": view["by"],
                "Reason": view["reason"],
            }
        ),
        hide_index=True,
        key=f"adjudication_{round_.id}",
    )
    waiting = queue.waiting
    if not waiting:
        st.caption("Every case of this round is adjudicated; each is kept as an expectation.")
        return
    if actor.role not in PERMISSIONS["adjudicate"]:
        st.caption(md("{} case(s) wait for adjudication by: {}.", len(waiting), ", ".join(PERMISSIONS["adjudicate"])))
        return
    mine = queue.waiting_for(actor)
    if not mine:
        st.caption(md("You reviewed the {} case(s) waiting: someone who did not adjudicates them.", len(waiting)))
        return
    decisions = [ctx.use_case.negative_decision, ctx.use_case.positive_decision]
    if st.session_state.pop(RECORDED, False):  # the next case starts blank, not with the last one's answer
        st.session_state.update(adj_decision=None, adj_reason="")
        st.session_state.pop("adj_case", None)
    with st.form(f"adjudicate_{round_.id}"):
        case_id = st.selectbox(plain(words.case.capitalize()), mine, key="adj_case")
        decision = st.radio("The agreed decision", decisions, index=None, horizontal=True, key="adj_decision")
        reason = st.text_area("Why this is the agreed outcome", key="adj_reason")
        if st.form_submit_button("Record the agreed outcome", type="primary"):
            try:
                record_adjudication(store, queue, case_id, actor, decision, reason, scored)
            except (RoundError, AccessError, StoreError) as err:
                st.error(plain(err))
            else:
                st.session_state[RECORDED] = True
                confirm_and_rerun(md("{} adjudicated: {}. It is kept as an expectation.", case_id, decision))


def render_expectations(ctx: PageContext, store: FeedbackStore) -> None:
    """Every iteration of the use case against the expectations in force: met / broken, the broken cases."""
    try:
        checks, expectations = check_iterations(store, ctx.use_case.name, ctx.cards, ctx.registry_dir)
    except (StoreError, OSError) as err:
        st.error(md("The expectations cannot be checked: {}", err))
        return
    if not expectations:
        st.caption(
            "No expectation yet: the cases reviewers agree on with the model when a round closes, the cases "
            "adjudicated afterwards, and the cases pinned on Explore become expectations every iteration is tested "
            "against."
        )
        render_retired(ctx, read_expectation_book(store, ctx.use_case.name))
        return
    st.caption(
        md(
            "{} expectation(s) in force ({} unanimous, {} adjudicated, {} pinned); the latest per case counts, "
            "a retired one no longer does.",
            len({e.case_id for e in expectations}),
            sum(e.source == "unanimous" for e in expectations),
            sum(e.source == "adjudicated" for e in expectations),
            sum(e.source == "pinned" for e in expectations),
        )
    )
    st.dataframe(expectations_frame(checks), hide_index=True)
    for check in checks:
        if check.broken:
            with st.expander(md("{}: {} broken", check.iteration, len(check.broken))):
                st.dataframe(broken_frame(ctx, check), hide_index=True)
    book = read_expectation_book(store, ctx.use_case.name)
    render_retire_form(ctx, store, book)
    render_retired(ctx, book)


def render_retire_form(ctx: PageContext, store: FeedbackStore, book: ExpectationBook) -> None:
    """The expectations in force and, for a role that may, the form that retires one with a reason."""
    with st.expander(md("The {} expectation(s) in force", len(book.in_force))):
        st.dataframe(
            pd.DataFrame(
                {
                    "#": [e.id for e in book.in_force],
                    ctx.use_case.words.case.capitalize(): [e.case_id for e in book.in_force],
                    "Should be": [ctx.use_case.words.past(e.expected_decision) for e in book.in_force],
                    "Source": [e.source_label for e in book.in_force],
                    "By": [e.author_name for e in book.in_force],
                    "From": [e.origin for e in book.in_force],
                    "Why": [e.reason for e in book.in_force],
                }
            ),
            hide_index=True,
            key="expectations_in_force",
        )
        actor = ctx.identity.actor
        if actor.role not in PERMISSIONS["retire expectations"]:
            st.caption(md("An expectation is retired by: {}.", ", ".join(PERMISSIONS["retire expectations"])))
            return
        by_id = {e.id: e for e in book.in_force}
        with st.form("retire_expectation"):
            chosen = st.selectbox(
                "Expectation to retire",
                list(by_id),
                index=None,
                format_func=lambda i: f"#{i} · {by_id[i].case_id} should be {by_id[i].expected_decision}",
                key="retire_which",
            )
            reason = st.text_area("Why it no longer holds", key="retire_reason")
            if st.form_submit_button("Retire the expectation"):
                if chosen is None:
                    st.error("Choose the expectation to retire.")
                    return
                try:
                    retire_expectation(store, chosen, actor, reason)
                except (ExpectationError, AccessError, StoreError) as err:
                    st.error(plain(err))
                else:
                    confirm_and_rerun(
                        md("Expectation #{} on {} retired: it no longer counts.", chosen, by_id[chosen].case_id)
                    )


def render_retired(ctx: PageContext, book: ExpectationBook) -> None:
    """The history of retired expectations: what was expected, from where, retired by whom, when and why."""
    retired = book.retired
    if not retired:
        return
    with st.expander(md("{} retired expectation(s)", len(retired))):
        st.dataframe(
            pd.DataFrame(
                {
                    "#": [e.id for e, _ in retired],
                    ctx.use_case.words.case.capitalize(): [e.case_id for e, _ in retired],
                    "Was expected": [ctx.use_case.words.past(e.expected_decision) for e, _ in retired],
                    "Source": [e.source_label for e, _ in retired],
                    "By": [e.author_name for e, _ in retired],
                    "From": [e.origin for e, _ in retired],
                    "Retired by": [f"{r.actor_name} ({r.actor_role})" for _, r in retired],
                    "When (UTC)": [f"{r.created_at:%Y-%m-%d %H:%M}" for _, r in retired],
                    "Why retired": [r.reason for _, r in retired],
                }
            ),
            hide_index=True,
            key="expectations_retired",
        )


def render_expectations_met(ctx: PageContext, cards: list[IterationCard], key: str) -> None:
    """ "vN meets X of Y expectations; these Z now contradict what reviewers agreed", per iteration of
    `cards` ("—" while none can be checked), with the broken cases."""
    if ctx.store is None:
        st.caption(md("Expectations are unavailable: {}", ctx.store_error))
        return
    try:
        checks, expectations = check_iterations(ctx.store, ctx.use_case.name, cards, ctx.registry_dir)
    except (StoreError, OSError) as err:
        st.error(md("The expectations cannot be checked: {}", err))
        return
    for column, check in zip(st.columns(len(checks)), checks):
        column.metric(
            md("Expectations met: {}", check.iteration),
            f"{check.met} of {check.checked}" if check.checked else UNDEFINED,
            help="Cases reviewers agreed on (or adjudicated, or pinned on Explore) that this iteration decides as "
            "expected, of those it was evaluated on. —: no expectation can be checked.",
        )
    if not expectations:
        st.caption("No expectations yet: they come from review rounds (Reviews) and from cases pinned on Explore.")
    for check in checks if expectations else []:
        st.markdown(plain(check.describe() + retired_note(check)))
        if check.broken:
            st.dataframe(broken_frame(ctx, check), hide_index=True, key=f"{key}_broken_{check.iteration}")
        with st.expander(md("Each expectation {} is checked against, and where it came from", check.iteration)):
            render_expectation_tables(ctx, lines_frame(check), None, f"{key}_{check.iteration}")
    if checks and checks[0].retired:
        with st.expander(md("{} retired expectation(s), not counted", len(checks[0].retired))):
            render_expectation_tables(ctx, None, retired_frame(checks[0]), key)


def render_expectation_tables(
    ctx: PageContext, lines: pd.DataFrame | None, retired: pd.DataFrame | None, key: str
) -> None:
    """Each expectation in force (met, broken or not checked; from a round agreement, an adjudication or pinned
    from Explore, by whom) and, apart, the retired ones with who retired them and why (they do not count)."""
    case = ctx.use_case.words.case.capitalize()
    if lines is not None and lines.empty:
        st.caption("No expectation in force.")
    elif lines is not None:
        st.dataframe(lines.rename(columns={"Case": case}), hide_index=True, key=f"{key}_lines")
    if retired is not None and not retired.empty:
        st.markdown(md("**Retired, not counted** ({})", len(retired)))
        st.dataframe(retired.rename(columns={"Case": case}), hide_index=True, key=f"{key}_retired")


def retired_note(check: ExpectationCheck) -> str:
    """ "; 2 retired, not counted" (or "") for a line that says what an iteration meets."""
    return f"; {len(check.retired)} retired, not counted" if check.retired else ""


def render_pin_form(ctx: PageContext, scored: Evaluation, case_id: str) -> None:
    """On Explore: "this case should be approved / declined" with a reason, kept as an expectation of the
    use case that every iteration is checked against (for a role that may pin)."""
    actor = ctx.identity.actor
    st.subheader("Pin as an expectation")
    if ctx.store is None:
        st.caption(md("Pinning is unavailable: {}", ctx.store_error))
        return
    in_force = st.empty()  # filled after the form, so that a pin just saved shows
    try:
        _show_in_force(ctx, case_id, in_force)
        if actor.role in PERMISSIONS["pin expectations"]:
            _pin_form(ctx, scored, case_id)
            _show_in_force(ctx, case_id, in_force)
        else:
            st.caption(md("A case is pinned as an expectation by: {}.", ", ".join(PERMISSIONS["pin expectations"])))
    except StoreError as err:
        st.error(md("The expectations cannot be read: {}", err))


def _show_in_force(ctx: PageContext, case_id: str, slot: DeltaGenerator) -> None:
    """The expectation in force on the case (or that there is none), in `slot`."""
    words = ctx.use_case.words
    current = expectation_on(ctx.store, ctx.use_case.name, case_id)
    if current is None:
        slot.caption(md("No expectation on this {} yet.", words.case))
    else:
        slot.info(
            md(
                "Expected: this {} should be **{}** ({}): {}",
                words.case,
                words.past(current.expected_decision),
                current.origin,
                current.reason,
            )
        )


def _pin_form(ctx: PageContext, scored: Evaluation, case_id: str) -> None:
    """The form: the decision in the use case's words, a reason; saved by `pin_case`."""
    words, actor = ctx.use_case.words, ctx.identity.actor
    decisions = [ctx.use_case.negative_decision, ctx.use_case.positive_decision]
    with st.form(f"pin_{case_id}"):
        decision = st.radio(
            md("This {} should be", words.case),
            decisions,
            index=None,
            format_func=words.past,
            horizontal=True,
            key="pin_decision",
        )
        reason = st.text_area("Why", key="pin_reason")
        if st.form_submit_button("Pin as an expectation"):
            try:
                pinned = pin_case(ctx.store, scored, case_id, actor, decision, reason)
            except (ExpectationError, AccessError, StoreError) as err:
                st.error(plain(err))
            else:
                st.success(
                    md(
                        "Pinned: {} {} should be {} ({}). Every iteration of {} is checked against it.",
                        words.case,
                        case_id,
                        words.past(pinned.expected_decision),
                        pinned.reason,
                        ctx.use_case.title,
                    )
                )


def broken_frame(ctx, check) -> pd.DataFrame:
    """The cases an iteration decides against their expectation: the case, expected, decided, origin and why."""
    return pd.DataFrame(
        {
            ctx.use_case.words.case.capitalize(): [b.case_id for b in check.broken],
            "Expected": [b.expected for b in check.broken],
            "Decides": [b.decided for b in check.broken],
            "Source": [SOURCE_LABELS.get(b.source, b.source) for b in check.broken],
            "From": [b.origin for b in check.broken],
            "Why expected": [b.reason for b in check.broken],
        }
    )
