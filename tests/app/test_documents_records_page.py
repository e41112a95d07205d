"""AppTest of the Documents page's batch of notices, decision records and reason statements, and of the dossier's
entry in the audit log (Iterations)."""

from __future__ import annotations

import io
import zipfile

import pytest
from pypdf import PdfReader
from streamlit.runtime.media_file_manager import MediaFileManager

from demo_models.iterations.registry import load_iteration
from demo_models.iterations.scoring import ScoredIteration
from demo_models.presentation.notice_batch import declined_cases
from demo_models.presentation.notice_documents import save_statement_rows, statement_rows
from demo_models.presentation.notice_render import NoticeWording
from feedback.access import Actor
from feedback.store.database import FeedbackStore
from feedback.store.decision_records import list_records
from feedback.store.documents import list_documents
from tests.app.apptest import open_app, tables_with

PAGE = "pages/14_Documents.py"
CLEO, RITA, BO = ("Cleo Compliance", "compliance"), ("Rita Risk", "risk"), ("Bo <b>User</b>", "business user")


@pytest.fixture
def deferred(monkeypatch) -> dict:
    """The download buttons' data callables by file name: calling one is what a click does."""
    made: dict = {}
    original = MediaFileManager.add_deferred

    def add_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        made[file_name] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    return made


def _pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages)


def test_compliance_writes_the_batch_from_the_page_and_it_is_logged(app_env, registry_dir):
    at = open_app(PAGE, user=CLEO)
    assert not at.exception
    expected = declined_cases(ScoredIteration(load_iteration("credit", "v3", registry_dir)))
    button = at.button(key="batch_write")
    assert button.label == f"Write the {len(expected):,} notices of v3"
    button.click().run(timeout=300)
    assert not at.exception and not at.error
    [download] = [d for d in at.get("download_button") if d.proto.label.startswith("Download notices-credit-v3.zip")]
    store = FeedbackStore(f"sqlite:///{app_env}")
    (logged,) = list_documents(store, "credit")
    assert (logged.kind, logged.actor_name, logged.case_count, logged.template_version) == (
        "notice batch (ZIP)",
        "Cleo Compliance",
        len(expected),
        0,
    )
    assert list(logged.case_ids) == expected and logged.file_name == "notices-credit-v3.zip"
    assert f"{len(expected):,} notices" in download.proto.label
    log = tables_with(at, "Who")[0]
    assert log[["Who", "Kind", "Cases"]].values.tolist() == [
        ["Cleo Compliance", "notice batch (ZIP)", f"{len(expected):,} cases"]
    ]


def test_a_batch_written_by_issue_batch_reads_back(sqlite_store, registry_dir):
    from demo_models.presentation.notice_documents import issue_batch

    it = ScoredIteration(load_iteration("credit", "v1", registry_dir))
    data, logged = issue_batch(sqlite_store, it, Actor(*CLEO))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        pdfs = sorted(n for n in archive.namelist() if n.endswith(".pdf"))
        assert len(pdfs) == logged.case_count == len(declined_cases(it)) and "notices.csv" in archive.namelist()
        first = _pdf_text(archive.read(pdfs[0]))
    assert logged.references[0] in first and first.endswith("Template v0")


def test_a_business_user_can_neither_batch_nor_record(app_env):
    at = open_app(PAGE, user=BO)
    assert not at.exception
    keys = {b.key for b in at.button}
    assert "batch_write" not in keys and "record_keep" not in keys
    captions = [c.value for c in at.caption]
    assert any("Only admin, compliance can write notice batches." in c for c in captions)
    assert any("Only admin, compliance, risk can record decisions." in c for c in captions)


def test_risk_keeps_a_decision_record_and_downloads_it(app_env, deferred):
    at = open_app(PAGE, user=RITA)
    case_id = at.selectbox(key="record_case").options[0]
    at.button(key="record_keep").click().run()
    assert not at.exception
    store = FeedbackStore(f"sqlite:///{app_env}")
    (kept,) = list_records(store, "credit")
    assert (kept.case_id, kept.actor_name, kept.actor_role, kept.iteration) == (case_id, "Rita Risk", "risk", "v3")
    shown = [c.value for c in at.code if c.value.startswith("Decision record")]
    assert shown and kept.reference in shown[0] and kept.digest in shown[0]
    assert tables_with(at, "Reference")[0]["Intact"].tolist() == ["yes"]
    (pdf_name,) = [n for n in deferred if n.startswith("decision-record-") and n.endswith(".pdf")]
    text = _pdf_text(deferred[pdf_name]())
    assert kept.reference in text and f"{kept.score:.6f}" in text
    (logged,) = list_documents(store, "credit")
    assert (logged.kind, logged.references, logged.actor_name) == (
        "decision record (PDF)",
        (kept.reference,),
        "Rita Risk",
    )


def test_a_saved_statement_table_is_in_force_in_the_preview(app_env, registry_dir):
    store = FeedbackStore(f"sqlite:///{app_env}")
    it = ScoredIteration(load_iteration("credit", "v3", registry_dir))
    rows = statement_rows(NoticeWording(), "credit")
    rows.loc[rows["Input"] == "duration", "Statement"] = "The credit runs for too long"
    save_statement_rows(store, it, rows, "plainer", Actor(*CLEO))
    at = open_app(PAGE, user=CLEO)
    assert not at.exception
    preview = at.code[0].value
    assert preview.endswith("Template v0 · Statements v1")
    assert at.button(key="statements_save").label == "Save as statements v2"
    assert tables_with(at, "Statements")[0]["Version"].tolist() == ["v1", "v0"]


def test_the_dossier_download_is_recorded_in_the_audit_log(app_env, deferred):
    at = open_app("pages/4_Iterations.py", user=CLEO)
    assert not at.exception
    pdf = deferred["involve-credit-v3-dossier.pdf"]()  # the click
    assert len(PdfReader(io.BytesIO(pdf)).pages) > 1
    (logged,) = list_documents(FeedbackStore(f"sqlite:///{app_env}"), "credit")
    assert (logged.kind, logged.iteration, logged.actor_name, logged.file_name) == (
        "dossier (PDF)",
        "v3",
        "Cleo Compliance",
        "involve-credit-v3-dossier.pdf",
    )
    log = tables_with(open_app(PAGE, user=CLEO), "Who")[0]
    assert log[["Kind", "Template", "Statements"]].values.tolist() == [["dossier (PDF)", "—", "—"]]
