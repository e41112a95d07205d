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
from demo_models.monitoring.aggregates import NAN, REFERENCE_MONTHS, as_int, bin_of, count_months
from demo_models.monitoring.engines import month_key, month_name, open_log
from demo_models.monitoring.estimation import estimate_roc_auc
from demo_models.monitoring.sources import Source

CALIBRATION_BINS = 20  # reference score quantiles whose observed rate calibrates the scores (CBPE)
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


def _realised(table: Any, score: str, label: str, threshold: float) -> pd.DataFrame:
    """Counts at the threshold and the exact ROC AUC (Mann-Whitney, ties at their average rank) per month."""
    labelled = table.filter(table[label].notnull() & table[score].notnull())
    scored = labelled.select(m=labelled.__month, s=labelled[score].cast("float64"), y=labelled[label].cast("float64"))
    # a score's average rank among its ties is half the sum of its lowest rank (rank() + 1: ibis' starts at 0)
    # and its highest (the rows up to it, ties included): two windows over one sort, summed as integers
    lowest = ibis.rank().over(ibis.window(group_by=scored.m, order_by=scored.s)) + 1
    upto = ibis.range_window(group_by=scored.m, order_by=scored.s, preceding=None, following=0)
    highest = scored.s.count().over(upto)
    ranked = scored.mutate(rk=(lowest + highest).cast("int64"))
    decided = ranked.s >= threshold
    rows = (
        ranked.group_by("m")
        .aggregate(
            n=ranked.count(),
            p=ranked.y.sum(),
            pp=as_int(decided).sum(),
            tp=ibis.ifelse(decided, ranked.y, 0.0).sum(),
            twice_rank_sum=ibis.ifelse(ranked.y == 1, ranked.rk, 0).sum(),
            low=ranked.y.min(),
            high=ranked.y.max(),
        )
        .execute()
    )
    frame = rows.assign(month=[month_name(key) for key in rows.pop("m")]).set_index("month")
    if len(frame) and ((frame["low"] < 0) | (frame["high"] > 1)).any():
        raise ValueError(f"The label column {label} holds values other than 0 and 1.")
    frame["rank_sum"] = frame.pop("twice_rank_sum").astype(np.int64) / 2  # exact: an integer or a half
    return frame.drop(columns=["low", "high"]).astype(float)


def _quantile_list(found: Any, size: int) -> np.ndarray:
    """A list quantile's values as floats (all NaN where the engine found no row: NULL)."""
    if found is None or (np.ndim(found) == 0 and pd.isna(found)):
        return np.full(size, NAN)
    return np.asarray(found, dtype=float)


def _calibration_edges(table: Any, score: str, label: str, reference: list[str], threshold: float) -> list[float]:
    """Inner edges of the calibration bins: the threshold, and the labelled reference scores' quantiles on
    each side of it (half the bins each), so no bin mixes the decisions."""
    in_reference = table.__month.isin([month_key(m) for m in reference])
    rows = table.filter(in_reference & table[label].notnull() & table[score].notnull())
    value = rows[score].cast("float64")
    quantiles = [float(q) for q in np.linspace(0, 1, CALIBRATION_BINS // 2 + 1)]
    found = (
        rows.aggregate(
            below=value.quantile(quantiles, where=value < threshold),
            above=value.quantile(quantiles, where=value >= threshold),
        )
        .execute()
        .iloc[0]
    )
    below, above = (_quantile_list(found[side], len(quantiles)) for side in ("below", "above"))
    sides = [side[1:-1] for side in (below, above) if not np.isnan(side).all()]
    if not sides:
        raise ValueError("The reference months hold no labelled decision to calibrate the scores on.")
    return [float(e) for e in np.unique(np.concatenate([*sides, [threshold]]))]


def _binned_scores(table: Any, score: str, label: str, inner: list[float], threshold: float) -> pd.DataFrame:
    """Per month, calibration bin and side of the threshold: decisions, labelled ones and positives (one scan)."""
    rows = table.filter(table[score].notnull())
    value = rows[score].cast("float64")
    counted = (
        rows.mutate(bin=bin_of(value, inner), decided=as_int(value >= threshold))
        .group_by(["__month", "bin", "decided"])
        .aggregate(count=ibis._.count(), labelled=ibis._[label].count(), positives=ibis._[label].cast("float64").sum())
        .execute()
    )
    return counted.assign(month=[month_name(key) for key in counted.pop("__month")])


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
) -> LogPerformance:
    """Performance by month at the iteration's threshold: measured where labels are in, and estimated for
    every month by confidence-based performance estimation (CBPE: each score replaced by the observed rate
    of its reference bin — quantiles on each side of the threshold — then expected confusion counts). The
    estimate assumes the link between score and outcome is the reference months' (no concept drift).
    `table` and `months`: the log already opened with `open_log` and its months, if they are."""
    if not source.mapping.get("label"):
        raise ValueError("No column is mapped to the role 'label': performance needs the actual outcomes.")
    table = open_log(source) if table is None else table
    months = list(count_months(table)[0].index) if months is None else months
    reference = [m for m in (reference or months[:REFERENCE_MONTHS]) if m in months]
    if not reference:
        raise ValueError("None of the reference months is in the decision log.")
    score, label = str(source.mapping["score"]), str(source.mapping["label"])
    counts = _realised(table, score, label, threshold)
    inner = _calibration_edges(table, score, label, reference, threshold)
    binned = _binned_scores(table, score, label, inner, threshold)
    estimated = _estimated(binned, _calibration_rates(binned, reference, len(inner) + 1)).reindex(months)
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
