"""How far reviewers agree with each other and with the model, from a review round's answers.

Between reviewers: Krippendorff's alpha (nominal, `krippendorff`) with a bootstrap interval over the
cases, and Fleiss' kappa (`statsmodels`) on the cases every rater count allows. With the model: the share
of reviewers' own, blind decisions that equal the model's, with its 95 % Wilson interval, overall and per
strategy, decision and group. Undefined is NaN with the reason, never 0 or 1 (one category only, too few
answers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from demo_models.metrics.calibration import wilson_interval

BOOTSTRAP_SAMPLES = 1000
VERDICTS = ("agree", "disagree", "unsure")
NAN = float("nan")


@dataclass(frozen=True)
class Rate:
    """A share with its 95 % Wilson interval (NaN when there are no trials)."""

    successes: int
    trials: int
    rate: float
    low: float
    high: float


@dataclass(frozen=True)
class Coefficient:
    """An agreement coefficient with its interval (NaN where not computed), the cases it used and why it
    is undefined when it is."""

    value: float
    low: float
    high: float
    cases: int
    note: str = ""


@dataclass(frozen=True)
class AgreementSummary:
    """A round's agreement figures: between reviewers, with the model, and what the reveal changed."""

    alpha: Coefficient
    fleiss: Coefficient
    with_model: Rate
    by_strategy: pd.DataFrame
    by_decision: pd.DataFrame
    by_group: pd.DataFrame
    verdicts: dict[str, int]
    changed_mind: Rate
    clarity_mean: float
    clarity_counts: dict[int, int]
    split_cases: tuple
    clarity_interval: tuple[float, float] = (NAN, NAN)  # 95 % t interval of the mean clarity (`mean_interval`)


def rate_of(successes: int, trials: int) -> Rate:
    """successes / trials with its Wilson interval; undefined (NaN) without trials."""
    if trials == 0:
        return Rate(0, 0, NAN, NAN, NAN)
    low, high = wilson_interval(successes, trials)
    return Rate(int(successes), int(trials), successes / trials, low, high)


def mean_interval(values: np.ndarray) -> tuple[float, float]:
    """The 95 % t interval of the mean of the values (statsmodels' `DescrStatsW.tconfint_mean`); NaN with
    fewer than two values."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return NAN, NAN
    from statsmodels.stats.weightstats import DescrStatsW

    low, high = DescrStatsW(values).tconfint_mean(alpha=0.05)
    return float(low), float(high)


def _value_counts(answers: pd.DataFrame) -> tuple[np.ndarray, list]:
    """Cases × decisions: how many reviewers gave each decision on each case (blind decisions only)."""
    given = answers.dropna(subset=["own_decision"])
    table = pd.crosstab(given["case_id"], given["own_decision"])
    return table.to_numpy(dtype=float), list(table.columns)


def _alpha(counts: np.ndarray) -> float:
    import krippendorff

    pairable = counts[counts.sum(axis=1) >= 2]
    if pairable.shape[1] < 2 or len(pairable) == 0 or (pairable.sum(axis=0) > 0).sum() < 2:
        return NAN
    return float(krippendorff.alpha(value_counts=pairable, level_of_measurement="nominal"))


def compute_alpha(answers: pd.DataFrame, seed: int = 0, samples: int = BOOTSTRAP_SAMPLES) -> Coefficient:
    """Krippendorff's alpha (nominal) of the reviewers' blind decisions, with a 95 % percentile bootstrap
    interval over the cases (seeded). Undefined with fewer than two decisions on any case or one category."""
    counts, categories = _value_counts(answers)
    pairable = counts[counts.sum(axis=1) >= 2] if len(counts) else counts
    if len(pairable) == 0:
        return Coefficient(NAN, NAN, NAN, 0, "no case has decisions from two reviewers")
    value = _alpha(pairable)
    if math.isnan(value):
        return Coefficient(NAN, NAN, NAN, len(pairable), "every reviewer gave the same decision on every case")
    rng = np.random.default_rng(seed)
    draws = np.array([_alpha(pairable[rng.integers(0, len(pairable), len(pairable))]) for _ in range(samples)])
    draws = draws[~np.isnan(draws)]
    if len(draws) < samples / 2:
        return Coefficient(value, NAN, NAN, len(pairable), "too few cases for an interval")
    low, high = np.percentile(draws, [2.5, 97.5])
    return Coefficient(value, float(low), float(high), len(pairable))


def compute_fleiss(answers: pd.DataFrame) -> Coefficient:
    """Fleiss' kappa of the blind decisions on the cases with the most common number of raters (at least two),
    as Fleiss' kappa needs the same number of raters per case (statsmodels)."""
    from statsmodels.stats.inter_rater import fleiss_kappa

    counts, _ = _value_counts(answers)
    raters = counts.sum(axis=1) if len(counts) else np.array([])
    several = raters[raters >= 2]
    if len(several) == 0:
        return Coefficient(NAN, NAN, NAN, 0, "no case has decisions from two reviewers")
    common = pd.Series(several).mode().max()
    table = counts[raters == common]
    if (table.sum(axis=0) > 0).sum() < 2:
        return Coefficient(NAN, NAN, NAN, len(table), "every reviewer gave the same decision on every case")
    note = "" if len(table) == len(several) else f"on the {len(table):,} cases with {int(common)} reviewers each"
    return Coefficient(float(fleiss_kappa(table, method="fleiss")), NAN, NAN, len(table), note)


def _rates_by(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    rows = {}
    for key, part in frame.groupby(column, observed=True, sort=True):
        rate = rate_of(int(part["agreed"].sum()), len(part))
        rows[key] = {
            "answers": rate.trials,
            "agreed": rate.successes,
            "rate": rate.rate,
            "low": rate.low,
            "high": rate.high,
        }
    return pd.DataFrame.from_dict(rows, orient="index", columns=["answers", "agreed", "rate", "low", "high"])


def blind_agreement(answers: pd.DataFrame, cases: pd.DataFrame) -> tuple[pd.DataFrame, Rate]:
    """(the blind decisions joined with the cases, `agreed` with the model's; their rate with its Wilson interval)."""
    blind = answers.dropna(subset=["own_decision"]).join(cases, on="case_id")
    blind["agreed"] = blind["own_decision"] == blind["decision"]
    return blind, rate_of(int(blind["agreed"].sum()), len(blind))


def clarity_ratings(answers: pd.DataFrame) -> pd.Series:
    """The clarity ratings given (1–5), missing ones left out."""
    return pd.to_numeric(answers["clarity"], errors="coerce").dropna()


def summarise_agreement(answers: pd.DataFrame, cases: pd.DataFrame, seed: int = 0) -> AgreementSummary:
    """Every agreement figure of a round. `answers`: one row per reviewer and case (`case_id`, `reviewer`,
    `own_decision`, `verdict`, `clarity`; missing as None / NaN); `cases`: by case id, `strategy`, `decision`
    (the model's) and optionally `group`."""
    answers = answers.reset_index(drop=True)
    blind, with_model = blind_agreement(answers, cases)
    groups = _rates_by(blind, "group") if "group" in blind.columns else _rates_by(blind.assign(group=None), "group")
    verdicts = answers["verdict"].dropna()
    counts = {v: int((verdicts == v).sum()) for v in VERDICTS}
    judged = blind[blind["verdict"].isin(("agree", "disagree"))]
    changed = (~judged["agreed"] & (judged["verdict"] == "agree")) | (
        judged["agreed"] & (judged["verdict"] == "disagree")
    )
    clarity = clarity_ratings(answers)
    decided = blind.groupby("case_id")["own_decision"].nunique()
    return AgreementSummary(
        alpha=compute_alpha(answers, seed),
        fleiss=compute_fleiss(answers),
        with_model=with_model,
        by_strategy=_rates_by(blind, "strategy"),
        by_decision=_rates_by(blind, "decision"),
        by_group=groups,
        verdicts=counts,
        changed_mind=rate_of(int(changed.sum()), len(judged)),
        clarity_mean=float(clarity.mean()) if len(clarity) else NAN,
        clarity_counts={score: int((clarity == score).sum()) for score in range(1, 6)},
        split_cases=tuple(decided.index[decided > 1]),
        clarity_interval=mean_interval(clarity.to_numpy()),
    )
