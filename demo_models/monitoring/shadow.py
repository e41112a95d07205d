"""Shadow comparison: what another iteration (the candidate awaiting sign-off, say) would have decided on
real traffic. A seeded sample of one window of the decision log is drawn where the log lies — by DuckDB for a
file log (`USING SAMPLE reservoir(n ROWS) REPEATABLE (seed)`), by the database for a SQL one (the rows in the
order of a hash of case id and seed) — re-scored with the other iteration at its own
threshold and set against what was decided (the logged score at the serving iteration's threshold): the
decisions that flip each way with 95 % Wilson intervals, the flips by protected group, and, on the
labelled part, the errors and their cost at each one's threshold. Undefined figures stay NaN."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb
import ibis
import numpy as np
import pandas as pd

from demo_models.iterations.evaluation import score_cases
from demo_models.iterations.registry import IterationCard
from demo_models.iterations.scoring import ScoredIteration
from demo_models.metrics.calibration import wilson_interval
from demo_models.metrics.costs import case_costs, total_cost
from demo_models.metrics.groups import group_frame
from demo_models.monitoring.engines import ENGINE_ERRORS, month_key, month_name, open_log
from demo_models.monitoring.sources import Source, validate_source
from feedback.goals import CostMatrix

log = logging.getLogger(__name__)

SAMPLE_SIZE = 5_000
MAX_SAMPLE = 200_000
SAMPLE_SEED = 17
TO_UNFAVOURABLE = "to unfavourable"  # e.g. approved by the served iteration, declined by the other
TO_FAVOURABLE = "to favourable"
FLIPS = (TO_UNFAVOURABLE, TO_FAVOURABLE)
NAN = float("nan")


class ShadowError(ValueError):
    """A shadow comparison that cannot be made; the message says why."""


@dataclass(frozen=True)
class ShadowSample:
    """Rows drawn from one window of the log: how many the window holds (of the serving version when the
    log names one), how many were asked for, the seed."""

    rows: pd.DataFrame
    window: str | None  # 'YYYY-MM', or None for the whole log
    window_decisions: int
    requested: int
    seed: int
    served_by: str | None  # the version the rows are restricted to (None: the log names no version)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _scan_sql(source: Source) -> str:
    """The DuckDB table function reading a file source (hive partitions for a Parquet folder)."""
    quote = lambda text: "'" + text.replace("'", "''") + "'"  # noqa: E731
    if source.kind == "parquet":
        pattern = str(Path(source.path) / "**" / "*.parquet") if Path(source.path).is_dir() else source.path
        return f"read_parquet({quote(pattern)}, hive_partitioning = true, union_by_name = true)"
    return f"read_csv({quote(source.path)}, union_by_name = true)"


def _connect(source: Source) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    month = f"strftime(CAST({_ident(str(source.mapping['timestamp']))} AS TIMESTAMP), '%Y-%m')"
    connection.execute(f"CREATE TEMP VIEW log AS SELECT *, {month} AS __month FROM {_scan_sql(source)}")
    return connection


def _where(source: Source, window: str | None, served_by: str | None) -> tuple[str, list]:
    clauses, values = ["TRUE"], []
    if window is not None:
        clauses.append("__month = ?")
        values.append(window)
    if served_by is not None and source.mapping.get("version"):
        clauses.append(f"CAST({_ident(str(source.mapping['version']))} AS VARCHAR) = ?")
        values.append(served_by)
    return " AND ".join(clauses), values


def _sql_window(source: Source, window: str | None, served_by: str | None) -> tuple[Any, Any]:
    """A SQL log (ibis, on its database) and its rows of the window (of the served version's decisions)."""
    table = open_log(source)
    rows = table if window is None else table.filter(table.__month == month_key(window))
    if served_by is not None and source.mapping.get("version"):
        rows = rows.filter(rows[str(source.mapping["version"])].cast("string") == served_by)
    return table, rows


def served_versions(source: Source, window: str | None) -> pd.Series:
    """Decisions of the window per serving version, most first (empty when the log names no version)."""
    if not source.mapping.get("version"):
        return pd.Series(dtype=int)
    if source.kind == "sql":
        _, rows = _sql_window(source, window, None)
        found = rows.group_by(v=rows[str(source.mapping["version"])].cast("string")).aggregate(n=ibis._.count())
        found = found.execute().dropna(subset=["v"]).sort_values(["n", "v"], ascending=[False, True])
        return pd.Series(dict(zip(found["v"].astype(str), found["n"].astype(int))), dtype=int)
    where, values = _where(source, window, None)
    version = _ident(str(source.mapping["version"]))
    with _connect(source) as connection:
        rows = connection.execute(
            f"SELECT CAST({version} AS VARCHAR), count(*) FROM log WHERE {where} GROUP BY 1 ORDER BY 2 DESC, 1", values
        ).fetchall()
    return pd.Series({str(v): int(n) for v, n in rows if v is not None}, dtype=int)


def draw_sample(
    source: Source, window: str | None, size: int = SAMPLE_SIZE, seed: int = SAMPLE_SEED, served_by: str | None = None
) -> ShadowSample:
    """A seeded reservoir sample of `size` rows of the window (all of them when it holds fewer), drawn by
    DuckDB, in timestamp order; ShadowError when the window is empty or the size is not in 1..MAX_SAMPLE."""
    if not 1 <= int(size) <= MAX_SAMPLE:
        raise ShadowError(f"The sample size must be between 1 and {MAX_SAMPLE:,}; {size} was asked for.")
    if source.kind == "sql":
        return _draw_sql_sample(source, window, int(size), int(seed), served_by)
    where, values = _where(source, window, served_by)
    order = _ident(str(source.mapping["timestamp"]))
    if source.mapping.get("case_id"):
        order += ", " + _ident(str(source.mapping["case_id"]))
    with _connect(source) as connection:
        in_window = connection.execute(f"SELECT count(*) FROM log WHERE {where}", values).fetchone()[0]
        if not in_window:
            first, last = connection.execute("SELECT min(__month), max(__month) FROM log").fetchone()
            raise _no_decisions(window, served_by, source, first, last)
        rows = connection.execute(
            f"SELECT * EXCLUDE (__month) FROM (SELECT * FROM log WHERE {where}) "
            f"USING SAMPLE reservoir({int(size)} ROWS) REPEATABLE ({int(seed)}) ORDER BY {order}",
            values,
        ).df()
    log.info("shadow sample: %d of %d decisions of %s (seed %d)", len(rows), in_window, window or "the log", seed)
    return ShadowSample(rows.reset_index(drop=True), window, int(in_window), int(size), int(seed), served_by)


def _no_decisions(window: str | None, served_by: str | None, source: Source, first: str | None, last: str | None):
    what = f"the month {window}" if window else "the log"
    served = f" served by {served_by}" if served_by and source.mapping.get("version") else ""
    span = f" (its months run from {first} to {last})" if first else ""
    return ShadowError(f"There are no decisions{served} in {what}{span}.")


def _draw_sql_sample(source: Source, window: str | None, size: int, seed: int, served_by: str | None) -> ShadowSample:
    """`draw_sample` of a SQL log, drawn by its database: the window's rows in the order of a hash of each case
    id (else timestamp) and the seed — the same rows for the same seed, another set for another — the first
    `size` of them, in timestamp order."""
    table, rows = _sql_window(source, window, served_by)
    in_window = int(rows.count().execute())
    if not in_window:
        span = table.aggregate(first=table.__month.min(), last=table.__month.max()).execute().iloc[0]
        first, last = (month_name(span[k]) if pd.notna(span[k]) else None for k in ("first", "last"))
        raise _no_decisions(window, served_by, source, first, last)
    timestamp = rows[str(source.mapping["timestamp"])]
    case = rows[str(source.mapping["case_id"])] if source.mapping.get("case_id") else timestamp
    order = [(case.cast("string") + f":{seed}").hash(), timestamp]
    frame = rows.order_by(order).limit(size).drop("__month").execute()
    keys = [c for c in (source.mapping["timestamp"], source.mapping.get("case_id")) if c]
    frame = frame.sort_values([str(k) for k in keys], kind="stable").reset_index(drop=True)
    log.info("shadow sample: %d of %d decisions of %s (seed %d, SQL)", len(frame), in_window, window or "the log", seed)
    return ShadowSample(frame, window, in_window, size, seed, served_by)


@dataclass(frozen=True)
class Shadow:
    """The served iteration's decisions on a sample of its traffic against another iteration's.

    `cases`: per sampled case, both scores, both decisions (True: the positive decision), the flip ("" or
    one of FLIPS), the label (NaN when unknown) and the group of each protected attribute. `flips`: count,
    share of the sample and its 95 % Wilson interval for each way. `by_group`: the same per group of each
    attribute. `outcomes`: per iteration (served, candidate) on the labelled cases: errors, error rate with
    its interval, false positives, missed positives, cost and cost per 1,000 cases (NaN without costs)."""

    sample: ShadowSample
    served: IterationCard
    candidate: IterationCard
    cases: pd.DataFrame
    flips: pd.DataFrame
    by_group: dict[str, pd.DataFrame]
    outcomes: pd.DataFrame
    groups_missing: tuple[str, ...] = ()
    why_no_errors: str = ""
    why_no_costs: str = ""
    currency: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def size(self) -> int:
        """How many cases were compared."""
        return len(self.cases)

    @property
    def error_change(self) -> float:
        """Candidate's error rate minus the served one's on the labelled cases (NaN when undefined)."""
        return float(self.outcomes.loc["candidate", "error rate"] - self.outcomes.loc["served", "error rate"])

    @property
    def cost_change(self) -> float:
        """Candidate's cost per 1,000 labelled cases minus the served one's (NaN when undefined)."""
        return float(self.outcomes.loc["candidate", "cost per 1,000"] - self.outcomes.loc["served", "cost per 1,000"])


def _share(count: int, cases: int) -> tuple[float, float, float]:
    if cases == 0:
        return NAN, NAN, NAN
    return (count / cases, *wilson_interval(int(count), int(cases)))


def _flip_table(flip: pd.Series) -> pd.DataFrame:
    rows = {}
    for way in FLIPS:
        count = int((flip == way).sum())
        share, low, high = _share(count, len(flip))
        rows[way] = {"cases": len(flip), "flips": count, "share": share, "low": low, "high": high}
    return pd.DataFrame.from_dict(rows, orient="index")


def _by_group(flip: pd.Series, groups: pd.Series) -> pd.DataFrame:
    table = {}
    for group, part in flip.groupby(groups.astype(str), sort=True):
        row = {"cases": len(part)}
        for way in FLIPS:
            count = int((part == way).sum())
            share, low, high = _share(count, len(part))
            row |= {way: count, f"{way} share": share, f"{way} low": low, f"{way} high": high}
        table[group] = row
    return pd.DataFrame.from_dict(table, orient="index").rename_axis(groups.name)


def as_evaluated(rows: pd.DataFrame, template: pd.DataFrame) -> pd.DataFrame:
    """The log's rows with an iteration's input columns (`template`: its evaluation inputs) in the dtypes it was
    evaluated with, where they convert."""
    frame = rows[list(template.columns)].copy()
    for column, dtype in template.dtypes.items():
        if frame[column].dtype != dtype:
            try:
                frame[column] = frame[column].astype(dtype)
            except (TypeError, ValueError):
                pass  # an integer input with gaps stays float; the model decides what it accepts
    return frame


def _outcome_row(card: IterationCard, labels: np.ndarray, scores: np.ndarray, costs) -> dict:
    positive = scores >= card.threshold
    n = len(labels)
    errors = int((positive != labels).sum())
    rate, low, high = _share(errors, n)
    cost = total_cost(labels, scores, card.threshold, costs) if costs is not None and n else NAN
    return {
        "version": card.version,
        "threshold": float(card.threshold),
        "labelled": n,
        "errors": errors if n else NAN,
        "error rate": rate,
        "error low": low,
        "error high": high,
        "false positives": int((positive & ~labels).sum()) if n else NAN,
        "missed positives": int((~positive & labels).sum()) if n else NAN,
        "cost": cost,
        "cost per 1,000": cost / n * 1000 if n else NAN,
    }


def _decision_check(rows: pd.DataFrame, source: Source, served: IterationCard, positive: pd.Series, use_case) -> list:
    """A note when logged decisions (in the use case's words) differ from the logged score at the threshold."""
    column = source.mapping.get("decision")
    if not column or column not in rows.columns:
        return []
    words = {use_case.positive_decision: True, use_case.negative_decision: False}
    logged = rows[str(column)].astype(str)
    if not logged.isin(list(words)).all():
        return []  # decisions logged in other words (codes, 0/1): nothing to check them against
    differ = int((logged.map(words).to_numpy(bool) != positive.to_numpy(bool)).sum())
    if not differ:
        return []
    return [
        f"{differ:,} logged decision(s) differ from the logged score at {served.version}'s threshold "
        f"{served.threshold:.6g}: its threshold changed since, or the service decided otherwise. The figures "
        "take the threshold's decision."
    ]


def compare_on_sample(
    sample: ShadowSample,
    source: Source,
    served: IterationCard,
    candidate: ScoredIteration,
    costs: CostMatrix | None = None,
) -> Shadow:
    """Re-score the sampled rows with `candidate` at its threshold and set its decisions against the served
    ones (the logged score at `served`'s threshold); ShadowError when an input is missing or the rows
    cannot be scored."""
    use_case, card = candidate.use_case, candidate.card
    rows = sample.rows
    score_column = str(source.mapping["score"])
    missing = [f for f in card.features if f not in rows.columns]
    if missing:
        raise ShadowError(f"The log has no column for {card.version}'s input(s) {', '.join(missing)}.")
    logged = pd.to_numeric(rows[score_column], errors="coerce")
    notes = []
    if logged.isna().any():
        notes.append(f"{int(logged.isna().sum()):,} sampled decision(s) without a logged score are left out.")
        rows, logged = rows[logged.notna()].reset_index(drop=True), logged[logged.notna()].reset_index(drop=True)
    if rows.empty:
        raise ShadowError("No sampled decision has a logged score.")
    try:
        new = score_cases(
            candidate.iteration.model, as_evaluated(rows, candidate.features), candidate.explainer.positive_index
        )
    except (ValueError, TypeError, KeyError) as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise ShadowError(f"{card.version} could not score the log's rows: {first}") from error
    cases = pd.DataFrame(
        {
            "score served": logged.to_numpy(float),
            "score candidate": new.to_numpy(float),
            "positive served": logged.to_numpy(float) >= served.threshold,
            "positive candidate": new.to_numpy(float) >= card.threshold,
        }
    )
    if source.mapping.get("case_id"):
        cases.index = pd.Index(rows[str(source.mapping["case_id"])].astype(str), name="case")
    notes += _decision_check(rows, source, served, cases["positive served"], use_case)
    favourable = use_case.favourable_is_positive
    fav_served = cases["positive served"] == favourable
    fav_candidate = cases["positive candidate"] == favourable
    cases["flip"] = np.where(
        fav_served & ~fav_candidate, TO_UNFAVOURABLE, np.where(~fav_served & fav_candidate, TO_FAVOURABLE, "")
    )
    label_column = source.mapping.get("label")
    cases["label"] = pd.to_numeric(rows[str(label_column)], errors="coerce").to_numpy(float) if label_column else NAN
    attributes = tuple(dict.fromkeys((*card.protected_attributes, *served.protected_attributes)))
    present = tuple(a for a in attributes if a in rows.columns)
    groups = group_frame(rows[list(present)], present, use_case)
    for attribute in present:
        cases[f"group {attribute}"] = groups[attribute].to_numpy()
    by_group = {a: _by_group(cases["flip"].reset_index(drop=True), groups[a].rename(a)) for a in present}

    labelled = cases[cases["label"].notna()]
    why_no_errors = "" if label_column else "no column of the log is mapped to the role 'label'"
    if label_column and labelled.empty:
        why_no_errors = "no outcome of the sampled decisions is known yet"
    if label_column and not labelled["label"].isin([0, 1]).all():
        raise ShadowError(f"The label column {label_column} holds values other than 0 and 1.")
    matrix, why_no_costs = None, why_no_errors
    if costs is None:
        why_no_costs = "no cost matrix has been agreed for this use case"
    elif not labelled.empty:
        try:
            matrix = case_costs(
                rows.loc[cases["label"].notna().to_numpy()].reset_index(drop=True),
                costs.false_positive_cost,
                costs.false_negative_cost,
                costs.false_negative_column,
                costs.false_negative_fraction,
            )
        except ValueError as error:
            why_no_costs = str(error)
    y = labelled["label"].to_numpy(bool)
    outcomes = pd.DataFrame(
        {
            "served": _outcome_row(served, y, labelled["score served"].to_numpy(float), matrix),
            "candidate": _outcome_row(card, y, labelled["score candidate"].to_numpy(float), matrix),
        }
    ).T
    return Shadow(
        sample,
        served,
        card,
        cases,
        _flip_table(cases["flip"]),
        by_group,
        outcomes,
        tuple(a for a in attributes if a not in present),
        why_no_errors,
        why_no_costs if matrix is None else "",
        costs.currency if costs is not None else "",
        tuple(notes),
    )


def shadow_compare(
    source: Source,
    served: IterationCard,
    candidate: ScoredIteration,
    window: str | None,
    size: int = SAMPLE_SIZE,
    seed: int = SAMPLE_SEED,
    costs: CostMatrix | None = None,
) -> Shadow:
    """Validate the log, draw the seeded sample of the window (of the served version's decisions when the
    log names versions) and compare `candidate` with `served` on it; ShadowError with a sentence otherwise."""
    if candidate.card.use_case != served.use_case:
        raise ShadowError("Only iterations of the same use case can be compared.")
    problems = validate_source(source)
    if problems:
        raise ShadowError(problems[0])
    try:
        versions = served_versions(source, window)
        sample = draw_sample(source, window, size, seed, served.version if served.version in versions.index else None)
    except ShadowError:
        raise
    except ENGINE_ERRORS as error:
        raise ShadowError(f"The log could not be sampled: {(str(error).strip().splitlines() or ['?'])[0]}") from error
    if candidate.card.version == served.version:
        raise ShadowError(f"{served.version} served these decisions: pick another iteration to compare with.")
    shadow = compare_on_sample(sample, source, served, candidate, costs)
    if len(versions) and served.version not in versions.index:
        note = f"The log names the version(s) {', '.join(versions.index[:5])}, none of them {served.version}: every "
        note += f"decision of the window is taken as {served.version}'s."
        return replace(shadow, notes=(note, *shadow.notes))
    return shadow


def default_candidate(cards: list[IterationCard], statuses: dict[str, str], served: str) -> str | None:
    """The iteration to shadow the served one with by default: the newest candidate awaiting sign-off,
    else the newest child of the served iteration, else the newest other one not retired (None if none)."""
    others = [c for c in cards if c.version != served and statuses.get(c.version) != "retired"]
    for rule in (
        lambda c: statuses.get(c.version, "candidate") == "candidate",
        lambda c: c.parent == served,
        lambda c: True,
    ):
        chosen = [c for c in others if rule(c)]
        if chosen:
            return chosen[-1].version
    return None


def served_iteration(cards: list[IterationCard], versions: pd.Series, fallback: IterationCard) -> IterationCard:
    """The registered iteration that served most of the window's decisions, else `fallback`."""
    known = {c.version: c for c in cards}
    for version in versions.index:
        if version in known:
            return known[version]
    return fallback
