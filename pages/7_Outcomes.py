"""Outcomes: errors at a threshold, ROC and precision-recall, the cost of errors, the best threshold."""

import pandas as pd
import streamlit as st

from demo_models.explanations.dependence import (
    DependenceError,
    association_warnings,
    dependence_inputs,
    dependence_notes,
)
from demo_models.formats import format_count, format_money, format_number, format_share
from demo_models.metrics.catalogue import get_metric
from demo_models.metrics.cohort_compare import cohorts_with_agreement, verdict_frame
from demo_models.metrics.costs import cost_curve, format_threshold, resolve_threshold, total_cost
from demo_models.metrics.errors import (
    ERROR_KINDS,
    describe_kind,
    rule_to_text,
)
from demo_models.metrics.outcomes import compute_curves, confusion
from demo_models.metrics.performance import headline_metrics
from demo_models.presentation.chart_text import describe_cost_curve, describe_reliability, describe_roc_pr
from demo_models.presentation.figures import build_cost_curve, build_reliability, build_roc_pr
from demo_models.presentation.report_inputs import costs_for
from demo_models.vocabulary import capitalise, with_article
from feedback.access import PERMISSIONS, AccessError
from feedback.goals import CostMatrix, GoalError
from feedback.store.database import StoreError
from feedback.store.goals import costs_history, save_costs, save_threshold, threshold_history
from feedback.store.records import list_feedback
from feedback.store.rounds import closed_answers
from pages._ui.charts import render_plotly
from pages._ui.context import setup_page
from pages._ui.data_explorer_view import render_data_explorer
from pages._ui.error_views import render_heat_map, render_side_by_side
from pages._ui.flash import confirm_and_rerun, show_confirmation
from pages._ui.loaders import (
    calibration_of,
    cohorts_of,
    dependence_of,
    latency_of,
    load_scored,
)
from pages._ui.scorecard import criteria_of
from pages._ui.tables import render_table
from pages._ui.text import md, plain

ctx = setup_page("Outcomes")
use_case, card = ctx.use_case, ctx.card
scored = load_scored(ctx)
pos, neg, words = use_case.positive_decision, use_case.negative_decision, use_case.words
st.title("Outcomes and the cost of errors")
st.caption(
    md(
        "Iteration {} on its {:,} evaluation cases. Move the threshold to see what changes; set what each kind of "
        "error costs to find the cheapest threshold.",
        card.version,
        card.n_eval,
    )
)
show_confirmation()

slider_key = f"outcome_threshold_{use_case.name}_{card.version}"
exact_key = f"_exact_threshold_{use_case.name}_{card.version}"  # the cost-optimal cut, unrounded
pending = st.session_state.pop("_pending_threshold", None)
if pending is not None:
    st.session_state[slider_key], st.session_state[exact_key] = round(pending, 3), pending
position = st.slider(
    md("Threshold: {} at or above this probability of {}", pos, words.outcome),
    0.0,
    1.0,
    value=float(round(card.threshold, 3)),
    step=0.001,
    format="%.3f",
    key=slider_key,
)
threshold = resolve_threshold(position, [st.session_state.get(exact_key), card.threshold])
if threshold != position:
    st.caption(md("Exactly {}: the slider shows it rounded to three decimals.", format_threshold(threshold)))
labels, scores = scored.iteration.labels, scored.scores.to_numpy()
metrics = headline_metrics(labels, scores, threshold)
tiles = [get_metric(key) for key in ("negative_rate", "recall", "precision", "roc_auc")]
for column, metric in zip(st.columns(4), tiles):  # each under its catalogue label, its meaning as help
    shown = f"{metrics['roc_auc']:.3f}" if metric.key == "roc_auc" else format_share(metrics[metric.key])
    column.metric(plain(metric.label(use_case)), shown, help=plain(metric.explanation(use_case)))

left, right = st.columns([2, 3])
with left:
    st.header("Decisions against outcomes")
    matrix = confusion(labels, scores, threshold)
    counts = pd.DataFrame(
        matrix.to_numpy(),
        index=[f"actually {words.negative_state}", f"actually {words.positive_state}"],
        columns=[words.negative_past, words.positive_past],
    )
    render_table(counts, dict.fromkeys(counts.columns, format_count), key="confusion")
    tn, fp, fn, tp = matrix.to_numpy().ravel()
    st.caption(
        md(
            "{} get “{}” (false positives); {} get “{}” (missed).",
            words.count(fp, words.negative_case, words.negative_cases),
            pos,
            words.count(fn, words.positive_case, words.positive_cases),
            neg,
        )
    )
with right:
    operating = {
        "fpr": fp / (fp + tn) if fp + tn else 0.0,
        "tpr": metrics["recall"],
        "recall": metrics["recall"],
        "precision": metrics["precision"],
    }
    curves = compute_curves(labels, scores)
    render_plotly(build_roc_pr(curves, operating, use_case), describe_roc_pr(curves, operating, use_case), "curves")

# --- cost of errors ----------------------------------------------------------------------------
st.header("The cost of errors")
history = costs_history(ctx.store, use_case.name) if ctx.store else []
costs = history[-1] if history else None
numeric = [c for c in scored.features.columns if pd.api.types.is_numeric_dtype(scored.features[c])]
with st.form("costs"):
    st.markdown("**What does each error cost the business?** (set by the business owner; kept with its history)")
    c1, c2, c3, c4 = st.columns(4)
    fp_cost = c1.number_input(
        md("{} wrongly {}", capitalise(with_article(words.negative_case)), words.positive_past),
        min_value=None,
        value=costs.false_positive_cost if costs else 0.0,
        step=10.0,
        key="cost_fp",
    )
    fn_cost = c2.number_input(
        md("{} wrongly {}: fixed part", capitalise(with_article(words.positive_case)), words.negative_past),
        min_value=None,
        value=costs.false_negative_cost if costs else 0.0,
        step=10.0,
        key="cost_fn",
    )
    column_options = ["(none)", *numeric]
    fn_column = c3.selectbox(
        "… plus a share of",
        column_options,
        index=column_options.index(costs.false_negative_column)
        if costs and costs.false_negative_column in numeric
        else 0,
        format_func=lambda c: c if c == "(none)" else use_case.label(c),
        key="cost_column",
    )
    fn_fraction = c4.number_input(
        "Share (0.5 = half)",
        min_value=None,
        value=costs.false_negative_fraction if costs else 0.0,
        step=0.05,
        key="cost_fraction",
    )
    currency = c1.text_input("Currency", value=costs.currency if costs else words.currency, key="cost_currency")
    if st.form_submit_button("Save the cost matrix"):
        try:
            save_costs(
                ctx.store,
                CostMatrix(
                    use_case=use_case.name,
                    false_positive_cost=fp_cost,
                    false_negative_cost=fn_cost,
                    author_name=ctx.identity.name,
                    false_negative_column=None if fn_column == "(none)" else fn_column,
                    false_negative_fraction=fn_fraction,
                    currency=currency,
                ),
            )
        except (GoalError, StoreError, AttributeError) as err:
            st.error(md("Not saved — {}", err if ctx.store else ctx.store_error))
        else:
            confirm_and_rerun("Cost matrix saved.")

case_costs_now, why = costs_for(scored, costs)
if case_costs_now is None:
    st.info(md("No expected cost yet: {}.", why))
else:
    curve = cost_curve(labels, scores, case_costs_now)
    current_total = total_cost(labels, scores, threshold, case_costs_now)
    best_total = float(curve.totals[curve.best])
    unit = f" {costs.currency}" if costs.currency else ""
    k1, k2, k3 = st.columns(3)
    k1.metric(
        "Expected cost per 1,000 cases, current threshold",
        format_money(curve.per_thousand(current_total), costs.currency),
    )
    k2.metric("… at the cost-optimal threshold", format_money(curve.per_thousand(best_total), costs.currency))
    k3.metric("Cost-optimal threshold", format_threshold(curve.optimal_threshold))
    st.button(
        "Move the threshold to the cost-optimal one",
        on_click=lambda: st.session_state.update(_pending_threshold=curve.optimal_threshold),
        key="use_optimal",
    )
    render_plotly(
        build_cost_curve(curve, threshold, current_total, unit.strip()),
        describe_cost_curve(curve, threshold, current_total, unit.strip()),
        "cost_curve",
    )
    st.caption(
        plain(
            f"Searched over all {len(curve.thresholds):,} distinct thresholds of the scores. A missed "
            f"{words.positive_case} costs {format_money(costs.false_negative_cost, costs.currency)}"
            + (
                f" plus {costs.false_negative_fraction:g} × {use_case.label(costs.false_negative_column).lower()}"
                if costs.false_negative_fraction
                else ""
            )
            + f"; a wrong “{pos}” of {with_article(words.negative_case)} costs "
            f"{format_money(costs.false_positive_cost, costs.currency)}."
        )
    )

# --- where it is wrong ------------------------------------------------------------------------
st.header("Where it is wrong")
kind = st.radio(
    "Which errors", ERROR_KINDS, format_func=lambda k: describe_kind(k, use_case), horizontal=True, key="error_kind"
)
try:
    entries = list_feedback(ctx.store, use_case.name, card.version) if ctx.store else []
except StoreError as err:
    entries = []
    st.caption(md("Feedback is unavailable, so the last column is empty: {}", err))
protected = bool(card.protected_attributes) and st.checkbox(
    md(
        "Also split on the protected attributes ({}), for a fairness review",
        ", ".join(use_case.label(a) for a in card.protected_attributes),
    ),
    key="cohorts_protected",
)
found = cohorts_of(ctx, card, threshold, kind, costs if case_costs_now is not None else None, entries, protected)
if protected:
    st.warning(
        md(
            "These cohorts may split on protected attributes ({}): use them to review fairness, never as a reason "
            "for a decision.",
            ", ".join(use_case.label(a) for a in card.protected_attributes),
        )
    )
st.caption(
    md(
        "At threshold {}: {} wrong of {} ({}). A tree of at most three conditions on the inputs splits the cases "
        "where errors concentrate; each row is one group, worst first, with a 95 % Wilson interval on its rate, the "
        "cost of its errors at the agreed cost matrix and the share of feedback on its cases that disagreed with "
        "the model.",
        format_threshold(threshold),
        format_count(found.errors),
        format_count(found.cases),
        format_share(found.rate),
    )
)
if found.fitted_on < found.cases:
    st.caption(
        md(
            "The tree was fitted on a seeded sample of {} of these {}; every count, rate and cost is on all of them.",
            format_count(found.fitted_on),
            format_count(found.cases),
        )
    )
try:
    reviewed = verdict_frame(closed_answers(ctx.store, use_case.name, card.version)) if ctx.store else None
except StoreError as err:
    reviewed = None
    st.caption(md("Review rounds are unavailable, so the reviewer columns are empty: {}", err))
shares = ("error rate", "interval low", "interval high", "feedback disagreeing", "reviewers agreeing")
render_table(
    cohorts_with_agreement(found, reviewed),
    {
        **dict.fromkeys((*shares, "agreeing low", "agreeing high"), format_share),
        "cost of errors": lambda v: format_money(v, costs.currency if costs else ""),
    },
    key="error_cohorts",
    hide_index=True,
    column_config={"cohort": st.column_config.TextColumn(width="large")},
)
if found.cohorts:
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    pick = left.selectbox(
        "Open a cohort's cases in Explore",
        range(len(found.cohorts)),
        format_func=lambda i: found.cohorts[i].description,
        key="cohort_pick",
    )
    right.page_link(
        "pages/1_Explore.py",
        label="Open in Explore",
        icon=":material/search:",
        query_params={
            "use_case": use_case.name,
            "iteration": card.version,
            "cohort": rule_to_text(found.cohorts[pick].rule),
        },
    )

st.caption(
    md(
        "Reviewers agreeing: the share of the verdicts given in closed review rounds on {} on the cohort's cases "
        "that agreed with the model, with its 95 % Wilson interval; — where no reviewer judged a case there.",
        card.version,
    )
)

render_heat_map(ctx, scored, threshold, kind, costs, case_costs_now, why)
render_side_by_side(ctx, threshold, kind)

# --- the operating threshold -------------------------------------------------------------------
st.header("Operating threshold")
st.markdown(
    md(
        "{} decides at **{}**. Saving a new threshold changes the decisions on every page and is recorded with who, "
        "when and why. Allowed: {}.",
        card.version,
        format_threshold(card.threshold),
        ", ".join(PERMISSIONS["change threshold"]),
    )
)
seen_key = f"_threshold_seen_{use_case.name}_{card.version}"
decided_against = st.session_state.get(seen_key, card.threshold)  # what the previous run showed: what was decided on
st.session_state[seen_key] = card.threshold
with st.form("save_threshold"):
    st.caption(md("As {}, {}", ctx.identity.name or "(say who you are in the sidebar)", ctx.identity.role))
    reason = st.text_area("Why", key="threshold_reason", placeholder="e.g. cost-optimal under the agreed cost matrix")
    if st.form_submit_button(md("Save {} as the operating threshold", format_threshold(threshold)), type="primary"):
        try:
            if ctx.store is None:
                raise StoreError(ctx.store_error or "the store is unavailable")
            save_threshold(
                ctx.store, use_case.name, card.version, threshold, decided_against, ctx.identity.actor, reason
            )
        except (GoalError, AccessError, StoreError) as err:
            st.error(md("Not saved — {}", err))
        else:
            confirm_and_rerun(
                f"{card.version} now decides at {format_threshold(threshold)} (was {format_threshold(card.threshold)})."
            )
changes = [
    row
    for row in (threshold_history(ctx.store, use_case.name) if ctx.store else [])
    if row["iteration"] == card.version
]
if changes:
    st.dataframe(
        pd.DataFrame(
            {
                "When (UTC)": [r["created_at"].strftime("%Y-%m-%d %H:%M") for r in changes],
                "Threshold": [
                    f"{format_threshold(r['previous'])} → {format_threshold(r['threshold'])}" for r in changes
                ],
                "Who": [f"{r['actor_name']} ({r['actor_role']})" for r in changes],
                "Why": [r["reason"] for r in changes],
            }
        ).iloc[::-1],
        hide_index=True,
    )

# --- calibration -------------------------------------------------------------------------------
st.header("Calibration: does the score mean what it says?")
calibration = calibration_of(ctx, card)
left, right = st.columns([2, 3])
brier, ece = get_metric("brier"), get_metric("ece")
left.metric(plain(brier.label(use_case)), f"{calibration.brier:.4f}", help=plain(brier.explanation(use_case)))
left.metric(plain(ece.label(use_case)), f"{calibration.ece:.4f}", help=plain(ece.explanation(use_case)))
left.caption(
    md(
        "The cost-optimal threshold above reads the score as the probability of {}; where the curve leaves the "
        "diagonal, that reading is off. Ten score bins, 95 % Wilson intervals; Brier score by scikit-learn.",
        words.outcome,
    )
)
with right:
    render_plotly(
        build_reliability(calibration.reliability, words.outcome),
        describe_reliability(calibration.reliability, calibration.ece, words.outcome),
        "reliability",
    )
render_table(
    calibration.by_group,
    {"Brier": "{:.4f}", "ECE": "{:.4f}", "cases": "{:,}"},
    key="calibration_by_group",
    hide_index=True,
)

# --- speed -------------------------------------------------------------------------------------
st.header("Speed")
latency = latency_of(ctx, card)
goals = [c for c in criteria_of(ctx) if c.metric == "latency_p95_ms"]
goal = f" — the goal is {goals[0].target:g} ms" if goals else " (no latency goal has been agreed)"
st.markdown(
    md(
        "A decision and its reasons in **{:.1f} ms** for 95 % of cases (median {:.1f} ms, measured on {} cases: "
        "encoding, score, SHAP and reason codes){}. This is the whole wait of a person opening a case; the SHAP step "
        "alone took {} ms per case at registration (Home).",
        latency.p95_ms,
        latency.p50_ms,
        latency.cases,
        goal,
        format_number(card.explain_ms, significant=2),
    )
)

# --- how each input moves the score -------------------------------------------------------------
st.header("How each input moves the score")
NO_OVERLAY = "(none)"
left, right = st.columns(2)
column = left.selectbox(
    "Input", dependence_inputs(scored), format_func=use_case.label, key=f"dependence_input_{use_case.name}"
)
others = [  # the use case's other iterations that take this input (retired ones when the sidebar shows them)
    c
    for c in ctx.cards
    if c.version != card.version
    and column in c.features
    and (ctx.statuses.get(c.version) != "retired" or st.session_state.get("show_retired"))
]
overlay = right.selectbox(
    "Overlay another iteration",
    [NO_OVERLAY, *[c.version for c in others]],
    key=f"dependence_other_{use_case.name}",
    help="Its partial dependence is drawn dashed and its SHAP points in grey, each on its own evaluation cases.",
)
chosen = next((c for c in others if c.version == overlay), None)
try:
    dependence, other, figure, text = dependence_of(ctx, card, column, chosen)
except DependenceError as err:
    st.info(md("{} cannot be swept: {}", use_case.label(column), err))
else:
    render_plotly(figure, text, "dependence")
    for warning in association_warnings(dependence, use_case):
        st.warning(plain(warning))
    for note in [*dependence_notes(dependence, use_case), *(dependence_notes(other, use_case) if other else [])]:
        st.caption(plain(note))

# --- the data behind it -------------------------------------------------------------------------
render_data_explorer(ctx, scored, threshold)
