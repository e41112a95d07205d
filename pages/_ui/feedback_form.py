"""The feedback form on a case: what the reviewer says, tied to what they were shown."""

from __future__ import annotations

import streamlit as st

from demo_models import __version__
from demo_models.explanations.reasons import Reason
from demo_models.explanations.whatif import changes_to_json
from demo_models.iterations.scoring import CaseExplanation
from demo_models.vocabulary import with_article
from feedback.records import CATEGORIES, MAX_COMMENT_CHARS, SEVERITIES, VERDICTS, FeedbackDraft, FeedbackError
from feedback.store.database import StoreError
from feedback.store.records import add_feedback
from feedback.store.telemetry import record_event
from pages._ui.context import PageContext
from pages._ui.text import md, plain

FORM_GENERATION = "_feedback_generation"  # bumped after a save, so the next form starts empty
SAVED_MESSAGE = "_feedback_saved"


def render_feedback_form(
    ctx: PageContext, explanation: CaseExplanation, reasons_shown: list[Reason], what_if: dict | None = None
) -> None:
    """Render the form; on submit validate, save, confirm, and keep the input if it was not saved."""
    use_case = ctx.use_case
    saved = st.session_state.pop(SAVED_MESSAGE, None)
    if saved:
        st.success(plain(saved))
    if ctx.store is None:
        st.warning(md("Feedback cannot be saved right now: {}", ctx.store_error))
        return
    generation = st.session_state.setdefault(FORM_GENERATION, 0)
    expected_options = {
        "not sure": None,
        with_article(use_case.words.negative_case): "negative",
        with_article(use_case.words.positive_case): "positive",
    }
    with st.form(f"feedback_form_{generation}"):
        who = ctx.identity.name or "someone who has not said who they are (sidebar)"
        st.markdown(
            md(
                "**Your feedback on {}** ({}: {}) — as {}, {}",
                explanation.case_id,
                ctx.card.version,
                explanation.decision,
                who,
                ctx.identity.role,
            )
        )
        left, right = st.columns(2)
        verdict = left.radio(
            md("Do you agree with “{}”?", explanation.decision),
            VERDICTS,
            index=None,
            horizontal=True,
            key=f"fb_verdict_{generation}",
        )
        expected = right.radio(
            md("What do you expect this {} to turn out to be?", use_case.words.case),
            list(expected_options),
            horizontal=True,
            key=f"fb_expected_{generation}",
        )
        # no "Select all": an entry that names every category says nothing about what it is about
        categories = left.multiselect(
            "What is it about?", CATEGORIES, key=f"fb_categories_{generation}", select_all=False
        )
        severity = right.select_slider(
            "How much does it matter?", SEVERITIES, value="medium", key=f"fb_severity_{generation}"
        )
        st.caption("How clear was the explanation? (1–5 stars)")
        stars = st.feedback("stars", key=f"fb_rating_{generation}")
        comment = st.text_area(
            "Comment",
            help=md("Up to {:,} characters.", MAX_COMMENT_CHARS),
            placeholder="What should the model have seen? What in the explanation was unclear?",
            key=f"fb_comment_{generation}",
        )
        submitted = st.form_submit_button("Submit feedback", type="primary")
    if not submitted:
        return
    draft = FeedbackDraft(
        use_case=use_case.name,
        iteration=ctx.card.version,
        case_id=explanation.case_id,
        score=explanation.score,
        threshold=explanation.threshold,
        decision=explanation.decision,
        reasons_shown=tuple(r.text for r in reasons_shown),
        reviewer_name=ctx.identity.name,
        reviewer_role=ctx.identity.role,
        reviewer_subject=ctx.identity.subject,
        verdict=verdict or "",
        expected_outcome=expected_options[expected],
        categories=tuple(categories),
        severity=severity,
        explanation_rating=None if stars is None else stars + 1,
        comment=comment or "",
        app_version=__version__,
        what_if=changes_to_json(what_if or {}),
    )
    try:
        entry = add_feedback(ctx.store, draft, known_iterations=ctx.versions)
    except FeedbackError as err:
        hint = " Enter your name in the sidebar." if not ctx.identity.name else ""
        st.error(md("Not saved — {}{}", err, hint))
        return
    except StoreError as err:
        st.error(md("Not saved — {} Your input is still in the form.", err))
        return
    record_event(ctx.store, use_case.name, "Explore", ctx.identity.role, "feedback submitted", ctx.card.version)
    st.session_state[FORM_GENERATION] = generation + 1
    st.session_state[SAVED_MESSAGE] = f"Thank you — feedback #{entry.id} on {entry.case_id} ({entry.iteration}) saved."
    st.rerun()
