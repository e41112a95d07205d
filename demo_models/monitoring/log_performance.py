"""Performance of a decision log by month, computed where the log is (portable ibis, only counts come back):
measured on the labelled rows (ROC AUC, precision, recall, with intervals) and estimated from the logged
scores before the labels arrive (confidence-based performance estimation, calibrated on the reference months)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis
import numpy as np
import pandas as pd

from demo_models.metrics.calibration import wilson_interval
from demo_models.monitoring.aggregates import NAN, REFERENCE_MONTHS, count_months
from demo_models.monitoring.engines import (
    as_int,
    has_months_from_files,
    month_key,
    month_name,
    months_from_files,
    open_log,
)
from demo_models.monitoring.estimation import estimate_roc_auc
from demo_models.monitoring.score_bins import Calibration, ScoreBins, count_score_bins
from demo_models.monitoring.sources import Source

Z95 = 1.959963984540054  # the normal quantile of a 95 % two-sided interval


@dataclass(frozen=True)
class LogPerformance:
    """Month by month: performance measured on the labelled decisions (`realised`: cases, labelled,
    actual positive rate, positive rate, recall and precision with 95 % Wilson intervals (`recall low`,
    `recall high` …), ROC AUC; NaN where undefined) and estimated on every decision from the calibrated
    scores (`estimated`: cases, positive rate, recall, precision and accuracy, each with the 95 % interval
    the realised figure would fall in if the reference link between score and outcome holds)."""

    realised: pd.DataFrame
    estimated: pd.DataFrame
    threshold: float


def _realised(table: Any, score: str, label: str, threshold: float, months: list[str]) -> pd.DataFrame:
    """Counts at the threshold and the exact ROC AUC (Mann-Whitney, ties at their average rank) per month: one
    query sorting a month at a time when the months are the log's files (each reads its month's files only and
    sorts no more than a month), else one query partitioned by month."""
    labelled = table.filter(table[label].notnull() & table[score].notnull())
    scored = labelled.select(m=labelled.__month, s=labelled[score].cast("float64"), y=labelled[label].cast("float64"))
    if has_months_from_files(table):
        parts = [
            _rank_sums(scored.filter(scored.m == month_key(m)).drop("m"), threshold, by_month=False).assign(
                m=month_key(m)
            )
            for m in months
        ]
        found = [part for part in parts if part["n"].iloc[0] > 0]  # a month without labels: no row, as grouped
        rows = pd.concat(found, ignore_index=True) if found else parts[0].iloc[:0]
    else:
        rows = _rank_sums(scored, threshold, by_month=True)
    frame = rows.assign(month=[month_name(key) for key in rows.pop("m")]).set_index("month")
    if len(frame) and ((frame["low"] < 0) | (frame["high"] > 1)).any():
        raise ValueError(f"The label column {label} holds values other than 0 and 1.")
    frame["rank_sum"] = frame.pop("twice_rank_sum").astype(np.int64) / 2  # exact: an integer or a half
    return frame.drop(columns=["low", "high"]).astype(float)


def _rank_sums(scored: Any, threshold: float, by_month: bool) -> pd.DataFrame:
    """Per month of the scored rows (`m`, `s`, `y`): rows, positives, decided, true positives, twice the
    positives' rank sum, smallest and largest label. `by_month`: rank within each month (else the rows, `s`
    and `y` only, are one month's, in one row: a window without a partition sorts less)."""
    # a score's average rank among its ties is half the sum of its lowest rank (rank() + 1: ibis' starts at 0)
    # and its highest (the rows up to it, ties included): two windows over one sort, summed as integers
    group = {"group_by": scored.m} if by_month else {}
    lowest = ibis.rank().over(ibis.window(order_by=scored.s, **group)) + 1
    highest = scored.s.count().over(ibis.range_window(order_by=scored.s, preceding=None, following=0, **group))
    ranked = scored.mutate(rk=(lowest + highest).cast("int64"))
    decided = ranked.s >= threshold
    metrics = {
        "n": ranked.count(),
        "p": ranked.y.sum(),
        "pp": as_int(decided).sum(),
        "tp": ibis.ifelse(decided, ranked.y, 0.0).sum(),
        "twice_rank_sum": ibis.ifelse(ranked.y == 1, ranked.rk, 0).sum(),
        "low": ranked.y.min(),
        "high": ranked.y.max(),
    }
    return (ranked.group_by("m") if by_month else ranked).aggregate(**metrics).execute()


def _calibration_rates(counts: pd.DataFrame, reference: list[str], bins: int) -> np.ndarray:
    """The observed positive rate of the labelled reference decisions in each calibration bin (a bin
    without any: interpolated from its neighbours)."""
    in_reference = counts[counts["month"].isin(reference)]
    sums = in_reference.groupby("bin")[["labelled", "positives"]].sum()
    rates = (sums["positives"] / sums["labelled"].where(sums["labelled"] > 0)).dropna()
    rates = pd.Series(rates.to_numpy(float), index=rates.index.astype(int)).reindex(range(bins))
    return rates.astype(float).interpolate(limit_direction="both").to_numpy(float)


def _interval(frame: pd.DataFrame, name: str, value: pd.Series, sd: pd.Series) -> None:
    """Add the metric and its 95 % normal interval (value ± 1.96 sd, within 0-1) as three columns."""
    frame[name] = value
    frame[f"{name} low"] = (value - Z95 * sd).clip(0, 1)
    frame[f"{name} high"] = (value + Z95 * sd).clip(0, 1)


def _estimated(binned: pd.DataFrame, rates: np.ndarray) -> pd.DataFrame:
    """Expected confusion counts per month from the calibrated rates (`binned`: `_binned_scores`), with the
    spread the realised metric would have if each outcome were drawn from its rate (independent Bernoulli;
    delta method for recall)."""
    counts = binned[["month", "bin", "decided", "count"]].copy()
    rate = rates[counts["bin"].to_numpy(int)]
    counts["expected"], counts["variance"] = counts["count"] * rate, counts["count"] * rate * (1 - rate)
    sums = counts.pivot_table(
        index="month", columns="decided", values=["count", "expected", "variance"], aggfunc="sum", fill_value=0.0
    ).reindex(columns=pd.MultiIndex.from_product([["count", "expected", "variance"], [0, 1]]), fill_value=0.0)
    pp, tp, var_tp = sums[("count", 1)], sums[("expected", 1)], sums[("variance", 1)]
    fn, var_fn = sums[("expected", 0)], sums[("variance", 0)]
    n = pp + sums[("count", 0)]
    estimated = pd.DataFrame({"cases": n.astype(int), "positive rate": pp / n}).rename_axis("month")
    positives = tp + fn
    recall_sd = np.sqrt(fn**2 * var_tp + tp**2 * var_fn) / positives**2
    _interval(estimated, "recall", (tp / positives).where(positives > 0), recall_sd)
    _interval(estimated, "precision", (tp / pp).where(pp > 0), np.sqrt(var_tp) / pp)
    accuracy = (tp + (sums[("count", 0)] - fn)) / n
    _interval(estimated, "accuracy", accuracy, np.sqrt(var_tp + var_fn) / n)
    return estimated.join(estimate_roc_auc(counts[["month", "bin", "count"]], rates))


def log_performance(
    source: Source,
    threshold: float,
    reference: list[str] | None = None,
    table: Any | None = None,
    months: list[str] | None = None,
    score_bins: ScoreBins | None = None,
) -> LogPerformance:
    """Performance by month at the iteration's threshold: measured where labels are in, and estimated for
    every month by confidence-based performance estimation (CBPE: each score replaced by the observed rate
    of its reference bin — quantiles on each side of the threshold — then expected confusion counts). The
    estimate assumes the link between score and outcome is the reference months' (no concept drift).
    `table`, `months` and `score_bins`: the log already opened with `open_log`, its months and its calibration
    bins counted with its aggregates (`log_aggregates(calibration=…)`), if they are."""
    if not source.mapping.get("label"):
        raise ValueError("No column is mapped to the role 'label': performance needs the actual outcomes.")
    table = months_from_files(open_log(source)) if table is None else table
    months = list(count_months(table)[0].index) if months is None else months
    reference = [m for m in (reference or months[:REFERENCE_MONTHS]) if m in months]
    if not reference:
        raise ValueError("None of the reference months is in the decision log.")
    score, label = str(source.mapping["score"]), str(source.mapping["label"])
    counts = _realised(table, score, label, threshold, months)
    score_bins = score_bins or count_score_bins(table, Calibration(score, label, float(threshold)), reference)
    binned = score_bins.counts
    estimated = _estimated(binned, _calibration_rates(binned, reference, len(score_bins.inner) + 1)).reindex(months)
    counts = counts.reindex(months)
    n, p, pp, tp = counts["n"], counts["p"], counts["pp"], counts["tp"]
    negatives = n - p
    realised = pd.DataFrame(
        {
            "cases": estimated["cases"],
            "labelled": n.fillna(0).astype(int),
            "actual positive rate": p / n,
            "positive rate": pp / n,
        },
        index=pd.Index(months, name="month"),
    )
    for name, hits, trials in (("recall", tp, p), ("precision", tp, pp)):
        realised[name] = (hits / trials).where(trials > 0)
        bounds = [
            wilson_interval(int(h), int(t)) if t > 0 else (NAN, NAN) for h, t in zip(hits.fillna(0), trials.fillna(0))
        ]
        realised[f"{name} low"], realised[f"{name} high"] = [b[0] for b in bounds], [b[1] for b in bounds]
    auc = (counts["rank_sum"] - p * (p + 1) / 2) / (p * negatives)
    realised["ROC AUC"] = auc.where((p > 0) & (negatives > 0))
    return LogPerformance(realised, estimated, float(threshold))
