"""The KS statistic of a decision log's number computed in two passes (bucket counts, then values of the few
buckets that can hold the largest gap) and by the window sum it falls back to: both exactly scipy's
`ks_2samp` on the raw rows, with ties, missing values, a month of a single row, a month without any value and
a column of one value."""

import duckdb
import ibis
import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from demo_models.monitoring import ks
from demo_models.monitoring.engines import month_key
from demo_models.monitoring.ks import ks_statistics

MONTHS = ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"]
REFERENCE = MONTHS[:2]


def _log() -> pd.DataFrame:
    """Months of different sizes and shapes: ties (rounded values), gaps, a shift, a single row, none."""
    rng = np.random.default_rng(7)
    parts = []
    for i, (month, rows) in enumerate(zip(MONTHS, [3000, 2500, 2000, 1500, 1, 40])):
        value = rng.normal(i * 0.15, 1 + 0.1 * i, rows)
        if i % 2:
            value = value.round(1)  # ties, within and across months
        value[rng.random(rows) < 0.05] = np.nan
        if month == "2025-06":
            value[:] = np.nan  # a month without any value
        parts.append(pd.DataFrame({"month": month, "__month": month_key(month), "x": value}))
    return pd.concat(parts, ignore_index=True)


def _expected(frame: pd.DataFrame) -> pd.Series:
    """scipy's statistic, asymptotic method (the exact method rounds it to a multiple of 1 / lcm(n1, n2))."""
    reference = frame.loc[frame["month"].isin(REFERENCE), "x"].dropna().to_numpy()
    found = {}
    for month in MONTHS:
        current = frame.loc[frame["month"] == month, "x"].dropna().to_numpy()
        found[month] = ks_2samp(reference, current, method="asymp").statistic if len(current) else np.nan
    return pd.Series(found)


@pytest.fixture
def logged():
    frame = _log()
    connection = duckdb.connect()
    connection.register("frame", frame)
    backend = ibis.duckdb.from_connection(connection)
    sizes = frame.groupby("month")["x"].count().reindex(MONTHS, fill_value=0)
    return backend.table("frame"), frame, sizes


@pytest.mark.parametrize(
    "levels, exact_rows, window",
    [
        ((ks.KS_FIRST_BITS, ks.KS_STEP_BITS, ks.KS_WIDE_STEP_BITS, ks.KS_MAX_BITS), ks.KS_EXACT_ROWS, 0),
        ((2, 4, 4, 16), 2000, 0),
        ((2, 4, 8, 30), 2000, 0),  # wider steps while many rows are searched
        ((1, 1, 1, 2), 0, 1),
    ],
    ids=["buckets", "refined grids", "wide steps", "window"],
)
def test_ks_equals_scipy_on_the_raw_rows(logged, monkeypatch, levels, exact_rows, window):
    table, frame, sizes = logged
    for name, bits in zip(["KS_FIRST_BITS", "KS_STEP_BITS", "KS_WIDE_STEP_BITS", "KS_MAX_BITS"], levels):
        monkeypatch.setattr(ks, name, bits)
    monkeypatch.setattr(ks, "KS_EXACT_ROWS", exact_rows)
    monkeypatch.setattr(ks, "KS_WIDE_ROWS", 4000)
    counted, passes = [], []
    monkeypatch.setattr(ks, "_by_window", lambda *args, real=ks._by_window: counted.append(1) or real(*args))
    monkeypatch.setattr(ks, "_gaps", lambda *args, real=ks._gaps: passes.append(1) or real(*args))
    grids = []
    monkeypatch.setattr(ks, "_bucket_of", lambda *args, real=ks._bucket_of: grids.append(args[-1]) or real(*args))
    found = ks_statistics(table, "x", REFERENCE, sizes)
    assert len(counted) == window  # the window sum only when the finest grid still holds too many rows
    if levels[0] == 2:
        assert len(passes) >= 3  # a finer grid counted at least once before the values
    if levels[0] == 2 and levels[2] > levels[1]:
        assert (np.diff(grids) == levels[2]).any()  # a wide step taken while many rows were searched
    np.testing.assert_array_equal(found["statistic"].to_numpy(), _expected(frame).to_numpy())  # exactly, NaN too
    assert found.loc["2025-05", "n"] == 1 and np.isnan(found.loc["2025-06", "statistic"])
    assert found.loc["2025-04", "statistic"] > 3 * found.loc["2025-01", "statistic"]  # the shift shows


def test_a_known_range_gives_the_same(logged):
    table, frame, sizes = logged
    found = ks_statistics(table, "x", REFERENCE, sizes, value_range=(frame["x"].min(), frame["x"].max()))
    np.testing.assert_array_equal(found["statistic"].to_numpy(), _expected(frame).to_numpy())


def test_one_value_and_no_reference(logged):
    table, frame, sizes = logged
    constant = table.mutate(x=ibis.ifelse(table.x.notnull(), 2.5, ibis.null("float64")))
    found = ks_statistics(constant, "x", REFERENCE, sizes)
    assert (found["statistic"].drop("2025-06") == 0.0).all()
    assert ks_2samp([2.5, 2.5], [2.5]).statistic == 0.0
    assert ks_statistics(table, "x", ["2024-12"], sizes)["statistic"].isna().all()
