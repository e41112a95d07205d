"""The layering (ARCHITECTURE.md) and the code style are checked by tools, and a violation fails the suite."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PACKAGES = ("demo_models", "feedback", "pages")


def _run(tool: str, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    path = BIN / tool
    if not path.exists():
        pytest.fail(f"{tool} is not installed: it is in the test extra (pip install -e '.[test]')")
    return subprocess.run([str(path), *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_the_import_contracts_hold():
    result = _run("lint-imports", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


def _copy_of_the_tree(tmp_path: Path) -> Path:
    copy = tmp_path / "tree"
    for package in PACKAGES:
        shutil.copytree(ROOT / package, copy / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


@pytest.mark.parametrize(
    ("module", "source", "contract"),
    [
        ("demo_models/metrics/uses_streamlit.py", "import streamlit\n", "No streamlit below pages/"),
        ("feedback/uses_the_machine_side.py", "import demo_models.iterations.registry\n", "The human side (feedback)"),
        ("feedback/runs_sql.py", "import sqlalchemy\n", "Only feedback.store runs SQL"),
        (
            "feedback/reaches_the_store.py",
            "from feedback.store.database import utc_row\n",
            "Only feedback.store runs SQL",
        ),
        ("demo_models/metrics/uses_a_page.py", "import pages._ui.text\n", "Pages use the domain"),
        ("demo_models/vocabulary_upward.py", "", "demo_models in layers"),
    ],
)
def test_a_deliberate_violation_breaks_its_contract(tmp_path, module, source, contract):
    copy = _copy_of_the_tree(tmp_path)
    if not source:  # a lower layer importing a higher one
        vocabulary = copy / "demo_models" / "vocabulary.py"
        vocabulary.write_text(vocabulary.read_text() + "\nfrom demo_models.service import cli  # noqa: E402\n")
    else:
        (copy / module).write_text(source)
    result = _run("lint-imports", "--no-cache", cwd=copy)
    assert result.returncode != 0
    broken = [line for line in result.stdout.splitlines() if " BROKEN" in line]  # "BROKEN (n ignored imports)"
    assert any(line.startswith(contract) for line in broken), result.stdout


def test_ruff_finds_nothing_to_fix():
    result = _run("ruff", "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout


def test_the_code_is_formatted_as_ruff_formats_it():
    result = _run("ruff", "format", "--check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout
