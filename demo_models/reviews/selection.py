"""Which cases a review round shows: strategies with quotas, seeded and reproducible, each case with why.

Strategies are filled in the order of `STRATEGIES`; a case is taken by the first strategy that chooses it,
so no case is shown twice. A quota that cannot be met is stated (how many are missing, and why), never
silently filled with other cases.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from demo_models.formats import format_money, format_number
from demo_models.iterations.evaluation import Evaluation
from demo_models.metrics.costs import CaseCosts
from demo_models.metrics.groups import group_frame

#: strategy key -> what it chooses, in the order they are filled
STRATEGIES: Mapping[str, str] = {
    "flips": "decisions that differ between the two iterations",
    "borderline": "scores nearest the threshold",
    "costliest": "the costliest wrong decisions, by the cost matrix",
    "flagged": "cases flagged in earlier feedback",
    "random": "a random sample, stratified by decision and protected group",
}


class SelectionError(ValueError):
    """A round's quotas that cannot be read (an unknown strategy, a negative quota)."""


@dataclass(frozen=True)
class CaseSelection:
    """The chosen cases (index: case id; columns `strategy`, `why`), in the order chosen, and per strategy
    the quota asked, the number chosen, and the reason for any shortfall."""

    cases: pd.DataFrame
    requested: dict[str, int]
    chosen: dict[str, int]
    shortfall: dict[str, str] = field(default_factory=dict)
    seed: int = 0


def _check_quotas(quotas: Mapping[str, int]) -> dict[str, int]:
    unknown = [s for s in quotas if s not in STRATEGIES]
    if unknown:
        raise SelectionError(f"Unknown strategy {unknown[0]!r}: use one of {', '.join(STRATEGIES)}.")
    checked = {}
    for strategy in STRATEGIES:
        quota = quotas.get(strategy, 0)
        if isinstance(quota, bool) or not isinstance(quota, (int, np.integer)) or quota < 0:
            raise SelectionError(f"The quota for {strategy!r} must be a whole number of cases, 0 or more.")
        if quota:
            checked[strategy] = int(quota)
    return checked


def _sample(ids: pd.Index, n: int, rng: np.random.Generator) -> list:
    """n of the ids drawn without replacement (all of them, shuffled, when there are fewer)."""
    ids = pd.Index(sorted(ids, key=str))
    order = rng.permutation(len(ids))[: min(n, len(ids))]
    return list(ids[order])


def _flips(scored: Evaluation, other: Evaluation | None, free: pd.Index) -> tuple[pd.Series, str]:
    if other is None:
        return pd.Series(dtype=object), "no iteration to compare with was chosen"
    common = free.intersection(other.scores.index)
    new, old = scored.decisions().reindex(common), other.decisions().reindex(common)
    flipped = common[(new != old).to_numpy()]
    version, before = scored.card.version, other.card.version
    why = pd.Series(
        [
            f"{before} would {old[c]} ({format_number(other.scores[c])}), {version} would {new[c]} "
            f"({format_number(scored.scores[c])})"
            for c in flipped
        ],
        index=flipped,
        dtype=object,
    )
    return why, "" if len(common) else "the two iterations share no evaluation cases"


def _borderline(scored: Evaluation, free: pd.Index, n: int) -> pd.Series:
    distance = (scored.scores.reindex(free) - scored.threshold).abs()
    nearest = distance.sort_values(kind="stable").index[:n]
    threshold = format_number(scored.threshold)
    return pd.Series(
        [f"score {format_number(scored.scores[c])}, threshold {threshold}" for c in nearest],
        index=nearest,
        dtype=object,
    )


def _costliest(
    scored: Evaluation, costs: CaseCosts | None, currency: str, free: pd.Index, n: int
) -> tuple[pd.Series, str]:
    if costs is None:
        return pd.Series(dtype=object), "no cost matrix has been agreed for this use case"
    labels = np.asarray(scored.iteration.labels, dtype=bool)
    positive = scored.scores.to_numpy() >= scored.threshold
    cost = np.where(labels, costs.false_negative, costs.false_positive).astype(float)
    wrong = pd.Series(np.where(positive != labels, cost, np.nan), index=scored.scores.index).reindex(free).dropna()
    chosen = wrong.sort_values(ascending=False, kind="stable").index[:n]
    decisions = scored.decisions()
    why = pd.Series(
        [f"wrongly {scored.use_case.past(decisions[c])}: costs {format_money(wrong[c], currency)}" for c in chosen],
        index=chosen,
        dtype=object,
    )
    return why, "" if len(wrong) else "the iteration makes no wrong decision on the cases left"


def _flagged(flagged: Mapping[str, int], free: pd.Index, n: int, rng: np.random.Generator) -> tuple[pd.Series, str]:
    ids = free.intersection(pd.Index(list(flagged)))
    chosen = _sample(ids, n, rng)
    why = [f"flagged in earlier feedback ({flagged[c]} {'entry' if flagged[c] == 1 else 'entries'})" for c in chosen]
    return pd.Series(why, index=pd.Index(chosen), dtype=object), "" if len(ids) else "no earlier feedback flags a case"


def _strata(scored: Evaluation, attribute: str | None) -> pd.Series:
    decisions = scored.decisions()
    if attribute is None:
        return decisions.astype(str)
    groups = group_frame(scored.features, (attribute,), scored.use_case)[attribute].astype(str)
    return decisions.astype(str) + " · " + groups


def _stratified(scored: Evaluation, attribute: str | None, free: pd.Index, n: int, rng) -> pd.Series:
    """n cases allocated to the strata in proportion to their size (largest remainders), sampled in each."""
    strata = _strata(scored, attribute).reindex(free)
    sizes = strata.value_counts().sort_index()
    n = min(n, len(free))
    exact = sizes / sizes.sum() * n
    counts = np.floor(exact).astype(int)
    remainders = (exact - counts).sort_values(ascending=False, kind="stable")
    counts[remainders.index[: n - int(counts.sum())]] += 1
    chosen, why = [], []
    for stratum, count in counts.items():
        picked = _sample(strata.index[strata == stratum], int(count), rng)
        chosen += picked
        why += [f"random sample of the {stratum} cases"] * len(picked)
    return pd.Series(why, index=pd.Index(chosen), dtype=object)


def select_round_cases(
    scored: Evaluation,
    quotas: Mapping[str, int],
    *,
    seed: int,
    other: Evaluation | None = None,
    costs: CaseCosts | None = None,
    flagged: Mapping[str, int] | Collection[str] = (),
    attribute: str | None = None,
    currency: str = "",
) -> CaseSelection:
    """Choose a round's cases from the iteration's evaluation cases by strategy quotas (`STRATEGIES`), the same
    cases for the same seed. `other`: the iteration compared with (for flips); `flagged`: case id -> entries that
    disagreed; `attribute`: the protected attribute the random sample is stratified by (the card's first);
    `currency`: the cost matrix's."""
    requested = _check_quotas(quotas)
    rng = np.random.default_rng(seed)
    if not isinstance(flagged, Mapping):
        flagged = {case_id: 1 for case_id in flagged}
    if attribute is None and scored.card.protected_attributes:
        attribute = scored.card.protected_attributes[0]
    free = scored.scores.index
    parts, chosen, shortfall = [], {}, {}
    for strategy, quota in requested.items():
        reason = ""
        if strategy == "flips":
            why, reason = _flips(scored, other, free)
            why = why.loc[_sample(why.index, quota, rng)] if len(why) else why
        elif strategy == "borderline":
            why = _borderline(scored, free, quota)
        elif strategy == "costliest":
            why, reason = _costliest(scored, costs, currency, free, quota)
        elif strategy == "flagged":
            why, reason = _flagged(flagged, free, quota, rng)
        else:
            why = _stratified(scored, attribute, free, quota, rng)
        chosen[strategy] = len(why)
        if len(why) < quota:
            missing = quota - len(why)
            shortfall[strategy] = f"{missing:,} fewer than asked: " + (reason or "not enough cases are left")
        parts.append(pd.DataFrame({"strategy": strategy, "why": why}, index=why.index))
        free = free.difference(why.index, sort=False)
    cases = pd.concat(parts) if parts else pd.DataFrame(columns=["strategy", "why"])
    cases.index.name = "case_id"
    return CaseSelection(cases, requested, chosen, shortfall, seed)
