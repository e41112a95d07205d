import numpy as np
import pandas as pd
import pytest

from demo_models.builtin.fraud_stream import DRIFT_MONTH, FEATURES, make_transactions
from demo_models.metrics.drift import feature_drift, performance_by_month, psi, psi_band, psi_by_month
from demo_models.metrics.performance import headline_metrics


@pytest.fixture(scope="module")
def stream():
    return make_transactions(120_000, seed=21)


def test_the_generator_is_seeded_imbalanced_and_seasonal(stream):
    again = make_transactions(120_000, seed=21)
    pd.testing.assert_frame_equal(stream, again)
    rates = stream.groupby("month")["is_fraud"].mean()
    assert ((rates > 0.004) & (rates < 0.02)).all()
    volume = stream["month"].value_counts()
    assert volume["2025-12"] > 1.5 * volume["2025-02"]  # holiday peak
    before = stream[stream["month"] < str(DRIFT_MONTH)]
    assert (before["channel"] == "in-app wallet").sum() == 0
    assert (stream["channel"] == "in-app wallet").sum() > 10_000


def test_the_drift_event_is_detected(stream):
    reference = [f"2025-0{m}" for m in range(1, 4)]
    by_month = psi_by_month(stream, "month", reference, FEATURES)
    after = by_month.loc[["2025-07", "2025-08", "2025-09"]]
    comparable_before = by_month.loc[["2025-04", "2025-05", "2025-06"]]
    assert (after["channel"] > 0.25).all()
    assert (comparable_before < 0.1).all().all()


def test_psi_matches_its_definition_and_bands():
    reference = pd.Series(["a"] * 50 + ["b"] * 50)
    current = pd.Series(["a"] * 80 + ["b"] * 20)
    expected = (0.8 - 0.5) * np.log(0.8 / 0.5) + (0.2 - 0.5) * np.log(0.2 / 0.5)
    assert psi(reference, current) == pytest.approx(expected)
    assert psi(reference, reference) == 0
    assert [psi_band(v) for v in (0.05, 0.1, 0.2, 0.3)] == ["stable", "watch", "watch", "act"]


def test_feature_drift_uses_a_test_suited_to_the_type(stream):
    reference = stream[stream["month"] == "2025-02"]
    current = stream[stream["month"] == "2025-09"]
    drift = feature_drift(reference, current, FEATURES)
    assert drift.loc["channel", "band"] == "act" and drift.loc["channel", "test"] == "chi-square"
    assert drift.loc["amount", "test"] == "Kolmogorov-Smirnov"
    assert drift.loc["channel", "p-value"] < 1e-6
    with pytest.raises(ValueError, match="the current window is empty"):
        feature_drift(reference, current.iloc[:0], FEATURES)


def test_performance_by_month_equals_the_metrics_of_each_month(stream):
    rng = np.random.default_rng(0)
    scores = np.clip(stream["is_fraud"].to_numpy() * 0.3 + rng.random(len(stream)) * 0.7, 0, 1)
    table = performance_by_month(stream, "month", stream["is_fraud"].to_numpy(), scores, 0.5)
    may = (stream["month"] == "2025-05").to_numpy()
    expected = headline_metrics(stream["is_fraud"].to_numpy()[may], scores[may], 0.5)
    assert table.loc["2025-05", "roc_auc"] == pytest.approx(expected["roc_auc"])
    assert table.loc["2025-05", "cases"] == may.sum()


def test_psi_by_month_equals_psi_month_by_month(stream):
    reference = ["2025-01", "2025-02"]
    by_month = psi_by_month(stream, "month", reference, FEATURES)
    base = stream[stream["month"].isin(reference)]
    for month in ("2025-02", "2025-08", "2025-12"):
        part = stream[stream["month"] == month]
        for column in FEATURES:
            assert by_month.loc[month, column] == pytest.approx(psi(base[column], part[column]), abs=1e-12)
