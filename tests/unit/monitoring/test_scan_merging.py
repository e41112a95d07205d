"""The cheaper scans of a decision log give the numbers of the exact ones: the number detection certified on
the reference's first rows, and the histograms of numbers and categories counted a few columns at a time."""

import ibis
import numpy as np
import pandas as pd
import pytest

from demo_models.monitoring import aggregates, engines
from demo_models.monitoring.aggregates import log_aggregates
from demo_models.monitoring.engines import FILE_COLUMN, bin_of, has_months_from_files, months_from_files, open_log
from demo_models.monitoring.log_performance import log_performance
from demo_models.monitoring.log_summary import LogSummary, summarise_log
from demo_models.monitoring.sources import Source
from tests.unit.monitoring.conftest import LOG_MAPPING, make_log

INPUTS = ["income", "dependants", "region", "twelve", "thirteen"]


@pytest.fixture
def counted_log(tmp_path):
    frame = make_log(rows=3000, seed=11)
    frame["twelve"] = np.arange(len(frame)) % 12  # 12 distinct values: a category
    frame["thirteen"] = (np.arange(len(frame)) % 13).astype(float)  # 13: a number
    folder = tmp_path / "log"
    frame.assign(day=frame["ts"].dt.strftime("%Y-%m")).to_parquet(folder, partition_cols=["day"])
    return Source("parquet", str(folder), {**LOG_MAPPING, "inputs": INPUTS}), frame


def _kinds(result: aggregates.LogAggregates) -> dict[str, str]:
    return {column: frame["test"].iloc[0] for column, frame in result.tests.items()}


@pytest.mark.parametrize("first_rows", [5, 100_000])
def test_numbers_are_detected_as_an_exact_count_would(counted_log, monkeypatch, first_rows):
    source, frame = counted_log
    monkeypatch.setattr(aggregates, "NUMBER_SAMPLE_ROWS", first_rows)  # 5: every column left to the exact count
    result = log_aggregates(source)
    reference = frame[frame["ts"].dt.strftime("%Y-%m").isin(result.reference)]
    for column in [*INPUTS, "p_default"]:
        is_number = pd.api.types.is_numeric_dtype(frame[column]) and reference[column].nunique() > 12
        assert _kinds(result)[column] == ("Kolmogorov-Smirnov" if is_number else "chi-square"), column
    assert _kinds(result)["thirteen"] == "Kolmogorov-Smirnov" and _kinds(result)["twelve"] == "chi-square"


@pytest.mark.parametrize("apart_by", ["one scan per column", "categories on their own"])
def test_histograms_a_few_at_a_time_equal_all_at_once(counted_log, monkeypatch, apart_by):
    source, frame = counted_log
    together = log_aggregates(source)
    if apart_by == "one scan per column":
        monkeypatch.setattr(aggregates, "HISTOGRAM_GROUPS", 1)
    else:
        monkeypatch.setattr(aggregates, "COMBINED_CATEGORIES", 0)  # each category in a scan of its own
    apart = log_aggregates(source)
    assert aggregates._column_groups({"a": 3, "b": 4}) == ([["a"], ["b"]] if apart_by[0] == "o" else [["a", "b"]])
    region = frame.assign(month=frame["ts"].dt.strftime("%Y-%m")).groupby(["month", "region"]).size().unstack()
    np.testing.assert_array_equal(together.histograms["region"].to_numpy(), region.fillna(0).to_numpy())
    for column in together.histograms:
        pd.testing.assert_frame_equal(together.histograms[column], apart.histograms[column], check_exact=True)
    pd.testing.assert_frame_equal(together.psi, apart.psi, check_exact=True)
    for column in together.tests:
        pd.testing.assert_frame_equal(together.tests[column], apart.tests[column], check_exact=True)


def test_numbers_are_grouped_within_the_combination_limit():
    groups = aggregates._column_groups({f"c{i}": 11 for i in range(5)})  # 9 inner edges: 10 bins and missing
    assert [len(group) for group in groups] == [3, 2]  # 11**3 = 1,331 <= 5,000 < 11**4


@pytest.mark.parametrize("edges", [[], [0.0], [-1.0, 0.5], [-1.5, -0.2, 0.0, 0.5, 1.0, 2.0, 2.5]])
def test_a_bin_is_numpy_searchsorted_of_the_edges(edges):
    values = np.concatenate([np.random.default_rng(3).normal(size=500), edges, [np.nan]])
    table = ibis.memtable(pd.DataFrame({"v": values}))
    found = table.select(b=bin_of(table.v, edges)).execute()["b"].to_numpy()
    expected = np.where(np.isnan(values), 0, np.searchsorted(edges, values, side="right"))  # an edge's value: above it
    np.testing.assert_array_equal(found, expected)
    with pytest.raises(ValueError, match="ascending"):
        bin_of(table.v, [1.0, 1.0])


def _assert_same_summary(one: LogSummary, other: LogSummary) -> None:
    for column in one.aggregates.histograms:
        pd.testing.assert_frame_equal(one.aggregates.histograms[column], other.aggregates.histograms[column])
        pd.testing.assert_frame_equal(one.aggregates.tests[column], other.aggregates.tests[column], check_exact=True)
    pd.testing.assert_frame_equal(one.aggregates.psi, other.aggregates.psi, check_exact=True)
    pd.testing.assert_series_equal(one.aggregates.labelled_share, other.aggregates.labelled_share, check_exact=True)
    pd.testing.assert_frame_equal(one.performance.realised, other.performance.realised, check_exact=True)
    pd.testing.assert_frame_equal(one.performance.estimated, other.performance.estimated, check_exact=True)


def test_months_read_from_the_files_give_the_numbers_of_the_timestamps(counted_log, monkeypatch):
    source, _ = counted_log
    table = open_log(source)
    assert has_months_from_files(months_from_files(table))  # one folder a month: months from the file names
    from_files = summarise_log(source, 0.3)
    monkeypatch.setattr(engines, "MONTH_FILES", 0)  # too many files: months from the timestamps
    assert not has_months_from_files(months_from_files(table))
    _assert_same_summary(from_files, summarise_log(source, 0.3))


def test_files_spanning_months_or_without_a_timestamp_keep_the_timestamps(tmp_path):
    frame = make_log(rows=2000, seed=5)
    two_months = frame.assign(part=(frame["ts"].dt.month + 1) // 2)  # January and February in one file
    two_months.to_parquet(tmp_path / "spanning", partition_cols=["part"])
    undated = frame.assign(day=frame["ts"].dt.strftime("%Y-%m"))
    undated.loc[undated.index[:3], "ts"] = pd.NaT  # three decisions without a time
    undated.to_parquet(tmp_path / "undated", partition_cols=["day"])
    for folder in ("spanning", "undated"):
        table = months_from_files(open_log(Source("parquet", str(tmp_path / folder), LOG_MAPPING)))
        assert not has_months_from_files(table), folder
        assert FILE_COLUMN not in table.columns


def test_calibration_bins_counted_with_the_histograms_equal_their_own_scans(counted_log):
    source, _ = counted_log
    summary = summarise_log(source, 0.3)
    assert summary.aggregates.score_bins is not None  # counted in the histograms' scan
    alone = log_performance(source, 0.3)  # their own two queries
    pd.testing.assert_frame_equal(summary.performance.realised, alone.realised, check_exact=True)
    pd.testing.assert_frame_equal(summary.performance.estimated, alone.estimated, check_exact=True)
