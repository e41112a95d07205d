"""The first start in the background: only when something is missing, training what is missing,
reporting progress, and the setting that turns the demo history off."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from demo_models import settings
from demo_models.builtin.first_start import (
    BUILTIN_ITERATIONS,
    LOG_FILE,
    FirstStart,
    Progress,
    missing_builtins,
    prepare,
    read_status,
    registered_names,
    start_first_start,
)
from demo_models.builtin.training import CREDIT_ITERATIONS, FRAUD_ITERATIONS
from feedback.store.records import add_feedback


def test_nothing_to_do_starts_nothing(registry_dir, tmp_path):
    assert missing_builtins(registry_dir) == []
    assert start_first_start(registry_dir, f"sqlite:///{tmp_path / 's.sqlite3'}", demo_history=False) is None


def test_a_used_store_gets_no_demo_history_and_so_nothing_starts(registry_dir, sqlite_store):
    from tests.helpers import make_draft

    add_feedback(sqlite_store, make_draft(), known_iterations=["v3"])
    assert start_first_start(registry_dir, str(sqlite_store.engine.url), demo_history=True) is None


def test_a_missing_iteration_is_trained_in_the_background(registry_dir, tmp_path):
    registry = tmp_path / "registry"
    shutil.copytree(registry_dir, registry)
    shutil.rmtree(registry / "credit" / "v1")
    assert missing_builtins(registry) == ["credit/v1"]
    job = start_first_start(registry, f"sqlite:///{tmp_path / 's.sqlite3'}", demo_history=False)
    assert job is not None and job.progress().state in ("running", "done")
    assert job.process.wait(timeout=300) == 0, (registry / LOG_FILE).read_text()
    assert job.progress() == Progress("ready", 1, 1, "done")
    assert missing_builtins(registry) == []
    assert (registry / "credit" / "v1" / "card.json").exists()


def test_progress_reports_each_step(registry_dir, tmp_path, monkeypatch):
    seen = []
    monkeypatch.setattr("demo_models.builtin.first_start._write_status", lambda root, progress: seen.append(progress))
    registry = tmp_path / "registry"
    shutil.copytree(registry_dir, registry)
    shutil.rmtree(registry / "credit" / "v1")
    assert prepare(registry, f"sqlite:///{tmp_path / 's.sqlite3'}", demo_history=False) == Progress(
        "ready", 1, 1, "done"
    )
    assert seen == [Progress("training credit v1", 0, 1), Progress("ready", 1, 1, "done")]


def test_a_failed_preparation_says_what_went_wrong(tmp_path):
    (tmp_path / LOG_FILE).write_text("Traceback ...\nOSError: [Errno 28] No space left on device\n")
    failed = subprocess.Popen(["false"])
    failed.wait()
    progress = FirstStart(tmp_path, failed).progress()
    assert progress.state == "failed" and progress.detail == "OSError: [Errno 28] No space left on device"
    assert read_status(tmp_path) is None


@pytest.mark.parametrize(("value", "on"), [(None, True), ("1", True), ("0", False), ("off", False), ("false", False)])
def test_the_demo_history_setting(monkeypatch, value, on):
    if value is None:
        monkeypatch.delenv("INVOLVE_DEMO_HISTORY", raising=False)
    else:
        monkeypatch.setenv("INVOLVE_DEMO_HISTORY", value)
    assert settings.demo_history() is on


def test_while_built_ins_are_missing_the_page_leaves_the_store_to_the_background(tmp_path, monkeypatch):
    import os
    import signal
    import time

    def opened(url):
        raise AssertionError(f"the first page opened the store {url}")

    monkeypatch.setattr("demo_models.builtin.first_start.wants_demo_history", opened)
    job = start_first_start(tmp_path / "registry", f"sqlite:///{tmp_path / 's.sqlite3'}", demo_history=True)
    try:
        assert job is not None and job.demo_history
        for _ in range(50):  # `nice` sets it, then runs Python in the same process
            if os.getpriority(os.PRIO_PROCESS, job.process.pid) == 19:
                break
            time.sleep(0.1)
        assert os.getpriority(os.PRIO_PROCESS, job.process.pid) == 19
    finally:
        if job is not None and job.process.poll() is None:
            os.killpg(job.process.pid, signal.SIGTERM)
            job.process.wait(timeout=30)


def test_the_built_in_names_are_the_ones_training_defines_in_its_order(registry_dir):
    trained = [f"credit/{s.version}" for s in CREDIT_ITERATIONS] + [f"fraud/{s.version}" for s in FRAUD_ITERATIONS]
    assert list(BUILTIN_ITERATIONS) == trained
    assert registered_names(registry_dir) == tuple(sorted(trained))  # the card files, without reading them
