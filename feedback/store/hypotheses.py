"""Persistence of the hypotheses iterations test: append-only, every version kept, the latest counts."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from sqlalchemy import select

from feedback.access import Actor
from feedback.goals import MetricSpec
from feedback.hypotheses import Claim, Hypothesis, claims_from_json, claims_to_json, state_hypothesis
from feedback.store.database import FeedbackStore, insert_record, utc_row
from feedback.store.schema import HYPOTHESES


def _hypothesis_of(row) -> Hypothesis:
    data = utc_row(dict(row))
    data["claims"] = claims_from_json(json.loads(data["claims"]))
    return Hypothesis(**data)


def hypothesis_history(store: FeedbackStore, use_case: str, iteration: str | None = None) -> list[Hypothesis]:
    """Every version of the hypotheses of the use case's iterations (or of one), oldest first."""
    query = select(HYPOTHESES).where(HYPOTHESES.c.use_case == use_case)
    if iteration is not None:
        query = query.where(HYPOTHESES.c.iteration == iteration)
    with store.transaction() as conn:
        return [_hypothesis_of(row) for row in conn.execute(query.order_by(HYPOTHESES.c.id)).mappings()]


def current_hypotheses(store: FeedbackStore, use_case: str) -> dict[str, Hypothesis]:
    """Iteration -> the hypothesis it tests now (its latest version)."""
    return {h.iteration: h for h in hypothesis_history(store, use_case)}


def save_hypothesis(
    store: FeedbackStore,
    actor: Actor,
    use_case: str,
    iteration: str,
    statement: str,
    claims: Iterable[Claim],
    *,
    specs: Mapping[str, MetricSpec],
    parent: str | None = None,
) -> Hypothesis:
    """Check (`feedback.hypotheses.state_hypothesis`: AccessError / HypothesisError) and save the hypothesis an
    iteration tests, as its new version; the record with its id and time."""
    with store.transaction(write=True) as conn:
        store.lock_table(conn, HYPOTHESES)
        last = (
            conn.execute(
                select(HYPOTHESES)
                .where(HYPOTHESES.c.use_case == use_case, HYPOTHESES.c.iteration == iteration)
                .order_by(HYPOTHESES.c.id.desc())
            )
            .mappings()
            .first()
        )
        previous = _hypothesis_of(last) if last is not None else None
        record = state_hypothesis(
            actor, use_case, iteration, statement, claims, specs=specs, parent=parent, previous=previous
        )
        return insert_record(conn, HYPOTHESES, record, claims=json.dumps(claims_to_json(record.claims)))
