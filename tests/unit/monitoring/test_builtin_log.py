"""The built-in fraud decision log: written as a partitioned Parquet dataset with chargebacks that arrive
late, connected once (never over a team's own source), and read by the same path as a team's log."""

import pandas as pd
import pytest

from demo_models.iterations.registry import load_iteration
from demo_models.iterations.scoring import ScoredIteration
from demo_models.monitoring.alerts import find_alerts
from demo_models.monitoring.builtin_log import AS_OF, ensure_fraud_log
from demo_models.monitoring.log_summary import summarise_log
from demo_models.monitoring.sources import Source, load_source, save_source
from demo_models.vocabulary import get_use_case


@pytest.fixture(scope="module")
def fraud_v1(registry_dir):
    return ScoredIteration(load_iteration("fraud", "v1", registry_dir))


def test_the_log_has_late_labels_and_the_july_drift(fraud_v1, tmp_path, monkeypatch):
    monkeypatch.setenv("INVOLVE_DATA_DIR", str(tmp_path))
    source = ensure_fraud_log(fraud_v1, 30_000)
    assert load_source("fraud") == source and source.reference == tuple(fraud_v1.card.extra["reference_months"])
    frame = pd.read_parquet(source.path)
    assert len(frame) == 30_000 and frame["score"].between(0, 1).all()
    known = frame["chargeback_known"]
    assert (known.dropna() <= AS_OF).all() and ((known - frame["ts"]).dt.days.between(14, 56) | known.isna()).all()
    summary = summarise_log(source, fraud_v1.threshold)
    assert summary.problems == []
    labelled = summary.performance.realised["labelled"] / summary.performance.realised["cases"]
    assert labelled.iloc[0] == 1.0 and labelled.iloc[-1] < 0.6  # December's chargebacks are mostly not in yet
    assert summary.performance.estimated["recall"].notna().all()
    titles = {a.title for a in find_alerts(summary, get_use_case("fraud"), "v1", [])}
    assert "Drift in 2025-07: Channel" in titles and not any(m in t for t in titles for m in source.reference)


def test_a_teams_own_source_is_never_replaced(fraud_v1, tmp_path, monkeypatch):
    monkeypatch.setenv("INVOLVE_DATA_DIR", str(tmp_path))
    own = Source("csv", str(tmp_path / "ours-*.csv"), {"timestamp": "t", "inputs": ["a"], "score": "s"})
    save_source("fraud", own)
    assert ensure_fraud_log(fraud_v1, 10_000) is None and load_source("fraud") == own
