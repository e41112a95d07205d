"""Usage telemetry of the app itself: page views, explanations viewed, feedback sent, latency."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
from sqlalchemy import insert, select

from feedback.schema import USAGE
from feedback.store import FeedbackStore, StoreError

log = logging.getLogger(__name__)
EVENTS = ("page view", "explanation viewed", "feedback submitted")
_INSERT = insert(USAGE)


def record_event(
    store: FeedbackStore, use_case: str, page: str, role: str, event: str,
    iteration: str | None = None, duration_ms: float | None = None,
) -> None:
    """Record one usage event; telemetry never breaks a page (a failure is only logged)."""
    if event not in EVENTS:
        raise ValueError(f"Unknown usage event {event!r}.")
    values = dict(
        created_at=datetime.now(timezone.utc), use_case=use_case, iteration=iteration, page=page[:200],
        role=role[:50], event=event, duration_ms=duration_ms,
    )
    try:
        with store.transaction(write=True) as conn:
            conn.execute(_INSERT, values)
    except StoreError as err:
        log.warning("usage event not recorded: %s", err)


def usage_frame(store: FeedbackStore, use_case: str, days: int = 90) -> pd.DataFrame:
    """The use case's usage events of the last `days` days."""
    since = datetime.now(timezone.utc) - timedelta(days=days)
    query = select(USAGE).where(USAGE.c.use_case == use_case, USAGE.c.created_at >= since).order_by(USAGE.c.id)
    with store.transaction() as conn:
        rows = conn.execute(query).mappings().all()
    return pd.DataFrame([dict(r) for r in rows], columns=[c.name for c in USAGE.columns])


def views_by_page_and_role(usage: pd.DataFrame) -> pd.DataFrame:
    """Page views: pages (rows) by role (columns)."""
    views = usage[usage["event"] == "page view"]
    return pd.crosstab(views["page"], views["role"]) if len(views) else pd.DataFrame()


def event_counts(usage: pd.DataFrame) -> dict[str, int]:
    """How many of each event."""
    counts = usage["event"].value_counts()
    return {event: int(counts.get(event, 0)) for event in EVENTS}


def explanation_latency(usage: pd.DataFrame) -> tuple[float, float] | None:
    """p50 and p95 (ms) of the time to score and explain a case, as users experienced it."""
    times = usage.loc[usage["event"] == "explanation viewed", "duration_ms"].dropna().to_numpy(float)
    if not len(times):
        return None
    return float(np.percentile(times, 50)), float(np.percentile(times, 95))
