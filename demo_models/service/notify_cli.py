"""`involve notify --deliver [--once]`: the delivery worker of the notification outbox, for cron or a sidecar;
`involve notify --digest daily|weekly`: send those digests now (what is held for them), then what is due."""

from __future__ import annotations

import argparse
import logging
import sys

from demo_models import settings
from feedback.notifications import DAILY, WEEKLY, Channels
from feedback.store.database import FeedbackStore, StoreError
from feedback.store.delivery import run_worker
from feedback.store.digests import build_digests

log = logging.getLogger("involve.notify")


def add_notify_parser(commands: argparse._SubParsersAction) -> None:
    """Add `notify --deliver [--once]` and `notify --digest daily|weekly` to the command line."""
    notify = commands.add_parser("notify", help="deliver the notification outbox (e-mail, Slack, Teams, webhooks)")
    what = notify.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--deliver", action="store_true", help="send the messages that are due (and digests at their time)"
    )
    what.add_argument(
        "--digest", choices=(DAILY, WEEKLY), help="group what is held for these digests now and send them"
    )
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
        if args.digest:
            digests = build_digests(
                store, hour=channels.digest_hour, app_url=channels.app_url, cadences=[args.digest], at_once=True
            )
            print(f"{len(digests)} {args.digest} digest(s) queued.")
        report = run_worker(store, channels, once=args.once or bool(args.digest), poll=max(args.poll, 0.5))
    except StoreError as err:
        print(f"Delivery stopped: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    print(f"{report.sent} sent, {report.retried} to retry later, {report.dead} dead.")
    return 0
