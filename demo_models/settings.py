"""Configuration read from environment variables at call time (see README, "Configuration")."""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]

#: Every setting the app reads: name -> (default shown in the README, meaning).
SETTINGS: dict[str, tuple[str, str]] = {
    "INVOLVE_DATA_DIR": ("<project>/.involve", "folder for the registry and the SQLite store"),
    "INVOLVE_REGISTRY_DIR": ("$INVOLVE_DATA_DIR/registry", "where iterations are stored"),
    "INVOLVE_DB_URL": (
        "sqlite:///$INVOLVE_DATA_DIR/feedback.sqlite3",
        "SQLAlchemy URL of the feedback store (SQLite file or PostgreSQL)",
    ),
    "INVOLVE_LOG_LEVEL": ("INFO", "logging level of the app"),
    "INVOLVE_MONITOR_ROWS": ("200000", "transactions in the fraud monitoring stream (10,000 to 1,000,000)"),
    "INVOLVE_HEALTH_EVERY": ("60", "seconds between the background health checks behind the outage banner (0: off)"),
    "INVOLVE_SIGNOFF_ROLES": (
        "(empty)",
        'JSON mapping of use case to the roles that must sign off before it goes live, e.g. {"churn": ["risk"]}; '
        "unset use cases keep their own (credit and fraud: risk and compliance; others: business user)",
    ),
    "INVOLVE_DEMO_HISTORY": (
        "1",
        "write a labelled demo history (goals, costs, sign-offs, lifecycle, feedback) into a fresh store at "
        "first start (0: start empty)",
    ),
    "INVOLVE_STORE_WAIT": (
        "3",
        "seconds a write waits for another writer's lock before it is refused (read by feedback/store/opening.py)",
    ),
    "INVOLVE_STORE_READONLY": ("0", "1: open the store read-only (read by feedback/store/opening.py)"),
    "INVOLVE_ROLES": (
        "(empty)",
        'with login configured: JSON mapping of login e-mail to role, e.g. {"ann@bank.example": "admin"}',
    ),
    "INVOLVE_APP_URL": ("http://localhost:8501", "the app's address, put before the links in notifications"),
    "INVOLVE_NOTIFY_EMAIL_URL": (
        "(empty)",
        "apprise URL of the SMTP sender of e-mail notifications, e.g. mailtos://user:password@smtp.example.com"
        "?from=involve@example.com",
    ),
    "INVOLVE_NOTIFY_URLS_<USE_CASE>": (
        "(empty)",
        "apprise URLs (space- or comma-separated) of a use case's team channels, e.g. INVOLVE_NOTIFY_URLS_CREDIT",
    ),
    "INVOLVE_NOTIFY_MAX_ATTEMPTS": ("5", "attempts at sending a notification before it is marked dead"),
    "INVOLVE_NOTIFY_BACKGROUND": (
        "0",
        "1: the app's server runs the notification delivery worker (involve notify --deliver) as its child "
        "process; 0: run the worker beside the app (cron or a sidecar)",
    ),
    "INVOLVE_SPARK_MASTER": (
        "local[2]",
        "Spark master URL of decision logs computed on Spark (default: local mode on the loopback address)",
    ),
}
NOTIFY_URLS_PREFIX = "INVOLVE_NOTIFY_URLS_"


def data_dir() -> Path:
    """Folder holding the registry and the default SQLite store."""
    return Path(os.environ.get("INVOLVE_DATA_DIR") or PROJECT_DIR / ".involve")


def registry_dir() -> Path:
    """Folder of the iteration registry (one sub-folder per use case and version)."""
    value = os.environ.get("INVOLVE_REGISTRY_DIR")
    return Path(value) if value else data_dir() / "registry"


def db_url() -> str:
    """SQLAlchemy URL of the feedback store; a SQLite file in the data folder by default."""
    value = os.environ.get("INVOLVE_DB_URL")
    return value if value else f"sqlite:///{data_dir() / 'feedback.sqlite3'}"


def log_level() -> str:
    """Logging level name for the app (INFO by default)."""
    return os.environ.get("INVOLVE_LOG_LEVEL", "INFO").upper()


def role_mapping() -> str:
    """JSON text mapping login e-mails to roles (empty: everyone logged in is a business user)."""
    return os.environ.get("INVOLVE_ROLES", "")


def monitor_rows() -> int:
    """Size of the generated fraud stream the monitoring page watches (clamped to 10k..1M)."""
    try:
        value = int(os.environ.get("INVOLVE_MONITOR_ROWS", "200000"))
    except ValueError:
        value = 200_000
    return min(max(value, 10_000), 1_000_000)


def health_every() -> int:
    """Seconds between background health checks (0 turns them off)."""
    try:
        return max(int(os.environ.get("INVOLVE_HEALTH_EVERY", "60")), 0)
    except ValueError:
        return 60


def demo_history() -> bool:
    """Whether a fresh store gets the demo history at first start (anything but 0, false, no, off)."""
    return os.environ.get("INVOLVE_DEMO_HISTORY", "1").strip().lower() not in {"0", "false", "no", "off"}


def notify_background() -> bool:
    """Whether the app's server runs the delivery worker of the notification outbox as its child process."""
    return os.environ.get("INVOLVE_NOTIFY_BACKGROUND", "0").strip().lower() in {"1", "true", "yes", "on"}


def signoff_roles() -> dict[str, list[str]]:
    """Use case -> roles whose sign-off a promotion needs, as configured (ValueError if malformed)."""
    text = os.environ.get("INVOLVE_SIGNOFF_ROLES", "").strip()
    if not text:
        return {}
    try:
        mapping = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"INVOLVE_SIGNOFF_ROLES is not valid JSON: {err}") from err
    if not isinstance(mapping, dict) or not all(
        isinstance(roles, list) and all(isinstance(r, str) for r in roles) for roles in mapping.values()
    ):
        raise ValueError('INVOLVE_SIGNOFF_ROLES must map each use case to a list of roles, e.g. {"churn": ["risk"]}.')
    return mapping


def _notify_secrets() -> dict:
    """The [notify] table of .streamlit/secrets.toml (the working folder's, else the project's); {} if none."""
    for folder in (Path.cwd(), PROJECT_DIR):
        path = folder / ".streamlit" / "secrets.toml"
        if path.is_file():
            try:
                notify = tomllib.loads(path.read_text(encoding="utf-8")).get("notify", {})
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
                raise ValueError(f"{path} is not valid TOML: {err}") from err
            return notify if isinstance(notify, dict) else {}
    return {}


def _urls(value: object) -> tuple[str, ...]:
    items = value if isinstance(value, list) else re.split(r"[\s,]+", str(value or ""))
    return tuple(str(url).strip() for url in items if str(url).strip())


def notify_channels() -> dict:
    """The deployment's notification channels, as `feedback.notifications.Channels` takes them: the SMTP
    sender's apprise URL, each use case's team URLs, the app's URL and the attempts before a message is dead.

    From the environment, else the [notify] table of .streamlit/secrets.toml (`email_url`, and
    `[notify.team_urls]` of use case to a list of URLs); ValueError if the secrets file is malformed.
    """
    secrets = _notify_secrets()
    teams = {str(k).lower(): _urls(v) for k, v in (secrets.get("team_urls") or {}).items()}
    for name, value in os.environ.items():
        if name.startswith(NOTIFY_URLS_PREFIX) and name != NOTIFY_URLS_PREFIX:
            teams[name.removeprefix(NOTIFY_URLS_PREFIX).lower()] = _urls(value)
    try:
        attempts = max(int(os.environ.get("INVOLVE_NOTIFY_MAX_ATTEMPTS", "5")), 1)
    except ValueError:
        attempts = 5
    try:
        hour = int(os.environ.get("INVOLVE_NOTIFY_DIGEST_HOUR", "7"))
    except ValueError:
        hour = 7
    return {
        "digest_hour": hour if 0 <= hour <= 23 else 7,
        "email_url": os.environ.get("INVOLVE_NOTIFY_EMAIL_URL") or secrets.get("email_url") or None,
        "team_urls": {team: urls for team, urls in teams.items() if urls},
        "app_url": os.environ.get("INVOLVE_APP_URL") or "http://localhost:8501",
        "max_attempts": attempts,
    }
