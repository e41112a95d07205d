"""The built-in fraud use case's decision log: its generated production year written as a partitioned
Parquet dataset, as a scoring service would log it, with chargebacks that arrive 2 to 8 weeks after the
transaction, and connected as the use case's source, so the demo runs the same path as a team's log."""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from demo_models.builtin.fraud_stream import FEATURES, FRAUD_TARGET, make_transactions
from demo_models.iterations.scoring import ScoredIteration
from demo_models.monitoring.sources import Source, load_source, save_source
from demo_models.settings import data_dir

log = logging.getLogger(__name__)

LOG_SEED = 17
AS_OF = pd.Timestamp("2026-01-01")  # the day the log is read: later chargebacks are not in yet
LABEL_DELAY_DAYS = (14, 56)
MAPPING = {
    "timestamp": "ts",
    "case_id": "transaction_id",
    "inputs": list(FEATURES),
    "score": "score",
    "decision": "decision",
    "version": "served_by",
    "label": FRAUD_TARGET,
    "label_date": "chargeback_known",
}


def build_fraud_log(scored: ScoredIteration, rows: int, seed: int = LOG_SEED) -> pd.DataFrame:
    """The year of transactions as the serving iteration logged them: time, inputs, score, decision, the
    version, and the outcome with the day it became known (missing while it is not)."""
    rng = np.random.default_rng([seed, 1])  # not make_transactions' own stream: times spread over each month
    frame = make_transactions(rows, seed=seed, case_ids=False)
    start = pd.to_datetime(frame["month"] + "-01")
    days = start.dt.days_in_month.to_numpy()
    frame["ts"] = start + pd.to_timedelta(rng.random(rows) * days * 86_400, unit="s").round("s")
    proba = scored.iteration.model.predict_proba(frame[list(scored.card.features)])
    frame["score"] = np.asarray(proba[:, scored.explainer.positive_index], dtype=float)
    positive = frame["score"] >= scored.threshold
    frame["decision"] = np.where(positive, scored.use_case.positive_decision, scored.use_case.negative_decision)
    frame["served_by"] = scored.card.version
    known = frame["ts"] + pd.to_timedelta(rng.integers(*LABEL_DELAY_DAYS, rows, endpoint=True), unit="D")
    frame["chargeback_known"] = known.where(known <= AS_OF)
    frame[FRAUD_TARGET] = frame[FRAUD_TARGET].astype(float).where(known <= AS_OF)
    frame["transaction_id"] = [f"TX{seed:02d}-{i:07d}" for i in range(rows)]
    return frame  # the protected customer_age_band stays: flips by group (Monitoring, shadow comparison)


def ensure_fraud_log(scored: ScoredIteration, rows: int, folder: Path | None = None) -> Source | None:
    """Write and connect the built-in fraud decision log when the fraud use case has no source yet (a team's
    own source is never replaced); the source connected, or None when it already had one."""
    if load_source("fraud") is not None:
        return None
    folder = Path(folder or data_dir() / "decision-logs" / "fraud")
    frame = build_fraud_log(scored, rows)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".fraud-"))
    frame.to_parquet(staging / "log", partition_cols=["month"], index=False)
    if folder.exists():
        shutil.rmtree(folder)
    (staging / "log").rename(folder)
    shutil.rmtree(staging, ignore_errors=True)
    reference = tuple(scored.card.extra.get("reference_months", ()))
    source = Source("parquet", str(folder), dict(MAPPING), reference)
    save_source("fraud", source)
    log.info(
        "the built-in fraud decision log (%d transactions, scored by %s) written to %s",
        rows,
        scored.card.version,
        folder,
    )
    return source
