"""Sign-off: the roles the use case names sign an iteration off before it goes live, on what they saw."""

import pandas as pd
import streamlit as st

from demo_models.metrics.fairness import GAP_METRICS
from demo_models.presentation.report_inputs import compose_snapshot, expectations_of
from demo_models.vocabulary import required_signoffs
from feedback.access import AccessError
from feedback.notifications import NotificationError
from feedback.signoff import SIGN, SignOff, SignoffError, Snapshot, missing_roles
from feedback.store.database import StoreError
from feedback.store.records import list_feedback
from feedback.store.signoff import current_signoffs_of, list_signoffs, request_signoffs, sign_off, withdraw_signoff
from pages._ui.context import setup_page
from pages._ui.expectations_view import render_expectation_tables
from pages._ui.flash import confirm_and_rerun, show_confirmation
from pages._ui.loaders import load_scored
from pages._ui.scorecard import criteria_of, evaluate
from pages._ui.store_guard import require_store
from pages._ui.tables import render_table
from pages._ui.text import md, plain

ctx = setup_page("Sign-off")
use_case, card = ctx.use_case, ctx.card
st.title("Sign-off")
try:
    required = required_signoffs(use_case)
except ValueError as err:
    st.error(md("The sign-off policy cannot be read, so nothing can go live until it is fixed: {}", err))
    st.stop()
st.caption(
    md(
        "An iteration of {} goes live only with the sign-off of: **{}**. Each sign-off keeps a snapshot of what the "
        "signer saw — scorecard, fairness gaps, open feedback — and counts until the iteration's next lifecycle "
        "change; it can be withdrawn until then.",
        use_case.title,
        ", ".join(required) or "nobody",
    )
)
store = require_store(ctx, "Sign-offs are")
show_confirmation()
status = ctx.statuses[card.version]


def _verdict(passed: bool | None, value: float | None, note: str) -> str:
    if value is None:
        return f"no value: {note}"
    if passed is None:  # a review metric whose interval does not decide yet
        return f"{note} · {value:.4g}"
    return f"{'pass' if passed else 'FAIL'} · {value:.4g}" + (f" ({note})" if note else "")


def render_snapshot(snapshot: Snapshot, key: str, now: bool = False) -> None:
    """The scorecard, fairness gaps and open feedback of a snapshot (`now`: the one about to be signed)."""
    st.markdown(md("**Scorecard** at threshold {:.1%}", snapshot.threshold))
    if snapshot.scorecard:
        st.dataframe(
            pd.DataFrame(
                {
                    "Criterion": [line.criterion for line in snapshot.scorecard],
                    "Owner": [line.owner for line in snapshot.scorecard],
                    "Result": [_verdict(line.passed, line.value, line.note) for line in snapshot.scorecard],
                }
            ),
            hide_index=True,
            key=f"{key}_scorecard",
        )
    else:
        st.caption(
            "No success criteria are agreed: set them on the Goals page first."
            if now
            else "No success criteria were agreed at that moment."
        )
    favourable = snapshot.favourable_decision or use_case.favourable_decision
    st.markdown(md("**Fairness gaps** on the favourable decision, “{}”", favourable))
    if snapshot.fairness_gaps:
        gaps = pd.DataFrame(snapshot.fairness_gaps).T.rename(columns=GAP_METRICS)
        gaps.index = [use_case.label(a) for a in gaps.index]
        render_table(gaps, dict.fromkeys(gaps.columns, "{:.3f}"), key=f"{key}_gaps")
    for attribute, note in snapshot.fairness_notes.items():
        st.caption(md("{}: {}", use_case.label(attribute), note))
    if not snapshot.fairness_gaps and not snapshot.fairness_notes:
        st.caption("This iteration names no protected attribute.")
    kept = snapshot.expectations
    if kept:
        broken = ", ".join(map(str, kept.get("broken", [])))
        retired = kept.get("retired", [])
        st.markdown(
            md(
                "**Expectations** (round agreements, adjudications, pins from Explore): {}{}{}",
                f"{kept.get('met')} of {kept.get('checked')} met" if kept.get("checked") else "— (none can be checked)",
                md("; broken: {}", broken) if broken else md(""),
                md("; {} retired, not counted", len(retired)) if retired else md(""),
            )
        )
        render_expectation_tables(
            ctx, pd.DataFrame(kept["lines"]) if "lines" in kept else None, pd.DataFrame(retired), key
        )
    elif now:
        st.caption(
            "No expectation from review rounds yet (they are kept when a round closes or a case is adjudicated)."
        )
    open_total = sum(snapshot.open_feedback.values())
    detail = ", ".join(f"{n} {s}" for s, n in snapshot.open_feedback.items())
    st.markdown(md("**Open feedback**: {} entries", open_total) + (md(" ({})", detail) if detail else ""))


# --- where the iteration stands ------------------------------------------------------------------
current = current_signoffs_of(store, use_case.name, card.version)
missing = missing_roles(required, current)
st.header(md("{} · {}", card.version, status))
if status in ("live", "retired"):
    st.info(
        md(
            "{} is {}: there is nothing to sign off. The sign-offs made before its promotions are in the history "
            "below, with what each signer saw.",
            card.version,
            status,
        )
    )
elif not required:
    st.success(md("{} needs no sign-off: {} can be promoted on the Iterations page.", use_case.title, card.version))
elif missing:
    st.warning(md("{} cannot go live yet: it needs the sign-off of **{}**.", card.version, ", ".join(missing)))
else:
    st.success(md("{} is signed off by every required role and can be promoted on the Iterations page.", card.version))
if required and status in ("candidate", "deprecated"):
    by_role = {s.signer_role: s for s in current}
    st.dataframe(
        pd.DataFrame(
            {
                "Role": list(required),
                "Signed by": [by_role[r].signer_name if r in by_role else "—" for r in required],
                "When (UTC)": [f"{by_role[r].created_at:%Y-%m-%d %H:%M}" if r in by_role else "" for r in required],
                "Comment": [by_role[r].comment if r in by_role else "" for r in required],
                "Acknowledged as not met": [
                    "; ".join(by_role[r].acknowledged) if r in by_role else "" for r in required
                ],
            }
        ),
        hide_index=True,
        key="signoff_status",
    )

# --- ask for the missing sign-offs ------------------------------------------------------------------
if status in ("candidate", "deprecated") and missing:
    with st.form(f"signoff_request_{card.version}"):
        st.caption(md("Ask the people of {} for their sign-off: they hear it by e-mail.", ", ".join(missing)))
        ask_note = st.text_input("Note (optional)", key="signoff_request_note", max_chars=500)
        asked = st.form_submit_button("Ask for the missing sign-offs")
    if asked:
        try:
            queued = request_signoffs(
                store, use_case.name, card.version, ctx.identity.actor, ask_note, required_signoffs=required
            )
        except (NotificationError, AccessError, StoreError) as err:
            st.error(md("Not asked — {}", err))
        else:
            if queued:
                confirm_and_rerun(f"Asked {len(queued)} person(s): {', '.join(sorted(m.recipient for m in queued))}.")
            else:
                st.warning(
                    md(
                        "Nobody of {} can be reached: no such person has an e-mail login or a subscription yet.",
                        ", ".join(missing),
                    )
                )

# --- sign off --------------------------------------------------------------------------------------
if status in ("candidate", "deprecated") and missing:
    st.header("Sign off")
    scored = load_scored(ctx)
    results = evaluate(ctx, scored, criteria_of(ctx))
    snapshot = compose_snapshot(
        scored, results, list_feedback(store, use_case.name, card.version), expectations_of(store, scored)
    )
    st.markdown(md("What you sign, as it is now for **{}**:", card.version))
    render_snapshot(snapshot, "now", now=True)
    unmet = snapshot.unmet()
    role = ctx.identity.role
    with st.form(f"signoff_{card.version}"):
        st.caption(md("As {}, {}", ctx.identity.name or "(say who you are in the sidebar)", role))
        acknowledged = []
        if unmet:
            st.warning("These criteria are not met. Sign off only if you accept that, and say why in the comment.")
            for i, criterion in enumerate(unmet):
                if st.checkbox(md("I acknowledge: {} — not met", criterion), key=f"signoff_ack_{i}"):
                    acknowledged.append(criterion)
        comment = st.text_area("Comment", key="signoff_comment", placeholder="What you checked; any condition.")
        submitted = st.form_submit_button(md("Sign off {} as {}", card.version, role), type="primary")
    if submitted:
        try:
            sign_off(
                store,
                use_case.name,
                ctx.versions,
                card.version,
                ctx.identity.actor,
                comment,
                snapshot,
                acknowledged,
                required_signoffs=required,
            )
        except (SignoffError, AccessError, StoreError) as err:
            st.error(md("Not signed — {}", err))
        else:
            confirm_and_rerun(f"{card.version} signed off as {role}.")

if status in ("candidate", "deprecated") and current:
    st.header("Withdraw a sign-off")
    labels = {s.id: f"#{s.id} · {s.signer_role} · {s.signer_name}" for s in current}
    with st.form(f"withdraw_{card.version}"):
        chosen = st.selectbox("Sign-off", list(labels), format_func=labels.get, key="withdraw_id")
        reason = st.text_area("Why", key="withdraw_reason")
        if st.form_submit_button("Withdraw"):
            try:
                withdraw_signoff(store, use_case.name, card.version, chosen, ctx.identity.actor, reason)
            except (SignoffError, AccessError, StoreError) as err:
                st.error(md("Not withdrawn — {}", err))
            else:
                confirm_and_rerun(f"Sign-off #{chosen} of {card.version} withdrawn.")


# --- history -----------------------------------------------------------------------------------------
st.header("History")
records: list[SignOff] = list_signoffs(store, use_case.name, card.version)
if not records:
    st.caption(md("No sign-off of {} yet.", card.version))
counting = {s.id for s in current}
for record in reversed(records):
    when = f"{record.created_at:%Y-%m-%d %H:%M} UTC"
    if record.action == SIGN:
        state = "counts for the next promotion" if record.id in counting else "part of the record"
        title = md(
            "#{} · signed off as {} by {} · {} · {}", record.id, record.signer_role, record.signer_name, when, state
        )
        with st.expander(title):
            st.markdown(plain(record.comment) or "_No comment._")
            if record.acknowledged:
                st.markdown(md("Acknowledged as not met: {}", "; ".join(record.acknowledged)))
            render_snapshot(record.snapshot, f"history_{record.id}")
    else:
        st.markdown(
            plain(
                f"#{record.id} · {record.signer_name} ({record.signer_role}) withdrew sign-off "
                f"#{record.withdraws} · {when}: {record.comment}"
            )
        )
