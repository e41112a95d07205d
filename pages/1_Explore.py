"""Explore: the iteration's decisions on the evaluation cases, why, and feedback on any case."""

import time

import pandas as pd
import streamlit as st

from demo_models.formats import format_share
from demo_models.iterations.scoring import (
    DECISION_COLUMN,
    OUTCOME_COLUMN,
    SCORE_COLUMN,
    SORT_ORDERS,
    filter_case_table,
)
from demo_models.metrics.errors import open_cohort_link
from demo_models.vocabulary import capitalise
from feedback.store.records import count_by_case, list_feedback
from feedback.store.telemetry import record_event
from pages._ui.cases import render_case_picker
from pages._ui.charts import render_case_waterfall
from pages._ui.context import setup_page
from pages._ui.expectations_view import render_pin_form
from pages._ui.feedback_form import render_feedback_form
from pages._ui.loaders import load_scored
from pages._ui.notice_downloads import render_notice_downloads
from pages._ui.review_case import reasons_heading
from pages._ui.tables import render_table
from pages._ui.text import join, md, plain

ctx = setup_page("Explore")
use_case, card = ctx.use_case, ctx.card
words = use_case.words
scored = load_scored(ctx)

st.title("Explore predictions")
st.caption(
    md(
        "{} · iteration **{}** · score = probability of {} · {} at or above {}",
        use_case.title,
        card.version,
        words.outcome,
        words.positive_decision,
        format_share(card.threshold, 0),
    )
)

# --- the cases ---------------------------------------------------------------------------------
table = scored.case_table()
counts = count_by_case(ctx.store, use_case.name, card.version) if ctx.store else {}
table["Feedback"] = pd.Series(counts, dtype="int64").reindex(table.index, fill_value=0)

cohort_link = st.query_params.get("cohort")
if cohort_link:
    try:
        in_cohort, cohort = open_cohort_link(scored, cohort_link)
    except ValueError as err:
        st.error(plain(err))
        del st.query_params["cohort"]
    else:
        table = table.loc[in_cohort]
        said, clear = st.columns([5, 1], vertical_alignment="center")
        said.info(md("Showing one error cohort from Outcomes: **{}** ({}).", cohort, words.count(len(table))))
        if clear.button("Show every case", key="clear_cohort"):
            del st.query_params["cohort"]
            st.rerun()

decisions = [use_case.negative_decision, use_case.positive_decision]
f1, f2, f3 = st.columns([2, 3, 2])
chosen = f1.pills("Decision", decisions, selection_mode="multi", default=decisions, key="filter_decision")
score_range = f2.slider(
    md("Score (probability of {})", words.outcome), 0.0, 1.0, (0.0, 1.0), step=0.01, key="filter_score"
)
sort = f3.selectbox("Order", SORT_ORDERS, key="filter_sort")
view = filter_case_table(table, chosen, score_range, sort)
st.caption(
    md(
        "{:,} of {} · select a row to see why (keyboard: Tab into the table, arrow keys to the row, Shift+Space to "
        "select it), or choose the case by its id below the table",
        len(view),
        words.count(len(table)),
    )
)

FIRST_COLUMNS = [
    SCORE_COLUMN,
    DECISION_COLUMN,
    OUTCOME_COLUMN,
    "Feedback",
]  # on a narrow screen the inputs scroll, not these
event = render_table(
    view,
    {},
    key="cases",
    on_select="rerun",
    selection_mode="single-row",
    height=320,
    column_order=[*FIRST_COLUMNS, *(c for c in view.columns if c not in FIRST_COLUMNS)],
    column_config={
        "case_id": st.column_config.TextColumn("Case"),
        SCORE_COLUMN: st.column_config.ProgressColumn(
            f"P({words.outcome})", min_value=0.0, max_value=1.0, format="percent"
        ),
        "Feedback": st.column_config.NumberColumn("Feedback", help="Feedback entries on this iteration"),
    },
)
rows = list(event.selection.rows)
if rows != st.session_state.get("_last_case_rows"):
    st.session_state["_last_case_rows"] = rows
    if rows and rows[0] < len(view):
        st.session_state["case_id"] = view.index[rows[0]]
        st.query_params["case"] = view.index[rows[0]]

requested = st.query_params.get("case")
if requested is not None and requested != st.session_state.get("case_id"):
    if requested in table.index:
        st.session_state["case_id"] = requested
    else:
        st.error(md("There is no case {!r} among the evaluation cases of {}.", requested, card.version))
        del st.query_params["case"]

render_case_picker(
    f"{use_case.case_noun.capitalize()} to explain", list(view.index), "case_id", "case", key="case_pick"
)
case_id = st.session_state.get("case_id")
if case_id not in table.index:
    st.info("Select a row in the table to see the score, the decision and why.")
    st.stop()

# --- one case ----------------------------------------------------------------------------------
started = time.perf_counter()
explanation = scored.explain_case(case_id)
if ctx.store is not None and st.session_state.get("_last_explained") != (card.version, case_id):
    st.session_state["_last_explained"] = (card.version, case_id)
    elapsed_ms = (time.perf_counter() - started) * 1000
    record_event(ctx.store, use_case.name, "Explore", ctx.identity.role, "explanation viewed", card.version, elapsed_ms)
st.header(md("{} {}", capitalise(words.case), case_id))
m1, m2, m3, m4 = st.columns(4)
m1.metric(md("Probability of {}", words.outcome), format_share(explanation.score))
m2.metric("Decision", explanation.decision.capitalize())
m3.metric("Threshold", format_share(explanation.threshold, 0))
m4.metric(OUTCOME_COLUMN, str(table.at[case_id, OUTCOME_COLUMN]).capitalize())

left, right = st.columns([3, 2])
render_case_waterfall(explanation, use_case, "waterfall", left)
left.caption(
    md(
        "Each bar is one input's SHAP contribution in {}: red pushes towards {}, green away from it. The bars add up "
        "exactly from the average {} to this one.",
        explanation.scale,
        words.outcome,
        words.case,
    )
)

with right:
    st.subheader(md(*reasons_heading(explanation, use_case)))
    if explanation.reasons:
        st.markdown(join("\n", (md("{}. {}", i, r.text) for i, r in enumerate(explanation.reasons, 1))))
    else:
        st.write(md("No input pushed this {} towards {}.", words.case, words.outcome))
    render_notice_downloads(scored, explanation, "notice", store=ctx.store, actor=ctx.identity.actor)
    for driver in explanation.protected_drivers:
        direction = "towards" if driver.contribution > 0 else "away from"
        st.warning(
            md(
                "Fairness warning: the protected attribute **{}** is among the top drivers of this score ({:+.2f} "
                "log-odds {} {}). A protected attribute must not drive the decision.",
                driver.text,
                driver.contribution,
                direction,
                words.outcome,
            ),
            icon="⚠️",
        )
    st.markdown(md("Disagree, or something unclear? [Go to the feedback form on {}](#feedback)", case_id))
    st.subheader("The case")
    values = explanation.values
    st.dataframe(
        pd.DataFrame(
            {
                "Input": [use_case.label(c) for c in values.index],
                "Value": [use_case.describe_value(c, v) for c, v in values.items()],
            }
        ),
        hide_index=True,
    )

# --- feedback ----------------------------------------------------------------------------------
st.header("Feedback", anchor="feedback")
earlier = list_feedback(ctx.store, use_case.name, card.version, case_id) if ctx.store else []
if earlier:
    disagree = sum(f.verdict == "disagree" for f in earlier)
    st.markdown(
        md(
            "**{} feedback entr{}** on this case in {} already ({} disagree).",
            len(earlier),
            "y" if len(earlier) == 1 else "ies",
            card.version,
            disagree,
        )
    )
    with st.expander("What others said"):
        st.dataframe(
            pd.DataFrame(
                {
                    "When (UTC)": [f.created_at.strftime("%Y-%m-%d %H:%M") for f in earlier],
                    "Who": [f"{f.reviewer_name} ({f.reviewer_role})" for f in earlier],
                    "Verdict": [f.verdict for f in earlier],
                    "About": [", ".join(f.categories) for f in earlier],
                    "Comment": [f.comment for f in earlier],
                    "Status": [f.triage_status for f in earlier],
                }
            ),
            hide_index=True,
        )
else:
    st.caption(md("No feedback on this case in {} yet.", card.version))
render_feedback_form(ctx, explanation, explanation.reasons)

# --- pin as an expectation ----------------------------------------------------------------------
render_pin_form(ctx, scored, case_id)
