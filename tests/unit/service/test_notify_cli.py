"""`involve notify --deliver --once` and the channels read from the environment or .streamlit/secrets.toml."""

import pytest

from demo_models import settings
from demo_models.service.cli import main
from feedback.access import Actor
from feedback.notifications import DAILY, HELD, SENT, OutboxMessage
from feedback.store.database import FeedbackStore
from feedback.store.lifecycle import change_lifecycle
from feedback.store.notifications import add_messages, delivery_log
from tests.notify_receivers import SmtpReceiver, WebhookReceiver


@pytest.fixture
def clean_env(notify_env, monkeypatch):
    monkeypatch.setattr(settings, "PROJECT_DIR", notify_env / "project")
    return notify_env


def test_deliver_once_sends_the_queued_lifecycle_change_to_the_team_channel(clean_env, monkeypatch, capsys):
    hook = WebhookReceiver()
    try:
        url = f"sqlite:///{clean_env / 'store.sqlite3'}"
        store = FeedbackStore(url)
        actor = Actor("Dana", "data scientist")
        change_lifecycle(
            store, "credit", ["v1"], "v1", "live", actor, "first", required_signoffs=(), migration_note="New."
        )
        monkeypatch.setenv("INVOLVE_NOTIFY_URLS_CREDIT", hook.url)
        monkeypatch.setenv("INVOLVE_APP_URL", "https://involve.bank.example/")
        assert main(["notify", "--deliver", "--once", "--db", url]) == 0
        assert capsys.readouterr().out.strip() == "1 sent, 0 to retry later, 0 dead."
        assert hook.titles() == ["credit v1 is now live"]
        assert "https://involve.bank.example/Iterations?use_case=credit&iteration=v1" in hook.posts[0]["message"]
        assert main(["notify", "--deliver", "--once", "--db", url]) == 0
        assert capsys.readouterr().out.strip() == "0 sent, 0 to retry later, 0 dead."
        assert len(hook.posts) == 1 and [m.status for m in delivery_log(store)] == [SENT]
    finally:
        hook.close()


def test_a_malformed_secrets_file_is_a_clear_message(clean_env, capsys):
    (clean_env / ".streamlit").mkdir()
    (clean_env / ".streamlit" / "secrets.toml").write_text("[notify\nemail_url = ", encoding="utf-8")
    assert main(["notify", "--deliver", "--once", "--db", f"sqlite:///{clean_env / 's.sqlite3'}"]) == 1
    assert "secrets.toml is not valid TOML" in capsys.readouterr().err


def test_channels_come_from_the_secrets_file_and_the_environment_wins(clean_env, monkeypatch):
    (clean_env / ".streamlit").mkdir()
    (clean_env / ".streamlit" / "secrets.toml").write_text(
        '[notify]\nemail_url = "mailtos://u:p@smtp.example.com"\n'
        '[notify.team_urls]\ncredit = ["json://a.example/x", "json://b.example/y"]\nfraud = "json://c.example/z"\n',
        encoding="utf-8",
    )
    assert settings.notify_channels() == {
        "email_url": "mailtos://u:p@smtp.example.com",
        "team_urls": {"credit": ("json://a.example/x", "json://b.example/y"), "fraud": ("json://c.example/z",)},
        "app_url": "http://localhost:8501",
        "max_attempts": 5,
        "digest_hour": 7,
    }
    monkeypatch.setenv("INVOLVE_NOTIFY_URLS_CREDIT", "json://d.example/1, json://e.example/2")
    monkeypatch.setenv("INVOLVE_NOTIFY_MAX_ATTEMPTS", "not a number")
    channels = settings.notify_channels()
    assert channels["team_urls"]["credit"] == ("json://d.example/1", "json://e.example/2")
    assert channels["max_attempts"] == 5


def test_the_worker_keeps_looking_every_poll_until_stopped(clean_env, monkeypatch, capsys):
    hook = WebhookReceiver()
    looks = []

    def sleep(seconds):  # replaces time.sleep everywhere: only the worker's poll (3 s) is counted
        if seconds != 3.0:
            return
        looks.append(seconds)
        if len(looks) == 2:
            raise KeyboardInterrupt  # as Ctrl-C or SIGINT stops a sidecar

    try:
        url = f"sqlite:///{clean_env / 'store.sqlite3'}"
        store = FeedbackStore(url)
        change_lifecycle(
            store,
            "credit",
            ["v1"],
            "v1",
            "live",
            Actor("Dana", "data scientist"),
            "first",
            required_signoffs=(),
            migration_note="New.",
        )
        monkeypatch.setenv("INVOLVE_NOTIFY_URLS_CREDIT", hook.url)
        monkeypatch.setattr("feedback.store.delivery.time.sleep", sleep)
        assert main(["notify", "--deliver", "--poll", "3", "--db", url]) == 0
        assert len(looks) == 2 and hook.titles() == ["credit v1 is now live"]
    finally:
        hook.close()


def test_digest_now_sends_one_email_per_person_of_what_was_held(clean_env, monkeypatch, capsys):
    smtp = SmtpReceiver()
    smtp.start()
    try:
        url = f"sqlite:///{clean_env / 'store.sqlite3'}"
        store = FeedbackStore(url)
        held = [
            OutboxMessage(f"k{i}", "team notice", "credit", to, f"n-{i}", "b", "/Notices", HELD, cadence=DAILY)
            for i, to in enumerate(["ann@bank.example"] * 3 + ["bo@bank.example"])
        ]
        add_messages(store, held)
        monkeypatch.setenv("INVOLVE_NOTIFY_EMAIL_URL", smtp.url)
        assert main(["notify", "--digest", "weekly", "--db", url]) == 0
        assert capsys.readouterr().out.splitlines()[0] == "0 weekly digest(s) queued."
        assert main(["notify", "--digest", "daily", "--db", url]) == 0
        out = capsys.readouterr().out.splitlines()
        assert out == ["2 daily digest(s) queued.", "2 sent, 0 to retry later, 0 dead."]
        assert sorted((m["X-Envelope-To"], m["Subject"]) for m in smtp.messages) == [
            ("ann@bank.example", "Your daily Involve digest: 3 update(s)"),
            ("bo@bank.example", "Your daily Involve digest: 1 update(s)"),
        ]
        with pytest.raises(SystemExit):  # one or the other
            main(["notify", "--deliver", "--digest", "daily", "--db", url])
        assert "not allowed with argument --deliver" in capsys.readouterr().err
    finally:
        smtp.stop()
