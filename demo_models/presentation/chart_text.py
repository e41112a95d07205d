"""Text alternatives of the charts (no streamlit): the sentence a chart illustrates and the table behind it.

Each `describe_*` takes the same data as the figure it describes, so what a screen-reader user
reads is what the chart draws (WCAG 2.1, 1.1.1 non-text content).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.metrics import auc

from demo_models.formats import format_number, format_share
from demo_models.iterations.scoring import CaseExplanation
from demo_models.presentation.figures import waterfall_steps
from demo_models.vocabulary import UseCase

if TYPE_CHECKING:
    from demo_models.explanations.dependence import InputDependence

GRID_ROWS = 11  # rows of a curve shown as a table


@dataclass(frozen=True)
class ChartText:
    """What a chart shows: one or two sentences, and its data as titled tables."""

    summary: str
    tables: tuple[tuple[str, pd.DataFrame], ...] = field(default_factory=tuple)


def _point(x) -> str:
    return x.strftime("%Y-%m-%d") if hasattr(x, "strftime") else str(x)


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def describe_waterfall(explanation: CaseExplanation, use_case: UseCase) -> ChartText:
    """The waterfall of one case: which inputs raised and lowered the risk most, and every bar."""
    start, labels, deltas, end = waterfall_steps(explanation, use_case)
    scale = explanation.scale
    ups = [(d, label) for d, label in zip(deltas, labels) if d > 0]
    downs = [(d, label) for d, label in zip(deltas, labels) if d < 0]
    sentence = f"From the {start[0].lower()}{start[1:]} to {end[0].lower()}{end[1:]}: "
    said = []
    if ups:
        d, label = max(ups)
        said.append(f"{label} raised the {use_case.words.risk} most ({d:+.2f} {scale})")
    if downs:
        d, label = min(downs)
        said.append(f"{label} lowered it most ({d:+.2f} {scale})")
    sentence += "; ".join(said) + "." if said else "no input moved the score."
    running = explanation.base_value + np.cumsum([0.0, *deltas])
    table = pd.DataFrame(
        {
            "Step": [start, *labels, end],
            f"Contribution ({scale})": ["", *[f"{d:+.2f}" for d in deltas], ""],
            f"Running total ({scale})": [f"{v:+.2f}" for v in [*running, explanation.output]],
        }
    )
    return ChartText(sentence, (("Every bar, from the average case to this one", table),))


def describe_importance(importance: pd.DataFrame, use_case: UseCase, old: str, new: str) -> ChartText:
    """Mean |SHAP| per input for two iterations: the inputs that drive `new` most, and the table."""
    top = importance["new"].sort_values(ascending=False).head(3)
    leaders = [f"{use_case.label(c)} ({v:.3f}; {importance.at[c, 'old']:.3f} in {old})" for c, v in top.items()]
    table = pd.DataFrame(
        {
            "Input": [use_case.label(c) for c in importance.index],
            f"Mean |SHAP| ({old})": importance["old"].round(4).to_numpy(),
            f"Mean |SHAP| ({new})": importance["new"].round(4).to_numpy(),
        }
    )
    return ChartText(
        f"The inputs that drive {new}'s scores most: {_join(leaders)}.", (("Mean |SHAP| per input", table),)
    )


def _best_at_most(x: np.ndarray, y: np.ndarray, levels: np.ndarray) -> list[float]:
    """For each level, the highest y among the curve's points with x at most that level."""
    return [float(y[x <= level].max()) if (x <= level).any() else float("nan") for level in levels]


def describe_roc_pr(curves, operating: dict[str, float], use_case: UseCase) -> ChartText:
    """ROC and precision-recall curves: the area under the ROC curve, the operating point, both curves on a grid."""
    levels = np.linspace(0, 1, GRID_ROWS)
    caught = f"recall ({use_case.words.positive_cases} caught)"
    sentence = (
        f"ROC AUC {format_number(auc(curves.fpr, curves.tpr))}. At the current threshold: {caught} "
        f"{format_share(operating['recall'])} at a false-positive rate of {format_share(operating['fpr'])}, "
        f"precision {format_share(operating['precision'])}."
    )
    roc = pd.DataFrame(
        {
            "False positive rate (at most)": levels,
            f"Recall (best, {use_case.words.positive_cases} caught)": _best_at_most(curves.fpr, curves.tpr, levels),
        }
    )
    pr = pd.DataFrame(
        {
            "Recall (at least)": levels,
            "Precision (best)": [float(curves.precision[curves.recall >= lv].max()) for lv in levels],
        }
    )
    return ChartText(sentence, (("ROC curve", roc.round(3)), ("Precision-recall curve", pr.round(3))))


def describe_cost_curve(curve, current: float, current_total: float, currency: str) -> ChartText:
    """Expected cost per 1,000 cases against the threshold: the cheapest threshold, the current one, the curve."""
    unit = f" {currency}" if currency else ""
    best = curve.best
    sentence = (
        f"Lowest expected cost: {curve.per_thousand(curve.totals[best]):,.0f}{unit} per 1,000 cases at threshold "
        f"{curve.optimal_threshold:.3f}; at the current threshold ({current:.3f}) "
        f"{curve.per_thousand(current_total):,.0f}{unit}."
    )
    order = np.argsort(curve.thresholds)
    thresholds, totals = curve.thresholds[order], curve.totals[order]
    picks = np.unique(
        np.clip(np.searchsorted(thresholds, np.linspace(0, 1, GRID_ROWS * 2 - 1)), 0, len(thresholds) - 1)
    )
    table = pd.DataFrame(
        {
            "threshold": thresholds[picks].round(3),
            f"Expected cost per 1,000 cases ({currency})" if currency else "Expected cost per 1,000 cases": [
                round(curve.per_thousand(t)) for t in totals[picks]
            ],
        }
    )
    return ChartText(sentence, (("Expected cost at thresholds across the range", table),))


def describe_lines(frame: pd.DataFrame, what: str, digits: int = 3, limit: int = 4) -> ChartText:
    """A line chart (x = index, one line per column): each line's lowest and highest point, and the data."""
    said = []
    for column in frame.columns[:limit]:
        series = frame[column].dropna()
        if series.empty:
            continue
        said.append(
            f"{column} from {series.min():.{digits}f} ({_point(series.idxmin())}) to {series.max():.{digits}f} "
            f"({_point(series.idxmax())})"
        )
    more = f" (and {len(frame.columns) - limit} more in the table)" if len(frame.columns) > limit else ""
    sentence = f"{what}: " + ("; ".join(said) + more if said else "no values") + "."
    return ChartText(sentence, ((what, frame.round(digits).reset_index()),))


def describe_bars(frame: pd.DataFrame | pd.Series, what: str, counted: str = "") -> ChartText:
    """A bar chart of counts (bars = index, stacked by column): the largest bars and the counts; the
    table's columns say what is `counted` ("Feedback entries (v2)")."""
    frame = frame.to_frame() if isinstance(frame, pd.Series) else frame
    if counted:
        frame = frame.rename(columns=lambda column: f"{counted} ({column})")
    totals = frame.sum(axis=1).sort_values(ascending=False)
    said = [f"{index} {total:,.0f}" for index, total in totals.head(3).items()]
    sentence = f"{what}, largest first: {_join(said)}." if said else f"{what}: none."
    return ChartText(sentence, ((what, frame.reset_index()),))


def describe_gap_sweep(sweep: pd.DataFrame) -> ChartText:
    """Gap metrics against the threshold: each metric's range over the thresholds, and the sweep."""
    return describe_lines(sweep, "The gaps between groups across thresholds", limit=len(sweep.columns))


def describe_psi_heatmap(by_month: pd.DataFrame, act: float) -> ChartText:
    """PSI per column and month: the largest drift, how many cells call for action, and the map."""
    stacked = by_month.stack()
    month, column = stacked.idxmax()
    over = int((stacked > act).sum())
    sentence = (
        f"Largest drift: {column} in {month} (PSI {stacked.max():.3f}); {over} of {len(stacked)} column-months "
        f"over {act} (act)."
    )
    return ChartText(sentence, (("PSI by month (rows) and column", by_month.round(3).reset_index()),))


def describe_reliability(table: pd.DataFrame, ece: float, outcome: str) -> ChartText:
    """The reliability curve: the bin furthest from calibrated, the ECE, and the table of bins."""
    if table.empty:
        return ChartText("No cases to bin.", ())
    gap = (table["observed rate"] - table["mean score"]).abs()
    worst = table.loc[gap.idxmax()]
    sentence = (
        f"Expected calibration error {ece:.3f}. Furthest from calibrated: scores {worst['scores']} "
        f"(mean {format_share(worst['mean score'])}), of which {format_share(worst['observed rate'])} turned out "
        f"{outcome} ({int(worst['cases']):,} cases)."
    )
    return ChartText(sentence, (("Reliability by score bin", table.round(4)),))


def _pd_sentence(dependence, use_case: UseCase) -> str:
    grid = [use_case.describe_value(dependence.column, v) for v in dependence.grid]
    low, high = int(np.argmin(dependence.average)), int(np.argmax(dependence.average))
    return (
        f"{dependence.version}: on average {format_share(dependence.average[0])} at {grid[0]} and "
        f"{format_share(dependence.average[-1])} at {grid[-1]}; lowest {format_share(dependence.average[low])} at "
        f"{grid[low]}, highest {format_share(dependence.average[high])} at {grid[high]}"
    )


def _shap_table(dependence, use_case: UseCase) -> pd.DataFrame:
    """The SHAP points summarised: per category, or per fifth of the values, their count and mean contribution."""
    values = dependence.values
    if dependence.categorical:
        groups = values.map(lambda v: use_case.describe_value(dependence.column, v))
    else:
        groups = pd.qcut(values.astype(float), 5, duplicates="drop")
        say = lambda v: use_case.describe_value(dependence.column, float(v))  # noqa: E731
        groups = groups.cat.rename_categories([f"{say(i.left)} to {say(i.right)}" for i in groups.cat.categories])
        if values.isna().any():
            groups = groups.cat.add_categories("missing").fillna("missing")
    frame = pd.DataFrame({"Value": groups, "contribution": dependence.contributions})
    grouped = frame.groupby("Value", sort=True, observed=True)["contribution"]
    table = grouped.agg(["count", "mean", "min", "max"])
    table.columns = ["cases", "SHAP contribution (mean)", "SHAP contribution (lowest)", "SHAP contribution (highest)"]
    return table.round(4).reset_index()


def describe_dependence(
    dependence: InputDependence, use_case: UseCase, other: InputDependence | None = None
) -> ChartText:
    """How one input moves the score: partial dependence from its lowest to highest value (and under `other`),
    the range of its SHAP contributions and the input it interacts with; the grid and the points as tables."""
    label, outcome = use_case.label(dependence.column), use_case.words.outcome
    said = [
        f"Partial dependence of the probability of {outcome} on {label.lower()}: {_pd_sentence(dependence, use_case)}"
    ]
    if other is not None:
        said.append(_pd_sentence(other, use_case))
    sentence = "; ".join(said) + "."
    if dependence.contributions is None:
        sentence += f" {dependence.version} does not use {label.lower()}: it has no SHAP contributions."
    else:
        contributions = dependence.contributions
        sentence += (
            f" Its SHAP contributions range from {contributions.min():+.2f} to {contributions.max():+.2f} "
            f"{dependence.scale} over {len(contributions):,} cases"
        )
        sentence += f", coloured by {use_case.label(dependence.colour_by).lower()}." if dependence.colour_by else "."
    describe_grid = lambda d: pd.DataFrame(  # noqa: E731
        {
            label: [use_case.describe_value(d.column, v) for v in d.grid],
            f"Partial dependence ({d.version})": [format_share(v) for v in d.average],
        }
    )
    grid = describe_grid(dependence)
    tables = [(f"Average probability of {outcome} at each value", grid)]
    if other is not None and list(map(str, other.grid)) == list(map(str, dependence.grid)):
        grid[f"Partial dependence ({other.version})"] = [format_share(v) for v in other.average]
    elif other is not None:
        tables.append((f"Average probability of {outcome} at each value, {other.version}", describe_grid(other)))
    if dependence.contributions is not None:
        tables.append((f"SHAP contributions ({dependence.scale}) by value", _shap_table(dependence, use_case)))
    return ChartText(sentence, tuple(tables))
