"""The app's menu: its pages in menu order, linked at the top of every page's sidebar."""

from __future__ import annotations

import streamlit as st

#: The app's pages in menu order: (script relative to app.py, label, icon).
PAGES = (
    ("app.py", "Home", ":material/home:"),
    ("pages/1_Explore.py", "Explore", ":material/search:"),
    ("pages/2_What_if.py", "What-if", ":material/tune:"),
    ("pages/3_Compare.py", "Compare", ":material/compare_arrows:"),
    ("pages/4_Iterations.py", "Iterations", ":material/timeline:"),
    ("pages/5_Sign_off.py", "Sign-off", ":material/approval:"),
    ("pages/6_Goals.py", "Goals", ":material/flag:"),
    ("pages/7_Outcomes.py", "Outcomes", ":material/payments:"),
    ("pages/8_Inbox.py", "Inbox", ":material/inbox:"),
    ("pages/9_Fairness.py", "Fairness", ":material/balance:"),
    ("pages/10_Monitoring.py", "Monitoring", ":material/monitoring:"),
    ("pages/11_Notices.py", "Notices", ":material/campaign:"),
    ("pages/13_Reviews.py", "Reviews", ":material/rate_review:"),
    ("pages/14_Documents.py", "Documents", ":material/description:"),
    ("pages/12_Guide.py", "Guide", ":material/menu_book:"),
)


def render_page_links() -> None:
    """The links to every page, in menu order, at the top of the sidebar."""
    for script, label, icon in PAGES:
        st.sidebar.page_link(script, label=label, icon=icon)
    st.sidebar.divider()
