"""The delivery worker in the app's background (INVOLVE_NOTIFY_BACKGROUND=1): a child process of the caller that
delivers a queued message to a local receiver once, started once, started again if it died, off by default."""

import time

import pytest

from demo_models import settings
from demo_models.service import background_delivery
from feedback.notifications import SENT, OutboxMessage
from feedback.store.database import FeedbackStore
from feedback.store.notifications import add_messages, delivery_log
from tests.helpers import wait_until
from tests.notify_receivers import WebhookReceiver


@pytest.fixture
def clean_env(notify_env):
    yield notify_env
    background_delivery.stop_background_delivery()


def test_off_by_default_starts_nothing(clean_env):
    assert not settings.notify_background()
    assert background_delivery.start_background_delivery(f"sqlite:///{clean_env / 's.sqlite3'}") is None


def test_a_queued_message_is_delivered_once_by_the_background_worker(clean_env, monkeypatch):
    hook = WebhookReceiver()
    try:
        url = f"sqlite:///{clean_env / 'store.sqlite3'}"
        store = FeedbackStore(url)
        monkeypatch.setenv("INVOLVE_NOTIFY_BACKGROUND", "1")
        monkeypatch.setenv("INVOLVE_NOTIFY_URLS_CREDIT", hook.url)
        worker = background_delivery.start_background_delivery(url, poll=0.5)
        assert worker is not None and worker.poll() is None
        assert background_delivery.start_background_delivery(url, poll=0.5) is worker  # one per process
        add_messages(store, [OutboxMessage("bg-1", "test message", "credit", "team:credit", "Hello", "b", "/Notices")])
        assert wait_until(lambda: [m.status for m in delivery_log(store)] == [SENT])
        time.sleep(1.5)  # three more looks at the outbox: nothing is sent again
        assert hook.titles() == ["Hello"]
        worker.kill()  # it died: the next call starts another, which finds nothing left to send
        worker.wait(10)
        again = background_delivery.start_background_delivery(url, poll=0.5)
        assert again is not None and again is not worker and again.poll() is None
        add_messages(store, [OutboxMessage("bg-2", "test message", "credit", "team:credit", "Again", "b", "/Notices")])
        assert wait_until(lambda: hook.titles() == ["Hello", "Again"])
        background_delivery.stop_background_delivery()
        assert again.poll() is not None
    finally:
        hook.close()
