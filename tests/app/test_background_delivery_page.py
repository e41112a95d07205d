"""INVOLVE_NOTIFY_BACKGROUND=1: opening any page starts the delivery worker once per server process, and it
delivers what the outbox holds to a local receiver; off by default, a page starts nothing."""

from demo_models.service import background_delivery
from feedback.notifications import OutboxMessage
from feedback.store.database import FeedbackStore
from feedback.store.notifications import add_messages
from tests.app.apptest import open_app
from tests.helpers import wait_until
from tests.notify_receivers import WebhookReceiver


def test_off_by_default_a_page_starts_no_worker(app_env, monkeypatch):
    monkeypatch.delenv("INVOLVE_NOTIFY_BACKGROUND", raising=False)
    at = open_app()
    assert not at.exception
    assert background_delivery._worker is None


def test_the_first_page_starts_the_worker_once_and_it_delivers(app_env, monkeypatch):
    hook = WebhookReceiver()
    monkeypatch.setenv("INVOLVE_NOTIFY_BACKGROUND", "1")
    monkeypatch.setenv("INVOLVE_NOTIFY_URLS_CREDIT", hook.url)
    try:
        at = open_app()
        assert not at.exception
        worker = background_delivery._worker
        assert worker is not None and worker.poll() is None
        at.switch_page("pages/1_Explore.py").run()
        open_app("pages/11_Notices.py")  # another person's session on the same server
        assert background_delivery._worker is worker  # one worker per server process
        store = FeedbackStore(f"sqlite:///{app_env}")
        add_messages(store, [OutboxMessage("app-bg-1", "test message", "credit", "team:credit", "Hi", "b", "/")])
        assert wait_until(lambda: hook.titles() == ["Hi"])
    finally:
        background_delivery.stop_background_delivery()
        hook.close()
    assert worker.poll() is not None
