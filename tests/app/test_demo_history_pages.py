"""AppTest of the pages on a store holding the demo history, and of the first start's progress."""

from __future__ import annotations

import os
import shutil
import signal

import pytest

from demo_models import settings
from demo_models.builtin.demo_history import NOTICE_TITLE, seed_demo_history
from feedback.analytics import check_fixes
from feedback.store.database import FeedbackStore
from feedback.store.records import count_feedback, list_feedback
from tests.app.apptest import open_app, tables_with


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory, registry_dir):
    """A SQLite file holding the demo history (written once for the module)."""
    path = tmp_path_factory.mktemp("demo") / "seeded.sqlite3"
    store = FeedbackStore(f"sqlite:///{path}")
    assert seed_demo_history(store, registry_dir)
    store.engine.dispose()  # the last connection closes: the WAL is written back into the file
    return path


@pytest.fixture
def demo_env(app_env, seeded_file):
    """The app on a copy of the seeded store (pages write usage events)."""
    shutil.copy(seeded_file, app_env)
    return app_env


def test_home_shows_the_live_iteration_its_scorecard_and_says_it_is_demo_history(demo_env):
    at = open_app()
    assert not at.exception
    assert at.subheader[0].value == "Selected iteration: v2"
    assert any(NOTICE_TITLE in (m.value or "") for m in at.info)
    assert any("v2 is live" in s.value for s in at.success)
    [scorecard] = tables_with(at, "Owner")
    cells = list(scorecard["v2"])
    assert len(cells) == 6 and not any(c.startswith("no value") for c in cells)
    assert scorecard.loc["Disparate impact ratio (age) >= 0.8", "v2"].startswith("FAIL")
    feedback = count_feedback(FeedbackStore(f"sqlite:///{demo_env}"), "credit")
    assert at.metric[2].value == str(sum(feedback.values()))


def test_outcomes_shows_the_agreed_cost_matrix(demo_env):
    at = open_app("pages/7_Outcomes.py")
    assert not at.exception
    assert at.number_input(key="cost_fp").value == 250 and at.number_input(key="cost_fn").value == 500
    assert at.number_input(key="cost_fraction").value == 0.5


def test_v3_waits_for_compliance_and_v2_shows_its_signoffs(demo_env):
    at = open_app("pages/5_Sign_off.py", iteration="v3")
    assert not at.exception
    assert at.warning[0].value == "v3 cannot go live yet: it needs the sign-off of **compliance**."
    assert list(tables_with(at, "Signed by")[0]["Signed by"]) == ["Mara Lindqvist (demo)", "—"]
    at = open_app("pages/5_Sign_off.py", iteration="v2")
    assert not at.exception
    titles = [e.label for e in at.expander]
    assert any("signed off as risk by Mara Lindqvist (demo)" in t for t in titles)
    assert any("signed off as compliance by Priya Nair (demo)" in t for t in titles)


def test_compare_shows_the_fix_rate_of_v3(demo_env, scored):
    at = open_app("pages/3_Compare.py", iteration="v3")
    assert not at.exception
    old = list_feedback(FeedbackStore(f"sqlite:///{demo_env}"), "credit", "v2")
    report = check_fixes(old, scored["v3"].outcomes(f.case_id for f in old))
    fix = next(m for m in at.metric if m.label.startswith("Flagged cases"))
    assert fix.value == f"{report.fixed} of {report.flagged}" and 0 < report.fixed < report.flagged


def test_the_first_start_shows_home_at_once_and_its_progress(app_env, tmp_path, monkeypatch):
    from pages._ui.first_start import _start_first_start

    registry = tmp_path / "empty-registry"
    monkeypatch.setenv("INVOLVE_REGISTRY_DIR", str(registry))
    at = open_app(user=None)
    try:
        assert not at.exception
        assert at.title[0].value == "Involve"
        assert at.subheader[0].value == "Getting ready for the first start"
        assert at.get("progress") and "First start, in the background" in at.get("progress")[0].proto.text
    finally:
        job = _start_first_start(str(registry), settings.db_url(), False)
        if job is not None and job.process.poll() is None:
            os.killpg(job.process.pid, signal.SIGTERM)  # the training it started, not needed here
            job.process.wait(timeout=30)
