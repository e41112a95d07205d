"""The business number formats: no scientific notation, no 0 for a small real number, "—" for undefined."""

import math

import numpy as np
import pandas as pd
import pytest

from demo_models.formats import (
    format_count,
    format_money,
    format_number,
    format_p_value,
    format_quantity,
    format_share,
    format_table,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.123456, "12.3%"),
        (0.0, "0%"),
        (1.0, "100%"),
        (0.0004, "< 0.1%"),
        (0.0005, "0.1%"),
        (1e-12, "< 0.1%"),
        (0.9996, "> 99.9%"),
        (0.9994, "99.9%"),
        (float("nan"), "—"),
        (None, "—"),
        (np.float64(0.5), "50.0%"),
    ],
)
def test_format_share(value, text):
    assert format_share(value) == text


def test_format_share_digits():
    assert format_share(0.00004, digits=2) == "< 0.01%"
    assert format_share(0.12345, digits=0) == "12%"
    assert format_share(0.004, digits=0) == "< 1%"


@pytest.mark.parametrize(
    ("value", "text", "inline"),
    [
        (0.0, "< 0.001", "p < 0.001"),
        (8.23e-96, "< 0.001", "p < 0.001"),
        (0.000999, "< 0.001", "p < 0.001"),
        (0.001, "0.001", "p = 0.001"),
        (0.0042, "0.004", "p = 0.004"),
        (0.4217, "0.42", "p = 0.42"),
        (1.0, "1.00", "p = 1.00"),
        (float("nan"), "—", "p —"),
    ],
)
def test_format_p_value(value, text, inline):
    assert format_p_value(value) == text
    assert format_p_value(value, inline=True) == inline


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1510.23, "1,510"),
        (1_234_567.8, "1,234,568"),
        (42.71, "42.7"),
        (0.12345, "0.123"),
        (0.0123, "0.0123"),
        (5.0, "5.00"),
        (0.0, "0"),
        (1e-7, "< 0.001"),
        (-1e-7, "> -0.001"),
        (-2.5, "-2.50"),
        (float("nan"), "—"),
    ],
)
def test_format_number(value, text):
    assert format_number(value) == text
    assert "e" not in text


def test_format_number_never_uses_scientific_notation():
    for exponent in range(-6, 12):
        for mantissa in (1.0, 1.51, 9.99):
            text = format_number(mantissa * 10.0**exponent)
            assert "e" not in text and "E" not in text, text
            if mantissa * 10.0**exponent >= 1000:
                assert "," in text


def test_format_count_and_money_and_quantity():
    assert format_count(1288) == "1,288" and format_count(None) == "—" and format_count(np.int64(7)) == "7"
    assert format_money(1234.56, "EUR") == "1,235 EUR"
    assert format_money(7.5, "DM") == "7.50 DM"
    assert format_money(40.0, "") == "40"
    assert format_money(-1500, "EUR") == "-1,500 EUR"
    assert format_money(math.nan, "EUR") == "—"
    assert format_quantity(48, "months") == "48 months"
    assert format_quantity(5951.0, "DM") == "5,951 DM"
    assert format_quantity(12.345, "km") == "12.35 km"
    assert format_quantity(float("nan"), "km") == "—"


def test_format_table_writes_undefined_out_and_formats_the_rest():
    frame = pd.DataFrame(
        {
            "rate": [0.25, np.nan],
            "cost": [None, 1234.5],
            "cases": [3, 4],
            "label": ["a", None],
            "when": [pd.Timestamp("2026-01-01"), pd.NaT],
        }
    )
    shown = format_table(frame, {"rate": format_share, "cases": "{:,}"})
    assert shown["rate"].tolist() == ["25.0%", "—"]
    assert shown["cases"].tolist() == ["3", "4"]  # listed: formatted even without a hole
    assert shown["cost"].tolist() == ["—", "1,234"]  # not listed but undefined somewhere: a number as text
    assert shown["label"].tolist() == ["a", "—"]
    assert shown["when"].tolist() == ["2026-01-01 00:00:00", "—"]
    assert not shown.isna().any().any()
    assert frame["rate"].isna().sum() == 1  # the caller's frame is untouched


def test_format_table_keeps_columns_without_holes_as_they_are():
    frame = pd.DataFrame({"score": [0.1, 0.2], "flag": [True, False]})
    shown = format_table(frame, {})
    pd.testing.assert_frame_equal(shown, frame)
