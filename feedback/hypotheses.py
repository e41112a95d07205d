"""The hypothesis an iteration tests: a statement and measurable claims, each judged when its data exists.

A claim is built from the one metric catalogue, like a success criterion (the caller passes the metric
specs, `demo_models.metrics.catalogue.criterion_specs`, so `feedback` stays independent of
`demo_models`): a metric, a comparator, a target and whether the target is absolute or a change from the
parent iteration ("ROC AUC vs parent >= -0.01": without losing more than 0.01). A review metric (judged by
its 95 % interval) is absolute only. Stating one is for a data scientist or an admin (`feedback.access`),
by stable subject; a hypothesis stated again is a new version (the latest counts, every one is kept).
Persistence is in `feedback.store.hypotheses`; judging in `demo_models.iterations.hypotheses`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from feedback.access import Actor, check_actor, check_acts_on
from feedback.goals import COMPARATORS, MetricSpec
from feedback.records import MAX_COMMENT_CHARS, FeedbackError, clean_text

MAX_CLAIMS = 10
CONFIRMED, REFUTED, WAITING = "confirmed", "refuted", "waiting"


class HypothesisError(ValueError):
    """A hypothesis or a claim that cannot be saved; the message says what to change."""


@dataclass(frozen=True)
class Claim:
    """One measurable claim: metric (for a group attribute), comparator, target, absolute or vs the parent."""

    metric: str
    comparator: str
    target: float
    versus_parent: bool = False
    attribute: str | None = None

    def describe(self, specs: Mapping[str, MetricSpec], parent: str | None = None) -> str:
        """The claim in words: "Agreement with the model >= 0.85", "ROC AUC vs v2 >= -0.01"."""
        spec = specs.get(self.metric, MetricSpec(self.metric, 0, 0))
        group = f" ({self.attribute})" if self.attribute else ""
        versus = f" vs {parent or 'the parent'}" if self.versus_parent else ""
        return f"{spec.label}{group}{versus} {self.comparator} {self.target:g}"


@dataclass(frozen=True)
class Hypothesis:
    """What an iteration is meant to show: the statement, its claims, and who stated it (by subject)."""

    use_case: str
    iteration: str
    statement: str
    claims: tuple[Claim, ...]
    author_subject: str
    author_name: str
    author_role: str
    parent: str | None = None  # the iteration a claim "vs parent" is compared with
    id: int = 0
    created_at: datetime | None = None


@dataclass(frozen=True)
class HypothesisDraft:
    """A hypothesis as a registration passes it (`register_iteration(..., hypothesis=...)`): the statement,
    the claims and who states it."""

    statement: str
    claims: tuple[Claim, ...]
    stated_by: Actor


@dataclass(frozen=True)
class ClaimVerdict:
    """A claim judged: confirmed, refuted or waiting, the value (and interval) it was judged on, and why."""

    claim: Claim
    text: str  # the claim in words
    outcome: str  # CONFIRMED, REFUTED or WAITING
    value: float | None
    interval: tuple[float, float] | None = None
    note: str = ""  # why waiting, or where the value comes from


def check_claim(claim: Claim, specs: Mapping[str, MetricSpec], parent: str | None) -> Claim:
    """The claim checked against the metric `specs`, or HypothesisError: unknown metric, target outside its
    range (a change: within ± the range's width), no parent for a claim vs the parent, a review metric vs
    the parent, no group for a group metric."""
    spec = specs.get(claim.metric)
    if spec is None:
        raise HypothesisError(f"Unknown metric {claim.metric!r}; choose one of {', '.join(specs)}.")
    if claim.comparator not in COMPARATORS:
        raise HypothesisError(f"The comparator must be one of {', '.join(COMPARATORS)}.")
    target = claim.target
    if isinstance(target, bool) or not isinstance(target, (int, float)) or not math.isfinite(target):
        raise HypothesisError(f"The target of {spec.label} must be a number; got {target!r}.")
    if claim.versus_parent:
        if spec.by_interval:
            raise HypothesisError(
                f"{spec.label} is judged by its interval from this iteration's own review round: state it as an "
                "absolute target, not as a change from the parent."
            )
        if not parent:
            raise HypothesisError(f"“{spec.label} vs parent” needs a parent iteration; this one has none.")
        width = spec.high - spec.low
        if abs(target) > width:
            raise HypothesisError(f"A change of {spec.label} lies between −{width:g} and {width:g}; got {target:g}.")
    elif not spec.low <= target <= spec.high:
        high = "no upper limit" if math.isinf(spec.high) else f"{spec.high:g}"
        raise HypothesisError(f"The target of {spec.label} must lie between {spec.low:g} and {high}; got {target:g}.")
    attribute = (claim.attribute or None) if spec.per_attribute else None
    if spec.per_attribute and not attribute:
        raise HypothesisError(f"{spec.label} is measured across the groups of a protected attribute: name one.")
    return Claim(claim.metric, claim.comparator, float(target), bool(claim.versus_parent), attribute)


def state_hypothesis(
    actor: Actor,
    use_case: str,
    iteration: str,
    statement: str,
    claims: Iterable[Claim],
    *,
    specs: Mapping[str, MetricSpec],
    parent: str | None = None,
    previous: Hypothesis | None = None,
) -> Hypothesis:
    """The hypothesis to record, or AccessError (only a data scientist or an admin states one; a demo identity
    cannot restate one `previous`ly stated under login) / HypothesisError (no statement, no claim or more than
    MAX_CLAIMS, a claim `check_claim` refuses)."""
    actor = check_actor(actor, "state hypotheses")
    if previous is not None:
        check_acts_on(actor, previous.author_subject, previous.author_name, f"The hypothesis of {iteration}")
    try:
        text = clean_text("The hypothesis", statement, MAX_COMMENT_CHARS, multiline=True)
    except FeedbackError as err:
        raise HypothesisError(f"{err} Say what the iteration is meant to show.") from err
    checked = tuple(check_claim(c, specs, parent) for c in claims)
    if not checked:
        raise HypothesisError("Add at least one measurable claim (a metric, a comparator and a target).")
    if len(checked) > MAX_CLAIMS:
        raise HypothesisError(f"At most {MAX_CLAIMS} claims per hypothesis.")
    return Hypothesis(use_case, iteration, text, checked, actor.subject, actor.name, actor.role, parent or None)


def verdict_of(
    claim: Claim,
    text: str,
    passed: bool | None,
    value: float | None,
    note: str,
    interval: tuple[float, float] | None = None,
) -> ClaimVerdict:
    """A claim's verdict from `feedback.goals.meets_target`'s answer: confirmed, refuted, or waiting (with why)."""
    if passed is None:
        return ClaimVerdict(claim, text, WAITING, value, interval, note or "waiting for its data")
    return ClaimVerdict(claim, text, CONFIRMED if passed else REFUTED, value, interval, note)


def claims_to_json(claims: Iterable[Claim]) -> list[dict]:
    """The claims as stored (JSON objects)."""
    return [claim.__dict__.copy() for claim in claims]


def claims_from_json(rows: Iterable[Mapping]) -> tuple[Claim, ...]:
    """The claims stored as `rows`."""
    return tuple(Claim(**row) for row in rows)
