"""AppTest of the Documents page's batch of notices over a decision-log window (pages/_ui/notice_window.py): on the
built-in fraud log, the choice "Decision log window" with its dates, the count of the window's flags by v1 as the
domain reads them, the ZIP written and recorded; no choice where no log is connected."""

import csv
import io
import zipfile
from datetime import date

import pytest

from demo_models.iterations.registry import load_iteration
from demo_models.iterations.scoring import ScoredIteration
from demo_models.monitoring.builtin_log import ensure_fraud_log
from demo_models.monitoring.log_notices import read_window_declines
from feedback.store.database import FeedbackStore
from feedback.store.documents import list_documents
from tests.app.apptest import open_app

PAGE = "pages/14_Documents.py"
CLEO, BO = ("Cleo Compliance", "compliance"), ("Bo User", "business user")


@pytest.fixture
def fraud_log(app_env, registry_dir):
    v1 = ScoredIteration(load_iteration("fraud", "v1", registry_dir))
    return v1, ensure_fraud_log(v1, 12_000)  # in the test's data folder (app_env)


def test_compliance_writes_the_notices_of_a_window_of_the_log(fraud_log, app_env):
    v1, source = fraud_log
    at = open_app(PAGE, user=CLEO, use_case="fraud", iteration="v1")
    assert not at.exception
    at.radio(key="batch_scope").set_value("Decision log window").run()
    assert not at.exception
    assert at.date_input(key="batch_from").value == date(2025, 12, 1)  # the log's last month by default
    at.date_input(key="batch_from").set_value(date(2025, 11, 20))
    at.date_input(key="batch_to").set_value(date(2025, 11, 30)).run()
    assert not at.exception and not at.error
    expected = read_window_declines(source, v1, date(2025, 11, 20), date(2025, 11, 30))
    count = len(expected.rows)
    assert any(f"{count:,} of its {expected.window_decisions:,} decisions there" in c.value for c in at.caption), [
        c.value for c in at.caption
    ]
    button = at.button(key="batch_window_write")
    assert button.label == f"Write the {count:,} notices of v1 from 2025-11-20 to 2025-11-30"
    button.click().run(timeout=300)
    assert not at.exception and not at.error
    name = "notices-fraud-v1-2025-11-20-to-2025-11-30.zip"
    assert any(d.proto.label.startswith(f"Download {name} ({count:,} notices") for d in at.get("download_button"))
    with zipfile.ZipFile(io.BytesIO(at.session_state["_batch"][3])) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("notices.csv").decode("utf-8"))))
    assert [r["case"] for r in rows] == list(expected.rows.index)
    (logged,) = list_documents(FeedbackStore(f"sqlite:///{app_env}"), "fraud")
    assert (logged.kind, logged.actor_name, logged.case_count, logged.file_name) == (
        "notice batch (ZIP)",
        "Cleo Compliance",
        count,
        name,
    )


def test_an_empty_window_says_so_and_a_business_user_sees_no_button(fraud_log):
    at = open_app(PAGE, user=BO, use_case="fraud", iteration="v2")
    at.radio(key="batch_scope").set_value("Decision log window").run()
    assert not at.exception
    assert any("the log names v1 as the serving iteration" in i.value for i in at.info)
    assert "batch_window_write" not in {b.key for b in at.button}


def test_without_a_log_the_batch_covers_the_evaluation_cases(app_env):
    at = open_app(PAGE, user=CLEO)
    assert not at.exception
    assert not [r for r in at.radio if r.key == "batch_scope"]
    assert any("No decision log is connected to this use case" in c.value for c in at.caption)
    assert at.button(key="batch_write").label.startswith("Write the ")


def test_the_built_in_fraud_log_is_offered_before_monitoring_was_ever_opened(app_env):
    at = open_app(PAGE, user=CLEO, use_case="fraud", iteration="v1")  # no log written yet: Documents writes it
    assert not at.exception
    assert [r for r in at.radio if r.key == "batch_scope"]
    at.radio(key="batch_scope").set_value("Decision log window").run()
    assert not at.exception
    assert any("The decisions v1 made" in c.value for c in at.caption)
