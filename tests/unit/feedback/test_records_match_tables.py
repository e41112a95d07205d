"""Each stored record is declared twice, a dataclass and its table (feedback/store/schema.py): they agree.

Names, Python types and nullability (a field that may be None has a nullable column; `id` and
`created_at` are None / 0 only until the store stamps them). A field kept as JSON text is listed
here with its table; every table either has its record or says why it has none, and every record
class (a dataclass with an `id` and a `created_at`) in `feedback/` has its table.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import types
import typing
from datetime import date, datetime

import pytest
from sqlalchemy import Table, Text

import feedback
from feedback.announcements import Announcement
from feedback.app_reports import AppReport
from feedback.decision_records import DecisionRecord
from feedback.documents import DocumentRecord
from feedback.exchange import ImportRecord
from feedback.expectations import Adjudication, Expectation, Retirement
from feedback.goals import CostMatrix, Criterion, GoalStatement
from feedback.hypotheses import Hypothesis
from feedback.lifecycle import LifecycleEvent
from feedback.notice_templates import NoticeTemplate, StatementTable
from feedback.notifications import DeliveryAttempt, OutboxMessage, Subscription
from feedback.records import Feedback
from feedback.rounds import ReviewRound, RoundAnswer, RoundCase
from feedback.signoff import SignOff
from feedback.store import schema

RECORD_TABLES: dict[type, Table] = {
    Feedback: schema.FEEDBACK,
    AppReport: schema.APP_REPORTS,
    LifecycleEvent: schema.LIFECYCLE,
    GoalStatement: schema.GOAL_STATEMENTS,
    Criterion: schema.CRITERIA,
    CostMatrix: schema.COST_MATRICES,
    SignOff: schema.SIGNOFFS,
    Announcement: schema.ANNOUNCEMENTS,
    ImportRecord: schema.FEEDBACK_IMPORTS,
    ReviewRound: schema.REVIEW_ROUNDS,
    RoundCase: schema.ROUND_CASES,
    RoundAnswer: schema.ROUND_ANSWERS,
    OutboxMessage: schema.OUTBOX,
    DeliveryAttempt: schema.NOTIFICATION_ATTEMPTS,
    Subscription: schema.SUBSCRIPTIONS,
    NoticeTemplate: schema.NOTICE_TEMPLATES,
    DocumentRecord: schema.GENERATED_DOCUMENTS,
    Adjudication: schema.ADJUDICATIONS,
    Expectation: schema.EXPECTATIONS,
    Retirement: schema.EXPECTATION_RETIREMENTS,
    DecisionRecord: schema.DECISION_RECORDS,
    StatementTable: schema.REASON_STATEMENTS,
    Hypothesis: schema.HYPOTHESES,
}
#: tables read as plain rows, not as a record, and why
NO_RECORD = {
    "triage_events": "the triage log, read as rows (triage_history); TriageChange is the plan of a change",
    "threshold_changes": "read as rows (threshold_history, current_thresholds)",
    "usage_events": "read as a data frame with the table's own columns (usage_frame)",
    "dismissals": "read as the set of a person's dismissed items",
    "involve_schema": "the schema's own version log",
    "round_assignments": "who sees which case of a round, read as rows (my_queue, round_completion)",
}
#: (table, column) kept as JSON text of a field that is a list or a structure
JSON_COLUMNS = {
    ("feedback", "reasons_shown"),
    ("feedback", "categories"),
    ("signoffs", "snapshot"),
    ("signoffs", "acknowledged"),
    ("review_rounds", "reviewers"),
    ("round_answers", "categories"),
    ("notification_outbox", "delivered_to"),
    ("notification_subscriptions", "use_cases"),
    ("notification_subscriptions", "events"),
    ("generated_documents", "case_ids"),
    ("generated_documents", "references"),
    ("reason_statement_tables", "statements"),
    ("hypotheses", "claims"),
}
STAMPED = ("id", "created_at")  # set by the store on insert


def _field_type(hint: object) -> tuple[object, bool]:
    """The field's type without None, and whether it may be None."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return (args[0] if len(args) == 1 else hint), len(args) < len(typing.get_args(hint))
    return hint, False


def mismatches(record: type, table: Table) -> list[str]:
    """How a record class and its table disagree (empty if they agree)."""
    hints = typing.get_type_hints(record)
    fields = {f.name for f in dataclasses.fields(record)}
    columns = {c.name: c for c in table.columns}
    problems = [f"field {name} has no column" for name in sorted(fields - columns.keys())]
    problems += [f"column {name} has no field" for name in sorted(columns.keys() - fields)]
    for name in sorted(fields & columns.keys()):
        column, (kind, optional) = columns[name], _field_type(hints[name])
        if (table.name, name) in JSON_COLUMNS:
            if not isinstance(column.type, Text):
                problems.append(f"{name} is kept as JSON, so its column must be Text, not {column.type}")
        elif kind is not column.type.python_type:
            problems.append(f"{name} is {kind} but its column holds {column.type.python_type}")
        if name not in STAMPED and optional != bool(column.nullable):
            problems.append(
                f"{name} {'may' if optional else 'may not'} be None but its column is "
                + ("nullable" if column.nullable else "NOT NULL")
            )
    return problems


@pytest.mark.parametrize("record", list(RECORD_TABLES), ids=lambda r: r.__name__)
def test_each_record_matches_its_table(record):
    assert mismatches(record, RECORD_TABLES[record]) == []


def test_every_table_has_its_record_or_says_why_not():
    paired = {t.name for t in RECORD_TABLES.values()}
    assert sorted(schema.METADATA.tables) == sorted(paired | NO_RECORD.keys())
    assert not paired & NO_RECORD.keys()


def _record_classes() -> set[type]:
    found = set()
    for info in pkgutil.walk_packages(feedback.__path__, "feedback."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if dataclasses.is_dataclass(value) and isinstance(value, type) and value.__module__ == info.name:
                names = {f.name for f in dataclasses.fields(value)}
                if set(STAMPED) <= names:
                    found.add(value)
    return found


def test_every_record_class_has_its_table():
    assert _record_classes() == set(RECORD_TABLES)


@dataclasses.dataclass(frozen=True)
class _Drifted:
    """A record that drifted from the goal-statement table: a renamed, a retyped and a new field."""

    use_case: str
    problem: str
    users: str | None
    promise: str
    author_name: int
    author_role: str
    id: int = 0
    created_at: datetime | None = None
    agreed_on: date | None = None


def test_the_check_finds_each_kind_of_drift():
    assert mismatches(_Drifted, schema.GOAL_STATEMENTS) == [
        "field agreed_on has no column",
        "field promise has no column",
        "column promises has no field",
        f"author_name is {int} but its column holds {str}",
        "users may be None but its column is NOT NULL",
    ]
