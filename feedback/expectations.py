"""Adjudication of split review cases, and the expectations kept from what reviewers agreed.

When a round closes, each case its reviewers answered is either agreed (two or more reviewers, all of the
same view, and that view is the model's), or queued for adjudication (the reviewers split, or they agree
with each other but not with the model), or neither (one reviewer alone, who agreed with the model). An
agreed case becomes an expectation at once ("unanimous"); a queued one when an adjudicator records the
agreed outcome with a reason ("adjudicated"). A person may also pin a case they explored ("this case should
be approved", with a reason: "pinned"). Every iteration is tested against the expectations in force; one can
be retired with a reason, kept beside it (who, when, why), and no longer counts. The rules are here;
persistence in `feedback.store.expectations`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from feedback.access import Actor, check_actor, check_acts_on, same_person
from feedback.records import MAX_COMMENT_CHARS, FeedbackError, clean_text
from feedback.rounds import ReviewRound, RoundAnswer, RoundError

SOURCES = ("unanimous", "adjudicated", "pinned")
#: where an expectation came from, in the words the pages show (a column "Source")
SOURCE_LABELS = {"unanimous": "round agreement", "adjudicated": "adjudication", "pinned": "pinned from Explore"}
PINNED_ROUND = 0  # the round_id of a pinned expectation (no round)
SPLIT = "the reviewers split"
AGAINST_MODEL = "the reviewers agree with each other but not with the model"
ALONE_AGAINST_MODEL = "the only reviewer disagrees with the model"


@dataclass(frozen=True)
class Adjudication:
    """The agreed outcome of a split case of a round, by a named adjudicator, with their reason."""

    round_id: int
    case_id: str
    decision: str
    reason: str
    why_queued: str
    adjudicator_subject: str
    adjudicator_name: str
    adjudicator_role: str
    id: int = 0
    created_at: datetime | None = None


@dataclass(frozen=True)
class Expectation:
    """What reviewers agreed a case's decision should be: from which round, by whom and why."""

    use_case: str
    case_id: str
    expected_decision: str
    source: str  # one of SOURCES
    round_id: int  # PINNED_ROUND for a pinned one
    iteration: str  # the round's iteration (pinned: the iteration the case was explored on)
    author_subject: str
    author_name: str
    reason: str
    id: int = 0
    created_at: datetime | None = None

    @property
    def source_label(self) -> str:
        """The kind of origin in words: "round agreement", "adjudication" or "pinned from Explore"."""
        return SOURCE_LABELS.get(self.source, self.source)

    @property
    def origin(self) -> str:
        """Where it comes from, with its author: "agreed in round #3 (round by Dana)", "adjudicated in round #3
        by Eve" or "pinned from Explore by Ann on v3"."""
        if self.source == "pinned":
            return f"pinned from Explore by {self.author_name} on {self.iteration}"
        if self.source == "adjudicated":
            return f"adjudicated in round #{self.round_id} by {self.author_name}"
        return f"agreed in round #{self.round_id} (round by {self.author_name})"


@dataclass(frozen=True)
class Retirement:
    """An expectation retired: which one, by whom (stable subject) and why; it no longer counts."""

    expectation_id: int
    use_case: str
    case_id: str
    reason: str
    actor_subject: str
    actor_name: str
    actor_role: str
    id: int = 0
    created_at: datetime | None = None


class ExpectationError(ValueError):
    """A pin or a retirement the rules refuse; the message says what to change."""


@dataclass(frozen=True)
class CaseView:
    """How a round's reviewers saw one case: their considered decisions and what follows from them."""

    case_id: str
    model_decision: str
    views: tuple[str | None, ...]  # per answer: the decision the reviewer stands by (None: unsure)
    outcome: str  # "agreed", "adjudicate" or "alone"
    why: str = ""  # why it is queued for adjudication


def considered_decision(answer: RoundAnswer, model_decision: str, decisions: Sequence[str]) -> str | None:
    """The decision a reviewer stands by after the reveal: the model's if they agree, the other one if they
    disagree, their blind decision if they gave no verdict, None if they are unsure."""
    if answer.verdict == "agree":
        return model_decision
    if answer.verdict == "disagree":
        others = [d for d in decisions if d != model_decision]
        return others[0] if len(others) == 1 else None
    if answer.verdict == "unsure":
        return None
    return answer.own_decision


def view_cases(
    answers: Iterable[RoundAnswer], model_decisions: Mapping[str, str], decisions: Sequence[str]
) -> list[CaseView]:
    """Each answered case of a round: agreed, queued for adjudication (with why) or answered by one reviewer
    who agreed with the model. Reviewers split when their blind or considered decisions differ (or one is unsure)."""
    by_case: dict[str, list[RoundAnswer]] = {}
    for answer in answers:
        by_case.setdefault(answer.case_id, []).append(answer)
    views = []
    for case_id, given in sorted(by_case.items()):
        model = model_decisions[case_id]
        considered = tuple(considered_decision(a, model, decisions) for a in given)
        blind = {a.own_decision for a in given}
        if len(blind) > 1 or len(set(considered)) > 1 or None in considered:
            outcome, why = "adjudicate", SPLIT
        elif considered[0] != model:
            outcome, why = "adjudicate", AGAINST_MODEL if len(given) > 1 else ALONE_AGAINST_MODEL
        else:
            outcome, why = ("agreed" if len(given) > 1 else "alone"), ""
        views.append(CaseView(case_id, model, considered, outcome, why))
    return views


def unanimous_expectations(round_: ReviewRound, views: Iterable[CaseView]) -> list[Expectation]:
    """The expectations a round's agreed cases give when it closes (the round's creator is their author)."""
    return [
        Expectation(
            round_.use_case,
            v.case_id,
            v.model_decision,
            "unanimous",
            round_.id,
            round_.iteration,
            round_.created_by_subject,
            round_.created_by_name,
            f"all {len(v.views)} reviewers decided {v.model_decision}, as the model did",
        )
        for v in views
        if v.outcome == "agreed"
    ]


def check_may_adjudicate(
    round_: ReviewRound, actor: Actor, queue: Mapping[str, str], case_id: str, answered_by: Collection[str]
) -> Actor:
    """The actor, checked: a role that adjudicates, on a queued case of a closed round they did not answer
    themselves (AccessError / RoundError)."""
    actor = check_actor(actor, "adjudicate")
    if round_.status != "closed":
        raise RoundError(f"The round “{round_.name}” is still open: its cases are adjudicated once it closes.")
    if case_id not in queue:
        raise RoundError(f"Case {case_id} is not in the adjudication queue of the round “{round_.name}”.")
    if any(same_person(subject, "", actor.subject, actor.name) for subject in answered_by):
        raise RoundError(f"You reviewed case {case_id} in this round; someone who did not should adjudicate it.")
    return actor


def check_adjudication(decision: str, reason: str, decisions: Collection[str]) -> tuple[str, str]:
    """The agreed decision (one of the use case's) and the reason (required), or RoundError."""
    if decision not in decisions:
        raise RoundError(f"The agreed decision: choose one of {', '.join(decisions)}.")
    try:
        return decision, clean_text("The reason", reason, MAX_COMMENT_CHARS, multiline=True)
    except FeedbackError as err:
        raise RoundError(f"{err} Say why this is the agreed outcome.") from err


def refuse_second(existing: Adjudication) -> RoundError:
    """The message for an adjudicator whose case was adjudicated meanwhile (the first one stands)."""
    return RoundError(
        f"Case {existing.case_id} was adjudicated meanwhile by {existing.adjudicator_name} "
        f"({existing.created_at:%Y-%m-%d %H:%M} UTC): {existing.decision}. Their decision stands; "
        "reload to see it."
    )


@dataclass(frozen=True)
class ExpectationBook:
    """A use case's expectations: those in force (the latest per case, not retired) and the retired ones
    with their retirement (who, when, why)."""

    in_force: list[Expectation]
    retired: list[tuple[Expectation, Retirement]]


def current_expectations(expectations: Iterable[Expectation]) -> dict[str, Expectation]:
    """The expectation in force per case: the latest one (a later round overrides an earlier one)."""
    latest: dict[str, Expectation] = {}
    for expectation in sorted(expectations, key=lambda e: e.id):
        latest[expectation.case_id] = expectation
    return latest


def _reason(reason: str, what: str) -> str:
    try:
        return clean_text("The reason", reason, MAX_COMMENT_CHARS, multiline=True)
    except FeedbackError as err:
        raise ExpectationError(f"{err} Say why {what}.") from err


def pin_expectation(
    actor: Actor, use_case: str, case_id: str, iteration: str, decision: str, reason: str, decisions: Collection[str]
) -> Expectation:
    """The expectation a person pins on a case they explored (AccessError for a role that may not,
    ExpectationError without one of the use case's decisions or a reason); its author is their subject."""
    actor = check_actor(actor, "pin expectations")
    if decision not in decisions:
        raise ExpectationError(f"The decision this case should get: choose one of {', '.join(decisions)}.")
    reason = _reason(reason, "this case should get that decision")
    return Expectation(
        use_case, case_id, decision, "pinned", PINNED_ROUND, iteration, str(actor.subject), actor.name, reason
    )


def retire(actor: Actor, expectation: Expectation, reason: str, retired: Retirement | None) -> Retirement:
    """The retirement of an expectation by `actor` with a reason (AccessError for a role that may not, or a
    demo identity on one made under login; ExpectationError without a reason or if retired already — `retired`)."""
    actor = check_actor(actor, "retire expectations")
    check_acts_on(actor, expectation.author_subject, expectation.author_name, "This expectation")
    if retired is not None:
        raise ExpectationError(
            f"The expectation on case {expectation.case_id} was retired already by {retired.actor_name}"
            + (f" ({retired.created_at:%Y-%m-%d %H:%M} UTC)" if retired.created_at else "")
            + f": {retired.reason}"
        )
    reason = _reason(reason, "this expectation no longer holds")
    return Retirement(
        expectation.id, expectation.use_case, expectation.case_id, reason, str(actor.subject), actor.name, actor.role
    )
