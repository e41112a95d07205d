"""Decision records (presentation/decision_record*.py, feedback/decision_records.py): the contents equal the
explanation shown, the lifecycle and sign-offs in force at the time, the feedback on the case; kept append-only;
refused to the roles that may not record; the PDF and text read back."""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import timedelta

import numpy as np
import pytest
from pypdf import PdfReader
from scipy.special import expit
from sqlalchemy import delete, update
from sqlalchemy.exc import DBAPIError

from demo_models.presentation.decision_record import compose_record, record_decision
from demo_models.presentation.decision_record_render import render_record_pdf, render_record_text
from demo_models.presentation.notice_documents import issue_record, records_table
from demo_models.presentation.notices import build_notice
from feedback.access import AccessError, Actor, demo_subject
from feedback.decision_records import decision_record
from feedback.store.decision_records import find_record, list_records
from feedback.store.documents import list_documents
from feedback.store.lifecycle import change_lifecycle, list_lifecycle_events
from feedback.store.records import add_feedback
from feedback.store.schema import DECISION_RECORDS
from tests.helpers import BUILTIN_VERSIONS, make_draft, pdftotext, sign_off_for_promotion

CLEO, RITA = Actor("Cleo Compliance", "compliance"), Actor("Rita Risk", "risk")
DS = Actor("Dana Scientist", "data scientist")


def _pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages)


def _case(it, decision: str) -> str:
    decisions = it.decisions()
    return sorted(decisions[decisions == decision].index)[0]


def test_the_record_holds_what_the_explanation_shows(store, scored):
    it = scored["v3"]
    case_id = _case(it, "decline")
    explanation = it.explain_case(case_id)
    data = compose_record(it, explanation, store, CLEO)
    assert (data["case_id"], data["iteration"], data["decision"]) == (case_id, "v3", "decline")
    assert data["score"] == pytest.approx(explanation.score, abs=0) and data["threshold"] == explanation.threshold
    assert data["score"] == pytest.approx(float(it.scores.loc[case_id]), rel=1e-12)  # the score Explore shows
    assert data["decision"] == it.decisions().loc[case_id]
    shown = {i["input"]: i["raw"] for i in data["inputs"]}
    assert list(shown) == list(it.features.columns)
    used = {i["input"] for i in data["inputs"] if i["used"]}
    assert used == set(explanation.contributions.index)  # what the model takes; the rest is marked unused
    for column, value in shown.items():
        original = it.features.loc[case_id, column]
        assert (
            (value is None)
            if original != original
            else value == (original.item() if hasattr(original, "item") else original)
        )
    # the waterfall: the explanation's contributions in its order, adding up from the base value to the score
    assert [w["input"] for w in data["waterfall"]] == list(explanation.contributions.index)
    assert np.allclose(
        [w["contribution"] for w in data["waterfall"]], explanation.contributions.to_numpy(), rtol=0, atol=0
    )
    total = data["base_value"] + sum(w["contribution"] for w in data["waterfall"])
    assert total == pytest.approx(data["output"], abs=1e-9)
    if data["scale"] == "log-odds":
        assert expit(total) == pytest.approx(data["score"], abs=1e-6)
    assert [(r["label"], r["value"]) for r in data["reasons"]] == [(r.label, r.value) for r in explanation.reasons]
    notice = build_notice(it, explanation, issued=None)
    assert data["notice"]["statements"] == notice.statements and data["notice"]["reference"] == notice.reference
    assert data["recorded_by"] == {
        "name": "Cleo Compliance",
        "role": "compliance",
        "subject": demo_subject("Cleo Compliance"),
    }
    protected = {it.use_case.label(p) for p in it.card.protected_attributes}
    assert protected and not protected & {r["label"] for r in data["reasons"]}
    assert protected <= {r["label"] for r in data["protected_drivers"]} | {i["label"] for i in data["inputs"]}


def test_an_approved_case_has_a_record_without_a_notice(store, scored):
    it = scored["v3"]
    data = compose_record(it, it.explain_case(_case(it, "approve")), store, RITA)
    assert data["decision"] == "approve" and data["notice"] is None


def test_lifecycle_signoffs_in_force_and_feedback_are_in_the_record(store, scored):
    it = scored["v3"]
    case_id = _case(it, "decline")
    before = compose_record(it, it.explain_case(case_id), store, CLEO)
    assert (before["lifecycle_status"], before["signoffs"], before["feedback"]) == ("candidate", [], [])
    sign_off_for_promotion(store, "v3")
    change_lifecycle(
        store,
        "credit",
        BUILTIN_VERSIONS,
        "v3",
        "live",
        DS,
        "beats v2",
        required_signoffs=("risk", "compliance"),
        migration_note="Hi",
    )
    add_feedback(store, make_draft(case_id=case_id, comment="<b>too harsh</b>"), BUILTIN_VERSIONS)
    add_feedback(store, make_draft(case_id="A9999", comment="another case"), BUILTIN_VERSIONS)
    data = compose_record(it, it.explain_case(case_id), store, CLEO)
    assert data["lifecycle_status"] == "live"
    assert [(e["from"], e["to"], e["by"]) for e in data["lifecycle"]] == [("candidate", "live", "Dana Scientist")]
    assert [(s["by"], s["role"]) for s in data["signoffs"]] == [
        ("Rita Risk", "risk"),
        ("Cora Compliance", "compliance"),
    ]
    assert [f["comment"] for f in data["feedback"]] == ["<b>too harsh</b>"]  # this case only
    # the same record as of a moment before the promotion: the status and sign-offs then
    (promoted,) = list_lifecycle_events(store, "credit")
    earlier = compose_record(
        it, it.explain_case(case_id), store, CLEO, at=promoted.created_at - timedelta(microseconds=1)
    )
    assert earlier["lifecycle_status"] == "candidate" and earlier["lifecycle"] == []
    assert len(earlier["signoffs"]) == 2  # made before the promotion, towards it


def test_the_record_is_kept_append_only_and_read_back_intact(store, scored):
    it = scored["v3"]
    case_id = _case(it, "decline")
    kept = record_decision(store, it, it.explain_case(case_id), CLEO)
    assert kept.reference.startswith("DR-") and kept.intact()
    again = find_record(store, kept.reference)
    assert again == kept and json.loads(again.contents) == kept.data()
    with store.transaction(write=True) as conn, pytest.raises(DBAPIError, match="append-only"):
        conn.execute(update(DECISION_RECORDS).values(decision="approve"))
    with store.transaction(write=True) as conn, pytest.raises(DBAPIError, match="append-only"):
        conn.execute(delete(DECISION_RECORDS))
    assert [r.reference for r in list_records(store, "credit", case_id)] == [kept.reference]
    tampered = dataclasses.replace(kept, contents=kept.contents.replace('"decline"', '"approve"'))
    assert not tampered.intact()
    assert records_table([tampered])["Intact"].tolist() == ["NO: the contents do not match their digest"]


@pytest.mark.parametrize("role", ["business user", "data scientist"])
def test_roles_that_may_not_record_are_refused_and_nothing_is_kept(store, scored, role):
    it = scored["v3"]
    with pytest.raises(AccessError, match="cannot record decisions; ask: admin, compliance, risk"):
        record_decision(store, it, it.explain_case(_case(it, "decline")), Actor("Bo", role))
    assert list_records(store, "credit") == []


def test_the_pdf_and_text_print_the_kept_contents_and_their_download_is_logged(store, scored):
    it = scored["v3"]
    case_id = _case(it, "decline")
    explanation = it.explain_case(case_id)
    kept = record_decision(store, it, explanation, RITA)
    text = render_record_text(kept)
    pdf = _pdf_text(issue_record(store, kept, True, RITA))
    data = kept.data()
    for body in (" ".join(text.split()), pdf):
        assert kept.reference in body and kept.digest in body
        positions = [body.index(f"{n}. {r.label}: {r.value}") for n, r in enumerate(explanation.reasons, 1)]
        assert positions == sorted(positions)  # the reason codes, in order
        statements = [body.index(f"{n}. {s}") for n, s in enumerate(data["notice"]["statements"], 1)]
        assert statements == sorted(statements)
        assert f"{data['score']:.6f}" in body and f"{data['threshold']:.6f}" in body
    assert len(PdfReader(io.BytesIO(render_record_pdf(kept))).pages) <= 2
    (logged,) = list_documents(store)
    assert (logged.kind, logged.case_ids, logged.references, logged.actor_name) == (
        "decision record (PDF)",
        (case_id,),
        (kept.reference,),
        "Rita Risk",
    )


def test_hostile_feedback_is_printed_as_data(store, scored):
    it = scored["v3"]
    case_id = _case(it, "decline")
    hostile = "{{ 7*7 }} <script>alert(1)</script> \u202eevil"
    add_feedback(store, make_draft(case_id=case_id, comment=hostile.replace("\u202e", "")), BUILTIN_VERSIONS)
    kept = record_decision(store, it, it.explain_case(case_id), CLEO)
    assert "{{ 7*7 }} <script>alert(1)</script>" in render_record_text(kept)
    assert "{{ 7*7 }} <script>alert(1)</script>" in _pdf_text(render_record_pdf(kept))


def test_the_pdf_is_left_aligned_with_the_reference_and_digest_each_on_a_line(store, scored):
    it = scored["v3"]
    case_id = _case(it, "decline")
    comment = "Duration weighs too much; the applicant has a long, stable job history with the same employer."
    add_feedback(store, make_draft(case_id=case_id, comment=comment), BUILTIN_VERSIONS)
    kept = record_decision(store, it, it.explain_case(case_id), CLEO)
    lines = [line.strip() for line in pdftotext(render_record_pdf(kept), "-layout").splitlines()]
    assert f"Reference {kept.reference}" in lines and f"Contents SHA-256 {kept.digest}" in lines
    wrapped = [line for line in lines if "Duration weighs" in line or "same employer" in line]
    assert len(wrapped) == 2  # the feedback wraps onto a second line ...
    assert all("  " not in line for line in wrapped)  # ... and neither is justified (stretched word gaps)
    assert " ".join(wrapped).endswith(comment)


def test_every_page_of_a_long_record_names_the_record_and_the_page(store, scored):
    it = scored["v3"]
    case_id = _case(it, "decline")
    for n in range(30):
        note = f"Note {n}: the applicant called about this decision and asked for it to be looked at again."
        add_feedback(store, make_draft(case_id=case_id, comment=note), BUILTIN_VERSIONS)
    kept = record_decision(store, it, it.explain_case(case_id), CLEO)
    pdf = render_record_pdf(kept)
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) == 2
    for number in (1, 2):
        page = pdftotext(pdf, "-layout", "-f", str(number), "-l", str(number))
        assert f"Decision record {kept.reference} · page {number} of 2" in page
    assert "Note 29:" in pdftotext(pdf, "-f", "2", "-l", "2")


def test_a_record_of_unserialisable_contents_is_refused():
    from feedback.records import FeedbackError

    with pytest.raises(FeedbackError, match="cannot be kept"):
        decision_record({"use_case": "credit", "score": float("nan")}, CLEO)
