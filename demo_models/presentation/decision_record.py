"""The decision record of one case, what an auditor asks for when a decision is disputed: the inputs as the model
saw them, score, threshold, decision, the waterfall, the reasons (and the notice's statements for a decline), the
iteration with its lifecycle status and the sign-offs in force at that moment, and the feedback on the case.

The contents are composed once, kept append-only in the store as canonical JSON with their digest
(`feedback.decision_records`), and the text and PDF are rendered from the kept contents only, so a download
prints exactly what the store holds.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone

from demo_models.explanations.whatif import is_missing
from demo_models.iterations.scoring import CaseExplanation, ScoredIteration
from demo_models.presentation.notice_render import NoticeWording
from demo_models.presentation.notices import build_notice, is_declined
from feedback.access import Actor
from feedback.decision_records import DecisionRecord, check_may_record, decision_record
from feedback.lifecycle import current_statuses
from feedback.signoff import current_signoffs
from feedback.store.database import FeedbackStore
from feedback.store.decision_records import keep_record
from feedback.store.lifecycle import list_lifecycle_events
from feedback.store.records import list_feedback
from feedback.store.signoff import list_signoffs


def _plain(value):
    """A value as JSON holds it: numbers as numbers, a missing value as None, anything else as text."""
    if is_missing(value):
        return None
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value if isinstance(value, (bool, int, float)) else str(value)


def _reason(reason) -> dict:
    return {"label": reason.label, "value": reason.value, "contribution": float(reason.contribution)}


def _when(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _in_force(store: FeedbackStore, use_case: str, version: str, at: datetime) -> tuple[str, list[dict], list[dict]]:
    """The iteration's lifecycle status at `at`, its lifecycle events up to then and the sign-offs in force then
    (not withdrawn by then)."""
    events = [e for e in list_lifecycle_events(store, use_case) if e.created_at <= at]
    status = current_statuses(events, [version])[version]
    mine = [e for e in events if e.iteration == version]
    signoffs = [s for s in list_signoffs(store, use_case, version) if s.created_at <= at]
    # live: the sign-offs that put it live (made after the change before its promotion) and any made since; else
    # those towards its next promotion (made after its last change), as the Sign-off page counts them
    changes = [e.created_at for e in mine]
    if status == "live":
        since = changes[-2] if len(changes) > 1 else None
    else:
        since = changes[-1] if changes else None
    in_force = current_signoffs(signoffs, since)
    lifecycle = [
        {
            "when": _when(e.created_at),
            "from": e.from_status,
            "to": e.to_status,
            "by": e.actor_name,
            "role": e.actor_role,
            "subject": e.actor_subject,
            "reason": e.reason,
        }
        for e in mine
    ]
    signed = [
        {
            "when": _when(s.created_at),
            "by": s.signer_name,
            "role": s.signer_role,
            "subject": s.signer_subject,
            "comment": s.comment,
            "threshold": s.snapshot.threshold if s.snapshot else None,
            "acknowledged": list(s.acknowledged),
        }
        for s in in_force
    ]
    return status, lifecycle, signed


def compose_record(
    scored: ScoredIteration,
    explanation: CaseExplanation,
    store: FeedbackStore,
    actor: Actor,
    wording: NoticeWording | None = None,
    at: datetime | None = None,
) -> dict:
    """Everything the decision record of a case says, as JSON-ready data, recorded by `actor` at `at` (now)."""
    at = at or datetime.now(timezone.utc)
    use_case, card = scored.use_case, scored.card
    status, lifecycle, signoffs = _in_force(store, card.use_case, card.version, at)
    values = explanation.values
    inputs = [
        {
            "input": c,
            "label": use_case.label(c),
            "value": use_case.describe_value(c, values.get(c)),
            "raw": _plain(values.get(c)),
            "used": c in explanation.contributions.index,  # False: kept for fairness checks, not a model input
        }
        for c in scored.features.columns
    ]
    waterfall = [
        {
            "input": c,
            "label": use_case.label(c),
            "value": use_case.describe_value(c, values.get(c)),
            "contribution": float(v),
        }
        for c, v in explanation.contributions.items()
    ]
    notice = None
    if is_declined(scored, explanation):
        wording = wording or NoticeWording()
        built = build_notice(scored, explanation, at.date(), wording.statements)
        notice = {
            "reference": built.reference,
            "statements": built.statements,
            "without_statement": [r.label for r in built.missing],
            "what_would_change": built.what_would_change,
            "template_version": wording.version,
            "statements_version": wording.statements_version,
        }
    feedback = [
        {
            "when": _when(f.created_at),
            "by": f.reviewer_name,
            "role": f.reviewer_role,
            "subject": f.reviewer_subject,
            "verdict": f.verdict,
            "expected_outcome": f.expected_outcome,
            "categories": list(f.categories),
            "severity": f.severity,
            "comment": f.comment,
            "triage_status": f.triage_status,
            "fixed_in": f.fixed_in,
        }
        for f in reversed(list_feedback(store, card.use_case, card.version, str(explanation.case_id)))
    ]
    checked = check_may_record(actor)
    return {
        "use_case": card.use_case,
        "use_case_title": use_case.title,
        "iteration": card.version,
        "model": card.model_type,
        "case_id": str(explanation.case_id),
        "case_noun": use_case.words.case,
        "decision": explanation.decision,
        "decision_past": use_case.past(explanation.decision),
        "score": float(explanation.score),
        "threshold": float(explanation.threshold),
        "scale": explanation.scale,
        "base_value": float(explanation.base_value),
        "base_score": float(explanation.base_score),
        "output": float(explanation.output),
        "inputs": inputs,
        "waterfall": waterfall,
        "reasons": [
            {"label": r.label, "value": r.value, "contribution": float(r.contribution)} for r in explanation.reasons
        ],
        "protected_drivers": [
            {"label": r.label, "value": r.value, "contribution": float(r.contribution)}
            for r in explanation.protected_drivers
        ],
        "notice": notice,
        "lifecycle_status": status,
        "lifecycle": lifecycle,
        "signoffs": signoffs,
        "feedback": feedback,
        "recorded_at": _when(at),
        "recorded_by": {"name": checked.name, "role": checked.role, "subject": checked.subject},
    }


def record_decision(
    store: FeedbackStore,
    scored: ScoredIteration,
    explanation: CaseExplanation,
    actor: Actor,
    wording: NoticeWording | None = None,
) -> DecisionRecord:
    """Compose the case's decision record and keep it (append-only); AccessError for a role that may not."""
    check_may_record(actor)
    return keep_record(store, decision_record(compose_record(scored, explanation, store, actor, wording), actor))
