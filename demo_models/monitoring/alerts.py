"""Monitoring alerts of a connected decision log: an input or the score crossing the "act" band of PSI,
and measured or estimated performance falling short of an agreed goal, one alert per month and column
or goal (posted once: `feedback.store.announcements.record_alerts`)."""

from __future__ import annotations

import math

from demo_models.formats import format_number, format_share
from demo_models.metrics.drift import BANDS
from demo_models.metrics.performance import metric_labels
from demo_models.monitoring.log_summary import LogSummary
from demo_models.vocabulary import UseCase
from feedback.announcements import Announcement, monitoring_alert
from feedback.goals import Criterion, judge

PERFORMANCE_METRICS = ("recall", "precision")  # the goals a decision log can be judged on, month by month


def _drift_alerts(summary: LogSummary, use_case: UseCase, version: str) -> list[Announcement]:
    found = summary.aggregates
    act = BANDS[1][0]
    score = str(summary.source.mapping["score"])
    reference = f"{found.reference[0]} to {found.reference[-1]}"
    alerts = []
    for month, row in found.psi.iterrows():
        if month in found.reference:
            continue
        for column, value in row.items():
            if value > act:
                name = "the score" if column == score else use_case.label(column)
                alerts.append(
                    monitoring_alert(
                        use_case.name,
                        version,
                        f"Drift in {month}: {name}",
                        f"PSI {format_number(value)} against the reference window ({reference}): over {act}, act. "
                        f"Check what changed in {name} before trusting {version}'s decisions for that month.",
                    )
                )
    return alerts


def _goal_alerts(summary: LogSummary, use_case: UseCase, version: str, criteria: list[Criterion]):
    performance = summary.performance
    labels = metric_labels(use_case)
    alerts = []
    for criterion in criteria:
        if criterion.metric not in PERFORMANCE_METRICS or criterion.attribute or not criterion.active:
            continue
        for month in performance.realised.index:
            how, value = "measured", performance.realised.loc[month, criterion.metric]
            if math.isnan(value):  # no outcome is in yet: judged on the estimate
                how, value = "estimated", performance.estimated.loc[month, criterion.metric]
            result = judge(criterion, value)
            if result.passed is False:
                goal = f"{criterion.comparator} {format_share(criterion.target)}"
                alerts.append(
                    monitoring_alert(
                        use_case.name,
                        version,
                        f"Below goal in {month}: {labels[criterion.metric]}",
                        f"{labels[criterion.metric]} {how} {format_share(value)} in {month} against the goal "
                        f"{goal} agreed by {criterion.owner}.",
                    )
                )
    return alerts


def find_alerts(summary: LogSummary, use_case: UseCase, version: str, criteria: list[Criterion]) -> list[Announcement]:
    """The alerts a decision log raises for the iteration: drift past the act band in each month after the
    reference window, and each recall / precision goal missed in a month (measured where labels are in,
    estimated otherwise)."""
    if summary.aggregates is None:
        return []
    alerts = _drift_alerts(summary, use_case, version)
    if summary.performance is not None:
        alerts += _goal_alerts(summary, use_case, version, criteria)
    return alerts
