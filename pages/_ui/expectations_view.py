"""What Reviews shows after a round: the adjudication queue with its form, and every iteration against the
expectations reviewers agreed on."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from demo_models.iterations.evaluation import Evaluation
from demo_models.metrics.expectations import expectations_frame
from demo_models.reviews.expectations import adjudication_queue, check_iterations, record_adjudication
from feedback.access import PERMISSIONS, AccessError
from feedback.rounds import ReviewRound, RoundError
from feedback.store.database import FeedbackStore, StoreError
from pages._ui.context import PageContext
from pages._ui.flash import confirm_and_rerun
from pages._ui.text import md, plain


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
            "No expectation yet: the cases reviewers agree on with the model when a round closes, and the cases "
            "adjudicated afterwards, become expectations every iteration is tested against."
        )
        return
    st.caption(
        md(
            "{} expectation(s) from review rounds ({} unanimous, {} adjudicated); the latest per case counts.",
            len({e.case_id for e in expectations}),
            sum(e.source == "unanimous" for e in expectations),
            sum(e.source == "adjudicated" for e in expectations),
        )
    )
    st.dataframe(expectations_frame(checks), hide_index=True)
    for check in checks:
        if check.broken:
            with st.expander(md("{}: {} broken", check.iteration, len(check.broken))):
                st.dataframe(
                    pd.DataFrame(
                        {
                            ctx.use_case.words.case.capitalize(): [b.case_id for b in check.broken],
                            "Expected": [b.expected for b in check.broken],
                            "Decides": [b.decided for b in check.broken],
                            "From": [f"round #{b.round_id}, {b.source}" for b in check.broken],
                            "Why expected": [b.reason for b in check.broken],
                        }
                    ),
                    hide_index=True,
                )
