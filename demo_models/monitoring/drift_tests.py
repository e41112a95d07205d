"""The statistical tests of a decision log's drift, month by month against the reference window, computed on
every row where the log is: the two-sample Kolmogorov-Smirnov statistic of a number (`ks.py`: from counts
per bucket, then per value in the few buckets that can hold the largest gap) and the chi-square test of a
category's counts. Equal to scipy's `ks_2samp`
(asymptotic p-value) and `chi2_contingency` on the raw rows."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency, kstwo

from demo_models.monitoring.ks import ks_statistics

NAN = float("nan")


def ks_pvalue(statistic: float, n1: int, n2: int) -> float:
    """The asymptotic two-sided p-value of a two-sample KS statistic (scipy's `ks_2samp(method="asymp")`)."""
    if n1 == 0 or n2 == 0 or np.isnan(statistic):
        return NAN
    m, n = sorted([float(n1), float(n2)], reverse=True)
    return float(np.clip(kstwo.sf(statistic, np.round(m * n / (m + n))), 0, 1))


def chi_square(reference: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    """Chi-square test of independence of the reference's and a month's counts per category (scipy's
    `chi2_contingency`, categories empty in both dropped); (NaN, NaN) when a side is empty, (0, 1) with one
    category."""
    table = np.vstack([reference, current]).astype(float)
    table = table[:, table.sum(axis=0) > 0]
    if table[0].sum() == 0 or table[1].sum() == 0:
        return NAN, NAN
    if table.shape[1] < 2:
        return 0.0, 1.0
    statistic, pvalue, _, _ = chi2_contingency(table)
    return float(statistic), float(pvalue)


def tests_by_month(
    table: Any,
    histograms: dict[str, pd.DataFrame],
    numeric: dict[str, bool],
    reference: list[str],
    ranges: dict[str, tuple[float, float]] | None = None,
) -> dict[str, pd.DataFrame]:
    """Per column, month by month: the test (KS for numbers, chi-square for categories), statistic, p-value.
    `ranges`: each number's smallest and largest value, where known."""
    result = {}
    for column, counts in histograms.items():
        months = list(counts.index)
        if numeric[column]:
            ks = ks_statistics(table, column, reference, counts.sum(axis=1), (ranges or {}).get(column))
            reference_size = int(counts.loc[[m for m in months if m in reference]].to_numpy().sum())
            frame = pd.DataFrame(
                {
                    "test": "Kolmogorov-Smirnov",
                    "statistic": ks["statistic"].astype(float),
                    "p-value": [
                        ks_pvalue(s, reference_size, int(n)) if n == n else NAN
                        for s, n in ks[["statistic", "n"]].to_numpy(float)
                    ],
                },
                index=pd.Index(months, name="month"),
            )
        else:
            ref = counts.loc[[m for m in months if m in reference]].sum(axis=0).to_numpy()
            pairs = [chi_square(ref, counts.loc[month].to_numpy()) for month in months]
            frame = pd.DataFrame(
                {"test": "chi-square", "statistic": [p[0] for p in pairs], "p-value": [p[1] for p in pairs]},
                index=pd.Index(months, name="month"),
            )
        result[column] = frame
    return result
