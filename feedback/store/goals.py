"""Persistence of goals, criteria, cost matrices and saved thresholds: append-only, with history."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Table, insert, select

from feedback.access import Actor, check_actor, check_acts_on, name_changer
from feedback.goals import (
    CostMatrix,
    Criterion,
    GoalError,
    GoalStatement,
    MetricSpec,
    validate_costs,
    validate_criterion,
    validate_statement,
)
from feedback.records import MAX_COMMENT_CHARS, MAX_NAME_CHARS, FeedbackError, clean_text
from feedback.store.database import FeedbackStore, insert_record, utc_row
from feedback.store.schema import COST_MATRICES, CRITERIA, GOAL_STATEMENTS, THRESHOLD_CHANGES


def _append(store: FeedbackStore, table: Table, record: Any) -> Any:
    with store.transaction(write=True) as conn:
        return insert_record(conn, table, record)


def _history(store: FeedbackStore, table: Table, use_case: str, cls: type) -> list:
    query = select(table).where(table.c.use_case == use_case).order_by(table.c.id)
    with store.transaction() as conn:
        return [cls(**utc_row(dict(row))) for row in conn.execute(query).mappings()]


def save_statement(store: FeedbackStore, statement: GoalStatement) -> GoalStatement:
    """Validate and save a new version of the use case's goal statement."""
    return _append(store, GOAL_STATEMENTS, validate_statement(statement))


def statement_history(store: FeedbackStore, use_case: str) -> list[GoalStatement]:
    """Every version of the goal statement, oldest first (the last is current)."""
    return _history(store, GOAL_STATEMENTS, use_case, GoalStatement)


def _check_may_edit(store: FeedbackStore, criterion: Criterion, actor: Actor, specs: Mapping[str, MetricSpec]) -> None:
    """AccessError if a demo identity would edit a criterion whose current version was made under login."""
    if not criterion.key:
        return
    versions = [c for c in criteria_history(store, criterion.use_case) if c.key == criterion.key]
    if versions:
        check_acts_on(
            actor,
            versions[-1].author_subject,
            versions[-1].author_name,
            f"The criterion “{versions[-1].describe(specs)}”",
        )


def save_criterion(
    store: FeedbackStore,
    criterion: Criterion,
    attributes: tuple[str, ...] = (),
    *,
    specs: Mapping[str, MetricSpec],
) -> Criterion:
    """Validate against the metric `specs` and save a criterion (a new one gets a key; an edit is a new
    version of its key), by its author's subject (AccessError if a demo identity edits one made under login)."""
    clean = validate_criterion(replace(criterion, key=criterion.key or uuid.uuid4().hex[:12]), specs, attributes)
    actor = check_actor(Actor(clean.author_name, "business user", criterion.author_subject), "edit goals")
    _check_may_edit(store, criterion, actor, specs)
    return _append(store, CRITERIA, replace(clean, author_subject=actor.subject))


def remove_criterion(
    store: FeedbackStore, criterion: Criterion, actor: Actor, *, specs: Mapping[str, MetricSpec]
) -> Criterion:
    """Record that a criterion no longer applies, by whom (GoalError if unnamed, AccessError if a demo
    identity removes one made under login; its history stays)."""
    try:
        name = clean_text("Your name", actor.name, MAX_NAME_CHARS)
    except FeedbackError as err:
        raise GoalError(f"{err} Say who you are (sidebar) before you remove a criterion.") from err
    actor = check_actor(replace(actor, name=name), "edit goals")
    _check_may_edit(store, criterion, actor, specs)
    return _append(
        store, CRITERIA, replace(criterion, active=False, author_name=actor.name, author_subject=actor.subject)
    )


def criteria_history(store: FeedbackStore, use_case: str) -> list[Criterion]:
    """Every version of every criterion, oldest first."""
    return _history(store, CRITERIA, use_case, Criterion)


def current_criteria(store: FeedbackStore, use_case: str) -> list[Criterion]:
    """The criteria in force: the latest version of each key, if active, in order of creation."""
    latest: dict[str, Criterion] = {}
    for criterion in criteria_history(store, use_case):
        latest[criterion.key] = criterion
    return [c for c in latest.values() if c.active]


def save_costs(store: FeedbackStore, costs: CostMatrix) -> CostMatrix:
    """Validate and save the use case's cost matrix (a new version)."""
    return _append(store, COST_MATRICES, validate_costs(costs))


def costs_history(store: FeedbackStore, use_case: str) -> list[CostMatrix]:
    """Every version of the cost matrix, oldest first (the last is current)."""
    return _history(store, COST_MATRICES, use_case, CostMatrix)


def save_threshold(
    store: FeedbackStore, use_case: str, iteration: str, threshold: float, previous: float, actor: Actor, reason: str
) -> dict:
    """Record a new operating threshold for an iteration (AccessError unless the role may).

    `previous` is the threshold the person decided against: GoalError if someone saved another
    one meanwhile (the log is locked while deciding)."""
    actor = check_actor(actor, "change threshold")
    try:
        reason = clean_text("Reason", reason, MAX_COMMENT_CHARS, multiline=True)
    except FeedbackError as err:
        raise GoalError(str(err)) from err
    if not 0 < threshold < 1:
        raise GoalError(f"The threshold must lie strictly between 0 and 1; got {threshold}.")
    values = dict(
        use_case=use_case,
        iteration=iteration,
        threshold=float(threshold),
        previous=float(previous),
        actor_name=actor.name,
        actor_role=actor.role,
        actor_subject=actor.subject,
        reason=reason,
        created_at=datetime.now(timezone.utc),
    )
    with store.transaction(write=True) as conn:
        store.lock_table(conn, THRESHOLD_CHANGES)
        last = conn.execute(
            select(THRESHOLD_CHANGES.c.threshold, THRESHOLD_CHANGES.c.actor_name, THRESHOLD_CHANGES.c.actor_subject)
            .where(THRESHOLD_CHANGES.c.use_case == use_case, THRESHOLD_CHANGES.c.iteration == iteration)
            .order_by(THRESHOLD_CHANGES.c.id.desc())
        ).first()
        if last is not None and last.threshold != float(previous):
            raise GoalError(
                f"The threshold of {iteration} was changed to {last.threshold:.3f} by "
                f"{name_changer(actor, last.actor_subject, last.actor_name)} meanwhile "
                f"(you saw {float(previous):.3f}). Nothing was saved; look again and decide."
            )
        conn.execute(insert(THRESHOLD_CHANGES).values(**values))
    return values


def threshold_history(store: FeedbackStore, use_case: str) -> list[dict]:
    """Every saved threshold change of the use case's iterations, oldest first."""
    query = select(THRESHOLD_CHANGES).where(THRESHOLD_CHANGES.c.use_case == use_case).order_by(THRESHOLD_CHANGES.c.id)
    with store.transaction() as conn:
        return [utc_row(dict(row)) for row in conn.execute(query).mappings()]


def current_thresholds(store: FeedbackStore, use_case: str) -> dict[str, float]:
    """The saved operating threshold of each iteration that has one."""
    return {row["iteration"]: row["threshold"] for row in threshold_history(store, use_case)}
