"""Outcomes: errors at a threshold, ROC and precision-recall, the cost of errors, the best threshold."""

import pandas as pd
import streamlit as st

from demo_models.costs import cost_curve, total_cost
from demo_models.chart_text import describe_cost_curve, describe_roc_pr
from demo_models.figures import build_cost_curve, build_roc_pr
from demo_models.metrics import headline_metrics
from demo_models.outcomes import compute_curves, confusion
from feedback.goal_store import costs_history, save_costs, save_threshold, threshold_history
from feedback.goals import CostMatrix, GoalError
from feedback.access import PERMISSIONS, AccessError
from feedback.store import StoreError
from demo_models.report_compose import costs_for
from pages._ui.charts import render_plotly
from pages._ui.scorecard import criteria_of
from pages._ui.shell import confirm_and_rerun, latency_of, load_scored, setup_page, show_confirmation

ctx = setup_page("Outcomes")
use_case, card = ctx.use_case, ctx.card
scored = load_scored(ctx)
pos, neg = use_case.positive_decision, use_case.negative_decision
st.title("Outcomes and the cost of errors")
st.caption(
    f"Iteration {card.version} on its {card.n_eval:,} evaluation cases. Move the threshold to see what changes; "
    "set what each kind of error costs to find the cheapest threshold."
)
show_confirmation()

slider_key = f"outcome_threshold_{use_case.name}_{card.version}"
pending = st.session_state.pop("_pending_threshold", None)
if pending is not None:
    st.session_state[slider_key] = pending
threshold = st.slider(
    f"Threshold: {pos} at or above this probability of {use_case.positive_outcome}",
    0.0, 1.0, value=float(round(card.threshold, 3)), step=0.001, format="%.3f", key=slider_key,
)
labels, scores = scored.iteration.labels, scored.scores.to_numpy()
metrics = headline_metrics(labels, scores, threshold)
m1, m2, m3, m4 = st.columns(4)
m1.metric(f"{neg.capitalize()} rate", f"{metrics['negative_rate']:.1%}")
m2.metric(f"{use_case.positive_outcome.capitalize()}s caught (recall)", f"{metrics['recall']:.1%}")
m3.metric(f"Precision of {pos}s", f"{metrics['precision']:.1%}")
m4.metric("ROC AUC", f"{metrics['roc_auc']:.3f}")

left, right = st.columns([2, 3])
with left:
    st.header("Decisions against outcomes")
    matrix = confusion(labels, scores, threshold)
    st.dataframe(
        pd.DataFrame(
            matrix.to_numpy(),
            index=[f"actually {use_case.negative_outcome}", f"actually {use_case.positive_outcome}"],
            columns=[use_case.past(neg), use_case.past(pos)],
        ),
        key="confusion",
    )
    tn, fp, fn, tp = matrix.to_numpy().ravel()
    st.caption(
        f"{fp:,} cases that would {use_case.negative_outcome} get “{pos}” (false positives); "
        f"{fn:,} that {use_case.positive_outcome} get “{neg}” (missed)."
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
        f"A {use_case.negative_outcome} case wrongly {use_case.past(pos)}", min_value=None,
        value=costs.false_positive_cost if costs else 0.0, step=10.0, key="cost_fp",
    )
    fn_cost = c2.number_input(
        f"A {use_case.positive_outcome} wrongly {use_case.past(neg)}: fixed part", min_value=None,
        value=costs.false_negative_cost if costs else 0.0, step=10.0, key="cost_fn",
    )
    column_options = ["(none)", *numeric]
    fn_column = c3.selectbox(
        "… plus a share of", column_options,
        index=column_options.index(costs.false_negative_column) if costs and costs.false_negative_column in numeric else 0,
        format_func=lambda c: c if c == "(none)" else use_case.label(c), key="cost_column",
    )
    fn_fraction = c4.number_input(
        "Share (0.5 = half)", min_value=None, value=costs.false_negative_fraction if costs else 0.0,
        step=0.05, key="cost_fraction",
    )
    currency = c1.text_input("Currency", value=costs.currency if costs else use_case.units.get("credit_amount", ""), key="cost_currency")
    if st.form_submit_button("Save the cost matrix"):
        try:
            save_costs(
                ctx.store,
                CostMatrix(
                    use_case=use_case.name, false_positive_cost=fp_cost, false_negative_cost=fn_cost,
                    author_name=ctx.identity.name, false_negative_column=None if fn_column == "(none)" else fn_column,
                    false_negative_fraction=fn_fraction, currency=currency,
                ),
            )
        except (GoalError, StoreError, AttributeError) as err:
            st.error(f"Not saved — {err if ctx.store else ctx.store_error}")
        else:
            confirm_and_rerun("Cost matrix saved.")

case_costs_now, why = costs_for(scored, costs)
if case_costs_now is None:
    st.info(f"No expected cost yet: {why}.")
else:
    curve = cost_curve(labels, scores, case_costs_now)
    current_total = total_cost(labels, scores, threshold, case_costs_now)
    best_total = float(curve.totals[curve.best])
    unit = f" {costs.currency}" if costs.currency else ""
    k1, k2, k3 = st.columns(3)
    k1.metric("Expected cost per 1,000 cases, current threshold", f"{curve.per_thousand(current_total):,.0f}{unit}")
    k2.metric("… at the cost-optimal threshold", f"{curve.per_thousand(best_total):,.0f}{unit}")
    k3.metric("Cost-optimal threshold", f"{curve.optimal_threshold:.3f}")
    st.button(
        "Move the threshold to the cost-optimal one",
        on_click=lambda: st.session_state.update(_pending_threshold=round(curve.optimal_threshold, 3)),
        key="use_optimal",
    )
    render_plotly(
        build_cost_curve(curve, threshold, current_total, unit.strip()),
        describe_cost_curve(curve, threshold, current_total, unit.strip()), "cost_curve",
    )
    st.caption(
        f"Searched over all {len(curve.thresholds):,} distinct thresholds of the scores. A missed "
        f"{use_case.positive_outcome} costs {costs.false_negative_cost:,.0f}{unit}"
        + (f" plus {costs.false_negative_fraction:g} × {use_case.label(costs.false_negative_column).lower()}" if costs.false_negative_fraction else "")
        + f"; a wrong {pos} of a {use_case.negative_outcome} case costs {costs.false_positive_cost:,.0f}{unit}."
    )

# --- the operating threshold -------------------------------------------------------------------
st.header("Operating threshold")
st.markdown(
    f"{card.version} decides at **{card.threshold:.3f}**. Saving a new threshold changes the decisions on every "
    f"page and is recorded with who, when and why. Allowed: {', '.join(PERMISSIONS['change threshold'])}."
)
with st.form("save_threshold"):
    st.caption(f"As {ctx.identity.name or '(say who you are in the sidebar)'}, {ctx.identity.role}")
    reason = st.text_area("Why", key="threshold_reason", placeholder="e.g. cost-optimal under the agreed cost matrix")
    if st.form_submit_button(f"Save {threshold:.3f} as the operating threshold", type="primary"):
        try:
            if ctx.store is None:
                raise StoreError(ctx.store_error or "the store is unavailable")
            save_threshold(ctx.store, use_case.name, card.version, threshold, card.threshold, ctx.identity.actor, reason)
        except (GoalError, AccessError, StoreError) as err:
            st.error(f"Not saved — {err}")
        else:
            confirm_and_rerun(f"{card.version} now decides at {threshold:.3f} (was {card.threshold:.3f}).")
changes = [row for row in (threshold_history(ctx.store, use_case.name) if ctx.store else []) if row["iteration"] == card.version]
if changes:
    st.dataframe(
        pd.DataFrame(
            {
                "When (UTC)": [r["created_at"].strftime("%Y-%m-%d %H:%M") for r in changes],
                "Threshold": [f"{r['previous']:.3f} → {r['threshold']:.3f}" for r in changes],
                "Who": [f"{r['actor_name']} ({r['actor_role']})" for r in changes],
                "Why": [r["reason"] for r in changes],
            }
        ).iloc[::-1],
        hide_index=True,
    )

# --- speed -------------------------------------------------------------------------------------
st.header("Speed")
latency = latency_of(ctx, card)
goals = [c for c in criteria_of(ctx) if c.metric == "latency_p95_ms"]
goal = f" — the goal is {goals[0].target:g} ms" if goals else " (no latency goal has been agreed)"
st.markdown(
    f"A decision and its reasons in **{latency.p95_ms:.1f} ms** for 95 % of cases (median {latency.p50_ms:.1f} ms, "
    f"measured on {latency.cases} cases: encoding, score, SHAP and reason codes){goal}."
)
