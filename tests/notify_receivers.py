"""Real local receivers for notification tests, on 127.0.0.1: an SMTP server (aiosmtpd) and an HTTP server
standing in for a Slack / Teams / JSON webhook. Each counts what it received."""

from __future__ import annotations

import email
import json
import threading
import time
from email import policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from tests.helpers import free_port


class SmtpReceiver:
    """An SMTP server on 127.0.0.1 that keeps every message; `stop` and `start` take it down and up on its port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self._controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"

    @property
    def url(self) -> str:
        """The apprise URL of this server as the sender (plain SMTP, no login)."""
        return f"mailto://127.0.0.1:{self.port}?from=involve@example.com&mode=insecure"

    def start(self) -> None:
        """Listen (again) on its port."""
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        """Stop listening: a connection is refused until `start`."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def bodies_to(self, address: str) -> list[str]:
        """The plain-text bodies of the messages sent to an address."""
        return [
            m.get_body(preferencelist=("plain",)).get_content() for m in self.messages if address in m["X-Envelope-To"]
        ]


class WebhookReceiver:
    """An HTTP server on 127.0.0.1 keeping every JSON body posted to it, answering `status` (200 by default)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.posts: list[dict] = []
        self.headers: list[dict[str, str]] = []  # the HTTP headers of each post accepted, beside `posts`
        self.answered: list[int] = []
        self.status = 200
        self.delay = delay
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                time.sleep(receiver.delay)
                with receiver._lock:
                    status = receiver.status
                    receiver.answered.append(status)
                    if status < 300:
                        receiver.posts.append(body)
                        receiver.headers.append(dict(self.headers.items()))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """The apprise URL of this webhook (a JSON POST)."""
        return f"json://127.0.0.1:{self.port}/hook"

    def titles(self) -> list[str]:
        """The titles of the messages accepted, in arrival order."""
        with self._lock:
            return [post["title"] for post in self.posts]

    def close(self) -> None:
        """Stop the server."""
        self._server.shutdown()
        self._server.server_close()
