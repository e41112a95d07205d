"""Persistence of adjudications and expectations (both append-only).

An adjudication is read-decide-write under the round's row lock (FOR UPDATE on PostgreSQL; SQLite
writers are serial): of two adjudicators saving the same case at once, the first wins and the other is
told who decided what. The expectation it gives is written in the same transaction. Closing a round
writes its unanimous expectations in the transaction that closes it (`close_round_keeping`). A pinned
expectation is one more row; a retirement is a row of its own (append-only, one per expectation), and a
retired expectation is no longer listed among those in force (`list_expectations`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import replace
from datetime import datetime, timezone

from sqlalchemy import select, update

from feedback.access import Actor
from feedback.expectations import (
    Adjudication,
    Expectation,
    ExpectationBook,
    ExpectationError,
    Retirement,
    check_adjudication,
    check_may_adjudicate,
    current_expectations,
    pin_expectation,
    refuse_second,
    retire,
)
from feedback.rounds import ReviewRound, RoundAnswer, check_may_close
from feedback.store.database import FeedbackStore, insert_record, utc_row
from feedback.store.rounds import _answer_of, _read_round
from feedback.store.schema import (
    ADJUDICATIONS,
    EXPECTATION_RETIREMENTS,
    EXPECTATIONS,
    REVIEW_ROUNDS,
    ROUND_ANSWERS,
)


def adjudicate(
    store: FeedbackStore,
    round_id: int,
    case_id: str,
    actor: Actor,
    decision: str,
    reason: str,
    *,
    queue: Mapping[str, str],
    decisions: Collection[str],
) -> tuple[Adjudication, Expectation]:
    """Record the agreed outcome of a queued case (`queue`: case id -> why it is queued) and keep it as an
    expectation, in one transaction; RoundError if adjudicated meanwhile, AccessError for a role that may not."""
    decision, reason = check_adjudication(decision, reason, decisions)
    now = datetime.now(timezone.utc)
    with store.transaction(write=True) as conn:
        round_ = _read_round(conn, round_id, lock=True)
        answered_by = conn.execute(
            select(ROUND_ANSWERS.c.reviewer_subject).where(
                ROUND_ANSWERS.c.round_id == round_id, ROUND_ANSWERS.c.case_id == case_id
            )
        ).scalars()
        actor = check_may_adjudicate(round_, actor, queue, case_id, set(answered_by))
        row = (
            conn.execute(
                select(ADJUDICATIONS).where(ADJUDICATIONS.c.round_id == round_id, ADJUDICATIONS.c.case_id == case_id)
            )
            .mappings()
            .first()
        )
        if row is not None:
            raise refuse_second(Adjudication(**utc_row(dict(row))))
        record = Adjudication(
            round_id, case_id, decision, reason, queue[case_id], actor.subject, actor.name, actor.role
        )
        saved = insert_record(conn, ADJUDICATIONS, record, now)
        kept = insert_record(
            conn,
            EXPECTATIONS,
            Expectation(
                round_.use_case,
                case_id,
                decision,
                "adjudicated",
                round_id,
                round_.iteration,
                actor.subject,
                actor.name,
                reason,
            ),
            now,
        )
    return saved, kept


def close_round_keeping(
    store: FeedbackStore,
    round_id: int,
    actor: Actor,
    keep: Callable[[ReviewRound, list[RoundAnswer]], list[Expectation]],
) -> tuple[ReviewRound, list[Expectation]]:
    """Close a round (its creator or an admin) and, in the same transaction, keep the expectations `keep`
    draws from its final answers (read under the round's lock, so no answer slips in after)."""
    now = datetime.now(timezone.utc)
    with store.transaction(write=True) as conn:
        round_ = _read_round(conn, round_id, lock=True)
        check_may_close(round_, actor)
        answers = [
            _answer_of(row)
            for row in conn.execute(select(ROUND_ANSWERS).where(ROUND_ANSWERS.c.round_id == round_id)).mappings()
        ]
        conn.execute(update(REVIEW_ROUNDS).where(REVIEW_ROUNDS.c.id == round_id).values(status="closed", closed_at=now))
        closed = replace(round_, status="closed", closed_at=now)
        kept = [insert_record(conn, EXPECTATIONS, e, now) for e in keep(closed, answers)]
    return closed, kept


def list_adjudications(store: FeedbackStore, round_id: int) -> list[Adjudication]:
    """The round's adjudications, oldest first."""
    query = select(ADJUDICATIONS).where(ADJUDICATIONS.c.round_id == round_id).order_by(ADJUDICATIONS.c.id)
    with store.transaction() as conn:
        return [Adjudication(**utc_row(dict(row))) for row in conn.execute(query).mappings()]


def list_expectations(store: FeedbackStore, use_case: str, *, retired: bool = False) -> list[Expectation]:
    """Every expectation kept for the use case, oldest first: those not retired (or, `retired`, all of them)."""
    query = select(EXPECTATIONS).where(EXPECTATIONS.c.use_case == use_case).order_by(EXPECTATIONS.c.id)
    if not retired:
        query = query.where(EXPECTATIONS.c.id.not_in(select(EXPECTATION_RETIREMENTS.c.expectation_id)))
    with store.transaction() as conn:
        return [Expectation(**utc_row(dict(row))) for row in conn.execute(query).mappings()]


def list_retirements(store: FeedbackStore, use_case: str) -> list[Retirement]:
    """The use case's retired expectations (which, who, when, why), oldest first."""
    table = EXPECTATION_RETIREMENTS
    query = select(table).where(table.c.use_case == use_case).order_by(table.c.id)
    with store.transaction() as conn:
        return [Retirement(**utc_row(dict(row))) for row in conn.execute(query).mappings()]


def save_pinned(
    store: FeedbackStore,
    actor: Actor,
    use_case: str,
    case_id: str,
    iteration: str,
    decision: str,
    reason: str,
    *,
    decisions: Collection[str],
) -> Expectation:
    """Keep the expectation a person pins on a case (AccessError / ExpectationError as `pin_expectation`)."""
    expectation = pin_expectation(actor, use_case, case_id, iteration, decision, reason, decisions)
    with store.transaction(write=True) as conn:
        return insert_record(conn, EXPECTATIONS, expectation)


def retire_expectation(store: FeedbackStore, expectation_id: int, actor: Actor, reason: str) -> Retirement:
    """Retire an expectation with a reason, read-decide-write in one transaction (AccessError for a role
    that may not, ExpectationError if unknown or retired meanwhile — the first retirement stands; the
    expectation's row is locked FOR UPDATE on PostgreSQL, SQLite writers are serial)."""
    with store.transaction(write=True) as conn:
        query = select(EXPECTATIONS).where(EXPECTATIONS.c.id == expectation_id).with_for_update()
        row = conn.execute(query).mappings().first()  # locked: a second retirement waits, then is told
        if row is None:
            raise ExpectationError(f"There is no expectation #{expectation_id}.")
        earlier = (
            conn.execute(
                select(EXPECTATION_RETIREMENTS).where(EXPECTATION_RETIREMENTS.c.expectation_id == expectation_id)
            )
            .mappings()
            .first()
        )
        retirement = retire(
            actor,
            Expectation(**utc_row(dict(row))),
            reason,
            Retirement(**utc_row(dict(earlier))) if earlier is not None else None,
        )
        return insert_record(conn, EXPECTATION_RETIREMENTS, retirement)


def read_expectation_book(store: FeedbackStore, use_case: str) -> ExpectationBook:
    """The expectations in force, by case, and the history of those retired (newest retirement first)."""
    every = {e.id: e for e in list_expectations(store, use_case, retired=True)}
    retirements = list_retirements(store, use_case)
    retired_ids = {r.expectation_id for r in retirements}
    in_force = current_expectations(e for e in every.values() if e.id not in retired_ids)
    history = [(every[r.expectation_id], r) for r in reversed(retirements) if r.expectation_id in every]
    return ExpectationBook([in_force[c] for c in sorted(in_force)], history)
