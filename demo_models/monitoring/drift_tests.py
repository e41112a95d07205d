"""The statistical tests of a decision log's drift, month by month against the reference window, computed on
every row where the log is: the two-sample Kolmogorov-Smirnov statistic of a number (from counts per value,
as portable ibis window sums) and the chi-square test of a category's counts. Equal to scipy's `ks_2samp`
(asymptotic p-value) and `chi2_contingency` on the raw rows."""

from __future__ import annotations

from typing import Any

import ibis
import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency, kstwo

NAN = float("nan")


def ks_statistics(table: Any, column: str, reference: list[str]) -> pd.DataFrame:
    """Per month: the KS statistic of the column against the reference months, and the month's sample size.

    A month's empirical CDF F and the reference's G are step functions; the largest |F - G| is reached at one
    of the month's values x, either at x or just before it, so only counts at or below / strictly below each
    value of the month are needed: cumulative sums of counts per distinct value (no raw row leaves the engine)."""
    value = table[column].cast("float64")
    rows = table.filter(value.notnull()).mutate(__v=value)
    months = rows.group_by(["__month", "__v"]).aggregate(__nm=ibis._.count())
    refs = rows.filter(rows.__month.isin(reference)).group_by("__v").aggregate(__nr=ibis._.count())
    union = ibis.union(
        months.mutate(__nr=ibis.literal(0, "int64"), __k=ibis.literal(1, "int64")),
        refs.mutate(__month=ibis.null("string"), __nm=ibis.literal(0, "int64"), __k=ibis.literal(0, "int64")).select(
            "__month", "__v", "__nm", "__nr", "__k"
        ),
    )
    # reference count <= v (reference row of v sorts before the months' rows of v) and < v (after them)
    upto = ibis.window(order_by=[union.__v, union.__k], preceding=None, following=0)
    before = ibis.window(order_by=[union.__v, ibis.desc(union.__k)], preceding=None, following=0)
    with_ref = union.mutate(__r_le=union.__nr.sum().over(upto), __r_lt=union.__nr.sum().over(before))
    cumulated = with_ref.filter(with_ref.__k == 1)
    within = ibis.window(group_by=cumulated.__month, order_by=cumulated.__v, preceding=None, following=0)
    cumulated = cumulated.mutate(
        __m_le=cumulated.__nm.sum().over(within),
        __m_n=cumulated.__nm.sum().over(ibis.window(group_by=cumulated.__month)),
    )
    total = refs.__nr.sum().as_scalar()
    m_le = cumulated.__m_le.cast("float64") / cumulated.__m_n
    m_lt = (cumulated.__m_le - cumulated.__nm).cast("float64") / cumulated.__m_n
    r_le = cumulated.__r_le.cast("float64") / total
    r_lt = cumulated.__r_lt.cast("float64") / total  # the months' rows of v sort first: reference count < v
    gap = ibis.greatest((m_le - r_le).abs(), (m_lt - r_lt).abs())
    result = (
        cumulated.mutate(__gap=gap).group_by("__month").aggregate(statistic=ibis._.__gap.max(), n=ibis._.__nm.sum())
    )
    frame = result.execute().rename(columns={"__month": "month"}).set_index("month")
    return frame


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
    table: Any, histograms: dict[str, pd.DataFrame], numeric: dict[str, bool], reference: list[str]
) -> dict[str, pd.DataFrame]:
    """Per column, month by month: the test (KS for numbers, chi-square for categories), statistic, p-value."""
    result = {}
    for column, counts in histograms.items():
        months = list(counts.index)
        if numeric[column]:
            ks = ks_statistics(table, column, reference).reindex(months)
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
