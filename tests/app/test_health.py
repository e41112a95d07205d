"""Health checks: the outage banner on every page and `involve health`, without a traceback."""

import shutil
import threading

import pytest

from demo_models.service.cli import main
from demo_models.service.health import run_checks
from feedback.announcements import DEGRADED, NOTICE
from feedback.store.announcements import list_announcements
from feedback.store.database import FeedbackStore
from pages._ui.navigation import PAGES as SHELL_PAGES
from tests.app.apptest import open_app


def _after_the_checks(at):
    """Let the background health checks finish, then run the page again."""
    for thread in threading.enumerate():
        if thread.name == "involve-health":
            thread.join(timeout=180)  # the checks load every iteration in a subprocess: slow on a loaded machine
    return at.run()


PAGES = [script for script, _label, _icon in SHELL_PAGES]  # every page


@pytest.fixture(autouse=True)
def health_checks_on(app_env, monkeypatch):
    monkeypatch.setenv("INVOLVE_HEALTH_EVERY", "60")


@pytest.fixture
def broken_registry(registry_dir, tmp_path, monkeypatch):
    """A copy of the registry whose credit/v2 model file is damaged."""
    root = tmp_path / "registry"
    shutil.copytree(registry_dir, root)
    (root / "credit" / "v2" / "model.skops").write_bytes(b"damaged")
    monkeypatch.setenv("INVOLVE_REGISTRY_DIR", str(root))
    return root


def test_a_healthy_deployment_passes(registry_dir, tmp_path, capsys):
    assert all(c.ok for c in run_checks(registry_dir, f"sqlite:///{tmp_path / 'ok.sqlite3'}"))
    assert main(["health", "--registry", str(registry_dir), "--db", f"sqlite:///{tmp_path / 'ok.sqlite3'}"]) == 0
    assert "ok    store: reachable and writable" in capsys.readouterr().out


def test_a_read_only_store_fails_the_check_and_raises_the_banner(app_env, registry_dir, capsys, monkeypatch):
    open_app()  # creates the store
    read_only = f"sqlite:///file:{app_env}?mode=ro&uri=true"
    assert main(["health", "--registry", str(registry_dir), "--db", read_only]) == 1
    out = capsys.readouterr().out
    assert "FAIL  store: This store is read-only" in out and "The feedback store at" in out
    monkeypatch.setenv("INVOLVE_DB_URL", read_only)
    at = _after_the_checks(open_app())
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, page
        assert "Degraded service" in at.error[0].value and "read-only" in at.error[0].value, page


def test_an_unloadable_iteration_fails_the_check_and_raises_the_banner(app_env, broken_registry, capsys):
    assert main(["health", "--registry", str(broken_registry), "--db", f"sqlite:///{app_env}"]) == 1
    assert "FAIL  credit/v2: cannot load or explain" in capsys.readouterr().out
    at = _after_the_checks(open_app())
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, page
        assert "Degraded service" in at.error[0].value and "credit/v2" in at.error[0].value, page
        assert sum("Degraded service" in e.value for e in at.error) == 1, page  # the recorded outage is not said twice
    assert list_announcements(FeedbackStore(f"sqlite:///{app_env}"))[0].kind == DEGRADED  # but it is on the board


def test_an_outage_and_its_end_are_posted_on_the_notice_board(app_env, registry_dir, broken_registry):
    db = f"sqlite:///{app_env}"
    assert main(["health", "--registry", str(broken_registry), "--db", db, "--record"]) == 1
    assert main(["health", "--registry", str(broken_registry), "--db", db, "--record"]) == 1  # same outage
    [outage] = list_announcements(FeedbackStore(db), "credit")
    assert (outage.kind, outage.source, outage.use_case) == (DEGRADED, "health", None)
    assert "credit/v2: cannot load or explain" in outage.body
    assert main(["health", "--registry", str(registry_dir), "--db", db, "--record"]) == 0
    restored, _ = list_announcements(FeedbackStore(db), "fraud")
    assert (restored.kind, restored.title) == (NOTICE, "Service restored")


def test_checks_that_outrun_their_time_raise_no_false_alarm(app_env, monkeypatch, caplog):
    monkeypatch.setattr("pages._ui.health_monitor.HEALTH_TIMEOUT_SECONDS", 0.01)  # no check finishes this fast
    with caplog.at_level("ERROR", logger="involve.app"):
        at = _after_the_checks(open_app())
    assert not at.exception and not [e.value for e in at.error if "Degraded service" in e.value]
    assert any("did not finish within 0.01 s" in r.getMessage() for r in caplog.records)  # the team sees it
