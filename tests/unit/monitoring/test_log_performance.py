"""Performance of a team's decision log by month, computed by DuckDB where the log is: measured equals
scikit-learn month by month (undefined as NaN), and the CBPE estimate equals a pandas brute force and
tracks the measured performance when scores are miscalibrated but the score-outcome link holds."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import precision_score, recall_score, roc_auc_score

from demo_models.monitoring.log_performance import log_performance
from demo_models.monitoring.score_bins import CALIBRATION_BINS
from demo_models.monitoring.sources import Source
from tests.unit.monitoring.conftest import LOG_MAPPING, make_log

THRESHOLD = 0.3


def _month(frame):
    return frame["ts"].dt.strftime("%Y-%m")


def test_measured_performance_equals_scikit_learn(partitioned_log):
    folder, frame = partitioned_log
    result = log_performance(Source("parquet", str(folder), LOG_MAPPING), THRESHOLD).realised
    frame = frame.assign(month=_month(frame))
    for month, part in frame.groupby("month"):
        row, labelled = result.loc[month], part.dropna(subset=["defaulted"])
        assert row["cases"] == len(part) and row["labelled"] == len(labelled)
        if labelled.empty:
            assert row[["recall", "precision", "ROC AUC", "positive rate"]].isna().all()  # undefined, not 0
            continue
        y, s = labelled["defaulted"].astype(int), labelled["p_default"]
        assert row["recall"] == pytest.approx(recall_score(y, s >= THRESHOLD), abs=1e-12)
        assert row["precision"] == pytest.approx(precision_score(y, s >= THRESHOLD), abs=1e-12)
        assert row["ROC AUC"] == pytest.approx(roc_auc_score(y, s), abs=1e-12)
        assert row["actual positive rate"] == pytest.approx(y.mean())
    assert result["labelled"].iloc[-1] == 0 and result["labelled"].iloc[0] > 0


def test_ties_and_a_month_without_positives(tmp_path):
    frame = make_log(rows=3000)
    frame["p_default"] = frame["p_default"].round(1)  # many ties: the AUC must average their ranks
    first = _month(frame) == _month(frame).min()
    frame.loc[first, "defaulted"] = 0.0  # no positive in the first month
    frame.to_parquet(tmp_path / "log.parquet")
    result = log_performance(Source("parquet", str(tmp_path / "log.parquet"), LOG_MAPPING), THRESHOLD).realised
    month = _month(frame).min()
    assert np.isnan(result.loc[month, "recall"]) and np.isnan(result.loc[month, "ROC AUC"])
    second = frame[_month(frame) == sorted(_month(frame).unique())[1]]
    assert result.iloc[1]["ROC AUC"] == pytest.approx(roc_auc_score(second["defaulted"], second["p_default"]))


def _brute_force_cbpe(frame, reference):
    ref = frame[frame["month"].isin(reference)].dropna(subset=["defaulted"])
    q = np.linspace(0, 1, CALIBRATION_BINS // 2 + 1)
    below, above = ref["p_default"][ref["p_default"] < THRESHOLD], ref["p_default"][ref["p_default"] >= THRESHOLD]
    inner = np.unique(np.concatenate([np.quantile(below, q)[1:-1], np.quantile(above, q)[1:-1], [THRESHOLD]]))
    bins = lambda s: (s.to_numpy()[:, None] >= inner[None, :]).sum(axis=1)  # noqa: E731
    rates = ref.groupby(bins(ref["p_default"]))["defaulted"].mean()
    expected = rates.reindex(bins(frame["p_default"])).to_numpy()
    frame = frame.assign(e=expected, d=frame["p_default"] >= THRESHOLD)
    rows = {}
    for month, part in frame.groupby("month"):
        tp = part.loc[part["d"], "e"].sum()
        tn = (~part["d"]).sum() - part.loc[~part["d"], "e"].sum()
        rows[month] = {
            "recall": tp / part["e"].sum(),
            "precision": tp / part["d"].sum(),
            "accuracy": (tp + tn) / len(part),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def test_cbpe_equals_a_brute_force(partitioned_log):
    folder, frame = partitioned_log
    frame = frame.assign(month=_month(frame))
    estimated = log_performance(Source("parquet", str(folder), LOG_MAPPING), THRESHOLD).estimated
    expected = _brute_force_cbpe(frame, sorted(frame["month"].unique())[:3])
    np.testing.assert_allclose(estimated[expected.columns].to_numpy(), expected.to_numpy(), rtol=1e-9)


def test_over_the_reference_window_the_estimate_equals_what_was_measured(partitioned_log):
    """No calibration bin straddles the threshold, so the expected true positives over the reference months
    are exactly the true positives counted there (a miscalibrated score cannot bias the estimate there)."""
    folder, frame = partitioned_log
    result = log_performance(Source("parquet", str(folder), LOG_MAPPING), THRESHOLD)
    reference = result.realised.index[:3]
    frame = frame.assign(month=_month(frame))
    ref = frame[frame["month"].isin(reference)]
    measured_tp = ((ref["p_default"] >= THRESHOLD) & (ref["defaulted"] == 1)).sum()
    per_month = result.estimated.loc[reference]
    tp = (per_month["precision"] * per_month["positive rate"] * per_month["cases"]).sum()
    assert measured_tp > 50 and tp == pytest.approx(measured_tp, rel=1e-9)


def test_cbpe_tracks_measured_performance_of_a_miscalibrated_score(tmp_path):
    frame = make_log(rows=40_000, seed=9)
    rng = np.random.default_rng(9)
    frame["defaulted"] = (rng.random(len(frame)) < frame["p_default"]).astype(float)  # every label known
    frame["p_default"] = np.sqrt(frame["p_default"])  # overconfident raw score, same ranking
    frame.to_parquet(tmp_path / "log.parquet")
    result = log_performance(Source("parquet", str(tmp_path / "log.parquet"), LOG_MAPPING), 0.55)
    later = result.realised.index[3:]  # after the reference months, where the population has drifted
    gap = (result.estimated.loc[later, "recall"] - result.realised.loc[later, "recall"]).abs()
    assert gap.max() < 0.05
    naive = (
        frame.assign(month=_month(frame))
        .groupby("month")
        .apply(lambda p: p.loc[p["p_default"] >= 0.55, "p_default"].sum() / p["p_default"].sum(), include_groups=False)
    )
    assert (naive[later] - result.realised.loc[later, "recall"]).abs().max() > 0.05  # without calibrating: off


def test_bad_labels_and_no_label_are_refused(tmp_path):
    frame = make_log(rows=500)
    frame["defaulted"] = frame["defaulted"] * 2
    frame.to_parquet(tmp_path / "log.parquet")
    with pytest.raises(ValueError, match="other than 0 and 1"):
        log_performance(Source("parquet", str(tmp_path / "log.parquet"), LOG_MAPPING), THRESHOLD)
    no_label = {k: v for k, v in LOG_MAPPING.items() if k != "label"}
    with pytest.raises(ValueError, match="role 'label'"):
        log_performance(Source("parquet", str(tmp_path / "log.parquet"), no_label), THRESHOLD)


def test_cbpe_intervals_cover_the_realised_figures_in_nine_months_of_ten(tmp_path):
    """Calibrated scores, 200 seeded months after 20 reference months: the estimate's interval covers the
    realised recall, precision, accuracy and ROC AUC in at least 90 % of the months."""
    rng = np.random.default_rng(2026)
    months = pd.period_range("2005-01", periods=220, freq="M")
    per_month = 1_000
    month = np.repeat(months.to_timestamp(), per_month)
    shift = np.repeat(rng.normal(0, 0.6, len(months)), per_month)  # each month its own population
    score = 1 / (1 + np.exp(-(rng.normal(-1.5, 1.2, len(month)) + shift)))
    frame = pd.DataFrame(
        {"ts": month + pd.Timedelta(days=3), "score": score, "y": (rng.random(len(month)) < score) * 1.0}
    )
    frame.to_parquet(tmp_path / "log.parquet")
    mapping = {"timestamp": "ts", "inputs": [], "score": "score", "label": "y"}
    reference = [str(m) for m in months[:20]]
    result = log_performance(Source("parquet", str(tmp_path / "log.parquet"), mapping), 0.4, reference)
    later = result.realised.index[20:]
    assert len(later) == 200
    for metric in ("recall", "precision", "accuracy", "ROC AUC"):
        estimated = result.estimated.loc[later]
        if metric == "accuracy":
            realised = (
                frame.assign(m=frame["ts"].dt.strftime("%Y-%m"))
                .groupby("m")
                .apply(lambda p: ((p["score"] >= 0.4) == (p["y"] == 1)).mean(), include_groups=False)[later]
            )
        else:
            realised = result.realised.loc[later, metric]
        covered = (estimated[f"{metric} low"] <= realised) & (realised <= estimated[f"{metric} high"])
        assert covered.mean() >= 0.9, (metric, covered.mean())
        assert (estimated[f"{metric} high"] - estimated[f"{metric} low"]).median() < 0.15  # informative, not 0-1
