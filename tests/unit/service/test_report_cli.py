"""`involve report --pdf`: the dossier for a release pipeline, next to (or instead of) the HTML report."""

import io

import pypdf

from demo_models.service.cli import main


def _run(registry_dir, tmp_path, *args):
    db = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    return main(["report", *args, "--registry", str(registry_dir), "--db", db])


def test_the_dossier_and_the_report_from_the_command_line(registry_dir, tmp_path, capsys):
    pdf, page = tmp_path / "dossier.pdf", tmp_path / "report.html"
    assert _run(registry_dir, tmp_path, "credit", "v2", "--pdf", str(pdf), "--out", str(page)) == 0
    reader = pypdf.PdfReader(io.BytesIO(pdf.read_bytes()))
    assert len(reader.pages) > 1 and "Credit risk — iteration v2" in reader.pages[0].extract_text()
    assert "(involve report)" in reader.pages[0].extract_text()  # who generated it
    assert "Credit risk — iteration v2" in page.read_text()
    out = capsys.readouterr().out
    assert f"Wrote {page}" in out and f"Wrote {pdf}" in out


def test_clear_messages_for_an_unknown_iteration_use_case_or_path(registry_dir, tmp_path, capsys):
    pdf = tmp_path / "dossier.pdf"
    assert _run(registry_dir, tmp_path, "credit", "v9", "--pdf", str(pdf)) == 1
    assert "No report: There is no iteration 'v9' of the use case 'credit'." in capsys.readouterr().err
    assert _run(registry_dir, tmp_path, "nope", "v1", "--pdf", str(pdf)) == 1
    assert "No report: There is no iteration 'v1' of the use case 'nope'." in capsys.readouterr().err
    assert not pdf.exists()
    unwritable = tmp_path / "missing-folder" / "dossier.pdf"
    assert _run(registry_dir, tmp_path, "credit", "v1", "--pdf", str(unwritable)) == 1
    assert f"Could not write {unwritable}: No such file or directory" in capsys.readouterr().err
    assert _run(registry_dir, tmp_path, "credit", "v1") == 2
    assert "give --out REPORT.html, --pdf DOSSIER.pdf or both" in capsys.readouterr().err
