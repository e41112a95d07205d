"""What was agreed up front: the problem, success criteria, the business cost of errors.

Records and their validation; persistence is in `feedback.store.goals`. What a criterion may measure
is not declared here: the caller passes the metric specs (`demo_models.metrics.catalogue.criterion_specs`,
the one metric catalogue), so `feedback` stays independent of `demo_models`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from feedback.records import MAX_COMMENT_CHARS, MAX_NAME_CHARS, MAX_TEXT_CHARS, FeedbackError, clean_text


class GoalError(ValueError):
    """A goal, criterion or cost that cannot be saved; the message says what to change."""


@dataclass(frozen=True)
class MetricSpec:
    """A metric a success criterion can use: label, allowed target range, unit, whether per group."""

    label: str
    low: float
    high: float
    unit: str = ""
    per_attribute: bool = False
    explanation: str = ""
    by_interval: bool = False  # a review metric: judged by its 95 % interval, not its value (`meets_target`)


COMPARATORS = (">=", "<=")
COMPARATOR_SIGNS = {">=": "≥ (at least)", "<=": "≤ (at most)"}  # how a picker shows each comparator


@dataclass(frozen=True)
class GoalStatement:
    """The problem, who uses the output in which decision, and the product's promises."""

    use_case: str
    problem: str
    users: str
    promises: str
    author_name: str
    author_role: str
    id: int = 0
    created_at: datetime | None = None


@dataclass(frozen=True)
class Criterion:
    """One measurable success criterion: metric (for a group attribute), comparator, target."""

    use_case: str
    key: str  # stable across edits; each edit is a new version of the same key
    metric: str
    comparator: str
    target: float
    owner: str
    agreed_on: date
    author_name: str
    attribute: str | None = None
    active: bool = True
    author_subject: str | None = None  # who made this version (feedback.access); None before subjects were kept
    id: int = 0
    created_at: datetime | None = None

    def describe(self, specs: Mapping[str, MetricSpec]) -> str:
        """The criterion in words, its metric labelled by `specs`: "Recall >= 0.8", "Disparate impact
        ratio (sex) >= 0.8" (the metric's key if `specs` does not know it)."""
        spec = specs.get(self.metric, MetricSpec(self.metric, 0, 0))
        group = f" ({self.attribute})" if self.attribute else ""
        unit = " ms" if spec.unit == "ms" else ""
        return f"{spec.label}{group} {self.comparator} {self.target:g}{unit}"


@dataclass(frozen=True)
class CostMatrix:
    """The business cost of each error: a false positive decision and a missed positive case.

    A missed positive costs `false_negative_cost` plus `false_negative_fraction` times the value
    of `false_negative_column` (e.g. half the credit amount of an approved default).
    """

    use_case: str
    false_positive_cost: float
    false_negative_cost: float
    author_name: str
    false_negative_column: str | None = None
    false_negative_fraction: float = 0.0
    currency: str = ""
    id: int = 0
    created_at: datetime | None = None


@dataclass(frozen=True)
class CriterionResult:
    """A criterion judged for one iteration: the value, and pass / fail, or why it has no value."""

    criterion: Criterion
    value: float | None
    passed: bool | None
    note: str = ""
    interval: tuple[float, float] | None = None  # the 95 % interval a review metric was judged by


def _text(field: str, value: str, limit: int, required: bool = True) -> str:
    try:
        return clean_text(field, value, limit, multiline=True, required=required)
    except FeedbackError as err:
        raise GoalError(str(err)) from err


def validate_statement(statement: GoalStatement) -> GoalStatement:
    """The statement with its texts cleaned, or GoalError (e.g. an empty problem statement)."""
    return GoalStatement(
        use_case=statement.use_case,
        problem=_text("Problem statement", statement.problem, MAX_COMMENT_CHARS),
        users=_text("Who uses the output, in which decision", statement.users, MAX_COMMENT_CHARS),
        promises=_text("Product promises", statement.promises, MAX_COMMENT_CHARS, required=False),
        author_name=_text("Your name", statement.author_name, MAX_NAME_CHARS),
        author_role=_text("Role", statement.author_role, MAX_TEXT_CHARS),
    )


def validate_criterion(
    criterion: Criterion, specs: Mapping[str, MetricSpec], attributes: tuple[str, ...] = ()
) -> Criterion:
    """The criterion cleaned against the metric `specs`, or GoalError: unknown metric, target outside
    its range, no group..."""
    spec = specs.get(criterion.metric)
    if spec is None:
        raise GoalError(f"Unknown metric {criterion.metric!r}; choose one of {', '.join(specs)}.")
    if criterion.comparator not in COMPARATORS:
        raise GoalError(f"The comparator must be one of {', '.join(COMPARATORS)}.")
    target = criterion.target
    if not isinstance(target, (int, float)) or not math.isfinite(target) or not spec.low <= target <= spec.high:
        high = "no upper limit" if math.isinf(spec.high) else f"{spec.high:g}"
        raise GoalError(f"The target of {spec.label} must lie between {spec.low:g} and {high}; got {target}.")
    attribute = criterion.attribute or None
    if spec.per_attribute and not attribute:
        raise GoalError(f"{spec.label} is measured across the groups of a protected attribute: name one.")
    if not spec.per_attribute:
        attribute = None
    elif attributes and attribute not in attributes:
        raise GoalError(f"{attribute!r} is not a protected attribute of this use case ({', '.join(attributes)}).")
    return Criterion(
        use_case=criterion.use_case,
        key=criterion.key,
        metric=criterion.metric,
        comparator=criterion.comparator,
        target=float(target),
        owner=_text("Owner", criterion.owner, MAX_NAME_CHARS),
        agreed_on=criterion.agreed_on,
        author_name=_text("Your name", criterion.author_name, MAX_NAME_CHARS),
        attribute=attribute,
        active=criterion.active,
        author_subject=criterion.author_subject,
    )


def validate_costs(costs: CostMatrix) -> CostMatrix:
    """The cost matrix, or GoalError for a negative or missing cost."""
    for field, value in (
        ("The cost of a false positive", costs.false_positive_cost),
        ("The fixed cost of a missed positive", costs.false_negative_cost),
        ("The share of the amount lost", costs.false_negative_fraction),
    ):
        if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise GoalError(f"{field} must be a number of at least 0; got {value}.")
    if costs.false_negative_fraction and not costs.false_negative_column:
        raise GoalError("Name the column the share of a missed positive's cost applies to.")
    if costs.false_positive_cost == 0 and costs.false_negative_cost == 0 and costs.false_negative_fraction == 0:
        raise GoalError("At least one error must cost something.")
    return CostMatrix(
        use_case=costs.use_case,
        false_positive_cost=float(costs.false_positive_cost),
        false_negative_cost=float(costs.false_negative_cost),
        author_name=_text("Your name", costs.author_name, MAX_NAME_CHARS),
        false_negative_column=costs.false_negative_column or None,
        false_negative_fraction=float(costs.false_negative_fraction),
        currency=_text("Currency", costs.currency, 20, required=False),
    )


def meets_target(
    comparator: str, target: float, value: float | None, interval: tuple[float, float] | None = None
) -> tuple[bool | None, str]:
    """Whether a value meets "comparator target": True / False, or None with why not decided.

    Without `interval` the value decides. With one (a review metric's 95 % interval) only the interval
    does: ">= t" is met when its lower bound is at least t and not met when its upper bound is below t;
    "<= t" is met when the upper bound is at most t and not met when the lower bound is above t; otherwise
    it is not yet decided ("interval 0.78–0.93 straddles 0.85"). No value, or NaN, is never met."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None, ""
    if interval is None:
        return bool(value >= target if comparator == ">=" else value <= target), ""
    low, high = interval
    if math.isnan(low) or math.isnan(high):
        return None, "not yet decided (no interval: too few answers)"
    if comparator == ">=":
        decided = True if low >= target else False if high < target else None
    else:
        decided = True if high <= target else False if low > target else None
    if decided is None:
        return None, f"not yet decided (interval {low:.2f}–{high:.2f} straddles {target:g})"
    return decided, ""


def judge(
    criterion: Criterion, value: float | None, why_missing: str = "", interval: tuple[float, float] | None = None
) -> CriterionResult:
    """Pass or fail of a criterion for a value (a review metric by its `interval`, `meets_target`); no verdict,
    and the reason, when there is no value or the interval does not decide."""
    passed, undecided = meets_target(criterion.comparator, criterion.target, value, interval)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return CriterionResult(criterion, None, None, why_missing or "cannot be computed")
    return CriterionResult(criterion, float(value), passed, undecided, interval)
