"""AppTest: the Documents page — the notice template with its live preview and versions, and the audit log."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from streamlit.runtime.media_file_manager import MediaFileManager

from feedback.store.database import FeedbackStore
from feedback.store.documents import list_documents
from feedback.store.notice_templates import template_history
from tests.app.apptest import open_app, select_row, tables_with

PAGE = "pages/14_Documents.py"
CLEO = ("Cleo Compliance", "compliance")
TEMPLATE = (
    "Our decision {{ reference }}\nWe {{ decision_past }} {{ case_noun }} {{ case_id }}.\n**not bold** <b>x</b>\n"
)


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


def _preview(at) -> str:
    return at.code[0].value


def test_the_preview_follows_the_edit_and_compliance_saves_a_version(app_env):
    at = open_app(PAGE, user=CLEO)
    assert not at.exception
    assert "Template v0" in _preview(at) and "Decision notice" in _preview(at)  # the default, as in force
    assert at.button(key="tpl_save").disabled  # nothing changed yet
    at.text_area(key="tpl_text").input(TEMPLATE).run()
    preview = _preview(at)
    assert preview.startswith("Our decision DN-") and "We declined applicant " in preview
    assert "**not bold** <b>x</b>" in preview and preview.endswith("Template v1")  # shown literally
    at.text_input(key="tpl_comment").input("shorter wording").run()
    at.button(key="tpl_save").click().run()
    assert not at.exception
    assert any("Saved template v1" in s.value for s in at.success)
    (saved,) = template_history(FeedbackStore(f"sqlite:///{app_env}"), "credit")
    assert (saved.version, saved.author_name, saved.comment) == (1, "Cleo Compliance", "shorter wording")
    assert saved.text == TEMPLATE.strip()
    assert tables_with(at, "Version")[0]["Version"].tolist() == ["v1", "v0"]
    assert at.button(key="tpl_save").label == "Save as template v2"
    assert at.text_input(key="tpl_comment").value == ""  # the reason went with v1; v2 starts with none


@pytest.mark.parametrize("hostile", ["{{ ''.__class__.__mro__ }}", "{% import 'os' as os %}", "{{ nothing }}"])
def test_a_hostile_template_is_refused_with_the_sandboxs_message_and_not_saved(app_env, hostile):
    at = open_app(PAGE, user=CLEO)
    at.text_area(key="tpl_text").input(hostile).run()
    assert any("The notice template was refused" in e.value for e in at.error)  # the preview says why
    at.button(key="tpl_save").click().run()
    assert not at.exception
    assert any(e.value.startswith("Not saved: The notice template was refused") for e in at.error)
    assert template_history(FeedbackStore(f"sqlite:///{app_env}"), "credit") == []


def test_a_business_user_sees_the_preview_but_cannot_save(app_env):
    at = open_app(PAGE, user=("Bo", "business user"))
    at.text_area(key="tpl_text").input(TEMPLATE).run()
    assert "We declined applicant" in _preview(at)
    assert at.button(key="tpl_save").disabled
    assert any("Templates are saved by: admin, compliance" in c.value for c in at.caption)
    assert template_history(FeedbackStore(f"sqlite:///{app_env}"), "credit") == []


def _pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages)


def test_the_next_notice_downloaded_uses_the_new_version_and_is_recorded(app_env, deferred):
    at = open_app(PAGE, user=CLEO)
    at.text_area(key="tpl_text").input(TEMPLATE).run()
    at.button(key="tpl_save").click().run()
    officer = open_app("pages/1_Explore.py", user=("Lou <b>Officer</b>", "business user"))
    select_row(officer, "cases", 0)  # the highest score: declined
    assert not officer.exception
    assert any("Template v1" in c.value for c in officer.caption)
    (pdf_name,) = [name for name in deferred if name.endswith(".pdf")]
    text = _pdf_text(deferred[pdf_name]())  # the click
    assert "Our decision DN-" in text and "We declined applicant" in text and text.endswith("Template v1")
    store = FeedbackStore(f"sqlite:///{app_env}")
    (record,) = list_documents(store, "credit")
    assert (record.kind, record.template_version, record.actor_name, record.case_count) == (
        "notice (PDF)",
        1,
        "Lou <b>Officer</b>",
        1,
    )
    assert record.file_name == pdf_name and record.references[0] in text and record.case_ids[0] in text
    log = tables_with(open_app(PAGE, user=CLEO), "Who")[0]  # the audit log on the page, the name as data
    assert log[["Who", "Kind", "Template"]].values.tolist() == [["Lou <b>Officer</b>", "notice (PDF)", "v1"]]
    assert log["Cases"].tolist() == [record.case_ids[0]]
