"""Notice templates and the documents' audit log in the store (SQLite and PostgreSQL): versions, the write lock,
append-only rows."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from feedback.access import AccessError, Actor, demo_subject
from feedback.documents import COMMAND_LINE, document_record
from feedback.notice_templates import MAX_TEMPLATE_CHARS, TemplateError
from feedback.records import FeedbackError
from feedback.store.database import StoreError
from feedback.store.documents import list_documents, record_document
from feedback.store.notice_templates import current_template, save_template, template_history

CLEO, ADA, BO = Actor("Cleo", "compliance"), Actor("Ada", "admin"), Actor("Bo", "business user")
RISK = Actor("Ria", "risk")


def _accept(_text: str) -> None:
    """A check that accepts any template (the sandbox's check is tested in tests/unit/presentation)."""


def test_every_version_is_kept_and_the_latest_is_current(store):
    assert current_template(store, "credit") is None and template_history(store, "credit") == []
    first = save_template(store, "credit", "  Notice {{ reference }}\n", "first wording", CLEO, check=_accept)
    second = save_template(store, "credit", "Notice v2 {{ reference }}", "", ADA, check=_accept)
    other = save_template(store, "fraud", "Flag {{ reference }}", "", CLEO, check=_accept)
    assert (first.version, second.version, other.version) == (1, 2, 1)
    assert first.text == "Notice {{ reference }}" and first.comment == "first wording"
    assert (first.author_name, first.author_subject) == ("Cleo", demo_subject("Cleo"))
    assert current_template(store, "credit") == second
    assert [t.version for t in template_history(store, "credit")] == [2, 1]
    assert template_history(store, "credit")[1] == first
    assert first.label() == "Template v1"


def test_only_compliance_and_admins_may_edit_a_template(store):
    for actor in (BO, RISK, Actor("Dee", "data scientist")):
        with pytest.raises(AccessError, match="cannot edit notice templates; ask: admin, compliance"):
            save_template(store, "credit", "Notice", "", actor, check=_accept)
    with pytest.raises(AccessError, match="Say who you are"):
        save_template(store, "credit", "Notice", "", Actor("", "compliance"), check=_accept)
    assert template_history(store, "credit") == []


def _refuse(_text: str) -> None:
    raise ValueError("The notice template was refused: access to attribute '__class__' of 'str' object is unsafe.")


@pytest.mark.parametrize(
    ("body", "check", "message"),
    [
        ("", _accept, "The template is required"),
        ("x" * (MAX_TEMPLATE_CHARS + 1), _accept, "the limit is 20,000"),
        ("Notice \x00", _accept, "control characters"),
        ("{{ ''.__class__ }}", _refuse, "access to attribute '__class__'"),
    ],
)
def test_a_template_that_is_empty_too_long_or_refused_by_its_check_is_not_saved(store, body, check, message):
    with pytest.raises(TemplateError, match=message):
        save_template(store, "credit", body, "", CLEO, check=check)
    assert template_history(store, "credit") == []


def test_two_editors_saving_at_once_get_consecutive_versions_never_the_same(store):
    editors, start, errors, saved = 6, threading.Barrier(6), [], []

    def work(n: int) -> None:
        start.wait()
        try:
            for round_ in range(3):
                saved.append(save_template(store, "credit", f"Notice {n}.{round_}", "", CLEO, check=_accept))
        except Exception as err:  # noqa: BLE001 - collected and asserted on below
            errors.append(err)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(editors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(t.version for t in saved) == list(range(1, 19))
    assert sorted(t.version for t in template_history(store, "credit")) == list(range(1, 19))
    assert current_template(store, "credit").version == 18


def _notice_record(actor: Actor | None, case_ids=("A0002",), kind="notice (PDF)"):
    return document_record(kind, "credit", "v3", list(case_ids), 2, [f"DN-{c}" for c in case_ids], "n.pdf", actor)


def test_each_generated_document_is_recorded_with_who_what_and_the_template_version(store):
    one = record_document(store, _notice_record(CLEO))
    batch = record_document(store, _notice_record(None, ("A1", "A2", "A3"), "notice batch (ZIP)"))
    record_document(store, document_record("notice (text)", "fraud", "v1", ["T9"], 0, ["DN-X"], "t.txt", BO))
    assert one.id and one.created_at is not None
    assert [d.kind for d in list_documents(store)] == ["notice (text)", "notice batch (ZIP)", "notice (PDF)"]
    credit = list_documents(store, "credit")
    assert credit == [batch, one]
    assert (one.actor_name, one.actor_subject, one.case_ids, one.case_count, one.template_version) == (
        "Cleo",
        demo_subject("Cleo"),
        ("A0002",),
        1,
        2,
    )
    assert (batch.actor_name, batch.actor_subject, batch.case_count) == (COMMAND_LINE, None, 3)
    assert batch.references == ("DN-A1", "DN-A2", "DN-A3")


def test_a_malformed_document_record_is_refused(store):
    with pytest.raises(FeedbackError, match="Unknown document kind"):
        _notice_record(CLEO, kind="dossier")
    with pytest.raises(FeedbackError, match="Your name is required"):
        _notice_record(Actor(" ", "risk"))


@pytest.mark.parametrize("table", ["notice_templates", "generated_documents"])
def test_templates_and_the_audit_log_are_append_only(store, table):
    save_template(store, "credit", "Notice", "", CLEO, check=_accept)
    record_document(store, _notice_record(CLEO))
    for statement in (f"UPDATE {table} SET use_case = 'x'", f"DELETE FROM {table}"):
        with pytest.raises(StoreError, match="append-only"):
            with store.transaction(write=True) as conn:
                conn.execute(text(statement))
    assert len(template_history(store, "credit")) == 1 and len(list_documents(store)) == 1
