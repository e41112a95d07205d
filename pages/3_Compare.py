"""Compare: two iterations on the same cases — metrics, drivers, decisions that flip, feedback."""

import pandas as pd
import streamlit as st

from demo_models.formats import UNDEFINED, format_share
from demo_models.metrics.compare import FLIP_TO_NEGATIVE, FLIP_TO_POSITIVE, check_flagged_fixed, default_pair
from demo_models.metrics.performance import metric_labels
from demo_models.presentation.chart_text import describe_importance
from demo_models.presentation.figures import build_importance_comparison
from demo_models.vocabulary import capitalise, with_article
from feedback.analytics import count_categories, count_verdicts
from feedback.store.database import StoreError
from feedback.store.records import list_feedback
from pages._ui.cases import render_case_picker
from pages._ui.charts import render_case_waterfall, render_plotly
from pages._ui.context import setup_page
from pages._ui.expectations_view import render_expectations_met
from pages._ui.loaders import load_comparison
from pages._ui.scorecard import criteria_of, evaluate, expectations_met_of, render_scorecard
from pages._ui.tables import render_table
from pages._ui.text import join, md, plain

ctx = setup_page("Compare")
use_case = ctx.use_case
st.title("Compare iterations")
st.caption(
    "Two iterations on the same evaluation cases: what changes, for whom, and whether it fixed what reviewers flagged."
)

pickable = [c for c in ctx.cards if ctx.statuses.get(c.version) != "retired" or st.session_state.get("show_retired")]
versions = [c.version for c in pickable]
if len(versions) < 2:
    st.info("Comparing needs two iterations of this use case that are not retired.")
    st.stop()
by_version = {c.version: c for c in pickable}
old_default, new_default = default_pair(pickable, ctx.card.version)
left, right = st.columns(2)
old_version = left.selectbox("Before", versions, index=versions.index(old_default), key="compare_old")
new_version = right.selectbox("After", versions, index=versions.index(new_default), key="compare_new")
if old_version == new_version:
    st.info("Pick two different iterations.")
    st.stop()
comparison = load_comparison(ctx, by_version[old_version], by_version[new_version])
old, new = comparison.old, comparison.new
pos, neg, words = use_case.positive_decision, use_case.negative_decision, use_case.words
DIRECTION = {FLIP_TO_POSITIVE: f"{neg} → {pos}", FLIP_TO_NEGATIVE: f"{pos} → {neg}"}
st.caption(
    md(
        "{} shown to both iterations · thresholds {} and {}",
        words.count(len(comparison.cases)),
        format_share(old.threshold, 0),
        format_share(new.threshold, 0),
    )
)

# --- headline metrics --------------------------------------------------------------------------
st.header("Headline metrics")
labels = metric_labels(use_case)
metrics = comparison.metrics.rename(index=labels, columns={"old": old_version, "new": new_version})
render_table(metrics, {"difference": "{:+.3f}", old_version: "{:.3f}", new_version: "{:.3f}"}, key="compare_metrics")
st.caption(
    md(
        "Recall, precision and rates at each iteration's own threshold; computed with scikit-learn. "
        "{}: undefined (precision with no “{}”, recall with no {}, ROC AUC with one outcome).",
        UNDEFINED,
        pos,
        words.positive_case,
    )
    if metrics.isna().any().any()
    else "Recall, precision and rates at each iteration's own threshold; computed with scikit-learn."
)

st.subheader("Goal scorecard")
criteria = criteria_of(ctx)
render_scorecard(
    {old_version: evaluate(ctx, old, criteria), new_version: evaluate(ctx, new, criteria)},
    key="compare_scorecard",
    use_case=use_case,
    expectations=expectations_met_of(ctx, [by_version[old_version], by_version[new_version]]),
)

# --- what drives the scores --------------------------------------------------------------------
st.header("What drives the scores")
importance = comparison.importance
render_plotly(
    build_importance_comparison(importance, use_case, old_version, new_version),
    describe_importance(importance, use_case, old_version, new_version),
    "importance",
)
moved = importance[importance["rank change"] != 0]
if len(moved):
    st.markdown(
        md(
            "Ranking shifts: {}",
            join(
                "; ",
                (
                    md(
                        "**{}** {} {} (#{} → #{})",
                        use_case.label(c),
                        "up" if r["rank change"] > 0 else "down",
                        abs(int(r["rank change"])),
                        int(r["old rank"]),
                        int(r["new rank"]),
                    )
                    for c, r in moved.iterrows()
                ),
            ),
        )
    )
else:
    st.markdown("The ranking of the inputs is unchanged.")

# --- decisions that flip -----------------------------------------------------------------------
st.header("Decisions that flip")
counts = comparison.flip_counts()
m1, m2, m3 = st.columns(3)
m1.metric(plain(DIRECTION[FLIP_TO_POSITIVE]), counts[FLIP_TO_POSITIVE])
m2.metric(plain(DIRECTION[FLIP_TO_NEGATIVE]), counts[FLIP_TO_NEGATIVE])
m3.metric("Unchanged", len(comparison.cases) - sum(counts.values()))
for attribute in comparison.groups:
    by_group = comparison.flips_by_group(attribute).rename(columns=DIRECTION)
    st.markdown(md("**By {}**", use_case.label(attribute).lower()))
    render_table(by_group, {"flip rate": format_share}, key=f"flips_by_{attribute}")

flips = comparison.flips
if flips.empty:
    st.success("No decision changes between the two iterations.")
else:
    shown = pd.DataFrame(
        {
            f"{old_version} score": flips["score_old"],
            f"{new_version} score": flips["score_new"],
            "Change": flips["flip"].map(DIRECTION),
            **{use_case.label(a): flips[a] for a in comparison.groups},
        }
    ).rename_axis("Case")
    st.caption(
        "Select a case to see both explanations side by side (keyboard: Tab into the table, arrow keys to the row, "
        "Shift+Space to select it), or choose it by its id below the table."
    )
    event = st.dataframe(
        shown,
        key="flip_cases",
        on_select="rerun",
        selection_mode="single-row",
        column_config={
            f"{old_version} score": st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format="percent"),
            f"{new_version} score": st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format="percent"),
        },
    )
    rows = list(event.selection.rows)
    if rows != st.session_state.get("_last_flip_rows"):
        st.session_state["_last_flip_rows"] = rows
        st.session_state["compare_case"] = shown.index[rows[0]] if rows and rows[0] < len(shown) else None
    render_case_picker(f"{capitalise(words.case)} to open", list(shown.index), "compare_case", None, key="flip_pick")
    case_id = st.session_state.get("compare_case")
    if case_id in shown.index:
        st.subheader(md("{} {}: {}", capitalise(words.case), case_id, DIRECTION[flips.at[case_id, "flip"]]))
        for column, scored in zip(st.columns(2), (old, new)):
            explanation = scored.explain_case(case_id)
            with column:
                st.markdown(
                    md("**{}: {} ({})**", scored.card.version, explanation.decision, format_share(explanation.score))
                )
                render_case_waterfall(explanation, use_case, f"waterfall_{scored.card.version}")
                if explanation.reasons:
                    st.markdown(join("\n", (md("{}. {}", i, r.text) for i, r in enumerate(explanation.reasons, 1))))

# --- expectations -----------------------------------------------------------------------------
st.header("Expectations")
render_expectations_met(ctx, [by_version[old_version], by_version[new_version]], key="compare_expectations")

# --- reasons that changed ----------------------------------------------------------------------
st.header("Reason codes that changed")
changes = comparison.reason_changes
st.markdown(
    md(
        "Of **{}** {} by both iterations, **{:,}** get different principal reasons.",
        words.count(comparison.reasons_compared),
        words.positive_past,
        len(changes),
    )
)
if len(changes):
    st.dataframe(
        pd.DataFrame(
            {
                f"{old_version} reasons": changes["reasons_old"].map(
                    lambda fs: ", ".join(use_case.label(f) for f in fs)
                ),
                f"{new_version} reasons": changes["reasons_new"].map(
                    lambda fs: ", ".join(use_case.label(f) for f in fs)
                ),
            }
        ).rename_axis("Case"),
        key="reason_changes",
    )

# --- feedback ----------------------------------------------------------------------------------
st.header("Feedback")
if ctx.store is None:
    st.warning(md("Feedback is unavailable: {}", ctx.store_error))
    st.stop()
try:
    entries = [f for f in list_feedback(ctx.store, use_case.name) if f.iteration in (old_version, new_version)]
except StoreError as err:
    st.error(plain(err))
    st.stop()
left, right = st.columns(2)
left.markdown("**Verdicts**")
left.dataframe(count_verdicts(entries).reindex([old_version, new_version], fill_value=0), key="verdicts")
right.markdown("**What it was about**")
right.dataframe(count_categories(entries).reindex([old_version, new_version], fill_value=0), key="categories")

report = check_flagged_fixed(entries, old_version, new)
st.subheader(md("Did {} fix what reviewers flagged on {}?", new_version, old_version))
if report.flagged == 0:
    st.info(md("No reviewer disagreed with {} and said which outcome they expected.", old_version))
else:
    st.metric(
        md("Flagged cases {} now decides as the reviewers expected", new_version),
        f"{report.fixed} of {report.flagged}",
    )
    expected = {"positive": with_article(words.positive_case), "negative": with_article(words.negative_case)}
    st.dataframe(
        pd.DataFrame(
            {
                "Reviewers expected": report.cases["expected"].map(expected),
                f"{new_version} decides": report.cases["new"].map({"positive": pos, "negative": neg}),
                "Fixed": report.cases["fixed"],
            }
        ),
        key="fixes",
    )
