"""What Monitoring shows of a connected decision log's performance: one table of measured and estimated
figures with their intervals, in the use case's words, and the lines the chart draws."""

from __future__ import annotations

import numpy as np
import pandas as pd

from demo_models.formats import UNDEFINED, format_count, format_number, format_share
from demo_models.metrics.performance import metric_labels
from demo_models.monitoring.log_performance import LogPerformance
from demo_models.vocabulary import UseCase


def _with_interval(value: float, low: float, high: float) -> str:
    if np.isnan(value):
        return UNDEFINED
    return f"{format_share(value)} ({format_share(low)}–{format_share(high)})"


def performance_table(performance: LogPerformance, use_case: UseCase) -> pd.DataFrame:
    """Month by month, as text: decisions, share labelled, then each metric measured on the labelled
    decisions and estimated on all of them, with 95 % intervals; "—" where a figure is undefined."""
    realised, estimated = performance.realised, performance.estimated
    labels = metric_labels(use_case)
    table = pd.DataFrame(index=realised.index)
    table["decisions"] = realised["cases"].map(format_count)
    table["labelled"] = (realised["labelled"] / realised["cases"]).map(format_share)
    for key in ("recall", "precision"):
        for frame, how in ((realised, "measured"), (estimated, "estimated")):
            table[f"{labels[key]}, {how}"] = [
                _with_interval(v, lo, hi) for v, lo, hi in frame[[key, f"{key} low", f"{key} high"]].to_numpy(float)
            ]
    table[f"{labels['roc_auc']}, measured"] = realised["ROC AUC"].map(format_number)
    table[f"{labels['roc_auc']}, estimated"] = [
        UNDEFINED if np.isnan(v) else f"{format_number(v)} ({format_number(lo)}–{format_number(hi)})"
        for v, lo, hi in estimated[["ROC AUC", "ROC AUC low", "ROC AUC high"]].to_numpy(float)
    ]
    return table


def performance_lines(performance: LogPerformance, use_case: UseCase, metric: str = "recall") -> pd.DataFrame:
    """The measured and the estimated figure of one metric by month (NaN where undefined), for a line chart."""
    label = metric_labels(use_case)[metric]
    return pd.DataFrame(
        {
            f"{label}, measured": performance.realised[metric],
            f"{label}, estimated": performance.estimated[metric],
        }
    )


def drift_tests_table(tests: dict[str, pd.DataFrame], use_case: UseCase, score: str) -> pd.DataFrame:
    """Month by month, as text: each column's drift test against the reference window, "KS 0.12, p 0.003" or
    "χ² 4.1, p 0.25"; "—" where a month or the reference has no value to test."""
    table = {}
    for column, frame in tests.items():
        name = "score" if column == score else use_case.label(column)
        table[name] = [
            UNDEFINED
            if np.isnan(statistic)
            else f"{'KS' if test == 'Kolmogorov-Smirnov' else 'χ²'} {format_number(statistic)}, p {_p_value(pvalue)}"
            for test, statistic, pvalue in zip(frame["test"], frame["statistic"].astype(float), frame["p-value"])
        ]
    return pd.DataFrame(table, index=next(iter(tests.values())).index if tests else None)


def _p_value(value: float) -> str:
    if np.isnan(value):
        return UNDEFINED
    return "< 0.001" if value < 0.001 else f"{value:.3f}"
