"""The cheaper scans of a decision log give the numbers of the exact ones: the number detection certified on
the reference's first rows, and the number histograms counted a few numbers at a time."""

import numpy as np
import pandas as pd
import pytest

from demo_models.monitoring import aggregates
from demo_models.monitoring.aggregates import log_aggregates
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


def test_number_histograms_a_few_at_a_time_equal_all_at_once(counted_log, monkeypatch):
    source, _ = counted_log
    together = log_aggregates(source)
    monkeypatch.setattr(aggregates, "HISTOGRAM_GROUPS", 1)  # one scan per number
    apart = log_aggregates(source)
    assert aggregates._column_groups({"a": [1.0], "b": [1.0, 2.0]}) == [["a"], ["b"]]
    for column in together.histograms:
        pd.testing.assert_frame_equal(together.histograms[column], apart.histograms[column], check_exact=True)
    pd.testing.assert_frame_equal(together.psi, apart.psi, check_exact=True)
    for column in together.tests:
        pd.testing.assert_frame_equal(together.tests[column], apart.tests[column], check_exact=True)


def test_numbers_are_grouped_within_the_combination_limit():
    groups = aggregates._column_groups({f"c{i}": list(range(9)) for i in range(5)})  # 11 codes each
    assert [len(group) for group in groups] == [3, 2]  # 11**3 = 1,331 <= 5,000 < 11**4
