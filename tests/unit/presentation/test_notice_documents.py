"""Notice templates through the sandbox and the audit record of each notice (presentation/notice_documents.py)."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from demo_models.iterations.registry import load_iteration
from demo_models.iterations.scoring import ScoredIteration
from demo_models.presentation.notice_documents import (
    current_wording,
    documents_table,
    issue_notice,
    preview_template,
    sample_notice,
    save_notice_template,
)
from demo_models.presentation.notice_render import DEFAULT_TEMPLATE, prepare_notice_downloads
from feedback.access import Actor, demo_subject
from feedback.notice_templates import TemplateError
from feedback.store.documents import list_documents
from feedback.store.notice_templates import template_history
from tests.helpers import register_approvals
from tests.unit.presentation.test_decision_notices import HOSTILE_TEMPLATES

CLEO, LOU = Actor("Cleo", "compliance"), Actor("Lou", "business user")


@pytest.fixture(scope="module")
def fraud(registry_dir) -> ScoredIteration:
    return ScoredIteration(load_iteration("fraud", "v2", registry_dir))


def _pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages)


def _declined(it) -> str:
    decisions = it.decisions()
    return sorted(decisions[decisions == it.use_case.unfavourable_decision].index)[0]


@pytest.mark.parametrize("hostile", [*HOSTILE_TEMPLATES, "{{ '<script>' ~ reasons.__class__ }}"])
def test_a_hostile_template_is_refused_with_the_sandboxs_message_and_not_saved(store, scored, hostile):
    sample = sample_notice(scored["v3"])
    with pytest.raises(TemplateError, match="The notice template was refused"):
        save_notice_template(store, sample, hostile, "", CLEO)
    assert template_history(store, "credit") == [] and current_wording(store, "credit").version == 0


def test_the_default_is_version_0_until_a_version_is_saved(store, scored):
    assert (current_wording(store, "credit").version, current_wording(store, "credit").text) == (0, DEFAULT_TEMPLATE)
    sample = sample_notice(scored["v3"])
    assert sample.case_id == _declined(scored["v3"])
    save_notice_template(store, sample, "Ref {{ reference }}", "", CLEO)
    assert (current_wording(store, "credit").version, current_wording(store, "credit").text) == (
        1,
        "Ref {{ reference }}",
    )
    assert current_wording(store, "fraud").version == 0


def test_the_preview_renders_the_sample_or_says_why_not(scored):
    sample = sample_notice(scored["v3"])
    shown = preview_template(sample, "<script>{{ case_id }}</script>", 4)
    assert (shown.text, shown.error) == (f"<script>{sample.case_id}</script>\n\nTemplate v4\n", None)
    refused = preview_template(sample, "{{ ''.__class__ }}", 4)
    assert refused.text is None and "The notice template was refused" in refused.error


@pytest.mark.parametrize("use_case", ["credit", "fraud"])
def test_each_notice_issued_is_recorded_with_its_template_version(store, scored, fraud, use_case):
    it = scored["v3"] if use_case == "credit" else fraud
    saved = save_notice_template(store, sample_notice(it), "Notice {{ reference }} for {{ case_id }}", "", CLEO)
    downloads = prepare_notice_downloads(it, it.explain_case(_declined(it)), current_wording(store, use_case))
    pdf = issue_notice(store, downloads, True, LOU)
    text = issue_notice(store, downloads, False, LOU).decode("utf-8")
    notice = downloads.notice
    assert _pdf_text(pdf) == f"Notice {notice.reference} for {notice.case_id} Template v{saved.version}"
    assert text == f"Notice {notice.reference} for {notice.case_id}\n\nTemplate v{saved.version}\n"
    records = list_documents(store, use_case)
    assert [(r.kind, r.template_version, r.case_ids, r.references) for r in records] == [
        ("notice (text)", 1, (notice.case_id,), (notice.reference,)),
        ("notice (PDF)", 1, (notice.case_id,), (notice.reference,)),
    ]
    assert {(r.actor_name, r.actor_subject, r.iteration) for r in records} == {
        ("Lou", demo_subject("Lou"), it.card.version)
    }
    assert documents_table(records)["File"].tolist() == [f"{downloads.file_stem}.txt", f"{downloads.file_stem}.pdf"]


@pytest.fixture(scope="module")
def loans(tmp_path_factory) -> ScoredIteration:
    """A brought use case (the project did not build it), approved the favourable decision."""
    root = tmp_path_factory.mktemp("loans-registry")
    register_approvals(root)
    return ScoredIteration(load_iteration("loans", "v1", root))


def test_a_brought_use_case_gets_its_own_versions_and_its_notices_recorded(sqlite_store, loans):
    sample = sample_notice(loans)
    assert sample is not None and sample.use_case == "loans"
    text = "{{ decision_past|capitalize }}: {{ missing|length }} reasons await a statement"
    saved = save_notice_template(sqlite_store, sample, text, "loans wording", CLEO)
    assert saved.version == 1 and current_wording(sqlite_store, "credit").version == 0
    downloads = prepare_notice_downloads(
        loans, loans.explain_case(sample.case_id), current_wording(sqlite_store, "loans")
    )
    body = issue_notice(sqlite_store, downloads, False, CLEO).decode("utf-8")
    assert (
        body == f"{sample.decision_past.capitalize()}: {len(sample.missing)} reasons await a statement\n\nTemplate v1\n"
    )
    (record,) = list_documents(sqlite_store, "loans")
    assert (record.case_ids, record.template_version, record.kind) == ((sample.case_id,), 1, "notice (text)")
