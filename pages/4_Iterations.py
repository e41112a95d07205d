"""Iterations: the timeline, lifecycle changes (promote, deprecate, retire) and the audit log."""

from datetime import date, timedelta
from functools import partial

import pandas as pd
import streamlit as st

from demo_models.iterations.hypotheses import INTERVAL_RULE, judge_hypotheses, record_hypothesis
from demo_models.iterations.registry import RegistryError
from demo_models.metrics.catalogue import criterion_keys, criterion_specs
from demo_models.presentation.notice_documents import dossier_file_name, issue_dossier
from demo_models.presentation.report_inputs import compose_report
from demo_models.presentation.snippets import registration_snippet
from demo_models.vocabulary import required_signoffs
from feedback.access import PERMISSIONS, AccessError
from feedback.goals import COMPARATOR_SIGNS, COMPARATORS
from feedback.hypotheses import MAX_CLAIMS, Claim, HypothesisError
from feedback.lifecycle import TRANSITIONS, LifecycleError
from feedback.signoff import missing_roles
from feedback.store.database import StoreError
from feedback.store.lifecycle import change_lifecycle, list_lifecycle_events
from feedback.store.signoff import current_signoffs_of
from pages._ui.context import setup_page
from pages._ui.flash import confirm_and_rerun, show_confirmation
from pages._ui.store_guard import require_store
from pages._ui.text import md
from pages._ui.timeline import render_timeline

ACTIONS = {
    "live": "Promote to live",
    "deprecated": "Deprecate",
    "retired": "Retire",
    "candidate": "Restore as candidate",
}

ctx = setup_page("Iterations")
use_case = ctx.use_case
st.title("Iterations")
st.caption(
    md(
        "Every model version is an iteration: candidate → live → deprecated → retired. At most one is live; changes "
        "are recorded with who, when and why. Allowed to change the lifecycle: {}.",
        ", ".join(PERMISSIONS["change lifecycle"]),
    )
)
require_store(ctx, "The lifecycle is")
show_confirmation()

events = list_lifecycle_events(ctx.store, use_case.name)
st.header("Timeline")
with st.spinner("Judging the hypotheses…"):
    judgements = judge_hypotheses(ctx.store, ctx.registry_dir, use_case.name, ctx.cards)
render_timeline(ctx, events, judgements)

st.header("Change the lifecycle")
versions = [c.version for c in ctx.cards]
version = st.selectbox(
    "Iteration",
    versions,
    index=versions.index(ctx.card.version),
    format_func=lambda v: f"{v} ({ctx.statuses[v]})",
    key="lifecycle_version",
)
current = ctx.statuses[version]
shown_before = st.session_state.get("lifecycle_seen", {})  # what the previous run showed: what was decided on
st.session_state["lifecycle_seen"] = dict(ctx.statuses)
to_status = st.radio(
    "Action", TRANSITIONS[current], format_func=ACTIONS.get, horizontal=True, key=f"lifecycle_action_{version}"
)
live = [v for v, s in ctx.statuses.items() if s == "live" and v != version]
try:
    required = required_signoffs(use_case)
except ValueError as err:
    st.error(md("The sign-off policy cannot be read, so nothing can go live until it is fixed: {}", err))
    required = None
if to_status == "live" and required is not None:
    missing = missing_roles(required, current_signoffs_of(ctx.store, use_case.name, version))
    if missing:
        st.warning(md("{} still needs the sign-off of **{}** before it can go live.", version, ", ".join(missing)))
        st.page_link("pages/5_Sign_off.py", label=md("Sign off {}", version), icon=":material/approval:")
    elif required:
        st.success(md("{} is signed off by {}.", version, ", ".join(required)))
with st.form(f"lifecycle_{version}_{to_status}"):
    st.caption(md("As {}, {}", ctx.identity.name or "(say who you are in the sidebar)", ctx.identity.role))
    reason = st.text_area("Why", placeholder="The reason is kept in the audit log.", key="lifecycle_reason")
    details = {}
    if to_status == "live":
        details["migration_note"] = st.text_area(
            "Migration note: what changes for business users",
            placeholder="Shown on the home page once this iteration is live.",
            key="lifecycle_note",
        )
        if live:
            details["demote_current"] = st.checkbox(md("Deprecate {}, which is live now", live[0]), value=True)
    if to_status == "deprecated" or (to_status == "live" and live):
        details["sunset_date"] = st.date_input(
            "Sunset date of the deprecated iteration", value=date.today() + timedelta(days=30), min_value=date.today()
        )
    if to_status == "deprecated":
        others = [v for v in versions if v != version]
        details["replacement"] = st.selectbox("Replaced by", others, index=len(others) - 1)
    submitted = st.form_submit_button(ACTIONS[to_status], type="primary")
if submitted:
    try:
        if required is None:
            raise LifecycleError("the sign-off policy cannot be read (see above).")
        saved = change_lifecycle(
            ctx.store,
            use_case.name,
            versions,
            version,
            to_status,
            ctx.identity.actor,
            reason,
            required_signoffs=required,
            seen_status=shown_before.get(version, current),
            **details,
        )
    except (LifecycleError, AccessError, StoreError) as err:
        st.error(md("Not changed — {}", err))
    else:
        confirm_and_rerun("; ".join(f"{e.iteration} is now {e.to_status}" for e in saved) + ".")

st.header("State a hypothesis")
st.markdown(
    md(
        "What an iteration is meant to show, as measurable claims from the goals' metrics and the review metrics: "
        "e.g. “monotone constraints make the explanations make sense”: clarity ≥ 4, agreement with the model ≥ 0.85, "
        "ROC AUC vs parent ≥ −0.01 (loses at most 0.01). Stating it again keeps the earlier version. {} "
        "Allowed to state one: {}.",
        INTERVAL_RULE,
        ", ".join(PERMISSIONS["state hypotheses"]),
    )
)
if ctx.identity.role in PERMISSIONS["state hypotheses"]:
    specs = criterion_specs(use_case)
    metric_keys = list(criterion_keys())
    claim_count = st.number_input("Claims", min_value=1, max_value=MAX_CLAIMS, value=3, key="hypothesis_claims")
    with st.form("hypothesis_form"):
        st.caption(md("As {}, {}", ctx.identity.name or "(say who you are in the sidebar)", ctx.identity.role))
        stated_for = st.selectbox(
            "Iteration", [c.version for c in ctx.cards], index=len(ctx.cards) - 1, key="hypothesis_version"
        )
        statement = st.text_area(
            "Hypothesis", placeholder="What this iteration is meant to show.", key="hypothesis_text"
        )
        rows = []
        for i in range(int(claim_count)):
            metric_col, comparator_col, target_col, basis_col = st.columns([3, 1, 1, 1])
            rows.append(
                (
                    metric_col.selectbox(
                        md("Claim {}: metric", i + 1),
                        ["", *metric_keys],
                        format_func=lambda k: specs[k].label if k else "(no claim)",
                        key=f"hypothesis_metric_{i}",
                    ),
                    comparator_col.selectbox(
                        "Comparator", COMPARATORS, format_func=COMPARATOR_SIGNS.get, key=f"hypothesis_comparator_{i}"
                    ),
                    target_col.number_input(
                        "Threshold", value=0.0, step=0.01, format="%.3f", key=f"hypothesis_target_{i}"
                    ),
                    basis_col.selectbox("Against", ("absolute", "vs parent"), key=f"hypothesis_basis_{i}"),
                )
            )
        attribute = None
        if ctx.card.protected_attributes:
            attribute = st.selectbox(
                "Protected attribute of group metrics", ctx.card.protected_attributes, key="hypothesis_attribute"
            )
        stated = st.form_submit_button("State the hypothesis", type="primary")
    if stated:
        claims = [Claim(m, c, t, b == "vs parent", attribute) for m, c, t, b in rows if m]
        card = next(c for c in ctx.cards if c.version == stated_for)
        try:
            saved = record_hypothesis(ctx.store, card, ctx.identity.actor, statement, claims)
        except (HypothesisError, AccessError, StoreError) as err:
            st.error(md("Not stated — {}", err))
        else:
            confirm_and_rerun(f"The hypothesis of {saved.iteration} is stated, with {len(saved.claims)} claims.")
else:
    st.caption(md("As a {}, you can read the hypotheses on the timeline.", ctx.identity.role))

st.header("Audit log")
if events:
    st.dataframe(
        pd.DataFrame(
            {
                "When (UTC)": [e.created_at.strftime("%Y-%m-%d %H:%M") for e in events],
                "Iteration": [e.iteration for e in events],
                "Change": [f"{e.from_status} → {e.to_status}" for e in events],
                "Who": [f"{e.actor_name} ({e.actor_role})" for e in events],
                "Why": [e.reason for e in events],
                "Sunset": [e.sunset_date.isoformat() if e.sunset_date else "" for e in events],
                "Replaced by": [e.replacement or "" for e in events],
                "Migration note": [e.migration_note or "" for e in events],
            }
        ).iloc[::-1],
        hide_index=True,
        key="audit_log",
    )
else:
    st.caption("No lifecycle change yet: every iteration is a candidate.")

st.header("Iteration report")
st.markdown(
    md(
        "One HTML file about **{}** for people who never open the app: goals scorecard, outcomes and cost, fairness, "
        "what drives the scores and how each input moves them, example explanations, where it errs, calibration, the "
        "data behind it, what changed since its parent and which decisions flip, feedback and its resolution, "
        "expectations and the hypothesis it tests. It opens offline in any browser.",
        ctx.card.version,
    )
)
if st.button(md("Prepare the report of {}", ctx.card.version), key="report_prepare"):
    try:
        with st.spinner("Writing the report…"):
            st.session_state["_report"] = (
                ctx.card.version,
                compose_report(ctx.registry_dir, ctx.store, use_case.name, ctx.card.version).encode("utf-8"),
            )
    except (RegistryError, StoreError) as err:
        st.error(md("The report could not be made: {}", err))
prepared = st.session_state.get("_report")
if prepared and prepared[0] == ctx.card.version:
    st.download_button(
        md("Download the report of {} ({:.1f} MB)", ctx.card.version, len(prepared[1]) / 1e6),
        prepared[1],
        file_name=f"involve-{use_case.name}-{ctx.card.version}.html",
        mime="text/html",
        key="report_download",
    )
st.caption(
    "The dossier: the same sections as a paginated PDF with the lifecycle status and the sign-offs in force, "
    "for the compliance archive. Written when you click, and recorded on the Documents page."
)
if ctx.store is None or ctx.store.read_only:
    why = ctx.store.read_only_reason if ctx.store is not None else ctx.store_error
    st.caption(md("No dossier: every dossier is recorded in the audit log of generated documents, and {}.", why))
else:
    st.download_button(
        md("Dossier (PDF) of {}", ctx.card.version),
        partial(
            issue_dossier,
            ctx.registry_dir,
            ctx.store,
            use_case.name,
            ctx.card.version,
            ctx.identity.actor,
            f"{ctx.identity.name or 'unnamed'} ({ctx.identity.role}), Involve app",
        ),
        file_name=dossier_file_name(use_case.name, ctx.card.version),
        mime="application/pdf",
        key="dossier_download",
        on_click="ignore",
    )

st.header("Bring your own model")
st.markdown(
    md(
        "Register a fitted scikit-learn classifier from a notebook; it appears here on the next page load. The call "
        "below is filled in from {}'s card, for evaluation data with the same columns.",
        ctx.cards[-1].version,
    )
)
st.code(
    registration_snippet(ctx.cards[-1], ctx.versions),
    language=None,  # Streamlit's syntax colours fail WCAG AA contrast (2.4-3.5:1) on the code background
)
