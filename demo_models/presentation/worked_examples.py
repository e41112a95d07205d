"""Worked examples of the glossary's terms on an iteration's evaluation cases, computed with the
same functions the pages use (each part of the data computed only when an example needs it)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cached_property

import numpy as np
import pandas as pd
from scipy.special import logit

from demo_models.formats import UNDEFINED, format_number, format_p_value, format_share
from demo_models.iterations.scoring import CaseExplanation, ScoredIteration
from demo_models.metrics.catalogue import FOUR_FIFTHS, get_metric
from demo_models.metrics.costs import CaseCosts, cost_curve, total_cost
from demo_models.metrics.drift import BANDS, feature_drift, psi, psi_band
from demo_models.metrics.fairness import (
    CHANCE_LEVEL,
    FairnessError,
    bootstrap_gaps,
    fairness_gaps,
    group_table,
)
from demo_models.metrics.outcomes import confusion
from demo_models.metrics.performance import headline_metrics
from demo_models.presentation.glossary import Term, collect_words

log = logging.getLogger(__name__)


class _Facts:
    """What the worked examples are computed from: one iteration at its threshold (each part on demand)."""

    def __init__(self, scored: ScoredIteration, costs: CaseCosts | None, currency: str) -> None:
        self.scored, self.use_case, self.w = scored, scored.use_case, collect_words(scored.use_case)
        self.labels, self.scores = np.asarray(scored.iteration.labels, dtype=int), scored.scores.to_numpy()
        self.threshold, self.n, self.version = scored.threshold, len(self.labels), scored.card.version
        self.at = f"On {self.version} at threshold {self.threshold:.1%}"
        self._costs, self.unit = costs, f" {currency}" if currency else ""

    @cached_property
    def counts(self) -> tuple[int, int, int, int]:
        """TN, FP, FN, TP at the threshold."""
        return tuple(int(v) for v in confusion(self.labels, self.scores, self.threshold).to_numpy().ravel())

    @cached_property
    def metrics(self) -> dict[str, float]:
        """The headline metrics at the threshold."""
        return headline_metrics(self.labels, self.scores, self.threshold)

    @cached_property
    def attribute(self) -> str:
        """The first protected attribute present in the evaluation data."""
        present = [a for a in self.scored.card.protected_attributes if a in self.scored.features.columns]
        if not present:
            raise FairnessError(f"{self.version} names no protected attribute present in its evaluation data.")
        return present[0]

    @cached_property
    def by(self) -> str:
        """The example's opening for a protected attribute."""
        return f"{self.at}, by {self.use_case.label(self.attribute).lower()}"

    @cached_property
    def groups(self) -> pd.DataFrame:
        """Rates per group of the first protected attribute."""
        return group_table(self.scored, self.attribute)

    @cached_property
    def gaps(self) -> dict[str, float]:
        """The fairness gap metrics of the first protected attribute."""
        return fairness_gaps(self.scored, self.attribute)

    @cached_property
    def explained(self) -> CaseExplanation:
        """The explanation of the first evaluation case given the positive decision (else of the first case)."""
        positive = self.scored.scores.index[self.scores >= self.threshold]
        return self.scored.explain_case((positive if len(positive) else self.scored.scores.index)[0])

    @cached_property
    def windows(self) -> tuple[str, np.ndarray, np.ndarray]:
        """How the windows are said, and the rows of the reference months (the training months) and the last
        later month."""
        features = self.scored.features
        if "month" not in features.columns:
            raise ValueError("the evaluation data has no month")
        month = features["month"].astype(str).to_numpy()
        months = sorted(set(month))
        reference = [m for m in self.scored.card.extra.get("reference_months", []) if m in months] or months[:3]
        later = [m for m in months if m not in reference]
        if not later:
            raise ValueError("every month of the evaluation data is a reference month")
        text = f"On the evaluation cases of {self.version}, {later[-1]} against {reference[0]}…{reference[-1]}"
        return text, np.isin(month, reference), month == later[-1]

    @cached_property
    def drift(self) -> pd.DataFrame:
        """Per input (the month aside): PSI, band and test of the last month against the reference months."""
        _, ref, cur = self.windows
        features = self.scored.features
        columns = [c for c in self.scored.card.features if c != "month" and c in features.columns]
        return feature_drift(features[ref], features[cur], columns)

    @property
    def costs(self) -> CaseCosts:
        """The per-case costs of the agreed cost matrix."""
        if self._costs is None:
            raise ValueError("no cost matrix has been agreed")
        return self._costs

    def sum_costs(self, false_positives: bool = True, false_negatives: bool = True) -> float:
        """Total cost at the threshold of the false positives, the missed positives, or both."""
        zero = np.zeros(self.n)
        part = CaseCosts(
            self.costs.false_positive if false_positives else zero,
            self.costs.false_negative if false_negatives else zero,
        )
        return total_cost(self.labels, self.scores, self.threshold, part)


def _divide(part: int, whole: int) -> float:
    if whole == 0:
        raise ValueError("nothing to divide by")
    return part / whole


def _describe_spread(rates: pd.Series) -> str:
    low, high = rates.idxmin(), rates.idxmax()
    return f"{low} {rates[low]:.1%} (lowest) and {high} {rates[high]:.1%} (highest)"


def _work_out_explanation(f: _Facts, key: str) -> str:
    """Terms of one case's score and explanation, on the first case given the positive decision."""
    e = f.explained
    w, total = f.w, float(e.contributions.sum())
    top, value = e.contributions.index[0], float(e.contributions.iloc[0])
    if key == "score":
        return (
            f"{f.at}: {w['case']} {e.case_id} scores {e.score:.1%}: the model puts the chance that its outcome is "
            f"“{w['outcome']}” "
            f"at about {round(e.score * 100)} in 100, so the decision is “{e.decision}”."
        )
    if key == "decision":
        side = "at or above" if e.score >= f.threshold else "below"
        return (
            f"{f.at}: {w['case']} {e.case_id} scores {e.score:.1%}, {side} the threshold, so the decision is "
            f"“{e.decision}”."
        )
    if key == "shap":
        return (
            f"{f.at}: for {w['case']} {e.case_id}, {f.use_case.label(top)} = "
            f"{f.use_case.describe_value(top, e.values.get(top))} "
            f"contributes {value:+.2f} {e.scale}; all {len(e.contributions)} contributions sum to {total:+.2f}, from "
            f"the base "
            f"value {e.base_value:+.2f} to {e.output:+.2f} {e.scale}, a score of {e.score:.1%}."
        )
    if key == "base_value":
        return (
            f"On {f.version}: the base value is {e.base_value:+.2f} {e.scale}, a probability of {e.base_score:.1%} "
            f"for the "
            f"average {w['case']}; the inputs of {w['case']} {e.case_id} add {total:+.2f}, ending at {e.output:+.2f} "
            f"({e.score:.1%})."
        )
    if key == "log_odds":
        return (
            f"{w['case'].capitalize()} {e.case_id} scores {e.score:.1%}: log-odds = ln({e.score:.3f} / "
            f"{1 - e.score:.3f}) = {float(logit(e.score)):+.2f}."
        )
    if not e.reasons:
        raise ValueError(f"no input pushed {e.case_id} towards “{w['outcome']}”")
    return (
        f"{f.at}: {w['case']} {e.case_id} gets “{e.decision}” ({e.score:.1%}); the inputs that pushed it most towards "
        f"“{w['outcome']}”: " + "; ".join(f"{i}. {r.text}" for i, r in enumerate(e.reasons, 1)) + "."
    )


def _work_out_counts(f: _Facts, key: str) -> str:
    """Terms counted from the decisions against the actual outcomes (the confusion matrix)."""
    (tn, fp, fn, tp), m, n, w = f.counts, f.metrics, f.n, f.w
    p, cases, outcome, good = tp + fn, w["cases"], w["outcome"], w["good"]
    if key == "threshold":
        return (
            f"{f.version} decides at {f.threshold:.1%}: {tp + fp:,} of the {n:,} {cases} score at or above it and get "
            f"“{w['pos']}”; "
            f"the other {tn + fn:,} get “{w['neg']}”."
        )
    if key == "actual_outcome":
        return (
            f"Of the {n:,} evaluation {cases} of {f.version}, {p:,} had the outcome “{outcome}” and {n - p:,} “{good}”."
        )
    if key == "base_rate":
        return (
            f"On the evaluation cases of {f.version}: {p:,} of the {n:,} {cases} had the outcome “{outcome}”: {p:,} / "
            f"{n:,} = {_divide(p, n):.1%}."
        )
    if key == "confusion":
        return (
            f"{f.at}: TP = {tp:,} (outcome “{outcome}”, {w['pos_past']}), FP = {fp:,} (outcome “{good}”, "
            f"{w['pos_past']}), "
            f"FN = {fn:,} (outcome “{outcome}”, {w['neg_past']}), TN = {tn:,} (outcome “{good}”, {w['neg_past']}); "
            f"{n:,} in all."
        )
    if key == "roc_auc":
        if np.isnan(m["roc_auc"]):
            raise ValueError("the evaluation cases hold a single outcome")
        return (
            f"On {f.version}: of the {p * (n - p):,} pairs of a “{outcome}” and a “{good}” {w['case']} ({p:,} × "
            f"{n - p:,}), the score "
            f"ranks the “{outcome}” one higher in {m['roc_auc']:.1%}: ROC AUC = {m['roc_auc']:.3f}."
        )
    if key == "mean_score":
        return (
            f"On {f.version}: the mean score of the {n:,} {cases} is {float(np.mean(f.scores)):.1%}, against an actual "
            f"{outcome} rate of {_divide(p, n):.1%}."
        )
    # ratios of confusion-matrix counts: (which cases, what happened to them, name, numerator, denominator, value)
    among, described, name, part, whole, value = {
        "recall": (
            f"of the {p:,} {cases} with the outcome “{outcome}”",
            f"{tp:,} were {w['pos_past']}",
            "recall",
            tp,
            p,
            m["recall"],
        ),
        "precision": (
            f"{tp + fp:,} of the {n:,} {cases} were {w['pos_past']}",
            f"{tp:,} of them had the outcome “{outcome}”",
            "precision",
            tp,
            tp + fp,
            m["precision"],
        ),
        "positive_rate": (
            f"of the {n:,} {cases}",
            f"{tp + fp:,} get “{w['pos']}”",
            f"{w['pos']} rate",
            tp + fp,
            n,
            m["positive_rate"],
        ),
        "negative_rate": (
            f"of the {n:,} {cases}",
            f"{tn + fn:,} get “{w['neg']}”",
            f"{w['neg']} rate",
            tn + fn,
            n,
            m["negative_rate"],
        ),
        "accuracy": (
            f"of the {n:,} {cases}",
            f"{tp:,} right “{w['pos']}” + {tn:,} right “{w['neg']}”",
            "accuracy",
            tp + tn,
            n,
            m["accuracy"],
        ),
        "false_positive_rate": (
            f"of the {fp + tn:,} {cases} with the outcome “{good}”",
            f"{fp:,} were {w['pos_past']}",
            "false positive rate",
            fp,
            fp + tn,
            None,
        ),
        "true_negative_rate": (
            f"of the {fp + tn:,} {cases} with the outcome “{good}”",
            f"{tn:,} were {w['neg_past']}",
            "true negative rate",
            tn,
            fp + tn,
            None,
        ),
        "false_negative_rate": (
            f"of the {p:,} {cases} with the outcome “{outcome}”",
            f"{fn:,} were {w['neg_past']}",
            "false negative rate",
            fn,
            p,
            None,
        ),
        "outcome_rate_among_favourable": (
            f"{tn + fn:,} {cases} were {w['neg_past']}",
            f"{fn:,} of them had the outcome “{outcome}”",
            f"{outcome} rate among the {w['neg_past']}",
            fn,
            tn + fn,
            None,
        ),
    }[key]
    if whole == 0:
        return f"{f.at}: {among}, {described}: {name} = {part:,} / 0 is undefined ({UNDEFINED}), never shown as 0."
    value = _divide(part, whole) if value is None else value
    return f"{f.at}: {among}, {described}: {name} = {part:,} / {whole:,} = {format_share(value)}."


def _work_out_importance(f: _Facts, key: str) -> str:
    """Global importance: the three strongest drivers."""
    importance = f.scored.global_importance()
    if importance.empty:
        raise ValueError("no SHAP values are stored with the iteration")
    top = "; ".join(f"{f.use_case.label(c)} {v:.2f}" for c, v in importance.head(3).items())
    cases = len(f.scored.iteration.shap_values)
    return (
        f"On {f.version}, over the {cases:,} {f.w['cases']} explained, the strongest drivers (mean |SHAP|) are: {top}."
    )


def _work_out_fairness(f: _Facts, key: str) -> str:
    """Fairness terms, on the first protected attribute."""
    g, gaps, fav = f.groups, f.gaps, f.w["fav"]
    favourable, ratio = g["favourable rate"], gaps["dp_ratio"]
    deserving_rate = g["true positive rate" if f.use_case.favourable_is_positive else "true negative rate"]
    if key in ("dp_ratio", "four_fifths") and np.isnan(ratio):
        return f"{f.by}: no value — {get_metric('dp_ratio').undefined_reason(f.use_case)}."
    if key == "dp_ratio":
        return (
            f"{f.by}: {fav} rate {_describe_spread(favourable)}: ratio = {favourable.min():.1%} / "
            f"{favourable.max():.1%} = {ratio:.3f}."
        )
    if key == "dp_difference":
        return (
            f"{f.by}: {fav} rate {_describe_spread(favourable)}: difference = {favourable.max():.1%} − "
            f"{favourable.min():.1%} = {gaps['dp_difference']:.3f}."
        )
    if key == "equal_opportunity_difference":
        return (
            f"{f.by}: of the {f.w['deserving']}, {fav} rate {_describe_spread(deserving_rate)}: "
            f"difference = {gaps['equal_opportunity_difference']:.3f}."
        )
    if key == "equalized_odds_difference":
        tpr, fpr = g["true positive rate"], g["false positive rate"]
        return (
            f"{f.by}: recall runs from {tpr.min():.1%} to {tpr.max():.1%} (gap {tpr.max() - tpr.min():.3f}) and the "
            f"false positive "
            f"rate from {fpr.min():.1%} to {fpr.max():.1%} (gap {fpr.max() - fpr.min():.3f}): difference = "
            f"{gaps['equalized_odds_difference']:.3f}."
        )
    if key == "four_fifths":
        verdict = "passes" if ratio >= FOUR_FIFTHS else "fails"
        return (
            f"{f.by}: the disparate impact ratio is {ratio:.3f}, so the four-fifths screen {verdict} (it asks for at "
            f"least {FOUR_FIFTHS})."
        )
    value, low, high, chance = bootstrap_gaps(f.scored, f.attribute).loc["dp_ratio"]
    if key == "chance":
        verdict = "a gap this large often arises by chance" if chance >= CHANCE_LEVEL else "unlikely to be chance alone"
        return (
            f"{f.by}: disparate impact ratio {value:.3f}; {chance:.1%} of 500 random regroupings of the same "
            f"{f.w['cases']} give a ratio at least this low: {verdict}."
        )
    return f"{f.by}: disparate impact ratio {value:.3f}, 95% interval {low:.3f} – {high:.3f}."


def _work_out_drift(f: _Facts, key: str) -> str:
    """Drift terms: the last month of the evaluation cases against the months the iteration learnt from."""
    text, ref, cur = f.windows
    if key == "score_drift":
        value = psi(pd.Series(f.scores[ref]), pd.Series(f.scores[cur]))
        return f"{text}: PSI of the scores = {value:.3f} ({psi_band(value)})."
    drift, label = f.drift, f.use_case.label
    if key == "psi_band":
        bands = drift["band"].value_counts()
        return (
            f"{text}: of {len(drift)} inputs, "
            + ", ".join(f"{int(bands.get(name, 0))} {name}" for _, name in BANDS)
            + "."
        )
    if key in ("psi", "p_value"):
        column, row = drift.index[0], drift.iloc[0]
        if key == "psi":
            return f"{text}: {label(column)} changed most, PSI = {row['PSI']:.3f} ({row['band']})."
        luck = "under 0.05: unlikely to be luck" if row["p-value"] < 0.05 else "0.05 or more: it could be luck"
        return (
            f"{text}: {label(column)} ({row['test']} test): {format_p_value(row['p-value'], inline=True)}, {luck}; PSI "
            f"{row['PSI']:.3f}."
        )
    test = "Kolmogorov-Smirnov" if key == "ks_statistic" else "chi-square"
    rows = drift[drift["test"] == test]
    if rows.empty:
        raise ValueError(f"no input is tested with {test}")
    column = rows["statistic"].idxmax()
    return (
        f"{text}: {label(column)}: {test} statistic = {format_number(rows.at[column, 'statistic'])} "
        f"({format_p_value(rows.at[column, 'p-value'], inline=True)})."
    )


def _work_out_costs(f: _Facts, key: str) -> str:
    """Cost terms, under the agreed cost matrix."""
    (_, fp, fn, _), w, u = f.counts, f.w, f.unit
    wrong, missed, total = f.sum_costs(false_negatives=False), f.sum_costs(false_positives=False), f.sum_costs()
    if key == "cost_fp":
        return (
            f"{f.at}: {fp:,} {w['cases']} with the outcome “{w['good']}” are {w['pos_past']}; together they cost "
            f"{wrong:,.0f}{u}."
        )
    if key == "cost_fn":
        each = f", {missed / fn:,.0f}{u} each on average" if fn else ""
        return (
            f"{f.at}: {fn:,} {w['cases']} with the outcome “{w['outcome']}” are {w['neg_past']}; they cost "
            f"{missed:,.0f}{u}{each}."
        )
    if key == "expected_cost":
        per_case = total / f.n
        return (
            f"{f.at}: false positives {wrong:,.0f}{u} + missed {w['pos_cases']} {missed:,.0f}{u} = {total:,.0f}{u} "
            f"over {f.n:,} "
            f"{w['cases']}: {per_case:,.2f}{u} per case, {per_case * 1000:,.0f}{u} per 1,000 cases."
        )
    curve = cost_curve(f.labels, f.scores, f.costs)
    best = float(curve.totals[curve.best])
    return (
        f"On {f.version}: of all {len(curve.thresholds):,} distinct thresholds the cheapest is "
        f"{curve.optimal_threshold:.3f}, at "
        f"{curve.per_thousand(best):,.0f}{u} per 1,000 cases, against {curve.per_thousand(total):,.0f}{u} at "
        f"{f.threshold:.1%}."
    )


def _work_out_calibration(f: _Facts, key: str) -> str:
    from demo_models.metrics.calibration import compute_brier, reliability_table

    if key == "brier":
        rate = float(f.labels.mean())
        return (
            f"On {f.version}: the mean of (score − outcome)² over {f.n:,} {f.w['cases']} is "
            f"{compute_brier(f.labels, f.scores):.4f}; always scoring the actual rate {rate:.1%} would give "
            f"{rate * (1 - rate):.4f}."
        )
    table = reliability_table(f.labels, f.scores)
    largest = table.loc[table["cases"].idxmax()]
    return (
        f"On {f.version}: {int(largest['cases']):,} of {f.n:,} {f.w['cases']} score {largest['scores']} "
        f"(mean {largest['mean score']:.1%}) and {largest['observed rate']:.1%} of them turned out "
        f"“{f.w['outcome']}”; over all {len(table)} bins holding cases the weighted gap is "
        f"{get_metric('ece').compute(f.labels, f.scores):.4f}."
    )


def _work_out_errors(f: _Facts, key: str) -> str:
    from demo_models.metrics.errors import find_error_cohorts

    found = find_error_cohorts(f.scored)
    worst = found.cohorts[0]
    if key == "wilson_interval":
        return (
            f"{f.at}: {worst.errors:,} wrong of {worst.cases:,} {f.w['cases']} in “{worst.description}” is "
            f"{worst.rate:.1%}, with a 95 % Wilson interval from {worst.low:.1%} to {worst.high:.1%}."
        )
    return (
        f"{f.at}: {found.errors:,} of {found.cases:,} {f.w['cases']} are decided wrongly ({found.rate:.1%}); the "
        f"worst of {len(found.cohorts)} cohorts, “{worst.description}”, has {worst.errors:,} wrong of "
        f"{worst.cases:,} ({worst.rate:.1%})."
    )


_EXAMPLES: dict[str, Callable[[_Facts, str], str]] = {
    **dict.fromkeys(("error_cohort", "wilson_interval"), _work_out_errors),
    **dict.fromkeys(("brier", "ece"), _work_out_calibration),
    **dict.fromkeys(("score", "decision", "shap", "base_value", "log_odds", "reason_codes"), _work_out_explanation),
    **dict.fromkeys(
        (
            "threshold",
            "actual_outcome",
            "base_rate",
            "confusion",
            "recall",
            "precision",
            "positive_rate",
            "negative_rate",
            "accuracy",
            "roc_auc",
            "false_positive_rate",
            "true_negative_rate",
            "false_negative_rate",
            "outcome_rate_among_favourable",
            "mean_score",
        ),
        _work_out_counts,
    ),
    **dict.fromkeys(
        (
            "dp_ratio",
            "dp_difference",
            "equal_opportunity_difference",
            "equalized_odds_difference",
            "four_fifths",
            "interval",
            "chance",
        ),
        _work_out_fairness,
    ),
    **dict.fromkeys(("psi", "psi_band", "score_drift", "ks_statistic", "chi_square", "p_value"), _work_out_drift),
    "global_importance": _work_out_importance,
    **dict.fromkeys(("cost_fp", "cost_fn", "expected_cost", "cost_optimal_threshold"), _work_out_costs),
}


def worked_examples(
    terms: list[Term], scored: ScoredIteration, costs: CaseCosts | None = None, currency: str = ""
) -> dict[str, str | None]:
    """Worked examples of several terms (by key), sharing what they are computed from."""
    facts = _Facts(scored, costs, currency)
    examples: dict[str, str | None] = {}
    for term in terms:
        build = _EXAMPLES.get(term.key)
        try:
            examples[term.key] = build(facts, term.key) if build else None
        except (FairnessError, ValueError) as err:
            log.debug("no worked example of %s on %s: %s", term.key, scored.card.version, err)
            examples[term.key] = None
    return examples


def worked_example(
    term: Term, scored: ScoredIteration, costs: CaseCosts | None = None, currency: str = ""
) -> str | None:
    """The term worked out on the iteration's evaluation cases at its threshold, or None where none applies.

    `costs` are the per-case costs of the agreed cost matrix (the cost terms need them), in `currency`.
    """
    return worked_examples([term], scored, costs, currency)[term.key]
