"""Batch notices over a window of a connected decision log: the decisions an iteration made there (the rows the
log says it served and declined or flagged), read through the log's engine — only the window's declined rows
travel — then scored and explained by that iteration as an evaluation case is, one PDF each and a CSV."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import ibis
import numpy as np
import pandas as pd

from demo_models.iterations.scoring import CaseExplanation, ScoredIteration
from demo_models.monitoring.engines import ENGINE_ERRORS, EngineError, describe, first_line, open_log
from demo_models.monitoring.shadow import as_evaluated
from demo_models.monitoring.sources import Source
from demo_models.presentation.notice_batch import NoticeBatch, write_notice_batch
from demo_models.presentation.notice_documents import current_wording, record_batch
from demo_models.presentation.notice_render import DEFAULT_WORDING, NoticeWording
from feedback.access import Actor
from feedback.documents import DocumentRecord, check_may_batch
from feedback.store.database import FeedbackStore

log = logging.getLogger(__name__)

MAX_WINDOW_NOTICES = 20_000  # one batch; a longer window is asked to be split
BY_DECISION = "the logged decision"
BY_SCORE = "the logged score at the iteration's threshold"


class WindowError(ValueError):
    """A window of the decision log that cannot give notices; the message says why, in one sentence."""


@dataclass(frozen=True)
class WindowDeclines:
    """The declined (flagged) decisions an iteration made in a window of the log: their inputs indexed by case id,
    when each was logged, how many decisions of the iteration the window holds, how the log's declines were told
    (`BY_DECISION` or `BY_SCORE`), and the logged declines the iteration's own score does not repeat (left out)."""

    rows: pd.DataFrame
    decided_at: tuple[str, ...]
    start: date
    end: date
    window_decisions: int
    found_by: str
    not_repeated: tuple[str, ...] = ()

    @property
    def keys(self) -> list[str]:
        """One key per declined row (its position), as `write_notice_batch` takes them."""
        return [str(i) for i in range(len(self.rows))]


def parse_window(start: str, end: str) -> tuple[date, date]:
    """The window's first and last day from 'YYYY-MM-DD' texts; WindowError when malformed or reversed."""
    days = []
    for name, text in (("from", start), ("to", end)):
        try:
            days.append(datetime.strptime(str(text).strip(), "%Y-%m-%d").date())
        except ValueError:
            raise WindowError(f"The '{name}' date {text!r} is not a date: write it as YYYY-MM-DD.") from None
    if days[1] < days[0]:
        raise WindowError(f"The window ends ({days[1]}) before it starts ({days[0]}).")
    return days[0], days[1]


def window_name(start: date, end: date) -> str:
    """The window as written in sentences and file names: '2025-12-01 to 2025-12-31'."""
    return f"{start:%Y-%m-%d} to {end:%Y-%m-%d}"


def batch_file_name(scored: ScoredIteration, start: date, end: date) -> str:
    """The ZIP's name for a window: notices-fraud-v1-2025-12-01-to-2025-12-31.zip."""
    return f"notices-{scored.card.use_case}-{scored.card.version}-{start:%Y-%m-%d}-to-{end:%Y-%m-%d}.zip"


def log_days(source: Source) -> tuple[date, date] | None:
    """The first and last day the log holds a decision (None when it holds none); WindowError if unreadable."""
    try:
        table = open_log(source, with_month=False)
        stamp = table[str(source.mapping["timestamp"])].cast("timestamp")
        first, last = table.aggregate(first=stamp.min(), last=stamp.max()).execute().iloc[0]
    except (*ENGINE_ERRORS, KeyError) as error:
        raise WindowError(f"The decision log at {describe(source)} could not be read: {first_line(error)}") from error
    if pd.isna(first):
        return None
    return pd.Timestamp(first).date(), pd.Timestamp(last).date()


def _between(table, source: Source, start: date, end: date) -> list:
    stamp = table[str(source.mapping["timestamp"])].cast("timestamp")
    return [stamp >= ibis.timestamp(f"{start} 00:00:00"), stamp < ibis.timestamp(f"{end + timedelta(1)} 00:00:00")]


def _in_window(table, source: Source, scored: ScoredIteration, start: date, end: date):
    conditions = _between(table, source, start, end)
    if source.mapping.get("version"):
        conditions.append(table[str(source.mapping["version"])].cast("string") == scored.card.version)
    return table.filter(conditions)


def _served_versions(table, source: Source, start: date, end: date) -> list[str]:
    window = table.filter(_between(table, source, start, end))
    versions = window.select(v=window[str(source.mapping["version"])].cast("string")).distinct().limit(10)
    return sorted(str(v) for v in versions.execute()["v"].dropna())


def _declined(window, source: Source, scored: ScoredIteration) -> tuple[object, str]:
    """The window's declines: by the logged decision where it is in the use case's words, else by the logged score."""
    use_case = scored.use_case
    column = source.mapping.get("decision")
    if column:
        words = window[str(column)].cast("string")
        logged = set(window.select(d=words).distinct().limit(10).execute()["d"].dropna())
        if logged and logged <= {use_case.positive_decision, use_case.negative_decision}:
            return window.filter(words == use_case.unfavourable_decision), BY_DECISION
    score = window[str(source.mapping["score"])]
    positive = score >= float(scored.threshold)
    declined = positive if use_case.unfavourable_decision == use_case.positive_decision else ~positive
    return window.filter(declined), BY_SCORE


def read_window_declines(source: Source, scored: ScoredIteration, start: date, end: date) -> WindowDeclines:
    """The declined (flagged) decisions `scored` made in the window, by the log (the rows it served, where the log
    names a version), with their inputs read through the log's engine; WindowError when there is none, the log
    lacks a case id or an input, or it cannot be read."""
    use_case, card = scored.use_case, scored.card
    if not source.mapping.get("case_id"):
        raise WindowError("The decision log maps no column to the role 'case_id': a notice must name its case.")
    what = window_name(start, end)
    served = f" served by {card.version}" if source.mapping.get("version") else ""
    try:
        table = open_log(source, with_month=False)
        missing = [f for f in card.features if f not in table.columns]
        if missing:
            raise WindowError(f"The decision log has no column for {card.version}'s input(s) {', '.join(missing)}.")
        window = _in_window(table, source, scored, start, end)
        decisions = int(window.count().execute())
        if not decisions:
            span = log_days(source)
            runs = f" (the log runs from {span[0]} to {span[1]})" if span else " (the log holds no decision)"
            others = _served_versions(table, source, start, end) if served else []
            if others:
                runs = f" (in that window the log names {', '.join(others)} as the serving iteration)"
            raise WindowError(f"There are no decisions{served} from {what}{runs}.")
        declined, found_by = _declined(window, source, scored)
        count = int(declined.count().execute())
        if not count:
            declined_word = use_case.past(use_case.unfavourable_decision)
            raise WindowError(f"None of the {decisions:,} decisions{served} from {what} was {declined_word}.")
        if count > MAX_WINDOW_NOTICES:
            raise WindowError(
                f"The window {what} holds {count:,} {use_case.unfavourable_decision} decisions; a batch takes at most "
                f"{MAX_WINDOW_NOTICES:,}: choose a shorter window."
            )
        stamp, case_id = str(source.mapping["timestamp"]), str(source.mapping["case_id"])
        columns = list(dict.fromkeys([case_id, stamp, *card.features]))
        rows = declined.select(columns).order_by([stamp, case_id]).execute()
    except WindowError:
        raise
    except EngineError as error:
        raise WindowError(str(error)) from error
    except ENGINE_ERRORS as error:
        raise WindowError(f"The decision log at {describe(source)} could not be read: {first_line(error)}") from error
    rows.index = pd.Index(rows[case_id].astype(str), name=None)
    decided = pd.to_datetime(rows[stamp]).dt.strftime("%Y-%m-%d %H:%M:%S")
    inputs = as_evaluated(rows, scored.features)
    scores = scored.iteration.model.predict_proba(inputs)[:, scored.explainer.positive_index]
    repeated = np.array(
        [use_case.decision_for(float(s), scored.threshold) == use_case.unfavourable_decision for s in scores]
    )
    log.info(
        "%d %s decisions of %s from %s in the log (%s)",
        count,
        use_case.unfavourable_decision,
        card.version,
        what,
        found_by,
    )
    return WindowDeclines(
        inputs[repeated],
        tuple(decided[repeated]),
        start,
        end,
        decisions,
        found_by,
        tuple(inputs.index[~repeated]),
    )


def write_window_batch(
    scored: ScoredIteration,
    declines: WindowDeclines,
    out: Path,
    issued: date | None = None,
    progress: Callable[[int, int], None] | None = None,
    wording: NoticeWording = DEFAULT_WORDING,
) -> NoticeBatch:
    """Write the window's notices to `out` as `write_notice_batch` does, each case scored and explained by the
    iteration from its logged inputs, with the time the log decided it in notices.csv."""
    rows = declines.rows

    def explain(key: str) -> CaseExplanation:
        position = int(key)
        return scored.explain_raw(rows.iloc[position : position + 1])

    keys = declines.keys
    return write_notice_batch(
        scored, out, issued, progress, wording, keys, explain, dict(zip(keys, declines.decided_at))
    )


def issue_window_batch(
    store: FeedbackStore,
    scored: ScoredIteration,
    declines: WindowDeclines,
    actor: Actor,
    progress: Callable[[int, int], None] | None = None,
    issued: date | None = None,
) -> tuple[bytes, DocumentRecord]:
    """A window's batch started on a page by `actor`: the ZIP's bytes and its audit log entry (AccessError unless
    compliance or an admin, checked before any notice is made)."""
    actor = check_may_batch(actor)
    wording = current_wording(store, scored.card.use_case)
    name = batch_file_name(scored, declines.start, declines.end)
    with tempfile.TemporaryDirectory(prefix="involve-notices-") as folder:
        batch = write_window_batch(scored, declines, Path(folder) / name, issued, progress, wording)
        data = batch.path.read_bytes()
    return data, record_batch(store, scored, batch, wording, actor, name)
