"""Business formats of every number the app shows: shares, p-values, statistics, counts and money.

One place for them, so that no page shows `0`, `8.23e-96`, `1.51e+03` or "0.0%" for a small but
real number. Undefined (None or NaN) is always "—"; the caller says why next to it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from numbers import Real

import pandas as pd
from pandas.api.types import is_numeric_dtype

UNDEFINED = "—"
P_FLOOR = 0.001  # below it a p-value is "< 0.001"


def _undefined(value: object) -> bool:
    if value is None or isinstance(value, bool):
        return value is None
    try:
        return math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


def format_share(value: float | None, digits: int = 1) -> str:
    """A share or probability as a percentage: "12.3%", "< 0.1%" for a small non-zero one, "> 99.9%",
    exactly "0%" and "100%", "—" when undefined."""
    if _undefined(value):
        return UNDEFINED
    value = float(value)  # type: ignore[arg-type]
    if value == 0 or value == 1:
        return f"{value:.0%}"
    smallest = 0.5 * 10 ** -(digits + 2)  # what would round to 0.0% (digits=1: 0.0005)
    floor = 10 ** -(digits + 2)
    if 0 < value < smallest:
        return f"< {floor:.{digits}%}"
    if 1 - smallest < value < 1:
        return f"> {1 - floor:.{digits}%}"
    if -smallest < value < 0:
        return f"> -{floor:.{digits}%}"
    return f"{value:.{digits}%}"


def format_p_value(value: float | None, inline: bool = False) -> str:
    """A p-value for business readers: "< 0.001", "0.004", "0.42"; inline: "p < 0.001", "p = 0.42"."""
    if _undefined(value):
        return f"p {UNDEFINED}" if inline else UNDEFINED
    value = float(value)  # type: ignore[arg-type]
    if value < P_FLOOR:
        text = f"< {P_FLOOR:g}"
    elif value < 0.01:
        text = f"{value:.3f}"
    else:
        text = f"{min(value, 1.0):.2f}"
    if not inline:
        return text
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def format_number(value: float | None, significant: int = 3) -> str:
    """A statistic without scientific notation, thousands separated, to about `significant` significant
    digits (every digit of the whole part): "1,510", "42.7", "0.123", "< 0.001"."""
    if _undefined(value):
        return UNDEFINED
    value = float(value)  # type: ignore[arg-type]
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude < P_FLOOR:
        return f"{'> -' if value < 0 else '< '}{P_FLOOR:g}"
    decimals = max(0, significant - 1 - math.floor(math.log10(magnitude)))
    return f"{value:,.{decimals}f}"


def format_count(value: int | None) -> str:
    """A whole count with thousands separators: "1,234"; "—" when undefined."""
    if _undefined(value):
        return UNDEFINED
    return f"{int(value):,}"  # type: ignore[arg-type]


def format_money(value: float | None, currency: str = "") -> str:
    """An amount in the use case's currency: "1,235 EUR", "7.50 DM"; whole units from 100 up, cents below."""
    if _undefined(value):
        return UNDEFINED
    value = float(value)  # type: ignore[arg-type]
    decimals = 0 if abs(value) >= 100 or float(value).is_integer() else 2
    text = f"{value:,.{decimals}f}"
    return f"{text} {currency}".strip() if currency else text


def format_quantity(value: Real, unit: str = "") -> str:
    """A measured value with its unit: "48 months", "5,951 DM", "12.35 km"."""
    if _undefined(value):
        return UNDEFINED
    number = float(value)
    text = f"{number:,.0f}" if number.is_integer() else f"{number:,.2f}"
    return f"{text} {unit}" if unit else text


def format_table(frame: pd.DataFrame, formats: Mapping[str, Callable[[object], str] | str]) -> pd.DataFrame:
    """A copy of `frame` to show: each column in `formats` as text by its formatter (a function or a
    "{:.3f}" pattern), "—" where undefined; any other column holding an undefined number shown the same way.

    A browser table draws a missing cell as "None" whatever a styler says, so undefined is written out.
    """
    shown = frame.copy()
    for column in shown.columns:
        spec = formats.get(column)
        if spec is None:
            values = shown[column]
            if not values.isna().any():
                continue
            spec = format_number if is_numeric_dtype(values) else str
        render = spec.format if isinstance(spec, str) else spec
        shown[column] = [UNDEFINED if _undefined_cell(v) else render(v) for v in shown[column]]
    return shown


def _undefined_cell(value: object) -> bool:
    """Whether a table cell holds no value (None, NaN, NaT, pandas NA); text and flags are values."""
    if isinstance(value, (str, bool)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
