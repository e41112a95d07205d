"""Goals: the problem, the promises and the success criteria agreed up front, and the scorecard."""

from datetime import date

import pandas as pd
import streamlit as st

from demo_models.metrics.catalogue import canonical_key, criterion_keys, criterion_specs
from feedback.access import AccessError
from feedback.goals import COMPARATOR_SIGNS, COMPARATORS, Criterion, GoalError, GoalStatement
from feedback.store.database import StoreError
from feedback.store.goals import criteria_history, remove_criterion, save_criterion, save_statement, statement_history
from pages._ui.context import setup_page
from pages._ui.expectations_view import render_expectations
from pages._ui.flash import confirm_and_rerun, show_confirmation
from pages._ui.loaders import load_scored
from pages._ui.scorecard import criteria_of, evaluate, expectations_met_of, render_scorecard
from pages._ui.store_guard import require_store
from pages._ui.text import md

ctx = setup_page("Goals")
use_case = ctx.use_case
st.title("Goals")
st.caption(
    "Ask before building: what problem the model must solve, who uses its output in which decision, "
    "and how success is measured. Every iteration is judged against exactly these criteria."
)
require_store(ctx, "Goals are")
show_confirmation()


# --- the problem -------------------------------------------------------------------------------
st.header("The problem")
statements = statement_history(ctx.store, use_case.name)
current = statements[-1] if statements else None
if current:
    st.markdown(md("**Problem.** {}", current.problem))
    st.markdown(md("**Who uses the output, in which decision.** {}", current.users))
    if current.promises:
        st.markdown(md("**Product promises.** {}", current.promises))
    st.caption(
        md(
            "Version {}, by {} ({}), {:%Y-%m-%d %H:%M} UTC",
            len(statements),
            current.author_name,
            current.author_role,
            current.created_at,
        )
    )
else:
    st.info("No problem statement yet. Write down what the model is for before judging any iteration.")
with st.expander("Edit the problem statement" if current else "Write the problem statement", expanded=current is None):
    with st.form("statement"):
        problem = st.text_area("Problem statement", value=current.problem if current else "", key="goal_problem")
        users = st.text_area(
            "Who uses the output, in which decision", value=current.users if current else "", key="goal_users"
        )
        promises = st.text_area("Product promises", value=current.promises if current else "", key="goal_promises")
        if st.form_submit_button("Save the problem statement"):
            try:
                save_statement(
                    ctx.store,
                    GoalStatement(use_case.name, problem, users, promises, ctx.identity.name, ctx.identity.role),
                )
            except (GoalError, StoreError) as err:
                st.error(md("Not saved — {}", err))
            else:
                confirm_and_rerun("Problem statement saved.")
if len(statements) > 1:
    with st.expander(md("History ({} versions)", len(statements))):
        st.dataframe(
            pd.DataFrame(
                {
                    "When (UTC)": [s.created_at.strftime("%Y-%m-%d %H:%M") for s in statements],
                    "Who": [f"{s.author_name} ({s.author_role})" for s in statements],
                    "Problem": [s.problem for s in statements],
                    "Users": [s.users for s in statements],
                    "Promises": [s.promises for s in statements],
                }
            ).iloc[::-1],
            hide_index=True,
        )

# --- success criteria --------------------------------------------------------------------------
st.header("Success criteria")
criteria = criteria_of(ctx)
attributes = ctx.card.protected_attributes
specs = criterion_specs(use_case)
metric_keys = list(criterion_keys())
st.caption(
    "Review metrics (agreement with the model, clarity of explanations, expectations met) come from the iteration's "
    "latest closed review round and its expectations, and are judged by their 95% interval: “at least 0.8” passes "
    "only when the interval's lower bound is at least 0.8, fails when its upper bound is below 0.8, and is otherwise "
    "not yet decided — which, like no round at all, is not met."
)
options = {"new": None, **{c.key: c for c in criteria}}
chosen_key = st.selectbox(
    "Add a criterion, or pick one to change or remove",
    list(options),
    format_func=lambda k: "+ a new criterion" if k == "new" else options[k].describe(specs),
    key="criterion_pick",
)
editing = options[chosen_key]
with st.form(f"criterion_{chosen_key}"):
    left, middle, right = st.columns([3, 1, 1])
    metric = left.selectbox(
        "Metric",
        metric_keys,
        index=metric_keys.index(canonical_key(editing.metric)) if editing else 0,
        format_func=lambda k: f"{specs[k].label} — {specs[k].explanation}",
        key=f"criterion_metric_{chosen_key}",
    )
    comparator = middle.selectbox(
        "Must be",
        COMPARATORS,
        index=COMPARATORS.index(editing.comparator) if editing else 0,
        format_func=COMPARATOR_SIGNS.get,
        key=f"criterion_comparator_{chosen_key}",
    )
    target = right.number_input(
        "Target", value=float(editing.target) if editing else 0.8, format="%.4g", key=f"criterion_target_{chosen_key}"
    )
    group_options = ["(not per group)", *attributes]
    attribute = left.selectbox(
        "For the groups of (fairness metrics only)",
        group_options,
        index=group_options.index(editing.attribute) if editing and editing.attribute in attributes else 0,
        key=f"criterion_attribute_{chosen_key}",
    )
    owner = middle.text_input(
        "Owner", value=editing.owner if editing else "", max_chars=100, key=f"criterion_owner_{chosen_key}"
    )
    agreed = right.date_input(
        "Agreed on", value=editing.agreed_on if editing else date.today(), key=f"criterion_agreed_{chosen_key}"
    )
    save = st.form_submit_button("Save the criterion", type="primary")
    remove = st.form_submit_button("Remove this criterion", disabled=editing is None)
if save or remove:
    try:
        if remove:
            remove_criterion(ctx.store, editing, ctx.identity.actor, specs=specs)
            message = f"Removed: {editing.describe(specs)}."
        else:
            saved = save_criterion(
                ctx.store,
                Criterion(
                    use_case=use_case.name,
                    key=editing.key if editing else "",
                    metric=metric,
                    comparator=comparator,
                    target=target,
                    owner=owner,
                    agreed_on=agreed,
                    author_name=ctx.identity.name,
                    author_subject=ctx.identity.subject,
                    attribute=None if attribute == group_options[0] else attribute,
                ),
                attributes,
                specs=specs,
            )
            message = f"Saved: {saved.describe(specs)}."
    except (GoalError, AccessError, StoreError) as err:
        st.error(md("Not saved — {}", err))
    else:
        confirm_and_rerun(message)

history = criteria_history(ctx.store, use_case.name)
if history:
    with st.expander(md("History of the criteria ({} changes)", len(history))):
        st.dataframe(
            pd.DataFrame(
                {
                    "When (UTC)": [c.created_at.strftime("%Y-%m-%d %H:%M") for c in history],
                    "Who": [c.author_name for c in history],
                    "Criterion": [c.describe(specs) for c in history],
                    "Owner": [c.owner for c in history],
                    "Agreed on": [c.agreed_on.isoformat() for c in history],
                    "Change": ["removed" if not c.active else "set" for c in history],
                }
            ).iloc[::-1],
            hide_index=True,
        )

# --- scorecard ---------------------------------------------------------------------------------
st.header("Scorecard")
st.caption("Each iteration at its operating threshold, on its evaluation cases.")
shown = [c for c in ctx.cards if ctx.statuses.get(c.version) != "retired" or st.session_state.get("show_retired")]
render_scorecard(
    {c.version: evaluate(ctx, load_scored(ctx, c), criteria) for c in shown},
    key="scorecard",
    use_case=use_case,
    expectations=expectations_met_of(ctx, shown),
)
st.subheader("Expectations from review rounds")
st.caption("What reviewers agreed a case's decision should be (unanimous, or adjudicated), checked on each iteration.")
render_expectations(ctx, ctx.store)
