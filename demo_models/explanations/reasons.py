"""Plain-language reason codes in the style of a credit adverse-action notice."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from demo_models.vocabulary import UseCase

MAX_REASONS = 4


@dataclass(frozen=True)
class Reason:
    """One input column's part in a score, in business words."""

    feature: str
    label: str
    value: str
    contribution: float  # log-odds; > 0 pushes towards the positive class (e.g. default)

    @property
    def text(self) -> str:
        """The reason as shown to a business user: "Loan duration: 48 months"."""
        return f"{self.label}: {self.value}"


def _reason(feature: str, contribution: float, values: Mapping[str, Any], use_case: UseCase) -> Reason:
    return Reason(
        feature=feature,
        label=use_case.label(feature),
        value=use_case.describe_value(feature, values.get(feature)),
        contribution=float(contribution),
    )


def rank_reasons(
    contributions: Mapping[str, float],
    values: Mapping[str, Any],
    use_case: UseCase,
    protected: Collection[str],
    max_reasons: int = MAX_REASONS,
) -> list[Reason]:
    """The principal reasons towards the positive class, strongest first; never protected ones."""
    pushing = [(f, c) for f, c in contributions.items() if c > 0 and f not in protected]
    pushing.sort(key=lambda item: item[1], reverse=True)
    return [_reason(f, c, values, use_case) for f, c in pushing[:max_reasons]]


def find_protected_drivers(
    contributions: Mapping[str, float],
    values: Mapping[str, Any],
    use_case: UseCase,
    protected: Collection[str],
    top_n: int = MAX_REASONS,
) -> list[Reason]:
    """Protected attributes among the `top_n` strongest drivers of the score, either direction."""
    ranked = sorted(contributions.items(), key=lambda item: abs(item[1]), reverse=True)[:top_n]
    return [_reason(f, c, values, use_case) for f, c in ranked if f in protected and c != 0]


def top_reason_features(
    contributions: np.ndarray,
    columns: Sequence[str],
    protected: Collection[str],
    max_reasons: int = MAX_REASONS,
) -> list[list[str]]:
    """`rank_reasons`' features for many cases at once (rows of a contributions matrix)."""
    masked = np.asarray(contributions, dtype=float).copy()
    masked[masked <= 0] = -np.inf
    for j, column in enumerate(columns):
        if column in protected:
            masked[:, j] = -np.inf
    order = np.argsort(-masked, axis=1, kind="stable")[:, :max_reasons]
    return [[columns[j] for j in row if np.isfinite(masked[i, j])] for i, row in enumerate(order)]
