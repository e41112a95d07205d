"""Error cohorts and calibration of two iterations on the same cases, and reviewer agreement per cohort.

Two iterations: the cohorts each finds, every one evaluated under both on the cases both were shown, with
the errors the newer one fixed and the ones it made, judged by an exact McNemar test on those paired cases
(statsmodels); and the calibration (reliability, Brier, ECE) of both on those cases. Reviewers: the share of
the verdicts given in closed review rounds on a cohort's cases that agreed with the model, with its 95 %
Wilson interval.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from demo_models.metrics.agreement import rate_of
from demo_models.metrics.calibration import compute_brier, compute_ece, reliability_table
from demo_models.metrics.errors import ErrorCohorts, cohorts_table, errors_of, find_error_cohorts
from feedback.rounds import RoundAnswer

if TYPE_CHECKING:
    from demo_models.iterations.evaluation import Evaluation

SIGNIFICANCE = 0.05
BETTER, WORSE, UNCLEAR = "better", "worse", "no clear change"
CHANGE_COLUMNS = [
    "cohort", "found on", "cases", "errors before", "rate before", "errors after", "rate after", "rate change",
    "fixed", "new errors", "p-value", "verdict",
]  # fmt: skip


class PairError(ValueError):
    """Two iterations that cannot be set side by side; the message says why."""


@dataclass(frozen=True)
class SideCalibration:
    """One iteration's calibration on the shared cases."""

    version: str
    reliability: pd.DataFrame
    brier: float
    ece: float


@dataclass(frozen=True)
class CohortChange:
    """Two iterations on the cases both were shown: each cohort under both, and both calibrations."""

    old: str
    new: str
    kind: str
    cases: int
    errors_before: int
    errors_after: int
    table: pd.DataFrame  # CHANGE_COLUMNS, one row per cohort, the newer iteration's first
    calibration: tuple[SideCalibration, SideCalibration]


def _restricted(scored: Evaluation, ids: pd.Index) -> Evaluation:
    """The same iteration on a subset of its cases (scores, labels, features), for the tree and the rules."""
    from types import SimpleNamespace

    position = scored.scores.index.get_indexer(ids)
    labels = np.asarray(scored.iteration.labels, dtype=int)[position]
    return SimpleNamespace(
        iteration=SimpleNamespace(labels=labels),
        scores=scored.scores.iloc[position],
        features=scored.features.iloc[position],
        threshold=scored.threshold,
        use_case=scored.use_case,
        card=scored.card,
    )


def _mcnemar(fixed: int, broken: int) -> float:
    """The exact McNemar p-value of `fixed` errors against `broken` ones on paired cases (NaN when neither)."""
    from statsmodels.stats.contingency_tables import mcnemar

    if fixed + broken == 0:
        return float("nan")
    return float(mcnemar([[0, fixed], [broken, 0]], exact=True).pvalue)


def compare_cohorts(old: Evaluation, new: Evaluation, kind: str = "errors") -> CohortChange:
    """The error cohorts of `old` and of `new` (each at its own threshold) on the cases both were shown, each
    evaluated under both, and both calibrations on those cases. PairError when they share no case."""
    common = old.scores.index.intersection(new.scores.index, sort=False)
    if common.empty:
        raise PairError(f"{old.card.version} and {new.card.version} share no evaluation cases.")
    before, after = _restricted(old, common), _restricted(new, common)
    among, wrong_before, _ = errors_of(before, kind)
    _, wrong_after, _ = errors_of(after, kind)
    ids = common[among]
    rows, seen = [], set()
    for side in (after, before):
        found = find_error_cohorts(side, kind)
        for cohort in found.cohorts:
            if cohort.description in seen:
                continue
            seen.add(cohort.description)
            inside = np.zeros(len(ids), bool)  # the tree's leaf: the cases its rule selects (`select_rule`)
            inside[ids.get_indexer(list(cohort.case_ids))] = True
            was, now = wrong_before[inside], wrong_after[inside]
            fixed, broken = int((was & ~now).sum()), int((~was & now).sum())
            p_value = _mcnemar(fixed, broken)
            verdict = UNCLEAR
            if p_value < SIGNIFICANCE:
                verdict = BETTER if fixed > broken else WORSE
            cases = int(inside.sum())
            rows.append(
                [
                    cohort.description,
                    side.card.version,
                    cases,
                    int(was.sum()),
                    was.mean() if cases else np.nan,
                    int(now.sum()),
                    now.mean() if cases else np.nan,
                    (now.mean() - was.mean()) if cases else np.nan,
                    fixed,
                    broken,
                    p_value,
                    verdict,
                ]  # fmt: skip
            )
    labels = np.asarray(after.iteration.labels, dtype=int)
    sides = tuple(
        SideCalibration(
            side.card.version,
            reliability_table(labels, side.scores.to_numpy()),
            compute_brier(labels, side.scores.to_numpy()),
            compute_ece(labels, side.scores.to_numpy()),
        )
        for side in (before, after)
    )
    return CohortChange(
        old=old.card.version,
        new=new.card.version,
        kind=kind,
        cases=len(ids),
        errors_before=int(wrong_before.sum()),
        errors_after=int(wrong_after.sum()),
        table=pd.DataFrame(rows, columns=CHANGE_COLUMNS),
        calibration=sides,
    )


def cohort_agreement(found: ErrorCohorts, reviewed: pd.DataFrame | None) -> pd.DataFrame:
    """Per cohort (rows as `cohorts_table`), the reviewer verdicts given on its cases (`reviewed`: `case_id`,
    `verdict`, one row per answer), how many agreed with the model, the share and its 95 % Wilson interval;
    NaN where no reviewer gave a verdict there (or `reviewed` is None: no store)."""
    if reviewed is None or reviewed.empty:
        reviewed = pd.DataFrame({"case_id": pd.Series(dtype=object), "verdict": pd.Series(dtype=object)})
    given = reviewed.dropna(subset=["verdict"])
    rows = []
    for cohort in found.cohorts:
        here = given[given["case_id"].isin(cohort.case_ids)]
        rate = rate_of(int((here["verdict"] == "agree").sum()), len(here))
        rows.append(
            {
                "reviewer verdicts": rate.trials,
                "reviewers agreeing": rate.rate,
                "agreeing low": rate.low,
                "agreeing high": rate.high,
            }
        )
    return pd.DataFrame(rows, columns=["reviewer verdicts", "reviewers agreeing", "agreeing low", "agreeing high"])


def verdict_frame(answers: Iterable[RoundAnswer]) -> pd.DataFrame:
    """Review answers (`feedback.store.rounds.closed_answers`) as the frame `cohort_agreement` reads."""
    rows = [(a.case_id, a.own_decision, a.verdict) for a in answers]
    return pd.DataFrame(rows, columns=["case_id", "own_decision", "verdict"])


def cohorts_with_agreement(found: ErrorCohorts, reviewed: pd.DataFrame | None) -> pd.DataFrame:
    """The cohorts table (`cohorts_table`) with the reviewer agreement of each cohort beside it."""
    return pd.concat([cohorts_table(found), cohort_agreement(found, reviewed)], axis=1)
