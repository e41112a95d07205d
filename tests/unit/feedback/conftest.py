"""Fixtures of the notification tests: a real SMTP server and a real HTTP receiver on the loopback address."""

import pytest

from tests.notify_receivers import SmtpReceiver, WebhookReceiver


@pytest.fixture
def smtp():
    """An SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it receives."""
    receiver = SmtpReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
def hook():
    """An HTTP server on 127.0.0.1 standing in for Slack, Teams and JSON webhooks."""
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()
