"""PSI, Kolmogorov-Smirnov and chi-square of a decision log, month by month against the reference window, as
computed where the log is (DuckDB), equal to an independent computation on the raw rows (numpy, scipy)."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency, ks_2samp

from demo_models.metrics.drift import PSI_BINS, PSI_FLOOR
from demo_models.monitoring.aggregates import log_aggregates
from demo_models.monitoring.sources import Source
from tests.unit.monitoring.conftest import LOG_MAPPING


def _psi(reference: np.ndarray, current: np.ndarray) -> float:
    ref = np.maximum(reference / reference.sum(), PSI_FLOOR)
    cur = np.maximum(current / current.sum(), PSI_FLOOR)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def test_psi_ks_and_chi_square_equal_scipy_on_the_raw_rows(partitioned_log):
    folder, frame = partitioned_log
    frame = frame.assign(month=frame["ts"].dt.strftime("%Y-%m"), income=frame["income"].round(-3))  # ties too
    frame.assign(day=frame["month"]).drop(columns="month").to_parquet(folder.parent / "rounded", partition_cols=["day"])
    result = log_aggregates(Source("parquet", str(folder.parent / "rounded"), LOG_MAPPING))
    months = sorted(frame["month"].unique())
    reference = frame[frame["month"].isin(months[:3])]
    checked = 0
    for month in months:
        current = frame[frame["month"] == month]
        for column in ("income", "p_default"):  # numbers: KS on every row, PSI on the reference deciles
            ref, cur = reference[column].dropna().to_numpy(), current[column].dropna().to_numpy()
            expected = ks_2samp(ref, cur, method="asymp")
            found = result.tests[column].loc[month]
            assert found["test"] == "Kolmogorov-Smirnov"
            assert found["statistic"] == pytest.approx(expected.statistic, abs=1e-12)
            assert found["p-value"] == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-300)
            edges = np.unique(np.quantile(ref, np.linspace(0, 1, PSI_BINS + 1)))
            edges[0], edges[-1] = -np.inf, np.inf
            psi = _psi(np.histogram(ref, edges)[0], np.histogram(cur, edges)[0])
            assert result.psi.loc[month, column] == pytest.approx(psi, rel=1e-9, abs=1e-12)
            checked += 1
        for column in ("region", "dependants"):  # categories: chi-square of the 2 x k table of raw values
            values = np.r_[reference[column].astype(str), current[column].astype(str)]
            crosstab = pd.crosstab(np.r_[np.zeros(len(reference)), np.ones(len(current))], values)
            statistic, pvalue, _, _ = chi2_contingency(crosstab)
            found = result.tests[column].loc[month]
            assert found["test"] == "chi-square"
            assert found["statistic"] == pytest.approx(statistic, rel=1e-9, abs=1e-12)
            assert found["p-value"] == pytest.approx(pvalue, rel=1e-9)
            checked += 1
    assert checked == 4 * len(months)
    # the last month drifted: the tests can fail (tiny p-values), the reference months did not
    assert result.tests["p_default"]["p-value"].iloc[-1] < 1e-6
    assert result.tests["income"]["statistic"].iloc[-1] > result.tests["income"]["statistic"].iloc[0]
