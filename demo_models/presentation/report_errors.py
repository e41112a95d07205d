"""The report's and the dossier's "where it errs" section, from the functions Outcomes uses: the error
cohorts with feedback and reviewer agreement beside them, the heat map over the two most important inputs,
and, with a previous iteration, both side by side (cohorts and calibration on the same cases). Tables come
formatted as text, so that the HTML report and the PDF print the same cells."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from demo_models.formats import UNDEFINED, format_count, format_money, format_p_value, format_share
from demo_models.metrics.cohort_compare import CohortChange, cohort_agreement, compare_cohorts
from demo_models.metrics.costs import CaseCosts
from demo_models.metrics.error_map import ErrorHeatMap, error_heat_map, heat_map_inputs
from demo_models.metrics.errors import ErrorCohorts, find_error_cohorts

REPORT_COHORTS = 6  # the worst cohorts the report lists


@dataclass(frozen=True)
class ErrorSection:
    """What the section shows: the cohorts (formatted), the heat map, and the change since the previous one."""

    found: ErrorCohorts
    cohorts: pd.DataFrame
    heat: ErrorHeatMap | None
    change: CohortChange | None
    change_table: pd.DataFrame | None
    calibration: pd.DataFrame | None


def _interval(rate: float, low: float, high: float) -> str:
    if rate != rate:
        return UNDEFINED
    return f"{format_share(rate)} ({format_share(low)} to {format_share(high)})"


def _cohorts(found: ErrorCohorts, reviewed: pd.DataFrame | None, currency: str) -> pd.DataFrame:
    agreement = cohort_agreement(found, reviewed)
    rows = []
    for cohort, (_, said) in list(zip(found.cohorts, agreement.iterrows()))[:REPORT_COHORTS]:
        rows.append(
            {
                "cohort": cohort.description,
                "wrong": f"{format_count(cohort.errors)} of {format_count(cohort.cases)}",
                "error rate (95 % interval)": _interval(cohort.rate, cohort.low, cohort.high),
                "cost of errors": format_money(cohort.cost, currency),
                "feedback disagreeing": f"{format_share(cohort.disagreed)} of {cohort.feedback}",
                "reviewers agreeing": f"{_interval(*said[['reviewers agreeing', 'agreeing low', 'agreeing high']])}"
                f" of {int(said['reviewer verdicts'])}",
            }
        )
    return pd.DataFrame(rows, index=pd.RangeIndex(1, len(rows) + 1, name="rank"))


def _change_tables(change: CohortChange) -> tuple[pd.DataFrame, pd.DataFrame]:
    table = change.table.head(2 * REPORT_COHORTS)
    shown = pd.DataFrame(
        {
            "cohort": table["cohort"],
            "found on": table["found on"],
            f"wrong under {change.old}": [f"{e} of {c}" for e, c in zip(table["errors before"], table["cases"])],
            f"wrong under {change.new}": [f"{e} of {c}" for e, c in zip(table["errors after"], table["cases"])],
            "fixed / new errors": [f"{f} / {b}" for f, b in zip(table["fixed"], table["new errors"])],
            "p-value": table["p-value"].map(format_p_value),
            "verdict": table["verdict"],
        }
    ).set_axis(pd.RangeIndex(1, len(table) + 1, name="#"))
    calibration = pd.DataFrame(
        {
            "cases": [f"{int(s.reliability['cases'].sum()):,}" for s in change.calibration],
            "Brier": [f"{s.brier:.4f}" for s in change.calibration],
            "ECE": [f"{s.ece:.4f}" for s in change.calibration],
        },
        index=pd.Index([s.version for s in change.calibration], name="iteration"),
    )
    return shown, calibration


def error_section(
    scored,
    previous=None,
    costs: CaseCosts | None = None,
    currency: str = "",
    verdicts: pd.Series | None = None,
    reviewed: pd.DataFrame | None = None,
) -> ErrorSection:
    """Where an iteration (at its threshold) errs: every error's cohorts with the feedback `verdicts` (by case
    id) and the closed rounds' answers `reviewed`, the heat map over its two most important inputs, and the
    change since `previous` on the cases both were shown."""
    found = find_error_cohorts(scored, "errors", costs, verdicts)
    inputs = heat_map_inputs(scored)
    heat = error_heat_map(scored, inputs[0], inputs[1], "errors", costs) if len(inputs) > 1 else None
    change = change_table = calibration = None
    if previous is not None and not previous.scores.index.intersection(scored.scores.index).empty:
        change = compare_cohorts(previous, scored)
        change_table, calibration = _change_tables(change)
    return ErrorSection(found, _cohorts(found, reviewed, currency), heat, change, change_table, calibration)
