"""Fixtures of the command-line and service tests."""

import os

import pytest


@pytest.fixture
def notify_env(monkeypatch, tmp_path):
    """No notification channel or app URL from the machine's environment, and the working folder a fresh
    one (no `.streamlit/secrets.toml`): the test sets what it needs. Returns that folder."""
    for name in list(os.environ):
        if name.startswith("INVOLVE_NOTIFY_") or name == "INVOLVE_APP_URL":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path
