"""Inbox: all feedback with filters and search, triage (bulk), summaries, export and import."""

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from demo_models.formats import format_share
from demo_models.presentation.chart_text import describe_bars, describe_lines
from demo_models.presentation.figures import build_lines
from feedback.access import PERMISSIONS, AccessError
from feedback.analytics import count_categories, count_verdicts, disagreement_over_time, mentioned_features
from feedback.exchange import export_csv, export_json
from feedback.records import CATEGORIES, ROLES, TRIAGE_STATUSES, VERDICTS, FeedbackFilter
from feedback.store.app_reports import list_reports
from feedback.store.database import StoreError
from feedback.store.exchange import export_jsonl, import_jsonl, read_import
from feedback.store.records import search_feedback
from feedback.store.triage import triage_feedback
from feedback.triage import TriageError
from pages._ui.charts import render_plotly, render_text_alternative
from pages._ui.context import setup_page
from pages._ui.flash import confirm_and_rerun, show_confirmation
from pages._ui.store_guard import require_store
from pages._ui.text import md, plain

ctx = setup_page("Inbox")
use_case = ctx.use_case
st.title("Feedback inbox")
st.caption(
    md(
        "Everything reviewers said, tied to the iteration, the case and the explanation they saw. Triage is for: {}.",
        ", ".join(PERMISSIONS["triage feedback"]),
    )
)
require_store(ctx, "The inbox is")
show_confirmation()

versions = [c.version for c in ctx.cards]
with st.expander("Filters", expanded=True):
    f1, f2, f3 = st.columns(3)
    iterations = f1.multiselect("Iteration", versions, key="inbox_iterations")
    statuses = f2.multiselect("Status", TRIAGE_STATUSES, key="inbox_statuses")
    categories = f3.multiselect("Category", CATEGORIES, key="inbox_categories")
    verdicts = f1.multiselect("Verdict", VERDICTS, key="inbox_verdicts")
    roles = f2.multiselect("Role", ROLES, key="inbox_roles")
    period = f3.date_input("Between", value=(date.today() - timedelta(days=365), date.today()), key="inbox_dates")
    text = st.text_input("Search the comments", key="inbox_text", placeholder="e.g. duration")
since, until = (period[0], period[1]) if isinstance(period, (tuple, list)) and len(period) == 2 else (None, None)
where = FeedbackFilter(use_case.name, iterations, statuses, categories, verdicts, roles, since, until, text)
try:
    entries = search_feedback(ctx.store, where)
except StoreError as err:
    st.error(plain(err))
    st.stop()

st.header(md("{:,} entr{}", len(entries), "y" if len(entries) == 1 else "ies"))
table = pd.DataFrame(
    {
        "#": [e.id for e in entries],
        "When (UTC)": [e.created_at.strftime("%Y-%m-%d %H:%M") for e in entries],
        "Iteration": [e.iteration for e in entries],
        "Case": [e.case_id for e in entries],
        "Decision shown": [f"{e.decision} ({format_share(e.score, 0)})" for e in entries],
        "Verdict": [e.verdict for e in entries],
        "About": [", ".join(e.categories) for e in entries],
        "Severity": [e.severity for e in entries],
        "Who": [f"{e.reviewer_name} ({e.reviewer_role})" for e in entries],
        "Comment": [e.comment for e in entries],
        "Status": [
            e.triage_status
            + (f" in {e.fixed_in}" if e.fixed_in else "")
            + (f" of #{e.duplicate_of}" if e.duplicate_of else "")
            for e in entries
        ],
    }
)
event = st.dataframe(
    table,
    key="inbox_table",
    on_select="rerun",
    selection_mode="multi-row",
    hide_index=True,
    # the status stays on screen: long "About" and "Comment" texts come last and are cut to a medium width
    column_order=[
        "#",
        "When (UTC)",
        "Iteration",
        "Case",
        "Decision shown",
        "Verdict",
        "Status",
        "Severity",
        "About",
        "Who",
        "Comment",
    ],
    column_config={
        "About": st.column_config.TextColumn(width="medium"),
        "Comment": st.column_config.TextColumn(width="medium"),
    },
)
selected = [entries[i] for i in event.selection.rows if i < len(entries)]

if len(selected) == 1:
    entry = selected[0]
    st.subheader(md("#{} on {} ({})", entry.id, entry.case_id, entry.iteration))
    st.markdown(
        md(
            "When it was given the app showed **{}** at a score of {} (threshold {:.1%}), with these reasons:",
            entry.decision,
            format_share(entry.score),
            entry.threshold,
        )
    )
    st.dataframe(pd.DataFrame({"Reasons shown": list(entry.reasons_shown) or ["(none)"]}), hide_index=True)
    origin = read_import(ctx.store, entry.import_id) if entry.import_id else None
    if origin is not None:
        st.caption(
            md(
                "Given by {} in another store; imported by {} ({}) on {:%Y-%m-%d %H:%M} UTC from {} ({}).",
                entry.reviewer_name,
                origin.actor_name,
                origin.actor_role,
                origin.created_at,
                origin.source_file,
                origin.exported_from or "store not named",
            )
        )
    st.page_link(
        "pages/1_Explore.py",
        label=md("Open {} in {}", entry.case_id, entry.iteration),
        icon=":material/open_in_new:",
        query_params={"use_case": entry.use_case, "iteration": entry.iteration, "case": entry.case_id},
    )

st.subheader(plain("Triage" + (f" {len(selected)} selected" if selected else "")))
shown_before = st.session_state.get("inbox_triage_seen", {})  # what the previous run showed: what was decided on
st.session_state["inbox_triage_seen"] = {e.id: e.triage_status for e in selected}
if not selected:
    st.caption(
        "Select entries in the table (several for a bulk action; keyboard: Tab into the table, arrow keys to a row, "
        "Shift+Space to select it)."
    )
else:
    with st.form("triage"):
        left, middle, right = st.columns(3)
        to_status = left.selectbox("New status", [s for s in TRIAGE_STATUSES if s != "new"], key="triage_status")
        duplicate_of = middle.number_input("Duplicate of entry #", min_value=0, step=1, value=0, key="triage_duplicate")
        fixed_in = right.selectbox("Fixed in iteration", ["—", *versions], key="triage_fixed_in")
        note = st.text_area("Note", key="triage_note", placeholder="Why; required when rejecting.")
        st.caption(md("As {}, {}", ctx.identity.name or "(say who you are in the sidebar)", ctx.identity.role))
        if st.form_submit_button("Apply", type="primary"):
            try:
                changes = triage_feedback(
                    ctx.store,
                    [e.id for e in selected],
                    to_status,
                    ctx.identity.actor,
                    note,
                    duplicate_of=int(duplicate_of) or None,
                    fixed_in=None if fixed_in == "—" else fixed_in,
                    known_iterations=versions,
                    seen={e.id: shown_before.get(e.id, e.triage_status) for e in selected},
                )
            except (TriageError, AccessError, StoreError) as err:
                st.error(md("Not changed — {}", err))
            else:
                confirm_and_rerun(f"{len(changes)} entr{'y' if len(changes) == 1 else 'ies'} now {to_status}.")

st.header("Summary")
if entries:
    left, right = st.columns(2)
    left.markdown("**Verdicts per iteration**")
    verdict_counts, category_counts = count_verdicts(entries), count_categories(entries)
    left.bar_chart(verdict_counts, stack=True)
    render_text_alternative(
        describe_bars(verdict_counts, "Entries per iteration", "Feedback entries"), "verdicts", left
    )
    right.markdown("**What it was about**")
    right.bar_chart(category_counts, stack=True)
    render_text_alternative(
        describe_bars(category_counts.T, "Entries per category", "Feedback entries"), "categories", right
    )
    over_time = disagreement_over_time(entries)
    left.markdown("**Share of “disagree” per week**")
    render_plotly(
        build_lines(over_time, "share of disagree", "week"),
        describe_lines(
            over_time.rename(columns=lambda v: f"Share of disagree ({v})"), "Share of “disagree” per week", digits=2
        ),
        "disagree_share",
        left,
    )
    vocabulary = {c: use_case.label(c) for c in ctx.card.features}
    mentions = mentioned_features(entries, vocabulary)
    right.markdown("**Inputs named in “missing factor” and “unclear explanation” comments**")
    if mentions.empty:
        right.caption("None named yet.")
    else:
        right.bar_chart(mentions, horizontal=True)
        render_text_alternative(describe_bars(mentions, "Comments naming each input"), "mentions", right)
else:
    st.caption("Nothing matches the filters.")

st.header("Export and import")
e1, e2, e3 = st.columns(3)
e1.download_button("CSV", export_csv(entries), file_name="involve-feedback.csv", mime="text/csv", key="export_csv")
e2.download_button(
    "JSON", export_json(entries), file_name="involve-feedback.json", mime="application/json", key="export_json"
)
e3.download_button(
    "JSON lines (to move to another store)",
    export_jsonl(ctx.store, entries).encode("utf-8"),
    file_name="involve-feedback.jsonl",
    mime="application/jsonl",
    key="export_jsonl",
)
if ctx.identity.role not in PERMISSIONS["import feedback"]:
    st.caption(md("Importing feedback from another store is for: {}.", ", ".join(PERMISSIONS["import feedback"])))
else:
    upload = st.file_uploader(
        "Import JSON lines exported from another Involve store", type=["jsonl"], key="import_file"
    )
    if upload is not None and st.button("Import", key="import_button"):
        try:
            text_in = upload.getvalue().decode("utf-8")
        except UnicodeDecodeError:
            st.error("The file is not UTF-8 text; nothing was imported.")
        else:
            try:
                report = import_jsonl(ctx.store, text_in, {use_case.name: versions}, ctx.identity.actor, upload.name)
            except (AccessError, StoreError) as err:
                st.error(md("Nothing was imported — {}", err))
            else:
                st.success(
                    md(
                        "Imported {}; {} were already here; {} refused.",
                        report.added,
                        report.already_present,
                        len(report.errors),
                    )
                )
                for problem in report.errors[:20]:
                    st.warning(md("Not imported: {}", problem))
                if len(report.errors) > 20:
                    st.warning(md("… and {} more lines refused.", len(report.errors) - 20))

reports = list_reports(ctx.store)
st.header(md("Reports on the app ({})", len(reports)))
if reports:
    st.dataframe(
        pd.DataFrame(
            {
                "When (UTC)": [r.created_at.strftime("%Y-%m-%d %H:%M") for r in reports],
                "Page": [r.page for r in reports],
                "Kind": [r.kind for r in reports],
                "Who": [f"{r.reporter_name} ({r.reporter_role})" for r in reports],
                "Comment": [r.comment for r in reports],
            }
        ),
        hide_index=True,
    )
else:
    st.caption("No one has reported a problem with the app.")
