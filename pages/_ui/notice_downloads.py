"""The decision notice of a declined case as two download buttons (PDF and text), made only on the click."""

from __future__ import annotations

import streamlit as st

from demo_models.iterations.scoring import CaseExplanation, ScoredIteration
from demo_models.presentation.notice_render import prepare_notice_downloads
from pages._ui.text import md


def render_notice_downloads(scored: ScoredIteration, explanation: CaseExplanation, key: str, where=None) -> None:
    """Download buttons "Decision notice (PDF)" and "(text)" for a declined case; nothing for any other case."""
    downloads = prepare_notice_downloads(scored, explanation)
    if downloads is None:
        return
    where = where or st.container()
    pdf, text = where.columns(2)
    pdf.download_button(
        "Decision notice (PDF)",
        downloads.pdf,
        file_name=f"{downloads.file_stem}.pdf",
        mime="application/pdf",
        key=f"{key}_pdf",
        on_click="ignore",
    )
    text.download_button(
        "Decision notice (text)",
        downloads.text,
        file_name=f"{downloads.file_stem}.txt",
        mime="text/plain",
        key=f"{key}_text",
        on_click="ignore",
    )
    if downloads.missing:
        where.caption(
            md(
                "No standard reason statement yet for {}: the notice leaves {} out and says so.",
                ", ".join(downloads.missing),
                "it" if len(downloads.missing) == 1 else "them",
            )
        )
