"""The Documents page's sections beyond the notice template: the reason statement table (edited, every version
kept), batches of notices (a ZIP for every declined case of an iteration) and decision records."""

from __future__ import annotations

from functools import partial

import streamlit as st

from demo_models.iterations.registry import IterationCard
from demo_models.iterations.scoring import ScoredIteration
from demo_models.presentation.decision_record import record_decision
from demo_models.presentation.decision_record_render import render_record_text
from demo_models.presentation.notice_batch import declined_cases
from demo_models.presentation.notice_documents import (
    STATEMENT_COLUMNS,
    issue_batch,
    issue_record,
    record_file_name,
    records_table,
    save_statement_rows,
    statement_rows,
    statement_versions_table,
)
from demo_models.presentation.notice_render import NoticeWording
from demo_models.presentation.notices import NoticeError
from feedback.access import PERMISSIONS, AccessError, Actor
from feedback.decision_records import RECORD_DECISIONS
from feedback.documents import WRITE_BATCHES
from feedback.notice_templates import EDIT_TEMPLATES, TemplateError
from feedback.records import FeedbackError
from feedback.store.database import FeedbackStore, StoreError
from feedback.store.decision_records import find_record, list_records
from feedback.store.notice_templates import statement_history
from pages._ui.context import PageContext
from pages._ui.flash import confirm_and_rerun
from pages._ui.notice_window import WINDOW, choose_scope, connected_log, render_window_batch
from pages._ui.text import md


def _allowed(actor: Actor, action: str) -> bool:
    if actor.role in PERMISSIONS[action]:
        return True
    st.caption(md("Only {} can {}.", ", ".join(PERMISSIONS[action]), action))
    return False


def render_statements(store: FeedbackStore, scored: ScoredIteration, wording: NoticeWording, actor: Actor) -> None:
    """The reason statement table in force, editable by compliance or an admin, and its versions."""
    st.header("Reason statements")
    use_case = scored.use_case
    st.caption(
        md(
            "Each principal reason of a notice is printed as the statement of its input and level (high / low against "
            "the evaluation median for a number, the value for a category). In force for {}: statements v{}. A reason "
            "with no statement is left out of the notice and reported. Protected attributes cannot have one.",
            use_case.title,
            wording.statements_version,
        )
    )
    allowed = actor.role in PERMISSIONS[EDIT_TEMPLATES]
    edited = st.data_editor(
        statement_rows(wording, use_case.name),
        num_rows="dynamic" if allowed else "fixed",
        disabled=not allowed,
        hide_index=True,
        key=f"statements_{use_case.name}_{wording.statements_version}",
        column_config={c: st.column_config.TextColumn(c) for c in STATEMENT_COLUMNS},
    )
    if not allowed:
        st.caption(md("Statements are saved by: {}.", ", ".join(PERMISSIONS[EDIT_TEMPLATES])))
        return
    comment = st.text_input("Why this change (kept with the statements)", key="statements_comment")
    if st.button(md("Save as statements v{}", wording.statements_version + 1), key="statements_save"):
        try:
            saved = save_statement_rows(store, scored, edited, comment, actor)
        except (AccessError, TemplateError, StoreError) as err:
            st.error(md("Not saved: {}", err))
        else:
            st.session_state.pop("statements_comment", None)
            confirm_and_rerun(md("Saved statements v{}: the next notice uses them.", saved.version))
    st.dataframe(statement_versions_table(statement_history(store, use_case.name), use_case.name), hide_index=True)


def render_batch(ctx: PageContext, store: FeedbackStore, scored: ScoredIteration, actor: Actor) -> None:
    """A button writing the notices of every declined evaluation case of the iteration, or of the declines it made
    in a window of the connected decision log, as a ZIP, with progress."""
    st.header("Batch of notices")
    card, use_case = scored.card, scored.use_case
    source = connected_log(ctx)
    if choose_scope(source) == WINDOW:
        allowed = actor.role in PERMISSIONS[WRITE_BATCHES]
        render_window_batch(ctx, store, scored, source, actor, allowed)
        if not allowed:
            _allowed(actor, WRITE_BATCHES)  # says who may, below the window's count
        _offer_batch(card)
        return
    cases = declined_cases(scored)
    st.caption(
        md(
            "A ZIP with a PDF notice for each evaluation case {} gives a {} decision ({:,} cases) and notices.csv "
            "(case, decision, reason codes, statements, reference). Each batch is recorded in the audit log below.",
            card.version,
            use_case.unfavourable_decision,
            len(cases),
        )
    )
    if not _allowed(actor, WRITE_BATCHES) or not cases:
        return
    if st.button(md("Write the {:,} notices of {}", len(cases), card.version), key="batch_write"):
        bar = st.progress(0.0, text="Writing the notices…")

        def progress(done: int, total: int) -> None:
            if done == total or done % 5 == 0:
                bar.progress(done / total, text=f"{done:,} of {total:,} notices")

        try:
            data, logged = issue_batch(store, scored, actor, progress)
        except (AccessError, NoticeError, StoreError, OSError) as err:
            st.error(md("No notices written: {}", err))
        else:
            st.session_state["_batch"] = (card.use_case, card.version, logged.file_name, data, logged.case_count)
    _offer_batch(card)


def _offer_batch(card: IterationCard) -> None:
    made = st.session_state.get("_batch")
    if made and made[:2] == (card.use_case, card.version):
        st.download_button(
            md("Download {} ({:,} notices, {:.1f} MB)", made[2], made[4], len(made[3]) / 1e6),
            made[3],
            file_name=made[2],
            mime="application/zip",
            key="batch_download",
        )


def render_records(store: FeedbackStore, scored: ScoredIteration, wording: NoticeWording, actor: Actor) -> None:
    """Keeping the decision record of a case (append-only), showing it, and its downloads."""
    st.header("Decision records")
    card, use_case = scored.card, scored.use_case
    st.caption(
        md(
            "What an auditor asks for when a decision is disputed: the inputs as the model saw them, score, threshold, "
            "decision, the waterfall, the reasons, {}'s lifecycle status and the sign-offs in force, and the feedback "
            "on the {}. A record is kept as it was made and never changed.",
            card.version,
            use_case.words.case,
        )
    )
    if not _allowed(actor, RECORD_DECISIONS):
        return
    case_ids = [str(c) for c in scored.features.index]
    case_id = st.selectbox(md("{} of {}", use_case.words.case.capitalize(), card.version), case_ids, key="record_case")
    if st.button(md("Keep the decision record of {}", case_id), key="record_keep"):
        try:
            kept = record_decision(store, scored, scored.explain_case(case_id), actor, wording)
        except (AccessError, FeedbackError, StoreError) as err:
            st.error(md("No record kept: {}", err))
        else:
            st.session_state["record_show"] = kept.reference  # the selectbox below is not drawn yet in this run
    records = list_records(store, card.use_case)
    if records:
        st.dataframe(records_table(records), hide_index=True)
    references = [r.reference for r in records]
    if st.session_state.get("record_show") not in references:
        st.session_state["record_show"] = None
    reference = st.selectbox("Show the record", references, key="record_show", placeholder="Pick a reference")
    record = find_record(store, reference) if reference else None
    if record is None:
        return
    pdf, text = st.columns(2)
    for where, as_pdf, label, suffix, mime in (
        (pdf, True, "Decision record (PDF)", "pdf", "application/pdf"),
        (text, False, "Decision record (text)", "txt", "text/plain"),
    ):
        where.download_button(
            md("{}", label),
            partial(issue_record, store, record, as_pdf, actor),
            file_name=record_file_name(record, suffix),
            mime=mime,
            key=f"record_{suffix}",
            on_click="ignore",
        )
    st.code(render_record_text(record), language=None, wrap_lines=True)
