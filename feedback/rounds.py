"""Review rounds: an iteration shown to named reviewers on chosen cases, answered blind first.

A round names its reviewers (people, and every known person of chosen roles), how many cases each
sees and the overlap k (each case seen by k reviewers, so agreement can be measured). A reviewer
first records their own decision and confidence on the case's inputs alone (blind), then, after
the model's score, decision and reasons are revealed, their verdict. Reviewers do not see each
other's answers until the round closes. Persistence is in `feedback.store.rounds`.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from feedback.access import Actor, check_actor, demo_subject, same_person, subject_of
from feedback.records import (
    CATEGORIES,
    EXPECTED_OUTCOMES,
    MAX_COMMENT_CHARS,
    MAX_NAME_CHARS,
    MAX_SUBJECT_CHARS,
    MAX_TEXT_CHARS,
    ROLES,
    VERDICTS,
    FeedbackError,
    clean_text,
)

ROUND_STATUSES = ("open", "closed")
MAX_REVIEWERS = 100
MAX_CASES_PER_REVIEWER = 1000
MAX_PURPOSE_CHARS = 2000


class RoundError(ValueError):
    """A round or an answer the rules refuse; the message says what to change."""


@dataclass(frozen=True)
class Reviewer:
    """A person asked to review: the stable subject, the name shown and their role."""

    subject: str
    name: str
    role: str


@dataclass(frozen=True)
class ReviewRound:
    """A round of review of one iteration (optionally against another) by named reviewers."""

    use_case: str
    iteration: str
    name: str
    purpose: str
    due_date: date
    reviewers: tuple[Reviewer, ...]
    cases_per_reviewer: int
    overlap: int
    seed: int
    created_by_subject: str
    created_by_name: str
    compared_to: str | None = None
    status: str = "open"
    closed_at: datetime | None = None
    id: int = 0
    created_at: datetime | None = None


@dataclass(frozen=True)
class RoundCase:
    """A case chosen for a round: by which strategy and why."""

    round_id: int
    case_id: str
    strategy: str
    why: str
    id: int = 0
    created_at: datetime | None = None


@dataclass(frozen=True)
class RoundAnswer:
    """One reviewer's answer on one case: the blind own decision, then the verdict after the reveal."""

    round_id: int
    case_id: str
    reviewer_subject: str
    reviewer_name: str
    own_decision: str
    own_confidence: int
    decided_at: datetime
    verdict: str | None = None
    expected_outcome: str | None = None
    categories: tuple[str, ...] = ()
    clarity: int | None = None
    comment: str = ""
    answered_at: datetime | None = None
    id: int = 0
    created_at: datetime | None = None


@dataclass(frozen=True)
class Verdict:
    """What a reviewer says after the reveal: agree / disagree / unsure, and about the explanation."""

    verdict: str
    expected_outcome: str | None = None
    categories: tuple[str, ...] = ()
    clarity: int | None = None
    comment: str = ""


@dataclass(frozen=True)
class Assignment:
    """Which reviewer (by subject) sees which cases, in queue order, and what could not be done."""

    by_reviewer: dict[str, tuple[str, ...]]
    unassigned: tuple[str, ...] = ()
    shortfall: tuple[str, ...] = field(default=())  # sentences, empty if everything asked was done

    def pairs(self) -> list[tuple[str, str, int]]:
        """(reviewer subject, case id, position in their queue) for every assignment."""
        return [(s, c, i) for s, cases in self.by_reviewer.items() for i, c in enumerate(cases)]


def _whole(field_name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise RoundError(f"{field_name} must be a whole number from {low} to {high:,}.")
    return value


def check_rating(field_name: str, value: object) -> int:
    """A 1-5 rating, or RoundError."""
    return _whole(field_name, value, 1, 5)


def resolve_reviewers(
    chosen: Iterable[Reviewer], roles: Collection[str], known_people: Iterable[Reviewer]
) -> tuple[Reviewer, ...]:
    """The people chosen plus every known person of the chosen roles, each once (by subject), in that order."""
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise RoundError(f"Unknown role {unknown[0]!r}; choose among {', '.join(ROLES)}.")
    people: dict[str, Reviewer] = {}
    for person in [*chosen, *(p for p in known_people if p.role in roles)]:
        people.setdefault(person.subject, person)
    return tuple(people.values())


def _clean_reviewer(person: Reviewer) -> Reviewer:
    if person.role not in ROLES:
        raise RoundError(f"Reviewer {person.name!r} has an unknown role {person.role!r}.")
    return Reviewer(
        clean_text("Reviewer subject", person.subject, MAX_SUBJECT_CHARS),
        clean_text("Reviewer name", person.name, MAX_NAME_CHARS),
        person.role,
    )


def validate_round(draft: ReviewRound, known_iterations: Collection[str], today: date) -> ReviewRound:
    """The round, normalised, or RoundError naming the first thing that is wrong."""
    try:
        iteration = clean_text("Iteration", draft.iteration, MAX_TEXT_CHARS)
        if iteration not in known_iterations:
            raise RoundError(f"Iteration {iteration!r} is not a known iteration of {draft.use_case!r}.")
        compared_to = draft.compared_to or None
        if compared_to is not None:
            if compared_to not in known_iterations:
                raise RoundError(f"Iteration {compared_to!r} to compare with is not known.")
            if compared_to == iteration:
                raise RoundError("Compare the iteration with another one, or with none.")
        reviewers = tuple(_clean_reviewer(p) for p in draft.reviewers)
        clean = replace(
            draft,
            use_case=clean_text("Use case", draft.use_case, MAX_TEXT_CHARS),
            iteration=iteration,
            compared_to=compared_to,
            name=clean_text("Round name", draft.name, MAX_TEXT_CHARS),
            purpose=clean_text("Purpose", draft.purpose, MAX_PURPOSE_CHARS, multiline=True),
            reviewers=reviewers,
            created_by_subject=clean_text("Creator subject", draft.created_by_subject, MAX_SUBJECT_CHARS),
            created_by_name=clean_text("Your name", draft.created_by_name, MAX_NAME_CHARS),
        )
    except FeedbackError as err:
        raise RoundError(str(err)) from err
    if not isinstance(draft.due_date, date) or isinstance(draft.due_date, datetime):
        raise RoundError("The due date must be a date.")
    if draft.due_date < today:
        raise RoundError(f"The due date {draft.due_date:%Y-%m-%d} has passed; choose today or later.")
    if not reviewers:
        raise RoundError("Choose at least one reviewer (a person or a role with known people).")
    if len(reviewers) > MAX_REVIEWERS:
        raise RoundError(f"At most {MAX_REVIEWERS} reviewers per round.")
    if len({p.subject for p in reviewers}) < len(reviewers):
        raise RoundError("A reviewer is listed twice.")
    _whole("Cases per reviewer", draft.cases_per_reviewer, 1, MAX_CASES_PER_REVIEWER)
    _whole("Overlap", draft.overlap, 1, len(reviewers))
    _whole("Seed", draft.seed, 0, 2**31 - 1)
    if draft.status != "open":
        raise RoundError("A new round is open.")
    return clean


def assign_cases(
    case_ids: Sequence[str], reviewers: Sequence[str], cases_per_reviewer: int, overlap: int, seed: int
) -> Assignment:
    """Each case to exactly `overlap` distinct reviewers where possible, at most `cases_per_reviewer`
    each, loads balanced (they differ by at most one), the same for the same seed; the shortfall stated."""
    reviewers = list(dict.fromkeys(reviewers))
    cases = list(dict.fromkeys(case_ids))
    if not reviewers:
        raise RoundError("Choose at least one reviewer.")
    _whole("Cases per reviewer", cases_per_reviewer, 1, MAX_CASES_PER_REVIEWER)
    if isinstance(overlap, bool) or not isinstance(overlap, int) or overlap < 1:
        raise RoundError("The overlap must be a whole number of at least 1.")
    if overlap > len(reviewers):
        raise RoundError(
            f"Each case cannot be seen by {overlap} reviewers when there are {len(reviewers)}; "
            "lower the overlap or add reviewers."
        )
    rng = random.Random(seed)
    rng.shuffle(cases)
    tie = {s: rng.random() for s in reviewers}
    queues: dict[str, list[str]] = {s: [] for s in reviewers}
    unassigned = []
    for case in cases:
        free = [s for s in reviewers if len(queues[s]) < cases_per_reviewer]
        if len(free) < overlap:
            unassigned.append(case)
            continue
        for subject in sorted(free, key=lambda s: (len(queues[s]), tie[s]))[:overlap]:
            queues[subject].append(case)
    shortfall = []
    short = {s: len(q) for s, q in queues.items() if len(q) < cases_per_reviewer}
    if short:
        shortfall.append(
            f"{len(short)} of {len(reviewers)} reviewers get fewer than the {cases_per_reviewer} cases asked "
            f"(as few as {min(short.values())}): there are {len(cases)} cases for {len(reviewers)} reviewers "
            f"with overlap {overlap}."
        )
    if unassigned:
        shortfall.append(
            f"{len(unassigned)} of {len(cases)} cases are not assigned: {len(reviewers)} reviewers × "
            f"{cases_per_reviewer} cases / overlap {overlap} leaves room for {len(cases) - len(unassigned)}."
        )
    return Assignment({s: tuple(q) for s, q in queues.items()}, tuple(unassigned), tuple(shortfall))


def check_may_create(actor: Actor) -> Actor:
    """The actor, checked: only data scientists and admins create rounds (AccessError)."""
    return check_actor(actor, "create rounds")


def check_may_answer(round_: ReviewRound, actor: Actor, assigned: Collection[str], case_id: str) -> Actor:
    """The actor, checked: an assigned reviewer of an open round, on one of their cases (RoundError)."""
    actor = check_actor(actor, "give feedback")
    if round_.status != "open":
        raise RoundError(f"The round “{round_.name}” is closed; answers can no longer be given or changed.")
    if not any(p.subject == actor.subject for p in round_.reviewers):
        raise RoundError(f"You are not a reviewer of the round “{round_.name}”.")
    if case_id not in assigned:
        raise RoundError(f"Case {case_id} is not in your queue of the round “{round_.name}”.")
    return actor


def check_own_decision(decision: str, confidence: int, decisions: Collection[str]) -> tuple[str, int]:
    """The blind own decision (one of the use case's decisions) and confidence 1-5, or RoundError."""
    if decision not in decisions:
        raise RoundError(f"Your decision: choose one of {', '.join(decisions)}.")
    return decision, check_rating("Your confidence", confidence)


def check_verdict(verdict: Verdict) -> Verdict:
    """The verdict, normalised, or RoundError."""
    if verdict.verdict not in VERDICTS:
        raise RoundError(f"Verdict: choose one of {', '.join(VERDICTS)}.")
    if verdict.expected_outcome is not None and verdict.expected_outcome not in EXPECTED_OUTCOMES:
        raise RoundError(f"Expected outcome: choose one of {', '.join(EXPECTED_OUTCOMES)}, or leave it empty.")
    if not isinstance(verdict.categories, (tuple, list)) or any(c not in CATEGORIES for c in verdict.categories):
        raise RoundError(f"Categories: choose among {', '.join(CATEGORIES)}.")
    clarity = None if verdict.clarity is None else check_rating("Clarity", verdict.clarity)
    try:
        comment = clean_text("Comment", verdict.comment, MAX_COMMENT_CHARS, multiline=True, required=False)
    except FeedbackError as err:
        raise RoundError(str(err)) from err
    return Verdict(
        verdict.verdict, verdict.expected_outcome, tuple(dict.fromkeys(verdict.categories)), clarity, comment
    )


def plan_own_decision(existing: RoundAnswer | None, draft: RoundAnswer) -> RoundAnswer | None:
    """The answer to write for a blind decision, or None if it is already saved as it is (RoundError if
    a different one was saved: the first, unanchored decision is kept)."""
    if existing is None:
        return draft
    if (existing.own_decision, existing.own_confidence) == (draft.own_decision, draft.own_confidence):
        return None
    raise RoundError(
        "Your own decision on this case is already saved (before the model's was shown) and is kept as it was; "
        "say what you think now in the verdict."
    )


def plan_verdict(existing: RoundAnswer | None, verdict: Verdict, now: datetime) -> RoundAnswer:
    """The answer with the verdict (saving again replaces it); RoundError before the blind decision."""
    if existing is None:
        raise RoundError("Record your own decision on the case first; the model's is shown after it.")
    return replace(
        existing,
        verdict=verdict.verdict,
        expected_outcome=verdict.expected_outcome,
        categories=verdict.categories,
        clarity=verdict.clarity,
        comment=verdict.comment,
        answered_at=now,
    )


def visible_answers(round_: ReviewRound, answers: Iterable[RoundAnswer], viewer: Actor) -> list[RoundAnswer]:
    """The answers a person may read: all once the round is closed, before that only their own."""
    if round_.status == "closed":
        return list(answers)
    return [a for a in answers if same_person(a.reviewer_subject, a.reviewer_name, viewer.subject, viewer.name)]


def check_may_close(round_: ReviewRound, actor: Actor) -> Actor:
    """The actor, checked: the round's creator (or an admin) closes an open round (RoundError)."""
    actor = check_actor(actor, "give feedback")
    if round_.status != "open":
        raise RoundError(f"The round “{round_.name}” is already closed.")
    if actor.role != "admin" and actor.subject != round_.created_by_subject:
        raise RoundError(f"Only {round_.created_by_name}, who created the round, or an admin can close it.")
    return actor


@dataclass(frozen=True)
class QueueItem:
    """One case in a reviewer's queue, with their answer so far (None: not started)."""

    position: int
    case_id: str
    strategy: str
    why: str
    answer: RoundAnswer | None = None

    @property
    def state(self) -> str:
        """ "to do", "decided" (own decision saved, verdict not yet) or "answered"."""
        if self.answer is None:
            return "to do"
        return "answered" if self.answer.verdict is not None else "decided"


def resume_position(queue: Sequence[QueueItem]) -> int:
    """Where to resume: the index of the first case not answered yet (the last one if all are)."""
    return next((i for i, item in enumerate(queue) if item.state != "answered"), max(len(queue) - 1, 0))


def describe_progress(queue: Sequence[QueueItem]) -> str:
    """ "12 of 40 answered" for a queue."""
    return f"{sum(item.state == 'answered' for item in queue)} of {len(queue)} answered"


def parse_reviewer_lines(text: str) -> list[Reviewer]:
    """Reviewers typed one a line as "name, role" (demo identities of the names), or RoundError naming the line."""
    people = []
    for number, line in enumerate((text or "").splitlines(), 1):
        if not line.strip():
            continue
        name, _, role = (part.strip() for part in line.rpartition(",")) if "," in line else (line.strip(), "", "")
        if role not in ROLES:
            raise RoundError(f"Line {number}: write “name, role” with a role among {', '.join(ROLES)}.")
        try:
            name = clean_text(f"Line {number}: the name", name, MAX_NAME_CHARS)
        except FeedbackError as err:
            raise RoundError(str(err)) from err
        people.append(Reviewer(demo_subject(name), name, role))
    return people


def rounds_of_reviewer(rounds: Iterable[ReviewRound], actor: Actor) -> list[ReviewRound]:
    """The rounds the person is a reviewer of (by subject), open ones first; none for an unnamed person."""
    if not (actor.name or "").strip():
        return []
    subject = subject_of(actor.subject, actor.name)
    mine = [r for r in rounds if any(p.subject == subject for p in r.reviewers)]
    return sorted(mine, key=lambda r: r.status != "open")
