"""Groups of cases by protected attribute (numbers in bands), for breakdowns and fairness."""

from __future__ import annotations

import numpy as np
import pandas as pd

from demo_models.vocabulary import UseCase


class FairnessError(ValueError):
    """Fairness cannot be assessed for this attribute (e.g. a single group); the message says why."""


def _fmt(value: float) -> str:
    return f"{value:g}"


def band_labels(values: pd.Series, cuts: tuple[float, ...]) -> pd.Series:
    """Numbers as bands: cuts (25, 40) give "under 25" (< 25), "25–40" (25 to 40), "over 40" (> 40)."""
    x = values.to_numpy(dtype=float, na_value=np.nan)
    conditions = [x < cuts[0]]
    names = [f"under {_fmt(cuts[0])}"]
    for i, (low, high) in enumerate(zip(cuts[:-1], cuts[1:])):
        last = i == len(cuts) - 2
        conditions.append((x >= low) & ((x <= high) if last else (x < high)))
        names.append(f"{_fmt(low)}–{_fmt(high)}")
    conditions.append(x > cuts[-1] if len(cuts) > 1 else x >= cuts[0])
    names.append(f"over {_fmt(cuts[-1])}" if len(cuts) > 1 else f"{_fmt(cuts[0])} or more")
    labels = np.select(conditions, names, default="missing")
    return pd.Series(pd.Categorical(labels, categories=[*names, "missing"]), index=values.index)


def group_frame(features: pd.DataFrame, attributes: tuple[str, ...], use_case: UseCase) -> pd.DataFrame:
    """One column per protected attribute with each case's group label."""
    groups = pd.DataFrame(index=features.index)
    for attribute in attributes:
        values = features[attribute]
        if pd.api.types.is_numeric_dtype(values) and values.nunique() > 10:
            cuts = use_case.group_bands.get(attribute)
            if cuts is None:
                cuts = tuple(sorted(set(np.nanquantile(values, [1 / 3, 2 / 3]).round(2))))
            groups[attribute] = band_labels(values, cuts)
        else:
            groups[attribute] = values.map(lambda v, a=attribute: use_case.describe_value(a, v))
    return groups
