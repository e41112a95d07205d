import numpy as np
import pandas as pd
import pytest

from demo_models.metrics.drift import psi, psi_by_month
from demo_models.monitoring.aggregates import list_months, log_aggregates
from demo_models.monitoring.sources import Source
from tests.unit.monitoring.conftest import LOG_MAPPING


def _month(frame):
    return frame["ts"].dt.strftime("%Y-%m")


def test_aggregates_equal_pandas_on_a_partitioned_log(partitioned_log):
    folder, frame = partitioned_log
    result = log_aggregates(Source("parquet", str(folder), LOG_MAPPING))
    frame = frame.assign(month=_month(frame))
    months = sorted(frame["month"].unique())
    assert result.reference == months[:3]
    pd.testing.assert_series_equal(
        result.decisions, frame.groupby("month").size().rename("decisions"), check_names=False, check_dtype=False
    )
    columns = ["income", "dependants", "region", "p_default"]
    expected = psi_by_month(frame, "month", months[:3], columns)
    np.testing.assert_allclose(result.psi[columns].to_numpy(), expected.to_numpy(), rtol=1e-9, atol=1e-12)
    assert result.psi["p_default"].iloc[-1] > 0.1  # the score drifts: the test can fail
    # brute force, one month at a time, with drift.psi
    reference = frame[frame["month"].isin(months[:3])]
    for month in months:
        current = frame[frame["month"] == month]
        for column in columns:
            assert result.psi.loc[month, column] == pytest.approx(psi(reference[column], current[column]), rel=1e-9)
    labelled = frame.groupby("month")["defaulted"].apply(lambda s: s.notna().mean())
    np.testing.assert_allclose(result.labelled_share.to_numpy(), labelled.to_numpy())
    assert result.labelled_share.iloc[0] == 1.0 and result.labelled_share.iloc[-1] == 0.0
    # histograms: numbers on the reference deciles, counts without the missing values
    income = result.histograms["income"]
    assert income.shape[1] == 10 and income.sum(axis=1).sum() == frame["income"].notna().sum()
    assert result.histograms["region"].loc[months[0]].sum() == (frame["month"] == months[0]).sum()


def test_aggregates_on_the_fraud_stream_and_chosen_reference(fraud_log):
    folder, frame = fraud_log
    mapping = {"timestamp": "ts", "inputs": ["amount", "merchant_category", "hour", "txn_24h"], "score": "score"}
    reference = ["2025-01", "2025-02"]
    result = log_aggregates(Source("parquet", str(folder), mapping), reference)
    expected = psi_by_month(frame, "month", reference, mapping["inputs"] + ["score"])
    np.testing.assert_allclose(result.psi.to_numpy(), expected.to_numpy(), rtol=1e-9, atol=1e-12)
    assert result.labelled_share is None
    assert list_months(Source("parquet", str(folder), mapping)).sum() == len(frame)


def test_csv_glob_gives_the_same_numbers(tmp_path, partitioned_log):
    _, frame = partitioned_log
    for i in range(3):
        frame.iloc[i * 2000 : (i + 1) * 2000].to_csv(tmp_path / f"log-{i}.csv", index=False)
    parquet = log_aggregates(Source("parquet", str(partitioned_log[0]), LOG_MAPPING))
    csv = log_aggregates(Source("csv", str(tmp_path / "log-*.csv"), LOG_MAPPING))
    np.testing.assert_allclose(csv.psi.to_numpy(), parquet.psi.to_numpy(), rtol=1e-9)


def test_reference_absent_is_a_clear_error(partitioned_log):
    with pytest.raises(ValueError, match="reference months"):
        log_aggregates(Source("parquet", str(partitioned_log[0]), LOG_MAPPING), ["1999-01"])
