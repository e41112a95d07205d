"""The "Report a problem or suggest something" form in the sidebar of every page, tied to the page."""

from __future__ import annotations

import streamlit as st

from demo_models import __version__
from feedback.app_reports import REPORT_KINDS, AppReport
from feedback.records import FeedbackError
from feedback.store.app_reports import report_problem
from feedback.store.database import FeedbackStore, StoreError
from pages._ui.identity import Identity
from pages._ui.text import md


def render_report_form(store: FeedbackStore, page: str, identity: Identity) -> None:
    """The form, in a sidebar expander; a sent report goes to the Inbox with the page and app version."""
    with st.sidebar.expander("Report a problem or suggest something"):
        with st.form("app_report", clear_on_submit=False, border=False):
            kind = st.selectbox("What is it?", REPORT_KINDS, key="report_kind")
            comment = st.text_area("Tell us", key="report_comment")
            if st.form_submit_button("Send"):
                try:
                    report_problem(store, AppReport(page, kind, comment, identity.name, identity.role, __version__))
                except (FeedbackError, StoreError) as err:
                    st.error(md("Not sent — {}", err))
                else:
                    st.success(md("Thank you — sent from the {} page.", page))
