"""The decision notice of a declined case as two download buttons (PDF and text), made only on the click, in the
use case's current template, and recorded in the audit log of generated documents when made."""

from __future__ import annotations

from functools import partial

import streamlit as st

from demo_models.iterations.scoring import CaseExplanation, ScoredIteration
from demo_models.presentation.notice_documents import current_wording, issue_notice
from demo_models.presentation.notice_render import prepare_notice_downloads
from feedback.access import Actor
from feedback.store.database import FeedbackStore, StoreError
from pages._ui.text import md


def render_notice_downloads(
    scored: ScoredIteration,
    explanation: CaseExplanation,
    key: str,
    where=None,
    store: FeedbackStore | None = None,
    actor: Actor | None = None,
) -> None:
    """Download buttons "Decision notice (PDF)" and "(text)" for a declined case; nothing for any other case, and
    a message instead when the store cannot record them in the audit log."""
    if store is None or store.read_only:
        if prepare_notice_downloads(scored, explanation) is not None:
            why = store.read_only_reason if store is not None else "the store is unavailable"
            st.caption(md("No decision notice: every notice is recorded in the audit log, and {}.", why))
        return
    try:
        wording = current_wording(store, scored.card.use_case)
    except StoreError as err:
        st.caption(md("No decision notice: the store holding its template is unavailable ({}).", err))
        return
    downloads = prepare_notice_downloads(scored, explanation, wording)
    if downloads is None:
        return
    where = where or st.container()
    pdf, text = where.columns(2)
    pdf.download_button(
        "Decision notice (PDF)",
        partial(issue_notice, store, downloads, True, actor),
        file_name=f"{downloads.file_stem}.pdf",
        mime="application/pdf",
        key=f"{key}_pdf",
        on_click="ignore",
    )
    text.download_button(
        "Decision notice (text)",
        partial(issue_notice, store, downloads, False, actor),
        file_name=f"{downloads.file_stem}.txt",
        mime="text/plain",
        key=f"{key}_text",
        on_click="ignore",
    )
    where.caption(md("Template v{} · each download is recorded on the Documents page.", wording.version))
    if downloads.missing:
        where.caption(
            md(
                "No standard reason statement yet for {}: the notice leaves {} out and says so.",
                ", ".join(downloads.missing),
                "it" if len(downloads.missing) == 1 else "them",
            )
        )
