"""Configuration read from environment variables at call time (see README, "Configuration")."""

from __future__ import annotations

import json
import os
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
}


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
