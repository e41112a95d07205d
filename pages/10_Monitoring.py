"""Monitoring: has the data changed since the iteration was trained, how does it perform by month, what
would another iteration have decided on the same traffic, and how is the app itself used."""

import streamlit as st

from demo_models.formats import format_count, format_number, format_p_value, format_share
from demo_models.metrics.drift import BANDS, psi_band
from demo_models.metrics.performance import monthly_labels
from demo_models.monitoring.engines import engine_label
from demo_models.monitoring.log_view import drift_tests_table, performance_lines, performance_table
from demo_models.monitoring.sources import describe_source
from demo_models.monitoring.stream import current_windows, reference_months
from demo_models.presentation.chart_text import describe_bars, describe_lines, describe_psi_heatmap
from demo_models.presentation.figures import build_lines, build_psi_heatmap
from feedback.store.database import StoreError
from feedback.store.telemetry import usage_frame
from feedback.telemetry import event_counts, explanation_latency, views_by_page_and_role
from pages._ui.charts import render_plotly, render_text_alternative
from pages._ui.context import setup_page
from pages._ui.loaders import (
    load_scored,
    log_summary_of,
    monthly_drift_of,
    post_log_alerts,
    stream_of,
    window_drift_of,
)
from pages._ui.log_importance_view import render_log_importance
from pages._ui.scorecard import criteria_of
from pages._ui.shadow_view import render_shadow
from pages._ui.tables import render_table
from pages._ui.text import md, plain

ctx = setup_page("Monitoring")
use_case, card = ctx.use_case, ctx.card
scored = load_scored(ctx)
st.title("Monitoring")
st.caption(
    md(
        "PSI (population stability index) compares how a column is distributed now with how it was: under {} stable, "
        "{}–{} watch, over {} act.",
        BANDS[0][0],
        BANDS[0][0],
        BANDS[1][0],
        BANDS[1][0],
    )
)

connected = log_summary_of(ctx, card)
if connected is None:
    st.caption(
        "Your own decision log can be watched here too: connect it with `involve monitor connect` "
        "(README, “Your own decision log”)."
    )
else:
    st.header("Your decision log")
    st.markdown(md("Reading the {} log at {}.", connected.source.kind, describe_source(connected.source)))  # escaped
    for problem in connected.problems:
        st.error(plain(problem))
    if connected.aggregates is not None:
        found = connected.aggregates
        st.markdown(
            md(
                "{:,} decisions over {} months; reference window {} to {}. Computed by {} where the log lies: "
                "only counts come to the app.",
                int(found.decisions.sum()),
                len(found.decisions),
                found.reference[0],
                found.reference[-1],
                engine_label(connected.source),
            )
        )
        log_psi = found.psi.rename(
            columns=lambda c: "score" if c == connected.source.mapping["score"] else use_case.label(c)
        )
        render_plotly(build_psi_heatmap(log_psi), describe_psi_heatmap(log_psi, BANDS[1][0]), "log_drift_heatmap")
        st.caption(
            "The test of each month against the reference window, on every decision: Kolmogorov-Smirnov for "
            "numbers, chi-square for categories (on large months every p-value is tiny: read PSI for the size)."
        )
        score_column = str(connected.source.mapping["score"])
        st.dataframe(drift_tests_table(found.tests, use_case, score_column), key="log_drift_tests")
        if connected.performance is None:
            st.info(md("Performance by month cannot be shown: {}", connected.why_no_performance))
        else:
            st.markdown(
                md(
                    "**Performance by month at the threshold {}**: measured on the decisions whose outcome is "
                    "known, and estimated on all of them from the scores, calibrated on the reference window "
                    "(confidence-based performance estimation; it assumes the link between score and outcome "
                    "has not changed since). Intervals: 95 %.",
                    format_number(connected.performance.threshold),
                )
            )
            lines = performance_lines(connected.performance, use_case)
            render_plotly(build_lines(lines, "share", "month"), describe_lines(lines, "By month"), "log_performance")
            st.dataframe(performance_table(connected.performance, use_case), key="log_performance_table")
        render_log_importance(ctx, connected)
        alerts = post_log_alerts(ctx, card, connected, criteria_of(ctx))
        if alerts:
            st.warning(
                md(
                    "**{} alert(s)** on this log, each posted once on the Notices page: {}",
                    len(alerts),
                    "; ".join(alert.title for alert in alerts[:6]) + (" …" if len(alerts) > 6 else ""),
                )
            )
        render_shadow(ctx, connected)
    st.divider()

stream = stream_of(ctx, card)
if stream is None:
    st.info(
        md(
            "The {} data has no month, so drift over time cannot be tracked for it; the app's own usage is below. "
            "(The card-fraud use case shows drift month by month.)",
            use_case.title.lower(),
        )
    )
else:
    reference = reference_months(scored, stream)
    source = (
        f"a generated production stream of {len(stream.frame):,} transactions (seeded; INVOLVE_MONITOR_ROWS)"
        if stream.generated
        else f"the {len(stream.frame):,} evaluation cases"
    )
    st.markdown(
        md(
            "Watching {}, scored by **{}**. Reference window: the months it was trained on, {} to {}.",
            source,
            card.version,
            reference[0],
            reference[-1],
        )
    )
    if len(stream.sample) < len(stream.frame):
        st.caption(
            md(
                "Input drift uses all {:,} cases. Scores, score drift, performance and SHAP use a seeded sample of "
                "{:,} of them (the model scores about 200,000 a second here); exact enough for trends.",
                len(stream.frame),
                len(stream.sample),
            )
        )
    months = current_windows(stream, reference)
    current = st.selectbox("Current window (month)", months, index=len(months) - 1, key="monitor_month")

    st.header(md("Data drift: {} against {}…{}", current, reference[0], reference[-1]))
    drift, score_psi = window_drift_of(ctx, card, reference, current)
    m1, m2, m3 = st.columns(3)
    m1.metric("Columns to act on (PSI > 0.25)", int((drift["band"] == "act").sum()))
    m2.metric("Columns to watch", int((drift["band"] == "watch").sum()))
    m3.metric("Score drift (PSI)", f"{score_psi:.3f}", help=plain(psi_band(score_psi)))
    shown = drift.rename(index=use_case.label)
    render_table(shown, {"PSI": "{:.3f}", "statistic": format_number, "p-value": format_p_value}, key="drift_table")
    st.caption(
        "PSI on every case of both windows. The tests (Kolmogorov-Smirnov for numbers, chi-square for categories) "
        "use a seeded sample of at most 20,000 cases per window: with more, every p-value is about 0. "
        "A p-value under 0.001 is shown as “< 0.001”."
    )

    monthly_drift = monthly_drift_of(ctx, card, reference)
    st.header("Month by month")
    named = monthly_drift.psi.rename(columns=lambda c: "score" if c == "score" else use_case.label(c))
    render_plotly(build_psi_heatmap(named), describe_psi_heatmap(named, BANDS[1][0]), "drift_heatmap")
    left, right = st.columns(2)
    with left:
        st.markdown("**Performance by month** (labels known)")
        monthly = monthly_drift.performance.rename(columns=monthly_labels(use_case))
        by_month_metrics = monthly[["ROC AUC", "Recall", "Precision"]]
        st.plotly_chart(build_lines(by_month_metrics, "value", "month"), key="performance_by_month")
        st.caption(plain(describe_lines(by_month_metrics, "By month").summary + " The table below holds every month."))
        shares = [monthly_labels(use_case)[c] for c in ("actual positive rate", "positive_rate", "recall", "precision")]
        render_table(
            monthly[list(monthly_labels(use_case).values())],
            {**dict.fromkeys(shares, format_share), "ROC AUC": format_number, "cases": format_count},
            key="performance_table",
        )
    with right:
        st.markdown("**What drives the scores, by month** (mean |SHAP|, 500 cases a month)")
        named_importance = monthly_drift.importance.rename(columns=use_case.label)
        render_plotly(
            build_lines(named_importance, "mean |SHAP|", "month"),
            describe_lines(named_importance, "Mean |SHAP| by month"),
            "shap_by_month",
        )

st.header("How the app is used")
if ctx.store is None:
    st.warning(md("Usage is unavailable: {}", ctx.store_error))
    st.stop()
try:
    usage = usage_frame(ctx.store, use_case.name)
except StoreError as err:
    st.error(plain(err))
    st.stop()
counts = event_counts(usage)
u1, u2, u3, u4 = st.columns(4)
u1.metric("Page views (90 days)", counts["page view"])
u2.metric("Explanations viewed", counts["explanation viewed"])
u3.metric("Feedback submitted", counts["feedback submitted"])
latency = explanation_latency(usage)
u4.metric(
    "Score + explanation, p95",
    f"{latency[1]:.1f} ms" if latency else "—",
    help=md(
        "median {:.1f} ms",
        latency[0],
    )
    if latency
    else None,
)
views = views_by_page_and_role(usage)
if views.empty:
    st.caption("No page views recorded yet.")
else:
    st.markdown("**Page views by page and role**")
    st.bar_chart(views, horizontal=True)
    render_text_alternative(describe_bars(views, "Page views by page", "Page views"), "views")
