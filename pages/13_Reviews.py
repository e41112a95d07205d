"""Reviews: rounds of review of an iteration by named people — create, answer blind first, see the results."""

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from demo_models.formats import format_number, format_share
from demo_models.iterations.round_results import agreement_table, round_results
from demo_models.reviews.expectations import close_and_keep
from demo_models.reviews.rounds import choose_cases, start_round
from demo_models.reviews.selection import STRATEGIES, SelectionError
from feedback.access import PERMISSIONS, AccessError
from feedback.records import CATEGORIES, ROLES, VERDICTS
from feedback.rounds import (
    ReviewRound,
    RoundError,
    Verdict,
    describe_progress,
    parse_reviewer_lines,
    resolve_reviewers,
    resume_position,
    rounds_of_reviewer,
)
from feedback.store.database import StoreError
from feedback.store.rounds import known_people, list_rounds, my_queue, save_own_decision, save_verdict
from pages._ui.context import setup_page
from pages._ui.expectations_view import render_adjudication, render_expectations
from pages._ui.flash import confirm_and_rerun, show_confirmation
from pages._ui.loaders import load_scored
from pages._ui.review_case import render_case_inputs, render_reveal
from pages._ui.store_guard import require_store
from pages._ui.text import md, plain

ctx = setup_page("Reviews")
use_case, actor = ctx.use_case, ctx.identity.actor
words = use_case.words
cards = {c.version: c for c in ctx.cards}
decisions = [use_case.negative_decision, use_case.positive_decision]
st.title("Review rounds")
st.caption(
    "Show an iteration to named reviewers on chosen cases: each first decides on the case's inputs alone, then sees "
    "the model's decision and why, and says whether they agree."
)
store = require_store(ctx, "Review rounds are")
show_confirmation()
rounds = list_rounds(store, use_case.name)


def _scored_of(version: str):
    """The round's iteration, scored (the page stops with a clear message if it left the registry)."""
    if version not in cards:
        st.error(md("Iteration {} of this round is no longer in the registry.", version))
        st.stop()
    return load_scored(ctx, cards[version])


def _label(round_: ReviewRound) -> str:
    return f"#{round_.id} {round_.name} · {round_.iteration} · {round_.status}, due {round_.due_date:%Y-%m-%d}"


# --- a new round (data scientists and admins) --------------------------------------------------
st.header("New round")
if actor.role not in PERMISSIONS["create rounds"]:
    st.caption(md("Rounds are created by: {}.", ", ".join(PERMISSIONS["create rounds"])))
else:
    c1, c2, c3 = st.columns(3)
    iteration = c1.selectbox("Iteration", ctx.versions, index=ctx.versions.index(ctx.card.version), key="nr_iteration")
    others = ["none", *(v for v in ctx.versions if v != iteration)]
    parent = cards[iteration].parent if cards[iteration].parent in others else "none"
    compared = c2.selectbox("Compare with", others, index=others.index(parent), key="nr_compare")
    due = c3.date_input("Due", value=date.today() + timedelta(days=7), min_value=date.today(), key="nr_due")
    name = st.text_input("Name", key="nr_name", max_chars=200, placeholder="e.g. v3 with credit officers")
    purpose = st.text_area("Purpose", key="nr_purpose", placeholder="What this round should tell you.")
    people = known_people(store)
    r1, r2 = st.columns(2)
    picked = r1.multiselect(
        "Reviewers", people, format_func=lambda p: f"{p.name} ({p.role})", key="nr_people", placeholder="Known people"
    )
    roles = r2.multiselect("Every known person of the roles", ROLES, key="nr_roles")
    typed = st.text_area("Other reviewers, one a line: name, role", key="nr_typed", placeholder="Ann Example, risk")
    n1, n2, n3 = st.columns(3)
    per = n1.number_input("Cases per reviewer", 1, 1000, 10, key="nr_per")
    overlap = n2.number_input("Overlap (reviewers per case)", 1, 100, 2, key="nr_overlap")
    seed = n3.number_input("Seed", 0, 2**31 - 1, 1, key="nr_seed")
    st.caption("Quotas: how many cases each strategy chooses (a case is taken by the first strategy that chooses it).")
    q = st.columns(len(STRATEGIES))
    quotas = {
        s: int(q[i].number_input(plain(s.capitalize()), 0, 10000, 5, key=f"nr_q_{s}", help=plain(STRATEGIES[s])))
        for i, s in enumerate(STRATEGIES)
    }
    try:
        reviewers = resolve_reviewers([*picked, *parse_reviewer_lines(typed)], roles, people)
    except RoundError as err:
        st.error(plain(err))
        st.stop()
    st.caption(
        md(
            "{} reviewer{} × {} cases ÷ overlap {} = room for {} cases; the quotas ask for {}.",
            len(reviewers),
            "" if len(reviewers) == 1 else "s",
            int(per),
            int(overlap),
            len(reviewers) * int(per) // int(overlap),
            sum(quotas.values()),
        )
    )
    params = (iteration, compared, tuple(sorted(quotas.items())), int(seed))
    if st.button("Choose the cases", key="nr_choose"):
        other = load_scored(ctx, cards[compared]) if compared != "none" else None
        try:
            st.session_state["nr_selection"] = (
                params,
                choose_cases(store, load_scored(ctx, cards[iteration]), quotas, int(seed), other),
            )
        except (SelectionError, StoreError) as err:
            st.error(plain(err))
    chosen = st.session_state.get("nr_selection")
    if chosen is not None and chosen[0] == params:
        selection = chosen[1]
        for strategy, reason in selection.shortfall.items():
            st.warning(md("{}: {}", strategy, reason))
        st.dataframe(
            selection.cases.reset_index().rename(columns={"case_id": "Case", "strategy": "Strategy", "why": "Why"}),
            hide_index=True,
            key="nr_cases",
        )
        if st.button("Create the round", type="primary", key="nr_create"):
            draft = ReviewRound(
                use_case.name,
                iteration,
                name,
                purpose,
                due,
                reviewers,
                int(per),
                int(overlap),
                int(seed),
                actor.subject or "",
                actor.name,
                compared_to=None if compared == "none" else compared,
            )
            try:
                created, assignment = start_round(store, draft, selection, actor, ctx.versions)
            except (RoundError, AccessError, StoreError) as err:
                st.error(plain(err))
            else:
                del st.session_state["nr_selection"]
                note = " ".join(assignment.shortfall)
                confirm_and_rerun(md("Round “{}” created. {}", created.name, note))
    elif chosen is not None:
        st.caption("The iteration, quotas or seed changed: choose the cases again.")

# --- my reviews ---------------------------------------------------------------------------------
st.header("My reviews")
mine = rounds_of_reviewer(rounds, actor)
if not mine:
    st.caption("You are not a reviewer of any round of this use case (say who you are in the sidebar).")
else:
    current = st.selectbox("Round", mine, format_func=_label, key="my_round")
    queue = my_queue(store, current.id, actor)
    answered = sum(item.state == "answered" for item in queue)
    st.progress(answered / len(queue) if queue else 0.0, text=describe_progress(queue))
    position_key = f"my_position_{current.id}"
    if position_key not in st.session_state or not 0 <= st.session_state[position_key] < len(queue):
        st.session_state[position_key] = resume_position(queue)
    b1, b2, b3 = st.columns(3)
    if b1.button("Previous", key="my_previous", disabled=st.session_state[position_key] == 0):
        st.session_state[position_key] -= 1
    if b2.button("Next", key="my_next", disabled=st.session_state[position_key] >= len(queue) - 1):
        st.session_state[position_key] += 1
    if b3.button("Resume where I left off", key="my_resume"):
        st.session_state[position_key] = resume_position(queue)
    item = queue[st.session_state[position_key]]
    scored = _scored_of(current.iteration)
    st.subheader(md("{} {} · {} of {}", words.case.capitalize(), item.case_id, item.position + 1, len(queue)))
    is_open = current.status == "open"
    if not is_open:
        st.info("This round is closed: answers can no longer be given or changed.")
    if item.answer is None and is_open:
        st.caption("First your own decision, on the inputs alone; the model's decision and why are shown after it.")
        render_case_inputs(use_case, scored.features.loc[item.case_id])
        with st.form(f"own_{current.id}_{item.case_id}"):
            own = st.radio("Your decision", decisions, index=None, horizontal=True, key=f"own_decision_{item.case_id}")
            confidence = st.slider(
                "Your confidence (1 = a guess, 5 = certain)", 1, 5, 3, key=f"own_confidence_{item.case_id}"
            )
            if st.form_submit_button("Save my decision and show the model's", type="primary"):
                try:
                    save_own_decision(store, current.id, item.case_id, actor, own, confidence, decisions=decisions)
                except (RoundError, AccessError, StoreError) as err:
                    st.error(plain(err))
                else:
                    confirm_and_rerun("Your decision is saved; here is the model's.")
    else:
        answer = item.answer
        if answer is None:
            st.caption("You did not answer this case before the round closed.")
        else:
            st.info(
                md(
                    "Your decision before the reveal: **{}** (confidence {} of 5).",
                    answer.own_decision,
                    answer.own_confidence,
                )
            )
        render_reveal(scored.explain_case(item.case_id), use_case, f"review_waterfall_{item.case_id}")
        with st.expander("The case's inputs"):
            render_case_inputs(use_case, scored.features.loc[item.case_id])
        if is_open:
            with st.form(f"verdict_{current.id}_{item.case_id}"):
                verdict = st.radio(
                    "Do you agree with the model's decision?",
                    VERDICTS,
                    index=VERDICTS.index(answer.verdict) if answer.verdict else None,
                    horizontal=True,
                    key=f"verdict_verdict_{item.case_id}",
                )
                outcomes = {"not sure": None, words.positive_state: "positive", words.negative_state: "negative"}
                expected = st.selectbox(
                    "The outcome you expect",
                    list(outcomes),
                    index=list(outcomes.values()).index(answer.expected_outcome),
                    key=f"verdict_expected_{item.case_id}",
                )
                chosen_categories = st.multiselect(
                    "About", CATEGORIES, default=list(answer.categories), key=f"verdict_about_{item.case_id}"
                )
                clarity = st.slider(
                    "How clear is the explanation (1-5)?",
                    1,
                    5,
                    answer.clarity or 3,
                    key=f"verdict_clarity_{item.case_id}",
                )
                comment = st.text_area("Comment", value=answer.comment, key=f"verdict_comment_{item.case_id}")
                if st.form_submit_button("Save my verdict", type="primary"):
                    try:
                        save_verdict(
                            store,
                            current.id,
                            item.case_id,
                            actor,
                            Verdict(verdict, outcomes[expected], tuple(chosen_categories), clarity, comment),
                        )
                    except (RoundError, AccessError, StoreError) as err:
                        st.error(plain(err))
                    else:
                        if st.session_state[position_key] < len(queue) - 1:
                            st.session_state[position_key] += 1
                        confirm_and_rerun("Your verdict is saved.")

# --- round results ------------------------------------------------------------------------------
st.header("Round results")
if not rounds:
    st.caption(md("No review round of {} yet.", use_case.title))
    st.header("Expectations")  # pinned on Explore, before any round
    render_expectations(ctx, store)
    st.stop()
shown = st.selectbox("Round", rounds, format_func=_label, key="results_round")
results = round_results(store, shown.id, actor, _scored_of(shown.iteration))
st.markdown(md("**Purpose:** {}", shown.purpose))
st.caption(md("Created by {} · compared with {}", shown.created_by_name, shown.compared_to or "no other iteration"))
completion = results.completion
st.dataframe(
    pd.DataFrame(
        {
            "Reviewer": completion["reviewer"],
            "Role": completion["role"],
            "Progress": [f"{a} of {n} answered" for a, n in zip(completion["answered"], completion["assigned"])],
            "Own decisions": [f"{d} of {n}" for d, n in zip(completion["decided"], completion["assigned"])],
        }
    ),
    hide_index=True,
)
summary = results.agreement
if summary is None:
    st.info(plain(results.why_no_agreement))
else:

    def _interval(low: float, high: float, show=format_number) -> str:
        return "no interval" if pd.isna(low) else f"95 % interval {show(low)} to {show(high)}"

    a1, a2, a3, a4 = st.columns(4)
    a1.metric(
        "Krippendorff's alpha",
        format_number(summary.alpha.value),
        _interval(summary.alpha.low, summary.alpha.high),
        delta_color="off",
        delta_arrow="off",
    )
    a2.metric("Fleiss' kappa", format_number(summary.fleiss.value), delta_color="off")
    rate = summary.with_model
    a3.metric(
        "Agreement with the model",
        format_share(rate.rate),
        _interval(rate.low, rate.high, format_share),
        delta_color="off",
        delta_arrow="off",
    )
    a4.metric("Mind changed by the reveal", format_share(summary.changed_mind.rate), delta_color="off")
    for coefficient, label in ((summary.alpha, "Krippendorff's alpha"), (summary.fleiss, "Fleiss' kappa")):
        if coefficient.note:
            st.caption(md("{}: {}", label, coefficient.note))
    st.caption(md("Clarity of the explanations: {} of 5 on average.", format_number(summary.clarity_mean)))
    verdicts = ", ".join(f"{count} {verdict}" for verdict, count in summary.verdicts.items())
    st.caption(md("Verdicts after the reveal: {}.", verdicts))
    st.dataframe(agreement_table(summary), hide_index=True)
    if summary.split_cases:
        st.markdown(md("**Cases the reviewers split on:** {}", ", ".join(map(str, summary.split_cases))))
if not results.answers.empty:
    st.subheader("Answers" if shown.status == "closed" else "Your answers (the others' show when the round closes)")
    view = results.answers
    st.dataframe(
        pd.DataFrame(
            {
                "Case": view["case_id"],
                "Reviewer": view["reviewer"],
                "Own decision": view["own_decision"],
                "Model's decision": view["decision"],
                "Verdict": view["verdict"].fillna(""),
                "Comment": view["comment"],
            }
        ),
        hide_index=True,
    )
if shown.status == "open" and (actor.role == "admin" or actor.subject == shown.created_by_subject):
    if st.button("Close the round", key="results_close"):
        try:
            _, kept = close_and_keep(store, shown.id, actor, _scored_of(shown.iteration))
        except (RoundError, AccessError, StoreError) as err:
            st.error(plain(err))
        else:
            confirm_and_rerun(
                md(
                    "Round “{}” closed: everyone's answers are visible now; {} unanimous case(s) kept as expectations.",
                    shown.name,
                    len(kept),
                )
            )
if shown.status == "closed":
    render_adjudication(ctx, store, shown, _scored_of(shown.iteration))

# --- expectations ---------------------------------------------------------------------------------
st.header("Expectations")
render_expectations(ctx, store)
