"""`involve notices USECASE VERSION --out notices.zip` (service/notices_cli.py, presentation/notice_batch.py)."""

import csv
import io
import logging
import zipfile

import pytest
from pypdf import PdfReader

from demo_models.presentation import notice_batch
from demo_models.presentation.notices import build_notice
from demo_models.service.cli import main


def _pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture(autouse=True)
def _store_elsewhere(tmp_path_factory, monkeypatch):
    """Each test's store (the template and the audit log) in its own folder, never the project's."""
    monkeypatch.setenv("INVOLVE_DB_URL", f"sqlite:///{tmp_path_factory.mktemp('store') / 'store.sqlite3'}")


@pytest.fixture(scope="module")
def written(registry_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("notices") / "notices.zip"
    db = f"sqlite:///{tmp_path_factory.mktemp('store') / 'store.sqlite3'}"
    status = main(["notices", "credit", "v3", "--out", str(out), "--registry", str(registry_dir), "--db", db])
    return status, out


def test_the_zip_holds_one_pdf_per_declined_case_and_a_csv_that_matches_them(written, scored):
    status, out = written
    assert status == 0
    it = scored["v3"]
    decisions = it.decisions()
    declined = sorted(decisions[decisions == "decline"].index)
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        rows = list(csv.DictReader(io.StringIO(archive.read("notices.csv").decode("utf-8"))))
        texts = {r["case"]: _pdf_text(archive.read(r["file"])) for r in rows}
    assert sorted(n for n in names if n.endswith(".pdf")) == sorted(f"notice-credit-v3-{c}.pdf" for c in declined)
    assert [r["case"] for r in rows] == declined
    for row in rows:
        explanation = it.explain_case(row["case"])
        notice = build_notice(it, explanation)
        assert row["decision"] == "decline"
        assert row["reference"] == notice.reference
        assert row["reason codes"] == "; ".join(r.text for r in explanation.reasons)
        assert row["statements"] == "; ".join(notice.statements)
        assert row["reasons without statement"] == ""
        text = texts[row["case"]]  # every PDF: its reference, and the statements of the reason codes in order
        assert notice.reference in text and f"applicant {notice.case_id}" in text
        places = [text.index(f"{i}. {statement}") for i, statement in enumerate(notice.statements, 1)]
        assert places == sorted(places) and len(places) == len(explanation.reasons)
        assert not any(f"{r.label}:" in text for r in explanation.protected_drivers)


def test_progress_is_logged_and_the_summary_printed(registry_dir, tmp_path, capsys, caplog, monkeypatch):
    it_cases = ["A0002", "A0012", "A0014"]
    monkeypatch.setattr(notice_batch, "declined_cases", lambda scored: it_cases)
    with caplog.at_level(logging.INFO, logger="involve.notices"):
        status = main(["notices", "credit", "v3", "--out", str(tmp_path / "n.zip"), "--registry", str(registry_dir)])
    assert status == 0
    assert "notices: 3 of 3" in caplog.text
    assert "3 notices, one per declined evaluation case" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("use_case", "version", "message"),
    [
        ("nosuch", "v1", "There is no iteration 'v1' of the use case 'nosuch'"),
        ("credit", "v9", "There is no iteration 'v9' of the use case 'credit'"),
        ("../etc", "v1", "No notices written"),
    ],
)
def test_an_unknown_use_case_or_version_gets_a_message(registry_dir, tmp_path, capsys, use_case, version, message):
    out = tmp_path / "n.zip"
    assert main(["notices", use_case, version, "--out", str(out), "--registry", str(registry_dir)]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists()


def test_an_unwritable_path_gets_a_message_and_leaves_no_half_zip(registry_dir, tmp_path, capsys, monkeypatch):
    registry = ["--registry", str(registry_dir)]
    assert main(["notices", "credit", "v3", "--out", str(tmp_path / "missing" / "n.zip"), *registry]) == 1
    assert "the folder" in capsys.readouterr().err
    assert main(["notices", "credit", "v3", "--out", str(tmp_path), *registry]) == 1
    assert "is a folder" in capsys.readouterr().err

    def full_disk(self, name, data, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", full_disk)
    assert main(["notices", "credit", "v3", "--out", str(tmp_path / "n.zip"), *registry]) == 1
    err = capsys.readouterr().err
    assert "cannot write" in err and "No space left on device" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # neither the ZIP nor its temporary file


def test_a_batch_uses_the_current_template_and_is_one_record_of_the_audit_log(registry_dir, scored, tmp_path, capsys):
    from demo_models.presentation.notice_documents import sample_notice, save_notice_template
    from feedback.access import Actor
    from feedback.store.database import FeedbackStore
    from feedback.store.documents import list_documents

    db = f"sqlite:///{tmp_path / 'audit.sqlite3'}"
    store = FeedbackStore(db)
    compliance = Actor("Cleo", "compliance")
    text = "Notice {{ reference }}\nWe {{ decision_past }} {{ case_noun }} {{ case_id }}.\n"
    save_notice_template(store, sample_notice(scored["v3"]), text, "first", compliance)
    saved = save_notice_template(store, sample_notice(scored["v3"]), text + "Regards\n", "second", compliance)
    assert saved.version == 2
    out = tmp_path / "batch.zip"
    assert main(["notices", "credit", "v3", "--out", str(out), "--registry", str(registry_dir), "--db", db]) == 0
    assert "(template v2; recorded in the audit log" in capsys.readouterr().out
    decisions = scored["v3"].decisions()
    declined = sorted(decisions[decisions == "decline"].index)
    with zipfile.ZipFile(out) as archive:
        first = _pdf_text(archive.read(f"notice-credit-v3-{declined[0]}.pdf"))
        rows = list(csv.DictReader(io.StringIO(archive.read("notices.csv").decode("utf-8"))))
    assert f"We declined applicant {declined[0]}." in first and "Regards" in first and first.endswith("Template v2")
    (record,) = list_documents(store, "credit")
    assert (record.kind, record.iteration, record.case_count, record.template_version) == (
        "notice batch (ZIP)",
        "v3",
        len(declined),
        2,
    )
    assert list(record.case_ids) == declined and list(record.references) == [r["reference"] for r in rows]
    assert (record.file_name, record.actor_name, record.actor_subject) == ("batch.zip", "command line", None)
