"""Involve — home page: what this is, the use case, the iterations and the feedback so far."""

import streamlit as st

# The first paint: the heading is sent before the app's modules (pandas, the store, the registry) are
# imported, so a cold start shows what this is at once (bench/cold_start.py times it).
st.set_page_config(page_title="Home · Involve", page_icon="🤝", layout="wide")
st.title("Involve")

from pages._ui.first_start import show_first_start  # noqa: E402  (light: no pandas, store or registry)

show_first_start()  # a first start: the "Getting ready" page ends this run here

import pandas as pd  # noqa: E402

from demo_models.formats import format_number  # noqa: E402
from demo_models.vocabulary import with_article  # noqa: E402
from feedback.store.lifecycle import list_lifecycle_events  # noqa: E402
from feedback.store.records import count_feedback  # noqa: E402
from pages._ui.context import setup_page  # noqa: E402
from pages._ui.expectations_view import render_expectations_met  # noqa: E402
from pages._ui.scorecard import criteria_of, judge_iteration, render_scorecard  # noqa: E402
from pages._ui.text import md, plain  # noqa: E402
from pages._ui.timeline import live_announcement, render_timeline  # noqa: E402

ctx = setup_page("Home", titled=True)
use_case, card = ctx.use_case, ctx.card

st.markdown(
    "Involve puts a machine-learning model in front of the people it serves **while it is being "
    "built**: explore what each iteration decides on real cases and why, and say where it is wrong. "
    "Every piece of feedback is kept with the iteration, the case and the explanation you saw."
)

st.header(plain(use_case.title))
st.write(plain(use_case.description))
words = use_case.words
st.info(
    md(
        "**Score** = the model's probability of **{}** for {}. At or above the iteration's threshold the decision is "
        "**{}**, below it **{}**.",
        words.outcome,
        with_article(words.case),
        words.positive_decision,
        words.negative_decision,
    )
)

feedback_counts = count_feedback(ctx.store, use_case.name) if ctx.store else {}
events = list_lifecycle_events(ctx.store, use_case.name) if ctx.store else []
announcement = live_announcement(ctx, events)
if announcement is not None:
    st.success(
        md(
            "**{} is live** since {:%Y-%m-%d}. What changes for you: {}",
            announcement.iteration,
            announcement.created_at,
            announcement.migration_note or "",
        ),
        icon=":material/campaign:",
    )
left, middle, right = st.columns(3)
left.metric("Evaluation cases", f"{card.n_eval:,}", help="Every iteration is shown on these same cases.")
middle.metric("Iterations", len(ctx.cards))
right.metric(
    "Feedback entries",
    f"{sum(feedback_counts.values()):,}" if ctx.store else "unavailable",
    help=plain(ctx.store_error) if ctx.store_error else None,
)

st.subheader(md("Selected iteration: {}", card.version))
st.markdown(plain(card.notes) if card.notes else "No notes.")
st.caption(
    plain(
        f"{card.model_type} by {card.author}, registered {card.created[:10]}"
        f"{f', built on {card.parent}' if card.parent else ''} · threshold {card.threshold:.0%} · "
        f"explanations: {card.explainer}; the SHAP step alone took "
        f"{format_number(card.explain_ms, significant=2)} ms per case when it "
        "was registered (the whole decision with its reasons is timed under Speed on Outcomes)"
        + (
            f"; global importance on {card.shap_rows:,} of {card.n_eval:,} cases "
            f"({card.shap_rule or 'a seeded sample'})"
            if card.shap_rows < card.n_eval
            else f"; global importance on every one of its {card.n_eval:,} cases"
        )
    )
)
st.page_link("pages/1_Explore.py", label=md("Explore {}'s predictions", card.version), icon=":material/search:")

st.subheader(md("Expectations of {}", card.version))
render_expectations_met(ctx, [card], key="home_expectations")

st.subheader(md("Goal scorecard of {}", card.version))
scorecard = st.container()  # filled last: the rest of the page shows while the criteria are judged

st.subheader("All iterations")
table = pd.DataFrame(
    [
        {
            "Version": c.version,
            "Status": ctx.statuses.get(c.version, "candidate"),
            "Built on": c.parent or "—",
            "Registered": c.created[:10],
            "Author": c.author,
            "Model": c.model_type,
            "Threshold": c.threshold,
            "Feedback": feedback_counts.get(c.version, 0),
            "What changed": c.notes,
        }
        for c in reversed(ctx.cards)
    ]
)
st.dataframe(
    table,
    hide_index=True,
    column_config={
        "Threshold": st.column_config.NumberColumn(format="percent"),
        "What changed": st.column_config.TextColumn(width="large"),
    },
)

st.subheader("Timeline")
render_timeline(ctx, events)

with scorecard, st.spinner(f"Judging {card.version} against the agreed criteria…"):
    criteria = criteria_of(ctx)
    render_scorecard(
        {card.version: judge_iteration(ctx, criteria)} if criteria else {}, key="home_scorecard", use_case=ctx.use_case
    )
