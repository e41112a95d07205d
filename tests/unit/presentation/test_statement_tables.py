"""Reason statement tables edited by compliance (every version kept), the notices that use them, and who may write
a batch of notices from the page (presentation/notice_documents.py, feedback/notice_templates.py)."""

from __future__ import annotations

import io
import threading

import pytest
from pypdf import PdfReader
from sqlalchemy import delete, update
from sqlalchemy.exc import DBAPIError

from demo_models.presentation.notice_documents import (
    current_wording,
    issue_batch,
    issue_notice,
    save_statement_rows,
    statement_rows,
)
from demo_models.presentation.notice_render import DEFAULT_WORDING, prepare_notice_downloads
from demo_models.presentation.notices import build_notice, statements_for
from feedback.access import AccessError, Actor
from feedback.notice_templates import TemplateError
from feedback.store.documents import list_documents
from feedback.store.notice_templates import statement_history
from feedback.store.schema import REASON_STATEMENTS

CLEO, ADA = Actor("Cleo", "compliance"), Actor("Ada", "admin")


def _declined(it) -> str:
    decisions = it.decisions()
    return sorted(decisions[decisions == it.use_case.unfavourable_decision].index)[0]


def _edited(old: str, new: str):
    rows = statement_rows(DEFAULT_WORDING, "credit")
    assert (rows["Statement"] == old).sum() == 1
    rows.loc[rows["Statement"] == old, "Statement"] = new
    return rows


def test_the_editor_starts_from_the_built_in_table(scored):
    rows = statement_rows(DEFAULT_WORDING, "credit")
    assert {(f, lv): s for f, lv, s in rows.to_numpy()} == dict(statements_for("credit"))


def test_a_saved_table_is_in_force_and_the_next_notice_uses_it(store, scored):
    it = scored["v3"]
    explanation = it.explain_case(_declined(it))
    before = build_notice(it, explanation).statements
    reason = next(r for r in build_notice(it, explanation).reasons)
    new = f"Plainer: {reason.statement.lower()}"
    saved = save_statement_rows(store, it, _edited(reason.statement, new), "plainer wording", CLEO)
    assert (saved.version, saved.author_name, saved.comment) == (1, "Cleo", "plainer wording")
    wording = current_wording(store, "credit")
    assert wording.statements_version == 1 and wording.statements[(reason.feature, reason.level)] == new
    downloads = prepare_notice_downloads(it, explanation, wording)
    assert downloads.notice.statements == [new if s == reason.statement else s for s in before]  # order kept
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(downloads.pdf())).pages)
    assert new in text and text.endswith("Template v0 · Statements v1")
    issue_notice(store, downloads, False, CLEO)
    (logged,) = list_documents(store)
    assert (logged.template_version, logged.statements_version) == (0, 1)
    save_statement_rows(store, it, _edited(reason.statement, "Second"), "", ADA)
    assert [t.version for t in statement_history(store, "credit")] == [2, 1]  # every version kept


def test_a_reason_without_statement_after_an_edit_is_reported_not_printed(store, scored):
    it = scored["v3"]
    explanation = it.explain_case(_declined(it))
    first = build_notice(it, explanation).reasons[0]
    rows = statement_rows(DEFAULT_WORDING, "credit")
    rows = rows[~((rows["Input"] == first.feature) & (rows["Level"] == first.level))]
    save_statement_rows(store, it, rows, "", CLEO)
    notice = prepare_notice_downloads(it, explanation, current_wording(store, "credit"))
    assert first.label in notice.missing and first.statement not in notice.text()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda rows: rows.__setitem__("Statement", [""] + list(rows["Statement"][1:])), "the statement is required"),
        (lambda rows: rows.__setitem__("Input", ["sex"] + list(rows["Input"][1:])), "sex is a protected attribute"),
        (lambda rows: rows.__setitem__("Level", [rows["Level"][1]] + list(rows["Level"][1:])), "has a statement"),
    ],
)
def test_a_bad_table_is_refused_and_nothing_saved(store, scored, change, message):
    rows = statement_rows(DEFAULT_WORDING, "credit").sort_values(["Input", "Level"]).reset_index(drop=True)
    rows = rows[rows["Input"] == rows["Input"][0]].reset_index(drop=True)  # one input's rows
    change(rows)
    with pytest.raises(TemplateError, match=message):
        save_statement_rows(store, scored["v3"], rows, "", CLEO)
    assert statement_history(store, "credit") == []


@pytest.mark.parametrize("role", ["business user", "risk", "data scientist"])
def test_only_compliance_and_admins_edit_statements_or_write_a_batch(store, scored, role):
    with pytest.raises(AccessError, match="cannot edit notice templates"):
        save_statement_rows(store, scored["v3"], statement_rows(DEFAULT_WORDING, "credit"), "", Actor("Bo", role))
    with pytest.raises(AccessError, match="cannot write notice batches; ask: admin, compliance"):
        issue_batch(store, scored["v3"], Actor("Bo", role))
    assert statement_history(store, "credit") == [] and list_documents(store) == []


def test_statement_tables_are_append_only(store, scored):
    save_statement_rows(store, scored["v3"], statement_rows(DEFAULT_WORDING, "credit"), "", CLEO)
    with store.transaction(write=True) as conn, pytest.raises(DBAPIError, match="append-only"):
        conn.execute(update(REASON_STATEMENTS).values(comment="changed"))
    with store.transaction(write=True) as conn, pytest.raises(DBAPIError, match="append-only"):
        conn.execute(delete(REASON_STATEMENTS))


def test_editors_saving_at_once_get_consecutive_versions(store, scored):
    rows = statement_rows(DEFAULT_WORDING, "credit")
    errors: list = []

    def save() -> None:
        try:
            save_statement_rows(store, scored["v3"], rows, "", CLEO)
        except Exception as err:  # noqa: BLE001 (reported below)
            errors.append(err)

    threads = [threading.Thread(target=save) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and sorted(t.version for t in statement_history(store, "credit")) == [1, 2, 3, 4]
