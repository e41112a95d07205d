"""Notices: the notice board — lifecycle announcements, planned retirements, outages, team notices."""

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from feedback.access import PERMISSIONS, AccessError
from feedback.announcements import DEPRECATION, TEAM_KINDS, Announcement, AnnouncementError
from feedback.store.announcements import list_announcements, post_notice
from feedback.store.database import StoreError
from pages._ui.banners import dismiss_items, dismissed_by
from pages._ui.context import setup_page
from pages._ui.flash import confirm_and_rerun, show_confirmation
from pages._ui.health_monitor import health_status
from pages._ui.store_guard import require_store
from pages._ui.text import md

ctx = setup_page("Notices")
use_case = ctx.use_case
st.title("Notices")
st.caption(
    "What changes and when: new live iterations with what changes for you, planned retirements, outages and "
    "notices from the team. Each shows as a banner on every page until you dismiss it; all stay here."
)
store = require_store(ctx, "The notice board is")
show_confirmation()

st.header("Service status")
checked, failing = health_status()
if checked is None:
    st.caption("The health checks have not run yet in this server (or are switched off).")
elif failing:
    st.error(md("Degraded — {}", "; ".join(f"{name}: {detail}" for name, detail in failing)), icon=":material/warning:")
else:
    st.success(md("Every health check passed {}.", checked), icon=":material/check_circle:")

notices = list_announcements(store, use_case.name)
dismissed = dismissed_by(store, ctx.identity)
st.header("All notices")
if not notices:
    st.caption(md("No notice about {} yet.", use_case.title))
else:
    st.dataframe(
        pd.DataFrame(
            {
                "When (UTC)": [f"{n.created_at:%Y-%m-%d %H:%M}" for n in notices],
                "Kind": [n.kind for n in notices],
                "Title": [n.title for n in notices],
                "Text": [n.body for n in notices],
                "Iteration": [n.iteration or "" for n in notices],
                "Date": [n.effective_date.isoformat() if n.effective_date else "" for n in notices],
                "Replaced by": [n.replacement or "" for n in notices],
                "For": [use_case.title if n.use_case else "everyone" for n in notices],
                "By": [f"{n.author_name} ({n.author_role})" for n in notices],
                "Dismissed by you": [n.item in dismissed for n in notices],
            }
        ),
        hide_index=True,
        key="notices_table",
        column_config={"Text": st.column_config.TextColumn(width="large")},
    )
    waiting = [n for n in notices if n.item not in dismissed]
    if waiting and st.button(md("Dismiss all {} for me", len(waiting)), key="notices_dismiss_all"):
        dismiss_items(store, ctx.identity, [n.item for n in waiting])
        confirm_and_rerun("Dismissed; they stay listed here.")

st.header("Post a notice")
st.caption(
    md(
        "Allowed: {}. New live iterations, deprecations and retirements are announced automatically from the "
        "Iterations page; outages by the health checks.",
        ", ".join(PERMISSIONS["post notices"]),
    )
)
kind = st.radio("Kind", TEAM_KINDS, horizontal=True, key="notice_kind")
with st.form(f"notice_{kind}"):
    title = st.text_input("Title", key="notice_title", max_chars=200)
    body = st.text_area("Text", key="notice_body", placeholder="What happens, when, and what people should do.")
    details = {}
    if kind == DEPRECATION:
        details["iteration"] = st.selectbox("Iteration to retire", ctx.versions, key="notice_iteration")
        details["effective_date"] = st.date_input(
            "Retirement date", value=date.today() + timedelta(days=30), key="notice_date"
        )
        details["replacement"] = st.selectbox(
            "Replaced by",
            [None, *ctx.versions],
            format_func=lambda v: v or "(no replacement)",
            key="notice_replacement",
        )
    everyone = st.checkbox("For every use case (not only this one)", key="notice_everyone", value=kind != DEPRECATION)
    show_until = st.date_input("Show as a banner until (empty: until dismissed)", value=None, key="notice_until")
    submitted = st.form_submit_button("Post", type="primary")
if submitted:
    notice = Announcement(
        kind,
        title,
        body,
        "",
        "",
        use_case=None if everyone and kind != DEPRECATION else use_case.name,
        show_until=show_until,
        **details,
    )
    try:
        saved = post_notice(store, notice, ctx.identity.actor, ctx.versions)
    except (AnnouncementError, AccessError, StoreError) as err:
        st.error(md("Not posted — {}", err))
    else:
        confirm_and_rerun(f"Posted: {saved.title}.")
