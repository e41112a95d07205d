"""Persistence of review rounds: create (round, cases, assignments at once), queues, answers, close.

An answer is one row per round, case and reviewer; it is decided under the round's row lock (FOR
UPDATE on PostgreSQL; SQLite writers are serial), so closing and answering never cross and saving
twice updates the row instead of adding one.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Connection, func, insert, select, update

from feedback.access import Actor, subject_of
from feedback.notifications import REVIEW_ASSIGNMENT, OutboxMessage
from feedback.notify_events import assignment_message, round_reminder_message, round_results_message
from feedback.rounds import (
    Assignment,
    QueueItem,
    Reviewer,
    ReviewRound,
    RoundAnswer,
    RoundCase,
    RoundError,
    Verdict,
    assign_cases,
    check_may_answer,
    check_may_close,
    check_may_create,
    check_own_decision,
    check_verdict,
    plan_own_decision,
    plan_verdict,
    validate_round,
    visible_answers,
)
from feedback.store.database import FeedbackStore, insert_record, utc_row
from feedback.store.notify_events import queue_for_people
from feedback.store.schema import FEEDBACK, REVIEW_ROUNDS, ROUND_ANSWERS, ROUND_ASSIGNMENTS, ROUND_CASES, SIGNOFFS


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return (moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment).astimezone(timezone.utc)


def _round_of(row) -> ReviewRound:
    data = utc_row(dict(row))
    data["reviewers"] = tuple(Reviewer(*person) for person in json.loads(data["reviewers"]))
    data["closed_at"] = _aware(data["closed_at"])
    return ReviewRound(**data)


def _answer_of(row) -> RoundAnswer:
    data = utc_row(dict(row))
    data["categories"] = tuple(json.loads(data["categories"]))
    data["decided_at"], data["answered_at"] = _aware(data["decided_at"]), _aware(data["answered_at"])
    return RoundAnswer(**data)


def create_round(
    store: FeedbackStore,
    draft: ReviewRound,
    cases: Sequence[RoundCase],
    actor: Actor,
    *,
    known_iterations: Collection[str],
    today: date | None = None,
) -> tuple[ReviewRound, Assignment]:
    """Validate and save a round with its assigned cases, in one transaction; the round and the
    assignment (its shortfall says what could not be done). AccessError / RoundError if refused."""
    actor = check_may_create(actor)
    draft = replace(draft, created_by_subject=actor.subject, created_by_name=actor.name)
    clean = validate_round(draft, known_iterations, today or datetime.now(timezone.utc).date())
    chosen = {c.case_id: c for c in cases}
    assignment = assign_cases(
        list(chosen), [p.subject for p in clean.reviewers], clean.cases_per_reviewer, clean.overlap, clean.seed
    )
    assigned = {case for queue in assignment.by_reviewer.values() for case in queue}
    if not assigned:
        raise RoundError("No case could be assigned: choose cases for the round first.")
    now = datetime.now(timezone.utc)
    with store.transaction(write=True) as conn:
        saved = insert_record(
            conn, REVIEW_ROUNDS, clean, now, reviewers=json.dumps([list(p.__dict__.values()) for p in clean.reviewers])
        )
        rows = [
            {"round_id": saved.id, "case_id": c.case_id, "strategy": c.strategy, "why": c.why, "created_at": now}
            for c in chosen.values()
            if c.case_id in assigned
        ]
        conn.execute(insert(ROUND_CASES), rows)
        pairs = [
            {"round_id": saved.id, "reviewer_subject": s, "case_id": c, "position": i} for s, c, i in assignment.pairs()
        ]
        conn.execute(insert(ROUND_ASSIGNMENTS), pairs)
        for person in saved.reviewers:
            n = len(assignment.by_reviewer.get(person.subject, ()))
            if n:
                build = lambda to, n=n: assignment_message(saved, to, n)  # noqa: E731
                queue_for_people(
                    conn, saved.use_case, REVIEW_ASSIGNMENT, build, only={person.subject: person.role}, now=now
                )
    return saved, assignment


def list_rounds(store: FeedbackStore, use_case: str) -> list[ReviewRound]:
    """The use case's rounds, newest first."""
    query = select(REVIEW_ROUNDS).where(REVIEW_ROUNDS.c.use_case == use_case).order_by(REVIEW_ROUNDS.c.id.desc())
    with store.transaction() as conn:
        return [_round_of(row) for row in conn.execute(query).mappings()]


def _read_round(conn: Connection, round_id: int, lock: bool = False) -> ReviewRound:
    query = select(REVIEW_ROUNDS).where(REVIEW_ROUNDS.c.id == round_id)
    row = conn.execute(query.with_for_update() if lock else query).mappings().first()
    if row is None:
        raise RoundError(f"There is no review round #{round_id}.")
    return _round_of(row)


def read_round(store: FeedbackStore, round_id: int) -> ReviewRound:
    """One round (RoundError if there is none)."""
    with store.transaction() as conn:
        return _read_round(conn, round_id)


def read_round_cases(store: FeedbackStore, round_id: int) -> list[RoundCase]:
    """The round's cases with the strategy that chose each and why."""
    query = select(ROUND_CASES).where(ROUND_CASES.c.round_id == round_id).order_by(ROUND_CASES.c.id)
    with store.transaction() as conn:
        return [RoundCase(**utc_row(dict(row))) for row in conn.execute(query).mappings()]


def my_queue(store: FeedbackStore, round_id: int, actor: Actor) -> list[QueueItem]:
    """The person's cases in the round, in their order, with their answer so far (empty if not a reviewer)."""
    subject = subject_of(actor.subject, actor.name)
    a, c, r = ROUND_ASSIGNMENTS, ROUND_CASES, ROUND_ANSWERS
    query = (
        select(a.c.position, a.c.case_id, c.c.strategy, c.c.why)
        .join(c, (c.c.round_id == a.c.round_id) & (c.c.case_id == a.c.case_id))
        .where(a.c.round_id == round_id, a.c.reviewer_subject == subject)
        .order_by(a.c.position)
    )
    answers_query = select(r).where(r.c.round_id == round_id, r.c.reviewer_subject == subject)
    with store.transaction() as conn:
        rows = conn.execute(query).all()
        answers = {row.case_id: _answer_of(row) for row in conn.execute(answers_query).mappings()}
    return [QueueItem(row.position, row.case_id, row.strategy, row.why, answers.get(row.case_id)) for row in rows]


def _decide(conn: Connection, round_id: int, case_id: str, actor: Actor) -> tuple[Actor, RoundAnswer | None]:
    """Under the round's lock: the checked actor and their answer on the case so far."""
    round_ = _read_round(conn, round_id, lock=True)
    subject = subject_of(actor.subject, actor.name)
    assigned = conn.execute(
        select(ROUND_ASSIGNMENTS.c.case_id).where(
            ROUND_ASSIGNMENTS.c.round_id == round_id,
            ROUND_ASSIGNMENTS.c.reviewer_subject == subject,
            ROUND_ASSIGNMENTS.c.case_id == case_id,
        )
    ).all()
    actor = check_may_answer(round_, actor, {row.case_id for row in assigned}, case_id)
    row = (
        conn.execute(
            select(ROUND_ANSWERS).where(
                ROUND_ANSWERS.c.round_id == round_id,
                ROUND_ANSWERS.c.case_id == case_id,
                ROUND_ANSWERS.c.reviewer_subject == actor.subject,
            )
        )
        .mappings()
        .first()
    )
    return actor, (_answer_of(row) if row is not None else None)


def save_own_decision(
    store: FeedbackStore,
    round_id: int,
    case_id: str,
    actor: Actor,
    decision: str,
    confidence: int,
    *,
    decisions: Collection[str],
) -> RoundAnswer:
    """Save the reviewer's blind decision and confidence on a case (kept as first saved; RoundError)."""
    decision, confidence = check_own_decision(decision, confidence, decisions)
    now = datetime.now(timezone.utc)
    with store.transaction(write=True) as conn:
        actor, existing = _decide(conn, round_id, case_id, actor)
        draft = RoundAnswer(round_id, case_id, actor.subject, actor.name, decision, confidence, now)
        planned = plan_own_decision(existing, draft)
        if planned is None:
            return existing
        return insert_record(conn, ROUND_ANSWERS, planned, now, categories="[]")


def save_verdict(store: FeedbackStore, round_id: int, case_id: str, actor: Actor, verdict: Verdict) -> RoundAnswer:
    """Save (or replace) the reviewer's verdict after the reveal (RoundError before the own decision)."""
    verdict = check_verdict(verdict)
    now = datetime.now(timezone.utc)
    with store.transaction(write=True) as conn:
        actor, existing = _decide(conn, round_id, case_id, actor)
        answer = plan_verdict(existing, verdict, now)
        conn.execute(
            update(ROUND_ANSWERS)
            .where(ROUND_ANSWERS.c.id == answer.id)
            .values(
                verdict=answer.verdict,
                expected_outcome=answer.expected_outcome,
                categories=json.dumps(list(answer.categories)),
                clarity=answer.clarity,
                comment=answer.comment,
                answered_at=now,
            )
        )
        return answer


def close_round(store: FeedbackStore, round_id: int, actor: Actor) -> ReviewRound:
    """Close a round (its creator or an admin): no more answers, and everyone's answers become visible."""
    now = datetime.now(timezone.utc)
    with store.transaction(write=True) as conn:
        round_ = _read_round(conn, round_id, lock=True)
        check_may_close(round_, actor)
        conn.execute(update(REVIEW_ROUNDS).where(REVIEW_ROUNDS.c.id == round_id).values(status="closed", closed_at=now))
        for person in round_.reviewers:
            build = lambda to: round_results_message(round_, to)  # noqa: E731
            queue_for_people(
                conn, round_.use_case, REVIEW_ASSIGNMENT, build, only={person.subject: person.role}, now=now
            )
    return replace(round_, status="closed", closed_at=now)


def queue_round_reminders(store: FeedbackStore, today: date) -> list[OutboxMessage]:
    """Remind each reviewer with cases left in an open round due tomorrow (or today); once per round and
    reviewer (the message's idempotency key). Run by the delivery worker; the reminders queued now."""
    due = select(REVIEW_ROUNDS).where(
        REVIEW_ROUNDS.c.status == "open",
        REVIEW_ROUNDS.c.due_date >= today,
        REVIEW_ROUNDS.c.due_date <= today + timedelta(days=1),
    )
    queued: list[OutboxMessage] = []
    with store.transaction() as conn:
        rounds = [_round_of(row) for row in conn.execute(due).mappings()]
    for round_ in rounds:
        counts = zip(round_.reviewers, round_completion(store, round_.id), strict=True)
        left = {person.subject: row["assigned"] - row["answered"] for person, row in counts}
        with store.transaction(write=True) as conn:
            for person in round_.reviewers:
                if left.get(person.subject, 0) > 0:
                    build = lambda to, n=left[person.subject]: round_reminder_message(round_, to, n)  # noqa: E731
                    only = {person.subject: person.role}
                    queued += queue_for_people(conn, round_.use_case, REVIEW_ASSIGNMENT, build, only=only)
    return queued


def read_answers(store: FeedbackStore, round_id: int, viewer: Actor) -> list[RoundAnswer]:
    """The round's answers the viewer may read (everyone's once closed, else only their own)."""
    query = select(ROUND_ANSWERS).where(ROUND_ANSWERS.c.round_id == round_id).order_by(ROUND_ANSWERS.c.id)
    with store.transaction() as conn:
        round_ = _read_round(conn, round_id)
        answers = [_answer_of(row) for row in conn.execute(query).mappings()]
    return visible_answers(round_, answers, viewer)


def round_completion(store: FeedbackStore, round_id: int) -> list[dict]:
    """Per reviewer: name, role, cases assigned, own decisions saved and verdicts given (counts only)."""
    a, r = ROUND_ASSIGNMENTS, ROUND_ANSWERS
    assigned_q = (
        select(a.c.reviewer_subject, func.count()).where(a.c.round_id == round_id).group_by(a.c.reviewer_subject)
    )
    answered_q = (
        select(r.c.reviewer_subject, func.count(), func.count(r.c.verdict))
        .where(r.c.round_id == round_id)
        .group_by(r.c.reviewer_subject)
    )
    with store.transaction() as conn:
        round_ = _read_round(conn, round_id)
        assigned = dict(conn.execute(assigned_q).all())
        answered = {s: (d, v) for s, d, v in conn.execute(answered_q).all()}
    return [
        {
            "reviewer": p.name,
            "role": p.role,
            "assigned": assigned.get(p.subject, 0),
            "decided": answered.get(p.subject, (0, 0))[0],
            "answered": answered.get(p.subject, (0, 0))[1],
        }
        for p in round_.reviewers
    ]


def known_people(store: FeedbackStore) -> list[Reviewer]:
    """Everyone the store has seen act (feedback, sign-offs, earlier rounds), by subject, sorted by name."""
    people: dict[str, Reviewer] = {}
    with store.transaction() as conn:
        for subject, name, role in conn.execute(
            select(FEEDBACK.c.reviewer_subject, FEEDBACK.c.reviewer_name, FEEDBACK.c.reviewer_role).distinct()
        ):
            people.setdefault(subject_of(subject, name), Reviewer(subject_of(subject, name), name, role))
        for subject, name, role in conn.execute(
            select(SIGNOFFS.c.signer_subject, SIGNOFFS.c.signer_name, SIGNOFFS.c.signer_role).distinct()
        ):
            people.setdefault(subject_of(subject, name), Reviewer(subject_of(subject, name), name, role))
        for (reviewers,) in conn.execute(select(REVIEW_ROUNDS.c.reviewers)):
            for person in json.loads(reviewers):
                people.setdefault(person[0], Reviewer(*person))
    return sorted(people.values(), key=lambda p: (p.name.casefold(), p.subject))


def closed_answers(store: FeedbackStore, use_case: str, version: str) -> list[RoundAnswer]:
    """Every answer of the closed review rounds on one iteration (everyone's answers are visible once a round
    is closed; open rounds stay hidden, as on the Reviews page)."""
    r, a = REVIEW_ROUNDS, ROUND_ANSWERS
    query = (
        select(a)
        .join(r, r.c.id == a.c.round_id)
        .where(r.c.use_case == use_case, r.c.iteration == version, r.c.status == "closed")
        .order_by(a.c.id)
    )
    with store.transaction() as conn:
        return [_answer_of(row) for row in conn.execute(query).mappings()]
