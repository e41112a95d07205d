import numpy as np
import pandas as pd
import pytest

from demo_models.builtin.fraud_stream import make_transactions


def make_log(rows: int = 6000, seed: int = 3) -> pd.DataFrame:
    """A decision log of a use case the project did not build: drifting number, ints, categories, gaps."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2025-01-01")
    timestamp = start + pd.to_timedelta(rng.integers(0, 240 * 24 * 3600, rows), unit="s")
    drift = (timestamp - start).days.to_numpy() / 240
    income = rng.lognormal(10 + drift, 0.5, rows)
    income[rng.random(rows) < 0.05] = np.nan
    frame = pd.DataFrame(
        {
            "ts": timestamp,
            "loan_id": [f"L{i}" for i in range(rows)],
            "income": income,
            "dependants": rng.integers(0, 4, rows),
            "region": rng.choice(["north", "south", "east"], rows, p=[0.5, 0.3, 0.2]),
            "p_default": rng.beta(2, 8 - 4 * drift),
        }
    )
    frame["approved"] = (frame["p_default"] < 0.3).astype(int)
    frame["defaulted"] = np.where(drift < 0.6, (rng.random(rows) < frame["p_default"]).astype(float), np.nan)
    return frame


LOG_MAPPING = {
    "timestamp": "ts",
    "case_id": "loan_id",
    "inputs": ["income", "dependants", "region"],
    "score": "p_default",
    "decision": "approved",
    "label": "defaulted",
}


@pytest.fixture
def partitioned_log(tmp_path):
    frame = make_log()
    folder = tmp_path / "log"
    frame.assign(day=frame["ts"].dt.strftime("%Y-%m")).to_parquet(folder, partition_cols=["day"])
    return folder, frame


@pytest.fixture
def fraud_log(tmp_path):
    frame = make_transactions(20_000, seed=5, case_ids=False)
    frame["ts"] = pd.to_datetime(frame["month"] + "-15")
    frame["score"] = np.random.default_rng(0).random(len(frame))
    folder = tmp_path / "fraud"
    frame.to_parquet(folder, partition_cols=["month"])
    return folder, frame
