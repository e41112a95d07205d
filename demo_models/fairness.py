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
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equalized_odds_difference,
    false_negative_rate,
    false_positive_rate,
    true_negative_rate,
    true_positive_rate,
)

from demo_models.groups import FairnessError, group_frame
from demo_models.scoring import ScoredIteration

FOUR_FIFTHS = 0.8
GAP_METRICS = {
    "dp_ratio": "Demographic-parity ratio",
    "dp_difference": "Demographic-parity difference",
    "equalized_odds_difference": "Equalized-odds difference",
    "equal_opportunity_difference": "Equal-opportunity difference",
}


def favourable_view(labels: np.ndarray, positive: np.ndarray, favourable_is_positive: bool) -> tuple[np.ndarray, np.ndarray]:
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
        raise FairnessError(f"All evaluation cases are in one group of {attribute!r} ({groups.iloc[0]}): nothing to compare.")
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
    table.insert(1, "favourable rate", MetricFrame(
        metrics=lambda y, p: float(np.mean(p)), y_true=labels, y_pred=favoured, sensitive_features=groups
    ).by_group)
    table["positive rate among favourable"] = MetricFrame(
        metrics=lambda y, p: float(np.mean(y[p == 1])) if np.any(p == 1) else np.nan,
        y_true=labels, y_pred=favoured, sensitive_features=groups,
    ).by_group
    table["mean score"] = scored.scores.groupby(groups.to_numpy()).mean()
    table["cases"] = table["cases"].astype(int)
    return table


_GAP_FUNCTIONS = {
    "dp_ratio": demographic_parity_ratio,
    "dp_difference": demographic_parity_difference,
    "equalized_odds_difference": equalized_odds_difference,
    "equal_opportunity_difference": equal_opportunity_difference,
}


def gap_metrics(
    deserved: np.ndarray, favoured: np.ndarray, groups: pd.Series, only: tuple[str, ...] | None = None
) -> dict[str, float]:
    """The gap metrics on the favourable outcome (see `favourable_view`), fairlearn's (`only` those
    named, e.g. for one criterion); equalized odds is the same whichever side is called positive.
    NaN where a rate is undefined."""
    with np.errstate(all="ignore"):
        return {
            name: float(function(deserved, favoured, sensitive_features=groups))
            for name, function in _GAP_FUNCTIONS.items()
            if only is None or name in only
        }


def fairness_gaps(
    scored: ScoredIteration, attribute: str, threshold: float | None = None, only: tuple[str, ...] | None = None
) -> dict[str, float]:
    """The gap metrics of an iteration for one protected attribute (at its threshold by default;
    `only` those named)."""
    return gap_metrics(*_favourable_inputs(scored, attribute, threshold), only=only)


def weighted_gaps(weights: np.ndarray, deserved: np.ndarray, favoured: np.ndarray, codes: np.ndarray) -> dict[str, np.ndarray]:
    """The gap metrics for many weightings of the cases at once (rows of `weights`), in numpy.

    Same definitions as `gap_metrics` (tested equal to fairlearn); used where fairlearn would be
    called thousands of times: bootstrap resamples and threshold sweeps.
    """
    onehot = np.eye(codes.max() + 1)[codes]
    y, p = deserved.astype(float), favoured.astype(float)

    def per_group(mask: np.ndarray) -> np.ndarray:
        return weights @ (onehot * mask[:, None])

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


def bootstrap_gaps(
    scored: ScoredIteration, attribute: str, resamples: int = 500, seed: int = 0
) -> pd.DataFrame:
    """Each gap metric (fairlearn) with its 95 % bootstrap interval (cases resampled, seeded)."""
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
