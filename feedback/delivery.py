"""Sending a message through apprise: the channel URLs it goes to, sending to each, the channels as shown.

A message that reached some of its channel URLs before a failure remembers them (by digest, never
the URL) and a retry sends only to the others. Every attempt carries the message's idempotency key to
the receiver, the same on a retry: a JSON webhook gets it as the `idempotency_key` field and the
`Idempotency-Key` header, an e-mail as its Message-ID (a digest of the key) and `X-Involve-Idempotency-Key`,
so a receiver can drop a message a dying worker sent but could not record. The worker that claims due
messages, sends them and records each attempt is `feedback.store.delivery` (it needs the store; this
module does not).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import apprise
from apprise.plugins.email import base as apprise_email

from feedback.notifications import EVERY_TEAM, TEAM_PREFIX, Channels, NotificationError, OutboxMessage, full_link

log = logging.getLogger(__name__)
MAX_ERROR_CHARS = 500
KEY_FIELD, KEY_HEADER, EMAIL_KEY_HEADER = "idempotency_key", "Idempotency-Key", "X-Involve-Idempotency-Key"
_MESSAGE_ID_LOCK = threading.Lock()  # apprise makes an e-mail's Message-ID with one module-level function


@dataclass(frozen=True)
class ChannelView:
    """A configured channel as a page may show it: its name and its URL with the secrets hidden."""

    name: str
    url: str


def url_digest(url: str) -> str:
    """A stable short digest of a channel URL (kept instead of the URL, which may hold secrets)."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def _with_recipient(email_url: str, address: str) -> str:
    parts = urlsplit(email_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "to"] + [("to", address)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def target_urls(channels: Channels, recipient: str, use_case: str) -> list[str]:
    """The apprise URLs a message to `recipient` goes to (NotificationError if none is configured)."""
    if recipient == EVERY_TEAM:
        urls = list(dict.fromkeys(url for _, team_urls in sorted(channels.team_urls.items()) for url in team_urls))
        if not urls:
            raise NotificationError("No team channel is configured (INVOLVE_NOTIFY_URLS_<USE_CASE>).")
        return urls
    if recipient.startswith(TEAM_PREFIX):
        team = recipient.removeprefix(TEAM_PREFIX)
        urls = list(channels.team_urls.get(team, ()))
        if not urls:
            raise NotificationError(f"No team channel is configured for {team} (INVOLVE_NOTIFY_URLS_{team.upper()}).")
        return urls
    if not channels.email_url:
        raise NotificationError("No e-mail sender is configured (INVOLVE_NOTIFY_EMAIL_URL).")
    return [_with_recipient(channels.email_url, recipient)]


def _redacted(url: str) -> str:
    client = apprise.Apprise()
    if not client.add(url):
        return f"{url.split(':', 1)[0]}://… (not a URL apprise understands)"
    return next(iter(client)).url(privacy=True)


def describe_channels(channels: Channels) -> list[ChannelView]:
    """The configured channels, their secrets hidden (apprise's privacy form of each URL)."""
    views = [ChannelView("e-mail sender", _redacted(channels.email_url))] if channels.email_url else []
    for team, urls in sorted(channels.team_urls.items()):
        views += [ChannelView(f"{TEAM_PREFIX}{team}", _redacted(url)) for url in urls]
    return views


def message_id_of(key: str, app_url: str) -> str:
    """The e-mail Message-ID of the message with this idempotency key, the same on every attempt."""
    host = urlsplit(app_url).hostname or "involve.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{host}>"


@contextmanager
def _message_id(plugin: object, message_id: str | None) -> Iterator[None]:
    """While an e-mail plugin sends: apprise's Message-ID is `message_id` (apprise has no option for it)."""
    if message_id is None or not isinstance(plugin, apprise_email.NotifyEmail):
        yield
        return
    with _MESSAGE_ID_LOCK:
        made = apprise_email.make_msgid
        apprise_email.make_msgid = lambda *args, **kwargs: message_id
        try:
            yield
        finally:
            apprise_email.make_msgid = made


def _carry_key(plugin: object, key: str) -> None:
    """Put the idempotency key on what a plugin sends: an HTTP header or e-mail header, a JSON field."""
    headers = getattr(plugin, "headers", None)
    if isinstance(headers, dict):
        headers[EMAIL_KEY_HEADER if isinstance(plugin, apprise_email.NotifyEmail) else KEY_HEADER] = key
    extras = getattr(plugin, "payload_extras", None)
    if isinstance(extras, dict):
        extras[KEY_FIELD] = key


def send_to(url: str, title: str, body: str, key: str | None = None, message_id: str | None = None) -> str | None:
    """Send one notification to one apprise URL, carrying the idempotency key (and the e-mail Message-ID)
    where the channel can; None if it was accepted, else why not."""
    client = apprise.Apprise()
    if not client.add(url):
        return f"the channel URL ({url.split(':', 1)[0]}://…) is not one apprise understands"
    plugin = next(iter(client))
    if key is not None:
        _carry_key(plugin, key)
    with apprise.LogCapture(level=logging.WARNING) as output, _message_id(plugin, message_id):
        try:
            ok = client.notify(title=title, body=body)
        except Exception as err:  # a plugin's own failure must not stop the worker with the message claimed
            log.exception("apprise failed on a %s channel", url.split(":", 1)[0])
            return f"the channel failed: {type(err).__name__}"
    if ok:
        return None
    lines = [line.strip() for line in output.getvalue().splitlines() if line.strip()]
    return (lines[-1] if lines else "the channel refused the message")[:MAX_ERROR_CHARS]


def send_message(channels: Channels, message: OutboxMessage) -> tuple[bool, str | None, set[str]]:
    """Send a message to each of its channel URLs it has not reached yet: (all reached, errors, reached)."""
    reached = set(message.delivered_to)
    try:
        urls = target_urls(channels, message.recipient, message.use_case)
    except NotificationError as err:
        return False, str(err), reached
    body = f"{message.body}\n\nOpen it in Involve: {full_link(channels.app_url, message.link)}"
    message_id = message_id_of(message.idempotency_key, channels.app_url)
    errors = []
    for url in urls:
        if url_digest(url) in reached:
            continue
        error = send_to(url, message.subject, body, message.idempotency_key, message_id)
        if error is None:
            reached.add(url_digest(url))
        else:
            errors.append(error)
    return not errors, "; ".join(errors)[:MAX_ERROR_CHARS] or None, reached
