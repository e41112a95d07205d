"""What Monitoring shows of a connected decision log, in one call: the source validated, then its aggregates
and its performance by month, every failure a sentence."""

from __future__ import annotations

from dataclasses import dataclass

from demo_models.monitoring.aggregates import LogAggregates, log_aggregates
from demo_models.monitoring.engines import ENGINE_ERRORS, EngineError, first_line, months_from_files, open_log
from demo_models.monitoring.log_performance import LogPerformance, log_performance
from demo_models.monitoring.score_bins import Calibration
from demo_models.monitoring.sources import Source, validate_source


@dataclass(frozen=True)
class LogSummary:
    """What Monitoring shows of a connected decision log: the source's problems (nothing else when it has
    any), its aggregates, and its performance by month (None, with why, without usable labels)."""

    source: Source
    problems: list[str]
    aggregates: LogAggregates | None = None
    performance: LogPerformance | None = None
    why_no_performance: str = ""


def summarise_log(source: Source, threshold: float) -> LogSummary:
    """Validate the decision log and, when it can be monitored, aggregate it and measure its performance
    at the threshold; every failure is a sentence, never an exception."""
    problems = validate_source(source)
    if problems:
        return LogSummary(source, problems)
    try:
        table = months_from_files(open_log(source))  # one connection for every aggregate of the page
        label = source.mapping.get("label")
        calibration = Calibration(str(source.mapping["score"]), str(label), float(threshold)) if label else None
        aggregates = log_aggregates(source, list(source.reference) or None, table=table, calibration=calibration)
    except EngineError as error:
        return LogSummary(source, [str(error)])
    except ENGINE_ERRORS as error:  # the engine's own errors (duckdb.Error, psycopg.Error, …): one sentence
        return LogSummary(source, [f"The decision log could not be aggregated: {first_line(error)}"])
    try:
        months = list(aggregates.decisions.index)
        performance = log_performance(source, threshold, aggregates.reference, table, months, aggregates.score_bins)
    except ENGINE_ERRORS as error:  # ValueError says why; an engine's error is shown as its first line
        return LogSummary(source, [], aggregates, None, first_line(error))
    return LogSummary(source, [], aggregates, performance)
