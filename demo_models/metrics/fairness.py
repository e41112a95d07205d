"""Fairness across groups with fairlearn: group rates, gap metrics on the favourable outcome, CIs.

Which decision is favourable belongs to the use case (`UseCase.favourable`): the negative decision
for credit and fraud (approve a loan, pass a transaction; "opportunity" is then judged on the
negative class: repaid, genuine), the positive one for a brought model whose positive class is the
good outcome (hired, admitted, survived). Numeric attributes are grouped in bands.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from fairlearn.metrics import (
    MetricFrame,
    count,
    false_negative_rate,
    false_positive_rate,
    true_negative_rate,
    true_positive_rate,
)

from demo_models.formats import UNDEFINED
from demo_models.iterations.scoring import ScoredIteration
from demo_models.metrics.catalogue import FOUR_FIFTHS, get_metric, keys_of, labels_of
from demo_models.metrics.groups import FairnessError, group_frame
from demo_models.vocabulary import CREDIT, UseCase, capitalise

GAP_METRICS = labels_of("fairness", CREDIT)  # key -> the catalogue's label; gap labels use no use case's words


CHANCE_LEVEL = 0.05  # a share of random regroupings under this: the gap is unlikely to be chance alone


def favourable_view(
    labels: np.ndarray, positive: np.ndarray, favourable_is_positive: bool
) -> tuple[np.ndarray, np.ndarray]:
    """(deserved the favourable decision, got it) per case, as 0/1, from the positive class and
    the positive decision: the one place that knows which side is the good one."""
    labels, positive = np.asarray(labels).astype(int), np.asarray(positive).astype(int)
    return (labels, positive) if favourable_is_positive else (1 - labels, 1 - positive)


def _inputs(scored: ScoredIteration, attribute: str, threshold: float | None = None):
    """(positive class, positive decision, group) per evaluation case."""
    if attribute not in scored.features.columns:
        raise FairnessError(f"{attribute!r} is not in the evaluation data of {scored.card.version}.")
    groups = group_frame(scored.features, (attribute,), scored.use_case)[attribute].astype(str)
    if groups.nunique() < 2:
        raise FairnessError(
            f"All evaluation cases are in one group of {attribute!r} ({groups.iloc[0]}): nothing to compare."
        )
    labels = scored.iteration.labels
    positive = (scored.scores.to_numpy() >= (scored.threshold if threshold is None else threshold)).astype(int)
    return labels, positive, groups


def _favourable_inputs(scored: ScoredIteration, attribute: str, threshold: float | None = None):
    """(deserved the favourable decision, got it, group) per evaluation case."""
    labels, positive, groups = _inputs(scored, attribute, threshold)
    return (*favourable_view(labels, positive, scored.use_case.favourable_is_positive), groups)


def group_table(scored: ScoredIteration, attribute: str) -> pd.DataFrame:
    """Per group: cases, favourable-decision rate, TPR / FPR / TNR / FNR of the positive class,
    positive-class rate among the favourably decided, mean score (fairlearn MetricFrame)."""
    labels, positive, groups = _inputs(scored, attribute)
    favoured = favourable_view(labels, positive, scored.use_case.favourable_is_positive)[1]
    frame = MetricFrame(
        metrics={
            "cases": count,
            "true positive rate": true_positive_rate,
            "false positive rate": false_positive_rate,
            "true negative rate": true_negative_rate,
            "false negative rate": false_negative_rate,
        },
        y_true=labels,
        y_pred=positive,
        sensitive_features=groups,
    )
    table = frame.by_group
    table.insert(
        1,
        "favourable rate",
        MetricFrame(
            metrics=lambda y, p: float(np.mean(p)), y_true=labels, y_pred=favoured, sensitive_features=groups
        ).by_group,
    )
    table["positive rate among favourable"] = MetricFrame(
        metrics=lambda y, p: float(np.mean(y[p == 1])) if np.any(p == 1) else np.nan,
        y_true=labels,
        y_pred=favoured,
        sensitive_features=groups,
    ).by_group
    table["mean score"] = scored.scores.groupby(groups.to_numpy()).mean()
    table["cases"] = table["cases"].astype(int)
    return table


def gap_metrics(
    deserved: np.ndarray, favoured: np.ndarray, groups: pd.Series, only: tuple[str, ...] | None = None
) -> dict[str, float]:
    """The gap metrics on the favourable outcome (see `favourable_view`), fairlearn's (`only` those
    named, e.g. for one criterion); equalized odds is the same whichever side is called positive.
    NaN where a rate is undefined."""
    return {
        key: get_metric(key).compute(deserved, favoured, groups)
        for key in keys_of("fairness")
        if only is None or key in only
    }


def fairness_gaps(
    scored: ScoredIteration, attribute: str, threshold: float | None = None, only: tuple[str, ...] | None = None
) -> dict[str, float]:
    """The gap metrics of an iteration for one protected attribute (at its threshold by default;
    `only` those named)."""
    return gap_metrics(*_favourable_inputs(scored, attribute, threshold), only=only)


def weighted_gaps(
    weights: np.ndarray, deserved: np.ndarray, favoured: np.ndarray, codes: np.ndarray
) -> dict[str, np.ndarray]:
    """The gap metrics for many weightings of the cases at once (rows of `weights`), in numpy.

    Same definitions as `gap_metrics` (tested equal to fairlearn); used where fairlearn would be
    called thousands of times: bootstrap resamples and threshold sweeps.
    """
    onehot = np.eye(codes.max() + 1)[codes]
    y, p = deserved.astype(float), favoured.astype(float)
    return _gaps_from_sums(lambda values: weights @ (onehot * values[:, None]), y, p)


def _gaps_from_sums(per_group, y: np.ndarray, p: np.ndarray) -> dict[str, np.ndarray]:
    """The gap metrics from `per_group(values)`: the sum of `values` per group, one row per draw."""
    with np.errstate(all="ignore"):
        cases = per_group(np.ones_like(y))
        positives, negatives = per_group(y), per_group(1 - y)
        favourable = per_group(p) / cases
        tpr = per_group(y * p) / positives  # the equal-opportunity rate: favoured among the deserving
        fpr = per_group((1 - y) * p) / negatives

        def spread(rates: np.ndarray) -> np.ndarray:
            return np.nanmax(rates, axis=1) - np.nanmin(rates, axis=1)

        return {
            "dp_ratio": np.nanmin(favourable, axis=1) / np.nanmax(favourable, axis=1),
            "dp_difference": spread(favourable),
            "equalized_odds_difference": np.maximum(spread(tpr), spread(fpr)),
            "equal_opportunity_difference": spread(tpr),
        }


def chance_of_gaps(
    deserved: np.ndarray, favoured: np.ndarray, codes: np.ndarray, permutations: int = 500, seed: int = 0
) -> dict[str, float]:
    """For each gap metric, the share of random regroupings of the same cases with a gap at least as large.

    A permutation test: group labels are shuffled among all cases for the parity metrics, and among
    the cases of the same actual outcome for the odds metrics (which compare groups within an
    outcome). A large share means a gap this size often arises by chance. NaN where the gap is undefined.
    """
    y, p = deserved.astype(float), favoured.astype(float)
    groups = int(codes.max()) + 1
    rng = np.random.default_rng(seed)
    observed = {k: float(v[0]) for k, v in weighted_gaps(np.ones((1, len(y))), deserved, favoured, codes).items()}
    # Shuffling group labels among cases only moves how many cases of each kind (outcome, decision)
    # each group holds: random tables with the group sizes and kind totals fixed (hypergeometric),
    # among all cases for the parity metrics and within each actual outcome for the odds metrics.
    kinds = (2 * y + p).astype(np.int64)
    table = np.zeros((groups, 4), dtype=np.int64)
    np.add.at(table, (codes, kinds), 1)
    drawn = {
        "all": _random_tables(rng, table, [np.arange(4)], permutations),
        "within": _random_tables(rng, table, [np.array([0, 1]), np.array([2, 3])], permutations),
    }
    kind_y, kind_p = np.array([0.0, 0.0, 1.0, 1.0]), np.array([0.0, 1.0, 0.0, 1.0])
    drawn = {
        name: _gaps_from_sums(lambda values, t=tables: t @ values, kind_y, kind_p) for name, tables in drawn.items()
    }
    shares = {}
    for key, value in observed.items():
        draws = drawn["all" if key.startswith("dp_") else "within"][key]
        if not np.isfinite(value):
            shares[key] = float("nan")
            continue
        as_unequal = draws <= value + 1e-12 if key == "dp_ratio" else draws >= value - 1e-12
        shares[key] = float((1 + np.sum(as_unequal & np.isfinite(draws))) / (1 + permutations))
    return shares


def _random_tables(
    rng: np.random.Generator, table: np.ndarray, blocks: list[np.ndarray], permutations: int
) -> np.ndarray:
    """Tables of cases per group (rows) and kind (columns) as a random shuffle of the group labels
    within each block of kinds would leave them: group sizes per block and kind totals kept."""
    drawn = np.zeros((permutations,) + table.shape)
    for kinds in blocks:
        left = np.tile(table[:, kinds].sum(axis=0), (permutations, 1))  # cases of each kind not yet drawn
        for group, size in enumerate(table[:, kinds].sum(axis=1)[:-1]):
            wanted = np.full(permutations, size)
            for column, kind in enumerate(kinds[:-1]):  # a multivariate draw as a chain of univariate ones
                take = (
                    rng.hypergeometric(left[:, column], left[:, column + 1 :].sum(axis=1), wanted)
                    if size
                    else 0 * wanted
                )
                drawn[:, group, kind] = take
                left[:, column] -= take
                wanted = wanted - take
            drawn[:, group, kinds[-1]] = wanted
            left[:, -1] -= wanted
        drawn[:, -1, kinds] = left
    return drawn


def bootstrap_gaps(scored: ScoredIteration, attribute: str, resamples: int = 500, seed: int = 0) -> pd.DataFrame:
    """Each gap metric (fairlearn) with its 95 % bootstrap interval (cases resampled, seeded) and the
    share of random regroupings with a gap at least as large (`chance`, see `chance_of_gaps`)."""
    deserved, favoured, groups = _favourable_inputs(scored, attribute)
    codes = pd.factorize(groups)[0]
    n = len(deserved)
    weights = np.random.default_rng(seed).multinomial(n, np.full(n, 1 / n), size=resamples).astype(float)
    draws = pd.DataFrame(weighted_gaps(weights, deserved, favoured, codes))
    return pd.DataFrame(
        {
            "value": pd.Series(gap_metrics(deserved, favoured, groups)),
            "low": draws.quantile(0.025),
            "high": draws.quantile(0.975),
            "chance": pd.Series(chance_of_gaps(deserved, favoured, codes, resamples, seed)),
        }
    ).loc[list(GAP_METRICS)]


def gaps_by_threshold(scored: ScoredIteration, attribute: str, thresholds: np.ndarray) -> pd.DataFrame:
    """The gap metrics at each threshold (rows)."""
    labels, _, groups = _inputs(scored, attribute)
    codes = pd.factorize(groups)[0]
    scores = scored.scores.to_numpy()
    ones = np.ones((1, len(labels)))
    positive_is_good = scored.use_case.favourable_is_positive
    rows = {
        float(t): {
            k: float(v[0])
            for k, v in weighted_gaps(ones, *favourable_view(labels, scores >= t, positive_is_good), codes).items()
        }
        for t in thresholds
    }
    return pd.DataFrame(rows).T.rename_axis("threshold")


SWEEP_THRESHOLDS = np.round(np.linspace(0.02, 0.98, 49), 2)  # the Fairness page's threshold grid
SMALL_GROUP = 30  # a group with fewer cases has uncertain rates


def gap_sweep(scored: ScoredIteration, attribute: str) -> pd.DataFrame:
    """The gap metrics at each threshold of `SWEEP_THRESHOLDS` (rows), columns under their catalogue labels."""
    return gaps_by_threshold(scored, attribute, SWEEP_THRESHOLDS).rename(columns=GAP_METRICS)


def label_group_table(table: pd.DataFrame, use_case: UseCase) -> tuple[pd.DataFrame, list[str]]:
    """`group_table` with its favourable-side columns named in the use case's words, and the groups
    under `SMALL_GROUP` cases."""
    words, fav = use_case.words, use_case.favourable_decision
    shown = table.rename(
        columns={
            "favourable rate": f"{fav} rate",
            "positive rate among favourable": f"{words.outcome} rate among {words.past(fav)}",
            "true positive rate": f"{capitalise(words.positive_cases)} caught (TPR)",
        }
    )
    return shown, [str(g) for g in table.index[table["cases"] < SMALL_GROUP]]


def gap_table(intervals: pd.DataFrame, use_case: UseCase) -> pd.DataFrame:
    """One row per gap metric under its catalogue label: value, 95 % interval, chance of a gap this large
    (see `bootstrap_gaps`) and its meaning, with why it is undefined where it has no value."""
    rows = []
    for key, (value, low, high, chance) in intervals.loc[list(GAP_METRICS)].iterrows():
        metric = get_metric(key)
        meaning = metric.explanation(use_case)
        if not np.isfinite(value):
            meaning = f"{meaning} — {metric.undefined_reason(use_case)}"
        interval = f"{low:.3f} – {high:.3f}" if np.isfinite(low) and np.isfinite(high) else "too few cases"
        verdict = (
            f"{chance:.1%}: " + ("often arises by chance" if chance >= CHANCE_LEVEL else "unlikely to be chance")
            if np.isfinite(chance)
            else UNDEFINED
        )
        rows.append(
            {
                "metric": metric.label(use_case),
                "value": value,
                "95% interval": interval if np.isfinite(value) else UNDEFINED,
                "chance of a gap this large": verdict,
                "meaning": meaning,
            }
        )
    return pd.DataFrame(rows).set_index("metric")


def screen_four_fifths(ratio: float) -> str:
    """The four-fifths screen of a disparate impact ratio: "undefined", "below" or "passes"."""
    if not np.isfinite(ratio):
        return "undefined"
    return "below" if ratio < FOUR_FIFTHS else "passes"


def compare_gaps(ours: pd.Series, theirs: pd.Series, version: str, other: str) -> pd.DataFrame:
    """The gap metrics of two iterations side by side under their catalogue labels, with the change."""
    return (
        pd.DataFrame({other: theirs, version: ours})
        .assign(change=lambda f: f[version] - f[other])
        .rename(index=GAP_METRICS)
    )
