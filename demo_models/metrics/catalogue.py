"""The one catalogue of metrics: per metric its key, label, formula, direction, range, why it can be
undefined, whether it is measured per protected attribute, and the function that computes it.

Performance, fairness, goals (criterion specs), the scorecard, the glossary, the report and the pages
read it. Keys are the ones stored: `dp_ratio` is the disparate impact ratio; `disparate_impact_ratio`,
the key criteria were saved under before, stays an alias of it (`canonical_key`).

The compute functions by family (scikit-learn and fairlearn imported when called, not on Home):
performance `(labels, scores, threshold)`, fairness `(deserved, favoured, groups)` on the favourable
outcome (`fairness.favourable_view`), cost `(labels, scores, threshold, case_costs)`, latency `(times_ms)`,
calibration `(labels, scores)` (the score as a probability, whatever the threshold), review `(answers)`:
one value per answer of a closed review round, or per expectation checked (1 / 0 for agreed / met, the
clarity rating 1-5). A review metric is judged by its 95 % interval (`by_interval`,
`feedback.goals.meets_target`; the intervals are `demo_models.iterations.review_evidence`'s).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from demo_models.metrics.calibration import compute_brier, compute_ece
from demo_models.vocabulary import UseCase
from feedback.goals import MetricSpec

FOUR_FIFTHS = 0.8


@dataclass(frozen=True)
class Metric:
    """One metric: what it is called, how it is computed and read, and when it has no value."""

    key: str
    family: str  # performance, fairness, cost or latency: which inputs `compute` takes
    formula: str
    higher_is_better: bool
    low: float
    high: float
    compute: Callable[..., float]
    name: Callable[[UseCase], str]
    explain: Callable[[UseCase], str]
    undefined: Callable[[UseCase], str]  # why it has no value (on these cases, for this use case)
    unit: str = ""
    per_attribute: bool = False
    criterion: bool = False  # a success criterion may use it
    aliases: tuple[str, ...] = ()
    by_interval: bool = False  # judged by its 95 % interval (review metrics), not by its value

    def label(self, use_case: UseCase) -> str:
        """The metric's one label, in the use case's words."""
        return self.name(use_case)

    def explanation(self, use_case: UseCase) -> str:
        """What the metric measures, in a line, in the use case's words."""
        return self.explain(use_case)

    def undefined_reason(self, use_case: UseCase) -> str:
        """Why the metric has no value for this use case's cases, starting "undefined: "."""
        return self.undefined(use_case)


def _decisions(scores: np.ndarray, threshold: float) -> np.ndarray:
    return (np.asarray(scores) >= threshold).astype(int)


def compute_roc_auc(labels: np.ndarray, scores: np.ndarray, threshold: float) -> float:
    """ROC AUC of the scores (scikit-learn's); NaN when the cases hold a single outcome."""
    from sklearn.metrics import roc_auc_score

    labels = np.asarray(labels, dtype=int)
    return float(roc_auc_score(labels, scores)) if len(np.unique(labels)) == 2 else float("nan")


def compute_recall(labels: np.ndarray, scores: np.ndarray, threshold: float) -> float:
    """Share of positive cases given the positive decision (scikit-learn's); NaN without positive cases."""
    from sklearn.metrics import recall_score

    return float(recall_score(np.asarray(labels, dtype=int), _decisions(scores, threshold), zero_division=np.nan))


def compute_precision(labels: np.ndarray, scores: np.ndarray, threshold: float) -> float:
    """Share of positive decisions on positive cases (scikit-learn's); NaN without positive decisions."""
    from sklearn.metrics import precision_score

    return float(precision_score(np.asarray(labels, dtype=int), _decisions(scores, threshold), zero_division=np.nan))


def compute_positive_rate(labels: np.ndarray, scores: np.ndarray, threshold: float) -> float:
    """Share of cases given the positive decision; NaN without cases."""
    decisions = _decisions(scores, threshold)
    return float(decisions.mean()) if len(decisions) else float("nan")


def compute_negative_rate(labels: np.ndarray, scores: np.ndarray, threshold: float) -> float:
    """Share of cases given the negative decision; NaN without cases."""
    return 1.0 - compute_positive_rate(labels, scores, threshold)


def compute_accuracy(labels: np.ndarray, scores: np.ndarray, threshold: float) -> float:
    """Share of cases decided as their outcome (scikit-learn's)."""
    from sklearn.metrics import accuracy_score

    return float(accuracy_score(np.asarray(labels, dtype=int), _decisions(scores, threshold)))


def compute_cost_per_case(labels: np.ndarray, scores: np.ndarray, threshold: float, costs) -> float:
    """Average cost of the errors per case under per-case costs (`costs.case_costs`)."""
    from demo_models.metrics.costs import total_cost

    return total_cost(labels, scores, threshold, costs) / len(labels)


def compute_latency_p95(times_ms: np.ndarray) -> float:
    """The 95th percentile of the measured times."""
    return float(np.percentile(np.asarray(times_ms, dtype=float), 95))


def _fairlearn(name: str) -> Callable[..., float]:
    def compute(deserved: np.ndarray, favoured: np.ndarray, groups) -> float:
        import fairlearn.metrics

        with np.errstate(all="ignore"):
            return float(getattr(fairlearn.metrics, name)(deserved, favoured, sensitive_features=groups))

    compute.__name__ = compute.__qualname__ = f"compute_{name}"
    compute.__doc__ = f"fairlearn's `{name}` on the favourable outcome; NaN where a group rate is undefined."
    return compute


def compute_mean_of_answers(answers: np.ndarray) -> float:
    """The mean of one value per answer (1 / 0 agreed or met, or a rating); NaN without answers."""
    answers = np.asarray(answers, dtype=float)
    return float(answers.mean()) if len(answers) else float("nan")


def _no_cases(use_case: UseCase) -> str:
    return "undefined: there are no cases"


def _no_favourable(use_case: UseCase) -> str:
    return f"undefined: no group gets “{use_case.favourable_decision}”, so there is no rate to divide by"


def _no_deserving(use_case: UseCase) -> str:
    return f"undefined: a group has no case whose outcome was “{use_case.favourable_outcome}”"


def _deserving(use_case: UseCase) -> str:
    return use_case.words.positive_cases if use_case.favourable_is_positive else use_case.words.negative_cases


_REVIEW = dict(
    family="review",
    higher_is_better=True,
    low=0.0,
    high=1.0,
    criterion=True,
    by_interval=True,
    compute=compute_mean_of_answers,
)
_PERFORMANCE = dict(family="performance", higher_is_better=True, low=0.0, high=1.0, criterion=True)
_GAP = dict(family="fairness", higher_is_better=False, low=0.0, high=1.0, per_attribute=True)

CATALOGUE: tuple[Metric, ...] = (
    Metric(
        key="roc_auc",
        formula="probability that a random positive case scores above a random negative one",
        compute=compute_roc_auc,
        name=lambda u: "ROC AUC",
        explain=lambda u: "how well the score ranks positive above negative cases (0.5 = chance)",
        undefined=lambda u: (
            f"undefined: the cases hold a single outcome (no “{u.positive_outcome}” or none without it)"
        ),
        **_PERFORMANCE,
    ),
    Metric(
        key="recall",
        formula="TP / (TP + FN)",
        compute=compute_recall,
        name=lambda u: "Recall",
        explain=lambda u: f"share of {u.words.positive_cases} {u.words.positive_past}",
        undefined=lambda u: f"undefined: no case had the outcome “{u.positive_outcome}”",
        **_PERFORMANCE,
    ),
    Metric(
        key="precision",
        formula="TP / (TP + FP)",
        compute=compute_precision,
        name=lambda u: "Precision",
        explain=lambda u: f"share of {u.words.positive_decisions} that were {u.words.positive_cases}",
        undefined=lambda u: f"undefined: no case got “{u.positive_decision}”",
        **_PERFORMANCE,
    ),
    Metric(
        key="positive_rate",
        formula="(TP + FP) / cases",
        compute=compute_positive_rate,
        name=lambda u: f"{u.words.positive_decision.capitalize()} rate",
        explain=lambda u: f"share of cases that get “{u.positive_decision}”",
        undefined=_no_cases,
        **_PERFORMANCE,
    ),
    Metric(
        key="negative_rate",
        formula="(TN + FN) / cases",
        compute=compute_negative_rate,
        name=lambda u: f"{u.words.negative_decision.capitalize()} rate",
        explain=lambda u: f"share of cases that get “{u.negative_decision}”",
        undefined=_no_cases,
        **_PERFORMANCE,
    ),
    Metric(
        key="accuracy",
        formula="(TP + TN) / cases",
        compute=compute_accuracy,
        name=lambda u: "Accuracy",
        explain=lambda u: "share of cases decided as their outcome turned out",
        undefined=_no_cases,
        **{**_PERFORMANCE, "criterion": False},
    ),
    Metric(
        key="expected_cost_per_case",
        family="cost",
        formula="(cost of each false positive + cost of each missed positive) / cases",
        higher_is_better=False,
        low=0.0,
        high=float("inf"),
        unit="money",
        criterion=True,
        compute=compute_cost_per_case,
        name=lambda u: "Expected cost per case",
        explain=lambda u: "average cost of errors per case under the agreed cost matrix",
        undefined=lambda u: "undefined: no cost matrix has been agreed for this use case",
    ),
    Metric(
        key="latency_p95_ms",
        family="latency",
        formula="95th percentile of the time to score and explain one raw case",
        higher_is_better=False,
        low=0.0,
        high=60_000.0,
        unit="ms",
        criterion=True,
        compute=compute_latency_p95,
        name=lambda u: "p95 latency of score + explanation",
        explain=lambda u: "95 % of decisions with their reasons take at most this long",
        undefined=lambda u: "undefined: latency has not been measured",
    ),
    Metric(
        key="brier",
        family="calibration",
        formula="mean over cases of (score − outcome)², outcome 1 or 0",
        higher_is_better=False,
        low=0.0,
        high=1.0,
        compute=compute_brier,
        name=lambda u: "Brier score",
        explain=lambda u: f"how far the score is from what happened, as a probability of {u.words.outcome} (0 = exact)",
        undefined=_no_cases,
    ),
    Metric(
        key="ece",
        family="calibration",
        formula="Σ over 10 score bins of (cases in bin / cases) × |observed rate − mean score|",
        higher_is_better=False,
        low=0.0,
        high=1.0,
        compute=compute_ece,
        name=lambda u: "Expected calibration error",
        explain=lambda u: f"how far, on average, the observed {u.words.outcome} rate is from the score (0 = exact)",
        undefined=_no_cases,
    ),
    Metric(
        key="dp_ratio",
        formula="lowest group favourable-decision rate / highest",
        compute=_fairlearn("demographic_parity_ratio"),
        name=lambda u: "Disparate impact ratio",
        explain=lambda u: (
            f"lowest group {u.favourable_decision} rate divided by the highest (1 = equal; the four-fifths "
            f"screen asks for at least {FOUR_FIFTHS})"
        ),
        undefined=_no_favourable,
        aliases=("disparate_impact_ratio",),
        **{**_GAP, "higher_is_better": True, "criterion": True},
    ),
    Metric(
        key="dp_difference",
        formula="highest group favourable-decision rate − lowest",
        compute=_fairlearn("demographic_parity_difference"),
        name=lambda u: "Demographic-parity difference",
        explain=lambda u: f"highest group {u.favourable_decision} rate minus the lowest (0 = equal)",
        undefined=_no_favourable,
        **_GAP,
    ),
    Metric(
        key="equalized_odds_difference",
        formula="max(gap in true positive rate, gap in false positive rate) between groups",
        compute=_fairlearn("equalized_odds_difference"),
        name=lambda u: "Equalized-odds difference",
        explain=lambda u: (
            f"the larger of the gaps between groups in catching {u.words.positive_cases} and in wrongly giving "
            f"“{u.positive_decision}” to {u.words.negative_cases} (0 = equal)"
        ),
        undefined=_no_deserving,
        **_GAP,
    ),
    Metric(
        key="equal_opportunity_difference",
        formula="highest group favourable-decision rate among the deserving − lowest",
        compute=_fairlearn("equal_opportunity_difference"),
        name=lambda u: "Equal-opportunity difference",
        explain=lambda u: f"gap between groups in the {u.favourable_decision} rate of {_deserving(u)} (0 = equal)",
        undefined=_no_deserving,
        **{**_GAP, "criterion": True},
    ),
    Metric(
        key="agreement_with_model",
        formula="reviewers' blind decisions equal to the model's / all blind decisions (latest closed round)",
        name=lambda u: "Agreement with the model",
        explain=lambda u: (
            "share of reviewers' own, blind decisions equal to the model's, judged by its Wilson interval"
        ),
        undefined=lambda u: "undefined: no review round of this iteration has closed with answers",
        **_REVIEW,
    ),
    Metric(
        key="clarity",
        formula="mean of the reviewers' clarity ratings 1–5 of the explanations (latest closed round)",
        name=lambda u: "Clarity of explanations",
        explain=lambda u: "how clear reviewers found the reasons shown (1–5), judged by its t interval",
        undefined=lambda u: "undefined: no reviewer rated the clarity of an explanation in a closed round",
        **{**_REVIEW, "low": 1.0, "high": 5.0},
    ),
    Metric(
        key="expectations_met",
        formula="expectations met / expectations checked (met + broken)",
        name=lambda u: "Expectations met",
        explain=lambda u: (
            "share of the cases reviewers agreed on given the agreed decision, judged by its Wilson interval"
        ),
        undefined=lambda u: "undefined: no expectation can be checked on this iteration yet",
        **_REVIEW,
    ),
)
METRICS: dict[str, Metric] = {m.key: m for m in CATALOGUE}
_ALIASES = {alias: m.key for m in CATALOGUE for alias in m.aliases}


def canonical_key(key: str) -> str:
    """The catalogue key of a metric key, stored aliases included (`disparate_impact_ratio` -> `dp_ratio`)."""
    return _ALIASES.get(key, key)


def get_metric(key: str) -> Metric:
    """The catalogue entry of a key or alias (KeyError for an unknown one)."""
    return METRICS[canonical_key(key)]


def is_review_metric(key: str) -> bool:
    """Whether a metric key (or alias) is a review metric, judged by its interval from review rounds."""
    entry = METRICS.get(canonical_key(key))
    return entry is not None and entry.family == "review"


def keys_of(family: str) -> tuple[str, ...]:
    """The keys of one family (performance, fairness, cost, latency, calibration), in catalogue order."""
    return tuple(m.key for m in CATALOGUE if m.family == family)


def labels_of(family: str, use_case: UseCase) -> dict[str, str]:
    """key -> the one label, for the metrics of a family, in catalogue order."""
    return {m.key: m.label(use_case) for m in CATALOGUE if m.family == family}


def criterion_keys() -> tuple[str, ...]:
    """The keys a new success criterion may use, in catalogue order (stored aliases left out)."""
    return tuple(m.key for m in CATALOGUE if m.criterion)


def criterion_specs(use_case: UseCase) -> dict[str, MetricSpec]:
    """What a success criterion may measure, for `feedback.goals` (which never imports this package):
    every criterion metric under its key and its stored aliases."""
    specs = {}
    for m in CATALOGUE:
        if m.criterion:
            spec = MetricSpec(
                m.label(use_case), m.low, m.high, m.unit, m.per_attribute, m.explanation(use_case), m.by_interval
            )
            specs.update({key: spec for key in (m.key, *m.aliases)})
    return specs
