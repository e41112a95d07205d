"""Persistence of adjudications and expectations (both append-only).

An adjudication is read-decide-write under the round's row lock (FOR UPDATE on PostgreSQL; SQLite
writers are serial): of two adjudicators saving the same case at once, the first wins and the other is
told who decided what. The expectation it gives is written in the same transaction. Closing a round
writes its unanimous expectations in the transaction that closes it (`close_round_keeping`).
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
    check_adjudication,
    check_may_adjudicate,
    refuse_second,
)
from feedback.rounds import ReviewRound, RoundAnswer, check_may_close
from feedback.store.database import FeedbackStore, insert_record, utc_row
from feedback.store.rounds import _answer_of, _read_round
from feedback.store.schema import ADJUDICATIONS, EXPECTATIONS, REVIEW_ROUNDS, ROUND_ANSWERS


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


def list_expectations(store: FeedbackStore, use_case: str) -> list[Expectation]:
    """Every expectation kept for the use case, oldest first."""
    query = select(EXPECTATIONS).where(EXPECTATIONS.c.use_case == use_case).order_by(EXPECTATIONS.c.id)
    with store.transaction() as conn:
        return [Expectation(**utc_row(dict(row))) for row in conn.execute(query).mappings()]
