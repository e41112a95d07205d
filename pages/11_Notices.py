"""Notices: the notice board — lifecycle announcements, planned retirements, outages, team notices —
and notifications: your subscription, the channels configured, the delivery log, a test message."""

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from demo_models import settings
from demo_models.iterations.registry import list_iterations
from feedback.access import PERMISSIONS, AccessError
from feedback.announcements import DEPRECATION, TEAM_KINDS, Announcement, AnnouncementError
from feedback.delivery import describe_channels
from feedback.notifications import (
    CADENCES,
    DEAD,
    EVENTS,
    SENT,
    TEAM_PREFIX,
    Channels,
    NotificationError,
    default_subscription,
    login_address,
)
from feedback.store.announcements import list_announcements, post_notice
from feedback.store.database import StoreError
from feedback.store.delivery import send_test_message
from feedback.store.notifications import delivery_log_for, save_subscription, subscription_of
from pages._ui.banners import dismiss_items, dismissed_by
from pages._ui.context import setup_page
from pages._ui.flash import confirm_and_rerun, show_confirmation
from pages._ui.health_monitor import health_status
from pages._ui.store_guard import require_store
from pages._ui.text import md

CADENCE_LABELS = {
    "immediate": "at once",
    "daily": "a daily digest",
    "weekly": "a weekly digest (Mondays)",
}
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

st.header("Your notifications")
me = ctx.identity.actor
mine = subscription_of(store, me.subject)
login_email = login_address(me.subject)
defaults = default_subscription(me.subject or "", me.role)
if mine is None:
    st.caption(
        md(
            "Until you choose, as {} you hear at once, on your login e-mail {}, of: {}; and of the lifecycle of the "
            "use cases you gave feedback on. Change it here.",
            me.role,
            login_email,
            ", ".join(defaults.events),
        )
        if login_email
        else md(
            "Give an address to hear of what you choose. As {} you would hear of: {}.",
            me.role,
            ", ".join(defaults.events),
        )
    )
known_use_cases = sorted({c.use_case for c in list_iterations(None, ctx.registry_dir)})
chosen_now = mine or defaults
with st.form("subscription"):
    address = st.text_input("Your e-mail address", value=chosen_now.address, key="sub_address")
    chosen = st.multiselect(
        "Use cases (none: every one)", known_use_cases, default=list(chosen_now.use_cases), key="sub_use_cases"
    )
    events = st.multiselect("Events", EVENTS, default=list(chosen_now.events), key="sub_events")
    cadence = st.radio(
        "How often",
        CADENCES,
        index=CADENCES.index(chosen_now.cadence),
        format_func=CADENCE_LABELS.get,
        horizontal=True,
        key="sub_cadence",
    )
    subscribed = st.form_submit_button("Save my subscription")
if subscribed:
    try:
        save_subscription(store, me, address, chosen, events, known_use_cases, cadence)
    except (NotificationError, AccessError, StoreError) as err:
        st.error(md("Not saved — {}", err))
    else:
        confirm_and_rerun("Subscription saved.")

st.header("Channels")
try:
    channels = Channels(**settings.notify_channels())
except ValueError as err:
    channels = Channels()
    st.error(md("The notification settings cannot be read — {}", err))
shown = describe_channels(channels)
if not shown:
    st.caption(
        "No channel is configured: set INVOLVE_NOTIFY_EMAIL_URL and INVOLVE_NOTIFY_URLS_<USE_CASE> (apprise URLs), "
        "or [notify] in .streamlit/secrets.toml. Until then the worker retries messages to a channel that is "
        "not configured and marks them dead after the last attempt."
    )
else:
    st.dataframe(
        pd.DataFrame({"Channel": [v.name for v in shown], "Address (secrets hidden)": [v.url for v in shown]}),
        hide_index=True,
        key="channels_table",
    )
st.caption(
    md(
        "`involve notify --deliver` sends what is queued (cron: add `--once`); each message is sent once. "
        "Digests go out at {}:00 UTC (weekly ones on Mondays); `involve notify --digest daily` sends one now.",
        channels.digest_hour,
    )
)

st.header("Delivery log")
log_rows = delivery_log_for(store, me, use_case.name)
dead = [m for m in log_rows if m.status == DEAD]
if dead:
    st.warning(
        md("{} message(s) could not be delivered after every attempt; see the last error of each.", len(dead)),
        icon=":material/error:",
    )
if not log_rows:
    st.caption(md("No message about {} for you yet.", use_case.title))
else:
    st.dataframe(
        pd.DataFrame(
            {
                "Queued (UTC)": [f"{m.created_at:%Y-%m-%d %H:%M}" for m in log_rows],
                "Event": [m.event for m in log_rows],
                "To": [m.recipient for m in log_rows],
                "Subject": [m.subject for m in log_rows],
                "Status": [m.status for m in log_rows],
                "Attempts": [m.attempts for m in log_rows],
                "Next attempt (UTC)": [
                    "" if m.status in (SENT, DEAD) else f"{m.next_attempt_at:%Y-%m-%d %H:%M}" for m in log_rows
                ],
                "Last error": [m.last_error or "" for m in log_rows],
            }
        ),
        hide_index=True,
        key="delivery_log",
    )

st.header("Send a test message")
targets = [t for t in (mine.address if mine else login_email, f"{TEAM_PREFIX}{use_case.name}") if t]
with st.form("test_message"):
    target = st.selectbox("To", targets, key="test_target")
    tested = st.form_submit_button("Send a test message")
if tested:
    try:
        result = send_test_message(store, channels, me, target, use_case.name)
    except (NotificationError, AccessError, StoreError) as err:
        st.error(md("Not sent — {}", err))
    else:
        if result.status == SENT:
            st.success(md("Sent to {}.", result.recipient))
        else:
            st.error(md("Not delivered yet ({}): {}. It will be tried again.", result.status, result.last_error or ""))
