"""A seeded synthetic card-transaction stream for the fraud use case: seasonality and a drift event.

Twelve months of transactions (~1 % fraud). Volumes and fraud peak around the holidays (November,
December). From the drift month on, a new payment channel (in-app wallet) appears with a new
card-not-present fraud pattern: large night-time online purchases on new cards, far from home.
Vectorised numpy: a million rows take about a second.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FRAUD_TARGET = "is_fraud"
MONTHS = pd.period_range("2025-01", "2025-12", freq="M")
MONTH_NAMES = np.array([str(m) for m in MONTHS], dtype=object)
DRIFT_MONTH = pd.Period("2025-07", freq="M")
CATEGORIES = np.array(["grocery", "fuel", "restaurants", "electronics", "travel", "online services", "fashion"])
CHANNELS = np.array(["chip", "contactless", "online", "in-app wallet"])
AGE_BANDS = np.array(["18-25", "26-40", "41-60", "61+"])
FEATURES = [
    "amount",
    "merchant_category",
    "channel",
    "hour",
    "distance_km",
    "card_age_months",
    "country_match",
    "txn_24h",
]
#: relative volume per month: holiday peak in November and December
SEASONALITY = np.array([0.8, 0.75, 0.85, 0.85, 0.9, 0.95, 1.0, 1.0, 0.95, 1.0, 1.3, 1.6])


def make_transactions(rows: int = 100_000, seed: int = 11, case_ids: bool = True) -> pd.DataFrame:
    """Transactions over 2025 with `month`, the model inputs, `customer_age_band` and `is_fraud`.

    Indexed by case ids ("T11-0000042") unless `case_ids` is False (a plain range: faster).
    """
    rng = np.random.default_rng(seed)
    month_index = rng.choice(12, size=rows, p=SEASONALITY / SEASONALITY.sum())
    after = month_index >= (DRIFT_MONTH.month - 1)
    holiday = month_index >= 10

    channel_p_before = [0.45, 0.35, 0.20, 0.0]
    channel_p_after = [0.33, 0.30, 0.15, 0.22]
    u = rng.random(rows)
    cum_before, cum_after = np.cumsum(channel_p_before), np.cumsum(channel_p_after)
    channel = np.where(after, np.searchsorted(cum_after, u, side="right"), np.searchsorted(cum_before, u, side="right"))
    channel = np.minimum(channel, 3)
    category = rng.choice(len(CATEGORIES), size=rows, p=[0.28, 0.14, 0.16, 0.1, 0.07, 0.15, 0.1])
    amount = np.round(np.exp(rng.normal(3.6, 0.9, rows)) * np.where(holiday, 1.25, 1.0), 2)
    hour = np.clip(np.round(rng.normal(14, 4.5, rows)), 0, 23).astype(int)
    distance = np.round(rng.exponential(8, rows), 1)
    card_age = rng.integers(1, 120, rows)
    country_match = rng.random(rows) < 0.96
    txn_24h = rng.poisson(2.0, rows)
    age_band = rng.choice(len(AGE_BANDS), size=rows, p=[0.18, 0.36, 0.31, 0.15])

    # classic fraud: foreign, far, many transactions, electronics / travel, at night
    logit = (
        -7.4
        + 3.0 * ~country_match
        + 0.07 * np.minimum(distance, 60)
        + 0.8 * np.maximum(txn_24h - 3, 0)
        + 1.5 * np.isin(category, [3, 4])
        + 1.6 * ((hour < 5) | (hour > 22))
        + 0.45 * holiday
    )
    # the new pattern after the drift: card-not-present fraud through the in-app wallet
    wallet = channel == 3
    new_pattern = after & wallet & (rng.random(rows) < 0.04)
    amount = np.where(new_pattern, np.round(rng.uniform(300, 2500, rows), 2), amount)
    hour = np.where(new_pattern, rng.integers(0, 5, rows), hour)
    card_age = np.where(new_pattern, rng.integers(1, 4, rows), card_age)
    logit = logit + np.where(new_pattern, 7.5, 0.0)
    fraud = rng.random(rows) < 1 / (1 + np.exp(-logit))

    frame = pd.DataFrame(
        {
            "month": MONTH_NAMES[month_index],
            "amount": amount,
            "merchant_category": CATEGORIES[category],
            "channel": CHANNELS[channel],
            "hour": hour,
            "distance_km": distance,
            "card_age_months": card_age,
            "country_match": country_match.astype(int),
            "txn_24h": txn_24h,
            "customer_age_band": AGE_BANDS[age_band],
            FRAUD_TARGET: fraud.astype(int),
        }
    )
    if case_ids:
        frame.index = pd.Index([f"T{seed:02d}-{i:07d}" for i in range(rows)], name="case_id")
    return frame
