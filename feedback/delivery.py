"""Sending a message through apprise: the channel URLs it goes to, sending to each, the channels as shown.

A message that reached some of its channel URLs before a failure remembers them (by digest, never
the URL) and a retry sends only to the others. The worker that claims due messages, sends them and
records each attempt is `feedback.store.delivery` (it needs the store; this module does not).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import apprise

from feedback.notifications import EVERY_TEAM, TEAM_PREFIX, Channels, NotificationError, OutboxMessage, full_link

log = logging.getLogger(__name__)
MAX_ERROR_CHARS = 500


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


def send_to(url: str, title: str, body: str) -> str | None:
    """Send one notification to one apprise URL; None if it was accepted, else why not."""
    client = apprise.Apprise()
    if not client.add(url):
        return f"the channel URL ({url.split(':', 1)[0]}://…) is not one apprise understands"
    with apprise.LogCapture(level=logging.WARNING) as output:
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
    errors = []
    for url in urls:
        if url_digest(url) in reached:
            continue
        error = send_to(url, message.subject, body)
        if error is None:
            reached.add(url_digest(url))
        else:
            errors.append(error)
    return not errors, "; ".join(errors)[:MAX_ERROR_CHARS] or None, reached
