"""Usage telemetry of the app itself: page views, explanations viewed, feedback sent, latency.

The events and what they add up to; recording and reading them is in `feedback.store.telemetry`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

EVENTS = ("page view", "explanation viewed", "feedback submitted")


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
