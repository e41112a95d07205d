"""Cached loaders: each iteration scored once per server process, keyed by one hashable
`IterationKey`, and what is computed from it (comparisons, latency, fairness, the monitoring stream
and its drift). A loader that cannot load stops the page with a clear message."""

from __future__ import annotations

import json
import logging
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from demo_models import settings
from demo_models.iterations.registry import IterationCard, RegistryError, load_iteration
from pages._ui.text import md

if TYPE_CHECKING:  # the model side is imported when a page first needs it, not at start-up
    import plotly.graph_objects as go

    from demo_models.explanations.dependence import InputDependence
    from demo_models.iterations.scoring import ScoredIteration
    from demo_models.metrics.calibration import CalibrationSummary
    from demo_models.metrics.cohort_compare import CohortChange
    from demo_models.metrics.compare import Comparison
    from demo_models.metrics.outcomes import Latency
    from demo_models.monitoring.log_notices import WindowDeclines
    from demo_models.monitoring.log_summary import LogSummary
    from demo_models.monitoring.sources import Source
    from demo_models.monitoring.stream import MonthlyDrift, Stream
    from demo_models.presentation.chart_text import ChartText
    from pages._ui.context import PageContext

log = logging.getLogger("involve.app")


@dataclass(frozen=True)
class IterationKey:
    """One registered iteration, as the caches know it (`created` tells a re-registered version apart)."""

    registry: str
    use_case: str
    version: str
    created: str


def key_of(ctx: PageContext, card: IterationCard) -> IterationKey:
    """The cache key of an iteration of the page's registry."""
    return IterationKey(str(ctx.registry_dir), card.use_case, card.version, card.created)


@st.cache_resource(show_spinner="Loading the iteration…", max_entries=16)
def _load_scored(key: IterationKey) -> ScoredIteration:
    from demo_models.iterations.scoring import ScoredIteration

    return ScoredIteration(load_iteration(key.use_case, key.version, Path(key.registry)))


@st.cache_resource(show_spinner="Comparing the iterations…", max_entries=8)
def _compare(old: IterationKey, old_threshold: float, new: IterationKey, new_threshold: float) -> Comparison:
    from demo_models.metrics.compare import compare_iterations

    return compare_iterations(
        _load_scored(old).at_threshold(old_threshold), _load_scored(new).at_threshold(new_threshold)
    )


@st.cache_resource(show_spinner=False, max_entries=16)
def _calibration(key: IterationKey) -> CalibrationSummary:
    from demo_models.metrics.calibration import summarise_calibration

    return summarise_calibration(_load_scored(key))


@st.cache_resource(show_spinner="Sweeping the input…", max_entries=64)
def _dependence(key: IterationKey, column: str) -> InputDependence:
    from demo_models.explanations.dependence import explain_dependence

    return explain_dependence(_load_scored(key), column)


@st.cache_resource(show_spinner=False, max_entries=32)
def _dependence_view(key: IterationKey, column: str, other: IterationKey | None):
    from demo_models.presentation.chart_text import describe_dependence
    from demo_models.presentation.figures import build_dependence

    mine, theirs = _dependence(key, column), _dependence(other, column) if other else None
    use_case = _load_scored(key).use_case
    return mine, theirs, build_dependence(mine, use_case, theirs), describe_dependence(mine, use_case, theirs)


@st.cache_resource(show_spinner=False, max_entries=64)
def _cohorts(key: IterationKey, threshold: float, kind: str, costs, said: tuple, protected: bool):
    import pandas as pd

    from demo_models.iterations.evaluation import costs_for
    from demo_models.metrics.errors import find_error_cohorts

    scored = _load_scored(key).at_threshold(threshold)
    verdicts = pd.Series([v for _, v in said], index=[c for c, _ in said], dtype=object)
    matrix = costs_for(scored, costs)[0] if costs else None
    return find_error_cohorts(scored, kind, matrix, verdicts, protected=protected)


@st.cache_resource(show_spinner=False, max_entries=64)
def _heat_map_view(key: IterationKey, threshold: float, x: str, y: str, kind: str, show: str, costs):
    from demo_models.iterations.evaluation import costs_for
    from demo_models.metrics.error_map import error_heat_map
    from demo_models.presentation.error_figures import build_error_heat_map, describe_error_heat_map

    scored = _load_scored(key).at_threshold(threshold)
    currency = costs.currency if costs else ""
    heat = error_heat_map(scored, x, y, kind, costs_for(scored, costs)[0])
    return (
        heat,
        build_error_heat_map(heat, scored.use_case, show, currency),
        describe_error_heat_map(heat, scored.use_case, currency),
    )


@st.cache_resource(show_spinner="Setting the two iterations side by side…", max_entries=16)
def _cohort_change_view(old: IterationKey, old_threshold: float, new: IterationKey, new_threshold: float, kind: str):
    from demo_models.metrics.cohort_compare import compare_cohorts
    from demo_models.presentation.error_figures import build_reliability_pair, describe_reliability_pair

    before, after = _load_scored(old).at_threshold(old_threshold), _load_scored(new).at_threshold(new_threshold)
    change = compare_cohorts(before, after, kind)
    outcome = after.use_case.words.outcome
    return change, build_reliability_pair(change, outcome), describe_reliability_pair(change, outcome)


@st.cache_resource(show_spinner="Measuring how fast it decides and explains…", max_entries=32)
def _latency(key: IterationKey) -> Latency:
    from demo_models.metrics.outcomes import measure_latency

    return measure_latency(_load_scored(key))


@st.cache_resource(show_spinner="Generating and scoring the monitoring stream…", max_entries=4)
def _stream(key: IterationKey, rows: int) -> Stream | None:
    from demo_models.monitoring.stream import build_stream

    return build_stream(_load_scored(key), rows)


@st.cache_resource(show_spinner="Comparing the groups…", max_entries=32)
def _fairness(key: IterationKey, threshold: float, attribute: str, resampled: bool):
    from demo_models.metrics.fairness import bootstrap_gaps, fairness_gaps, group_table

    scored = _load_scored(key).at_threshold(threshold)
    if not resampled:
        return fairness_gaps(scored, attribute)
    return group_table(scored, attribute), bootstrap_gaps(scored, attribute)


@st.cache_data(show_spinner="Measuring drift…", max_entries=32)
def _window_drift(key: IterationKey, threshold: float, rows: int, reference: tuple[str, ...], current: str):
    from demo_models.monitoring.stream import drift_in_window

    return drift_in_window(_load_scored(key).at_threshold(threshold), _stream(key, rows), list(reference), current)


@st.cache_data(show_spinner="Comparing the months…", max_entries=16)
def _monthly_drift(key: IterationKey, threshold: float, rows: int, reference: tuple[str, ...]) -> MonthlyDrift:
    from demo_models.monitoring.stream import drift_by_month

    return drift_by_month(_load_scored(key).at_threshold(threshold), _stream(key, rows), list(reference))


@st.cache_resource(show_spinner="Reading your decision log where it lies…", max_entries=8)
def _log_summary(
    kind: str, path: str, mapping: str, reference: tuple, table: str, engine: str, signature: tuple, threshold: float
) -> LogSummary:
    from demo_models.monitoring.log_summary import summarise_log

    return summarise_log(source_of_key((kind, path, mapping, reference, table, engine)), threshold)


def load_scored(ctx: PageContext, card: IterationCard | None = None) -> ScoredIteration:
    """An iteration (the picked one by default), scored on its evaluation cases (cached), deciding at
    the card's threshold. Stops the page with a clear message if it cannot be loaded."""
    from demo_models.explanations.attributions import ExplainError

    card = card or ctx.card
    try:
        return _load_scored(key_of(ctx, card)).at_threshold(card.threshold)
    except (RegistryError, ExplainError, OSError) as err:
        log.warning("iteration %s/%s cannot be loaded: %s", card.use_case, card.version, err)
        st.error(md("Iteration {} cannot be shown: {}", card.version, err))
        st.stop()


def load_comparison(ctx: PageContext, old: IterationCard, new: IterationCard) -> Comparison:
    """The comparison of two iterations (cached); stops the page with a clear message if impossible."""
    from demo_models.explanations.attributions import ExplainError
    from demo_models.metrics.compare import CompareError

    try:
        return _compare(key_of(ctx, old), old.threshold, key_of(ctx, new), new.threshold)
    except (RegistryError, ExplainError, CompareError, OSError) as err:
        log.warning("cannot compare %s and %s: %s", old.version, new.version, err)
        st.error(md("{} and {} cannot be compared: {}", old.version, new.version, err))
        st.stop()


def stream_of(ctx: PageContext, card: IterationCard) -> Stream | None:
    """The monitoring stream of a use case scored by an iteration (cached), or None if it has no time."""
    return _stream(key_of(ctx, card), settings.monitor_rows())


def window_drift_of(ctx: PageContext, card: IterationCard, reference: list[str], current: str):
    """(input drift, score PSI) of a month of the monitoring stream (`drift_in_window`, cached)."""
    return _window_drift(key_of(ctx, card), card.threshold, settings.monitor_rows(), tuple(reference), current)


def monthly_drift_of(ctx: PageContext, card: IterationCard, reference: list[str]) -> MonthlyDrift:
    """The monitoring stream month by month (`drift_by_month`, cached)."""
    return _monthly_drift(key_of(ctx, card), card.threshold, settings.monitor_rows(), tuple(reference))


def decision_log_of(ctx: PageContext, use_case: str) -> Source | None:
    """The decision log connected to `use_case`, None when none is; the built-in fraud use case's log is
    written and connected on first use, scored by its first iteration. Raises what reading the sources raises."""
    from demo_models.monitoring.sources import load_source

    source = load_source(use_case)
    if source is None and use_case == "fraud" and ctx.cards:
        source = _builtin_fraud_log(key_of(ctx, ctx.cards[0]), settings.monitor_rows())
    return source


def log_summary_of(ctx: PageContext, card: IterationCard) -> LogSummary | None:
    """The decision log connected to the use case, summarised at the iteration's threshold (cached until
    one of its files changes); None when none is connected. The built-in fraud use case's log is written
    and connected on first use, scored by its first iteration."""
    from demo_models.monitoring.log_summary import LogSummary
    from demo_models.monitoring.sources import Source, sources_file

    try:
        source = decision_log_of(ctx, card.use_case)
    except (tomllib.TOMLDecodeError, KeyError, OSError) as err:
        log.warning("the decision-log sources cannot be read: %s", err)
        return LogSummary(Source("toml", str(sources_file())), [f"The sources file could not be read ({err})."])
    if source is None:
        return None
    return _log_summary(*source_key(source), card.threshold)


@st.cache_resource(show_spinner="Writing the built-in fraud decision log (once)…", max_entries=2)
def _builtin_fraud_log(key: IterationKey, rows: int) -> Source | None:
    from demo_models.monitoring.builtin_log import ensure_fraud_log
    from demo_models.monitoring.sources import load_source

    return ensure_fraud_log(_load_scored(key), rows) or load_source("fraud")


_ALERTED: set[tuple] = set()  # (store, log files, threshold, goals) whose alerts this process has posted
_ALERTED_LOCK = threading.Lock()


def post_log_alerts(ctx: PageContext, card: IterationCard, summary: LogSummary, criteria: list) -> list:
    """The alerts the decision log raises for the iteration (`find_alerts`), each posted once on the notice
    board; the store is asked only when the log, the threshold or the goals changed in this process."""
    from demo_models.monitoring.alerts import find_alerts
    from feedback.store.announcements import record_alerts
    from feedback.store.database import StoreError

    alerts = find_alerts(summary, ctx.use_case, card.version, criteria)
    if ctx.store is None or not alerts:
        return alerts
    key = (settings.db_url(), card.use_case, source_key(summary.source), card.threshold, tuple(criteria))
    with _ALERTED_LOCK:
        if key in _ALERTED:
            return alerts
        try:
            record_alerts(ctx.store, alerts)
        except StoreError as err:
            log.warning("monitoring alerts not posted: %s", err)
            return alerts
        _ALERTED.add(key)
    return alerts


def log_days_of(source: Source) -> tuple | None:
    """The first and last day the decision log holds (`log_days`), cached until one of its files changes."""
    return _log_days(source_key(source))


@st.cache_resource(max_entries=8, show_spinner=False)
def _log_days(source: tuple) -> tuple | None:
    from demo_models.monitoring.log_notices import log_days

    return log_days(source_of_key(source))


def window_declines_of(ctx: PageContext, card: IterationCard, source: Source, start, end) -> WindowDeclines:
    """The declines `card` made at its threshold in the log's window (`read_window_declines`), read once per
    window, iteration, threshold and state of the log's files, not on every rerun of the page."""
    return _window_declines(key_of(ctx, card), card.threshold, source_key(source), start, end)


@st.cache_resource(max_entries=8, show_spinner="Reading the window's decisions…")
def _window_declines(key: IterationKey, threshold: float, source: tuple, start, end) -> WindowDeclines:
    from demo_models.monitoring.log_notices import read_window_declines

    return read_window_declines(source_of_key(source), _load_scored(key).at_threshold(threshold), start, end)


def source_key(source: Source) -> tuple:
    """What identifies a decision log's state (a cache key): its kind, where it is, its mapping, its reference
    months, its table, its engine and its files."""
    from demo_models.monitoring.sources import source_signature

    mapping = json.dumps(source.mapping, sort_keys=True)
    return (source.kind, source.path, mapping, source.reference, source.table, source.engine, source_signature(source))


def source_of_key(key: tuple) -> Source:
    """The source a `source_key` was made of."""
    from demo_models.monitoring.sources import Source

    kind, path, mapping, reference, table, engine = key[:6]
    return Source(kind, path, json.loads(mapping), reference, table, engine)


def calibration_of(ctx: PageContext, card: IterationCard) -> CalibrationSummary:
    """The calibration of an iteration's scores (no threshold involved), computed once per process."""
    return _calibration(key_of(ctx, card))


def latency_of(ctx: PageContext, card: IterationCard) -> Latency:
    """Measured time to decide and explain a case with this iteration (cached per process)."""
    return _latency(key_of(ctx, card))


def fairness_of(ctx: PageContext, card: IterationCard, attribute: str):
    """(the group-by-group table, each gap metric with its bootstrap interval and its chance) of an
    iteration at its threshold, cached per iteration, threshold and attribute (fairlearn and 500
    resamples are too slow to redo on every rerun). Raises FairnessError as `group_table` does."""
    return _fairness(key_of(ctx, card), card.threshold, attribute, True)


def gaps_of(ctx: PageContext, card: IterationCard, attribute: str) -> dict[str, float]:
    """The gap metrics of an iteration at its threshold (`fairness_gaps`), cached the same way."""
    return _fairness(key_of(ctx, card), card.threshold, attribute, False)


def dependence_of(
    ctx: PageContext, card: IterationCard, column: str, other: IterationCard | None = None
) -> tuple[InputDependence, InputDependence | None, go.Figure, ChartText]:
    """(how an input moves the score under an iteration, the same under `other` or None, their figure, its text
    alternative): `explain_dependence` cached per iteration and input (no threshold involved), the figure per
    pair, so a rerun for another widget redraws nothing. Raises DependenceError for an unknown input."""
    return _dependence_view(key_of(ctx, card), column, key_of(ctx, other) if other else None)


def heat_map_of(ctx: PageContext, card: IterationCard, threshold: float, x: str, y: str, kind: str, show: str, costs):
    """(the error heat map of an iteration over two inputs at `threshold`, its figure, its text alternative),
    cached per iteration, threshold, inputs, kind, what is coloured and cost matrix. ValueError as
    `error_heat_map` raises it."""
    return _heat_map_view(key_of(ctx, card), threshold, x, y, kind, show, costs)


def cohort_change_of(
    ctx: PageContext, old: IterationCard, new: IterationCard, kind: str, threshold: float
) -> tuple[CohortChange, go.Figure, ChartText]:
    """(the cohorts and calibration of two iterations on the cases both were shown, `old` at its agreed
    threshold and `new` at `threshold`, the reliability figure of both, its text), cached. PairError as
    `compare_cohorts` raises it."""
    return _cohort_change_view(key_of(ctx, old), old.threshold, key_of(ctx, new), threshold, kind)


def cohorts_of(
    ctx: PageContext, card: IterationCard, threshold: float, kind: str, costs, entries: list, protected: bool = False
):
    """The error cohorts of an iteration at `threshold` (`find_error_cohorts`) with the cost matrix `costs`
    (or None) and the verdicts of the feedback `entries` on it, split on protected attributes only if asked,
    cached per iteration, threshold, kind, cost matrix and verdicts, so that a rerun for another widget finds
    no tree again."""
    said = tuple((f.case_id, f.verdict) for f in entries if f.iteration == card.version)
    return _cohorts(key_of(ctx, card), threshold, kind, costs, said, protected)


@st.cache_resource(show_spinner=False, max_entries=64)
def _input_profile_view(key: IterationKey, threshold: float, column: str, by: str):
    from demo_models.metrics.data_explorer import label_input, profile_input
    from demo_models.presentation.data_figures import build_share_bars, describe_share_bars

    scored = _load_scored(key).at_threshold(threshold)
    profile = profile_input(scored, column, by)
    label = label_input(scored, column)
    title = "group" if by not in ("outcome", "decision") else by
    return (
        profile,
        build_share_bars(profile.table, "group", label, title),
        describe_share_bars(profile.table, "group", label),
    )


@st.cache_resource(show_spinner=False, max_entries=32)
def _missing_view(key: IterationKey, threshold: float, by: str):
    from demo_models.metrics.data_explorer import missing_by_group

    return missing_by_group(_load_scored(key).at_threshold(threshold), by)


@st.cache_resource(show_spinner="Reading the reference data…", max_entries=32)
def _reference_view(key: IterationKey, rows: int, column: str):
    from demo_models.metrics.data_explorer import compare_with_reference, label_input
    from demo_models.monitoring.stream import reference_cases
    from demo_models.presentation.data_figures import build_share_bars, describe_share_bars

    scored, stream = _load_scored(key), _stream(key, rows)
    reference, months = reference_cases(scored, stream)
    if reference is None:
        return None, [], None, None
    comparison = compare_with_reference(
        scored.features, reference, column, scored.use_case, time_column=stream.month_column
    )
    label = label_input(scored, column)
    figure = build_share_bars(comparison.table, "source", label, "source")
    return comparison, months, figure, describe_share_bars(comparison.table, "source", label)


def input_profile_of(ctx: PageContext, card: IterationCard, threshold: float, column: str, by: str):
    """(profile, figure, text) of one input split by outcome, decision or protected group (cached)."""
    return _input_profile_view(key_of(ctx, card), threshold, column, by)


def missing_of(ctx: PageContext, card: IterationCard, threshold: float, by: str):
    """Every input's missing values per group (`missing_by_group`, cached)."""
    return _missing_view(key_of(ctx, card), threshold, by)


def reference_comparison_of(ctx: PageContext, card: IterationCard, column: str):
    """(comparison, reference months, figure, text) of an input against the reference data Monitoring reads
    (the monitoring stream's reference months); (None, [], None, None) where none is held (cached)."""
    return _reference_view(key_of(ctx, card), settings.monitor_rows(), column)
