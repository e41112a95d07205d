"""`involve notify --deliver [--once]`: the delivery worker of the notification outbox, for cron or a sidecar."""

from __future__ import annotations

import argparse
import logging
import sys

from demo_models import settings
from feedback.notifications import Channels
from feedback.store.database import FeedbackStore, StoreError
from feedback.store.delivery import run_worker

log = logging.getLogger("involve.notify")


def add_notify_parser(commands: argparse._SubParsersAction) -> None:
    """Add `notify --deliver [--once]` to the command line."""
    notify = commands.add_parser("notify", help="deliver the notification outbox (e-mail, Slack, Teams, webhooks)")
    notify.add_argument("--deliver", action="store_true", required=True, help="send the messages that are due")
    notify.add_argument("--once", action="store_true", help="deliver what is due now, then exit (for cron)")
    notify.add_argument("--poll", type=float, default=10.0, help="seconds between looks at the outbox (default 10)")
    notify.add_argument("--db", default=None, help="store URL (default: INVOLVE_DB_URL or the SQLite file)")


def configured_channels() -> Channels:
    """The deployment's channels (environment, else .streamlit/secrets.toml); ValueError if malformed."""
    return Channels(**settings.notify_channels())


def run_notify(args: argparse.Namespace) -> int:
    """Run the delivery worker; exit status 0, or 1 if the store or the configuration is unusable."""
    logging.getLogger("feedback").setLevel(logging.INFO)
    try:
        channels = configured_channels()
        store = FeedbackStore(args.db or settings.db_url())
    except (ValueError, StoreError) as err:
        print(f"Not delivered: {err}", file=sys.stderr)
        return 1
    try:
        report = run_worker(store, channels, once=args.once, poll=max(args.poll, 0.5))
    except StoreError as err:
        print(f"Delivery stopped: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    print(f"{report.sent} sent, {report.retried} to retry later, {report.dead} dead.")
    return 0
