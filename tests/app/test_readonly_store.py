"""A read-only data folder and a store locked by another process: every page still renders, says so
in a banner, and refuses what it cannot save with a message (nothing waits unbounded, nothing is
half-written)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from bench.locked_store import start_holder
from feedback.store.database import BUSY_MESSAGE, READ_ONLY_MESSAGE, FeedbackStore
from feedback.store.records import add_feedback
from pages._ui.navigation import PAGES
from tests.app.apptest import open_app
from tests.app.readonly_pages import run_pages, submit_feedback
from tests.helpers import make_draft

ROOT = Path(__file__).resolve().parents[2]
EXTRA_SECONDS = 1.5  # what a lock may add to a page's server time at most (a wait would add INVOLVE_STORE_WAIT)


def _seeded_store(db: Path) -> None:
    store = FeedbackStore(f"sqlite:///{db}")
    add_feedback(store, make_draft(comment="already there"), {"v3"})
    store.engine.dispose()  # the last connection checkpoints and removes -wal and -shm


def _rows(db: Path) -> list[str]:
    return [r[0] for r in sqlite3.connect(f"file:{db}?mode=ro", uri=True).execute("SELECT comment FROM feedback")]


def test_a_store_locked_by_another_process_never_holds_a_page(app_env, monkeypatch):
    monkeypatch.setenv("INVOLVE_STORE_WAIT", "5")
    _seeded_store(app_env)
    unlocked = run_pages()  # the first runs also warm the caches
    unlocked = run_pages()
    holder = start_holder(app_env, 3600)  # until killed: a loaded machine may take minutes for the pages
    try:
        locked = run_pages()
        started = time.perf_counter()
        refused = submit_feedback()
        waited = time.perf_counter() - started
        assert holder.poll() is None  # the locks were held throughout
    finally:
        holder.kill()
        holder.wait()
    for label, shown in locked.items():
        assert not shown["exceptions"], (label, shown["exceptions"])
        assert any("The store is busy" in w for w in shown["warnings"]), (label, shown["warnings"])
        assert shown["seconds"] < unlocked[label]["seconds"] + EXTRA_SECONDS, (label, shown["seconds"], unlocked[label])
    assert any(BUSY_MESSAGE in e and "Your input is still in the form" in e for e in refused["errors"]), refused
    assert refused["comment"] == "kept after a refusal"
    assert waited >= 5  # it waited its bound (the bound itself is timed in tests/unit/feedback/test_store_waits.py)
    assert _rows(app_env) == ["already there"]


def test_every_page_reads_a_store_opened_read_only_and_refuses_writes(app_env, monkeypatch):
    _seeded_store(app_env)
    Path(f"{app_env}.writers.lock").unlink()
    before = hashlib.sha256(app_env.read_bytes()).hexdigest()
    monkeypatch.setenv("INVOLVE_STORE_READONLY", "1")
    for label, shown in run_pages().items():
        assert not shown["exceptions"], (label, shown["exceptions"])
        assert any(READ_ONLY_MESSAGE in w for w in shown["warnings"]), (label, shown["warnings"])
    refused = submit_feedback()
    assert any(READ_ONLY_MESSAGE in e for e in refused["errors"]), refused
    assert refused["comment"] == "kept after a refusal"
    inbox = open_app("pages/8_Inbox.py")
    assert inbox.header[0].value in ("1 entry", "1 entries")  # the store is read
    assert hashlib.sha256(app_env.read_bytes()).hexdigest() == before
    assert not Path(f"{app_env}.writers.lock").exists()  # no write was even attempted
    wal = Path(f"{app_env}-wal")  # a mode=ro reader may create SQLite's -wal and -shm, but writes nothing
    assert not wal.exists() or wal.stat().st_size == 0


def _as_nobody(command: list[str], env: dict) -> subprocess.CompletedProcess:
    prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []
    return subprocess.run(prefix + command, capture_output=True, text=True, cwd=ROOT, env=env, timeout=600, check=False)


def _read_only_tree(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)


@pytest.mark.skipif(os.geteuid() == 0 and not shutil.which("setpriv"), reason="root needs setpriv to drop privileges")
def test_a_read_only_data_folder_as_an_unprivileged_user(registry_dir, tmp_path):
    """File modes are real here: the app runs as `nobody` on a folder it cannot write (root ignores
    modes, so the check drops privileges with setpriv)."""
    data = Path(tempfile.mkdtemp(prefix="involve-ro-"))
    try:
        shutil.copytree(registry_dir, data / "registry", ignore=shutil.ignore_patterns(".first-start*"))
        (data / "empty-registry").mkdir()
        _seeded_store(data / "feedback.sqlite3")
        _read_only_tree(data)
        before = sorted(p.name for p in data.iterdir())
        home = tempfile.mkdtemp(prefix="involve-home-")
        os.chmod(home, 0o777)
        env = {
            "PATH": os.environ["PATH"],
            "HOME": home,
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONPATH": str(ROOT),
            "INVOLVE_DATA_DIR": str(data),
            "INVOLVE_REGISTRY_DIR": str(data / "registry"),
            "INVOLVE_HEALTH_EVERY": "0",
            "INVOLVE_MONITOR_ROWS": "20000",
        }
        done = _as_nobody([sys.executable, "-m", "tests.app.readonly_pages", "--feedback"], env)
        result = (
            json.loads(done.stdout.split("RESULT ", 1)[1])
            if "RESULT " in done.stdout
            else pytest.fail(done.stderr[-3000:])
        )
        for label, shown in result["pages"].items():
            assert not shown["exceptions"] and not shown["errors"], (label, shown)
            assert any(READ_ONLY_MESSAGE in w and "is read-only" in w for w in shown["warnings"]), (
                label,
                shown["warnings"],
            )
        assert any(READ_ONLY_MESSAGE in e for e in result["feedback"]["errors"]), result["feedback"]
        assert result["feedback"]["comment"] == "kept after a refusal"

        empty = _as_nobody(
            [sys.executable, "-m", "tests.app.readonly_pages"],
            {**env, "INVOLVE_REGISTRY_DIR": str(data / "empty-registry")},
        )
        pages = json.loads(empty.stdout.split("RESULT ", 1)[1])["pages"]
        for label, shown in pages.items():
            assert not shown["exceptions"], (label, shown)
            said = [e.replace("\\", "") for e in shown["errors"]]  # as markdown, escaped
            assert any("credit/v1" in e and "cannot be trained" in e and "read-only" in e for e in said), (label, shown)
        assert sorted(p.name for p in data.iterdir()) == before and not any((data / "empty-registry").iterdir())
        assert _rows(data / "feedback.sqlite3") == ["already there"]
    finally:
        for path in [data, *data.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        shutil.rmtree(data, ignore_errors=True)


def test_every_page_is_listed():
    assert len(PAGES) == len(list((ROOT / "pages").glob("*.py"))) + 1
