"""The store's tables and its versioned migrations (a store is upgraded on open, never downgraded).

When a later version changes a table, freeze the old definition inside its migration and add a new
migration that alters the table: a migration, once released, never changes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    inspect,
    select,
    text,
)


def _feedback_table(metadata: MetaData, *later_columns: Column) -> Table:
    """The feedback table as created by schema 1, plus the columns later migrations added."""
    return Table(
        "feedback",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("use_case", String(200), nullable=False),
        Column("iteration", String(200), nullable=False),
        Column("case_id", String(200), nullable=False),
        Column("score", Float, nullable=False),
        Column("threshold", Float, nullable=False),
        Column("decision", String(200), nullable=False),
        Column("reasons_shown", Text, nullable=False),  # JSON list of the reason texts shown
        Column("reviewer_name", String(100), nullable=False),
        Column("reviewer_role", String(50), nullable=False),
        Column("verdict", String(20), nullable=False),
        Column("expected_outcome", String(20)),
        Column("categories", Text, nullable=False),  # JSON list
        Column("severity", String(20), nullable=False),
        Column("explanation_rating", Integer),
        Column("comment", Text, nullable=False),
        Column("triage_status", String(20), nullable=False, server_default="new"),
        Column("fixed_in", String(200)),
        Column("app_version", String(200), nullable=False),
        *later_columns,
        Index("ix_feedback_case", "use_case", "iteration", "case_id"),
    )


def _v4_feedback_columns() -> tuple[Column, ...]:
    return (
        Column("uid", String(36), unique=True),  # stable across stores, for export / import
        Column("duplicate_of", Integer),
        Column("triage_note", Text),
    )


def _v4_tables(metadata: MetaData) -> tuple[Table, Table]:
    triage = Table(
        "triage_events",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("feedback_id", Integer, nullable=False, index=True),
        Column("from_status", String(20), nullable=False),
        Column("to_status", String(20), nullable=False),
        Column("duplicate_of", Integer),
        Column("fixed_in", String(200)),
        Column("note", Text, nullable=False),
        Column("actor_name", String(100), nullable=False),
        Column("actor_role", String(50), nullable=False),
    )
    reports = Table(
        "app_reports",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("page", String(200), nullable=False),
        Column("kind", String(50), nullable=False),
        Column("comment", Text, nullable=False),
        Column("reporter_name", String(100), nullable=False),
        Column("reporter_role", String(50), nullable=False),
        Column("app_version", String(200), nullable=False),
    )
    return triage, reports


def _lifecycle_table(metadata: MetaData) -> Table:
    return Table(
        "lifecycle_events",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("use_case", String(200), nullable=False),
        Column("iteration", String(200), nullable=False),
        Column("from_status", String(20), nullable=False),
        Column("to_status", String(20), nullable=False),
        Column("actor_name", String(100), nullable=False),
        Column("actor_role", String(50), nullable=False),
        Column("reason", Text, nullable=False),
        Column("sunset_date", Date),
        Column("replacement", String(200)),
        Column("migration_note", Text),
        Index("ix_lifecycle_use_case", "use_case", "id"),
    )


def _goal_tables(metadata: MetaData) -> tuple[Table, ...]:
    def audit(name: str, *columns) -> Table:
        return Table(
            name,
            metadata,
            Column("id", Integer, primary_key=True, autoincrement=True),
            Column("created_at", DateTime(timezone=True), nullable=False),
            Column("use_case", String(200), nullable=False),
            *columns,
            Index(f"ix_{name}_use_case", "use_case", "id"),
        )

    return (
        audit(
            "goal_statements",
            Column("problem", Text, nullable=False),
            Column("users", Text, nullable=False),
            Column("promises", Text, nullable=False),
            Column("author_name", String(100), nullable=False),
            Column("author_role", String(50), nullable=False),
        ),
        audit(
            "criteria",
            Column("key", String(40), nullable=False),
            Column("metric", String(50), nullable=False),
            Column("attribute", String(200)),
            Column("comparator", String(2), nullable=False),
            Column("target", Float, nullable=False),
            Column("owner", String(100), nullable=False),
            Column("agreed_on", Date, nullable=False),
            Column("author_name", String(100), nullable=False),
            Column("active", Boolean, nullable=False),
        ),
        audit(
            "cost_matrices",
            Column("false_positive_cost", Float, nullable=False),
            Column("false_negative_cost", Float, nullable=False),
            Column("false_negative_column", String(200)),
            Column("false_negative_fraction", Float, nullable=False),
            Column("currency", String(20), nullable=False),
            Column("author_name", String(100), nullable=False),
        ),
        audit(
            "threshold_changes",
            Column("iteration", String(200), nullable=False),
            Column("threshold", Float, nullable=False),
            Column("previous", Float, nullable=False),
            Column("actor_name", String(100), nullable=False),
            Column("actor_role", String(50), nullable=False),
            Column("reason", Text, nullable=False),
        ),
    )


def _schema_table(metadata: MetaData) -> Table:
    return Table(
        "involve_schema",
        metadata,
        Column("version", Integer, primary_key=True),
        Column("description", String(200), nullable=False),
        Column("applied_at", DateTime(timezone=True), nullable=False),
    )


METADATA = MetaData()
FEEDBACK = _feedback_table(
    METADATA,
    *_v4_feedback_columns(),
    Column("what_if", Text),
    Column("import_id", Integer),  # schema 6, 8
)
TRIAGE_EVENTS, APP_REPORTS = _v4_tables(METADATA)
LIFECYCLE = _lifecycle_table(METADATA)
GOAL_STATEMENTS, CRITERIA, COST_MATRICES, THRESHOLD_CHANGES = _goal_tables(METADATA)
SCHEMA = _schema_table(METADATA)


@dataclass(frozen=True)
class Migration:
    """One schema step: its version, what it does, and the function that does it."""

    version: int
    description: str
    apply: Callable[[Connection], None]


def _create_v1(conn: Connection) -> None:
    _feedback_table(MetaData()).create(conn)


def _make_append_only(conn: Connection, table: str) -> None:
    """Database triggers that refuse any UPDATE or DELETE of an audit table's rows."""
    message = f"{table} is an append-only audit log"
    if conn.dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            f"CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{message}'; END $$"
        )
        conn.exec_driver_sql(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
        )


def _create_v2(conn: Connection) -> None:
    _lifecycle_table(MetaData()).create(conn)
    _make_append_only(conn, "lifecycle_events")


def _create_v3(conn: Connection) -> None:
    for table in _goal_tables(MetaData()):
        table.create(conn)
        _make_append_only(conn, table.name)


def _create_v4(conn: Connection) -> None:
    for column in _v4_feedback_columns():
        kind = column.type.compile(dialect=conn.dialect)
        conn.exec_driver_sql(f"ALTER TABLE feedback ADD COLUMN {column.name} {kind}")
    ids = [row[0] for row in conn.exec_driver_sql("SELECT id FROM feedback")]
    for feedback_id in ids:
        conn.execute(
            text("UPDATE feedback SET uid = :uid WHERE id = :id"), {"uid": str(uuid.uuid4()), "id": feedback_id}
        )
    conn.exec_driver_sql("CREATE UNIQUE INDEX ix_feedback_uid ON feedback (uid)")
    triage, reports = _v4_tables(MetaData())
    triage.create(conn)
    _make_append_only(conn, "triage_events")
    reports.create(conn)


def _usage_table(metadata: MetaData) -> Table:
    return Table(
        "usage_events",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("use_case", String(200), nullable=False),
        Column("iteration", String(200)),
        Column("page", String(200), nullable=False),
        Column("role", String(50), nullable=False),
        Column("event", String(50), nullable=False),
        Column("duration_ms", Float),
        Index("ix_usage_use_case", "use_case", "created_at"),
    )


USAGE = _usage_table(METADATA)


def _create_v5(conn: Connection) -> None:
    _usage_table(MetaData()).create(conn)


def _create_v6(conn: Connection) -> None:
    conn.exec_driver_sql("ALTER TABLE feedback ADD COLUMN what_if TEXT")  # JSON: input -> [old, new]


def _v7_tables(metadata: MetaData) -> tuple[Table, Table, Table]:
    signoffs = Table(
        "signoffs",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("use_case", String(200), nullable=False),
        Column("iteration", String(200), nullable=False),
        Column("action", String(20), nullable=False),  # "sign off" or "withdraw"
        Column("withdraws", Integer),  # the sign-off a withdrawal cancels
        Column("signer_name", String(100), nullable=False),
        Column("signer_role", String(50), nullable=False),
        Column("comment", Text, nullable=False),
        Column("snapshot", Text),  # JSON: scorecard, fairness gaps, open feedback at signing
        Column("acknowledged", Text, nullable=False),  # JSON list of the failing criteria acknowledged
        Index("ix_signoffs_iteration", "use_case", "iteration", "id"),
    )
    announcements = Table(
        "announcements",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("use_case", String(200)),  # None: for every use case
        Column("kind", String(30), nullable=False),
        Column("title", String(200), nullable=False),
        Column("body", Text, nullable=False),
        Column("iteration", String(200)),
        Column("effective_date", Date),
        Column("replacement", String(200)),
        Column("show_until", Date),
        Column("source", String(20), nullable=False),  # lifecycle, team or health
        Column("author_name", String(100), nullable=False),
        Column("author_role", String(50), nullable=False),
        Index("ix_announcements_use_case", "use_case", "id"),
    )
    dismissals = Table(
        "dismissals",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("person", String(320), nullable=False),
        Column("item", String(100), nullable=False),  # "announcement:<id>" or "orientation"
        Index("ix_dismissals_person_item", "person", "item", unique=True),
    )
    return signoffs, announcements, dismissals


SIGNOFFS, ANNOUNCEMENTS, DISMISSALS = _v7_tables(METADATA)


def _create_v7(conn: Connection) -> None:
    for table in _v7_tables(MetaData()):
        table.create(conn)
    _make_append_only(conn, "signoffs")
    _make_append_only(conn, "announcements")


def _imports_table(metadata: MetaData) -> Table:
    return Table(
        "feedback_imports",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("actor_name", String(100), nullable=False),
        Column("actor_role", String(50), nullable=False),
        Column("source_file", String(200), nullable=False),
        Column("exported_from", Text, nullable=False),  # the stores the lines say they come from
    )


FEEDBACK_IMPORTS = _imports_table(METADATA)
TRIAGE_EVENTS.append_column(Column("import_id", Integer))  # schema 8: a log row carried by an import


def _create_v8(conn: Connection) -> None:
    _imports_table(MetaData()).create(conn)
    _make_append_only(conn, "feedback_imports")
    for table in ("feedback", "triage_events"):
        conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN import_id INTEGER")


#: schema 9: the stable subject of the person beside each name that decides who may act on a record
SUBJECT_COLUMNS = (
    ("feedback", "reviewer_subject"),
    ("triage_events", "actor_subject"),
    ("signoffs", "signer_subject"),
    ("lifecycle_events", "actor_subject"),
    ("criteria", "author_subject"),
    ("threshold_changes", "actor_subject"),
    ("announcements", "author_subject"),
    ("feedback_imports", "actor_subject"),
)
_TABLES = {
    t.name: t
    for t in (
        FEEDBACK,
        TRIAGE_EVENTS,
        SIGNOFFS,
        LIFECYCLE,
        CRITERIA,
        THRESHOLD_CHANGES,
        ANNOUNCEMENTS,
        FEEDBACK_IMPORTS,
    )
}
for _table, _column in SUBJECT_COLUMNS:
    _TABLES[_table].append_column(Column(_column, String(320)))


def _create_v9(conn: Connection) -> None:
    """Add the subject columns (NULL on older rows: made before subjects were kept, they count as the
    demo identity of their name) and key the dismissals of typed names by their demo identity."""
    for table, column in SUBJECT_COLUMNS:
        conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column} VARCHAR(320)")
    rows = conn.exec_driver_sql("SELECT id, person, item FROM dismissals").all()
    taken = {(person, item) for _, person, item in rows}
    for row_id, person, item in rows:
        if "@" in person or person.startswith("demo:"):
            continue  # a login e-mail: kept as it was (the login's subject is not known here)
        key = "demo:" + " ".join(person.split()).casefold()
        if (key, item) not in taken:
            conn.execute(text("UPDATE dismissals SET person = :key WHERE id = :id"), {"key": key, "id": row_id})
            taken.add((key, item))


def _v10_tables(metadata: MetaData) -> tuple[Table, Table, Table, Table]:
    rounds = Table(
        "review_rounds",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("use_case", String(200), nullable=False),
        Column("iteration", String(200), nullable=False),
        Column("compared_to", String(200)),
        Column("name", String(200), nullable=False),
        Column("purpose", Text, nullable=False),
        Column("due_date", Date, nullable=False),
        Column("reviewers", Text, nullable=False),  # JSON list of [subject, name, role]
        Column("cases_per_reviewer", Integer, nullable=False),
        Column("overlap", Integer, nullable=False),
        Column("seed", Integer, nullable=False),
        Column("created_by_subject", String(320), nullable=False),
        Column("created_by_name", String(100), nullable=False),
        Column("status", String(20), nullable=False),
        Column("closed_at", DateTime(timezone=True)),
        Index("ix_review_rounds_use_case", "use_case", "id"),
    )
    cases = Table(
        "round_cases",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("round_id", Integer, nullable=False),
        Column("case_id", String(200), nullable=False),
        Column("strategy", String(50), nullable=False),
        Column("why", Text, nullable=False),
        Index("ix_round_cases_case", "round_id", "case_id", unique=True),
    )
    assignments = Table(
        "round_assignments",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("round_id", Integer, nullable=False),
        Column("reviewer_subject", String(320), nullable=False),
        Column("case_id", String(200), nullable=False),
        Column("position", Integer, nullable=False),
        Index("ix_round_assignments_reviewer", "round_id", "reviewer_subject", "case_id", unique=True),
    )
    answers = Table(
        "round_answers",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("round_id", Integer, nullable=False),
        Column("case_id", String(200), nullable=False),
        Column("reviewer_subject", String(320), nullable=False),
        Column("reviewer_name", String(100), nullable=False),
        Column("own_decision", String(200), nullable=False),
        Column("own_confidence", Integer, nullable=False),
        Column("decided_at", DateTime(timezone=True), nullable=False),
        Column("verdict", String(20)),
        Column("expected_outcome", String(20)),
        Column("categories", Text, nullable=False),  # JSON list
        Column("clarity", Integer),
        Column("comment", Text, nullable=False),
        Column("answered_at", DateTime(timezone=True)),
        Index("ix_round_answers_reviewer", "round_id", "case_id", "reviewer_subject", unique=True),
    )
    return rounds, cases, assignments, answers


REVIEW_ROUNDS, ROUND_CASES, ROUND_ASSIGNMENTS, ROUND_ANSWERS = _v10_tables(METADATA)


def _create_v10(conn: Connection) -> None:
    for table in _v10_tables(MetaData()):
        table.create(conn)


def _notification_tables(metadata: MetaData) -> tuple[Table, Table, Table]:
    outbox = Table(
        "notification_outbox",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("idempotency_key", String(200), nullable=False, unique=True),
        Column("event", String(30), nullable=False),
        Column("use_case", String(200), nullable=False),
        Column("recipient", String(320), nullable=False),  # an e-mail address or "team:<use case>", never a URL
        Column("subject", String(200), nullable=False),
        Column("body", Text, nullable=False),
        Column("link", String(1000), nullable=False),  # page and query, the deployment's INVOLVE_APP_URL before it
        Column("status", String(10), nullable=False),  # queued, sending, sent, dead
        Column("attempts", Integer, nullable=False),
        Column("next_attempt_at", DateTime(timezone=True)),  # None: due at once
        Column("last_error", Text),
        Column("delivered_to", Text, nullable=False),  # JSON list of the digests of the URLs already sent to
        Index("ix_notification_outbox_due", "status", "next_attempt_at"),
    )
    attempts = Table(
        "notification_attempts",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("message_id", Integer, nullable=False, index=True),
        Column("attempt", Integer, nullable=False),
        Column("ok", Boolean, nullable=False),
        Column("error", Text),
        Column("worker", String(100), nullable=False),
    )
    subscriptions = Table(
        "notification_subscriptions",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("subject", String(320), nullable=False, unique=True),
        Column("address", String(320), nullable=False),
        Column("use_cases", Text, nullable=False),  # JSON list; empty: every use case
        Column("events", Text, nullable=False),  # JSON list of the events wanted
    )
    return outbox, attempts, subscriptions


OUTBOX, NOTIFICATION_ATTEMPTS, SUBSCRIPTIONS = _notification_tables(METADATA)


def _create_v11(conn: Connection) -> None:
    for table in _notification_tables(MetaData()):
        table.create(conn)
    _make_append_only(conn, "notification_attempts")


#: schema 14: how often a person hears (immediately or in a daily / weekly digest) and their role, which sets
#: the defaults until they choose; each outbox message's cadence, the digest that carried it, and the token of
#: the claim under which a worker may record its attempt (an expired claim's worker records nothing)
NOTIFICATION_COLUMNS_14 = (
    ("notification_subscriptions", "role", String(40), None),
    ("notification_subscriptions", "cadence", String(10), "immediate"),
    ("notification_outbox", "cadence", String(10), "immediate"),
    ("notification_outbox", "digest_id", Integer, None),
    ("notification_outbox", "claim_token", String(40), None),
)
for _table, _name, _type, _default in NOTIFICATION_COLUMNS_14:
    {"notification_subscriptions": SUBSCRIPTIONS, "notification_outbox": OUTBOX}[_table].append_column(
        Column(_name, _type, nullable=_default is None, server_default=_default)
    )


def _create_v14(conn: Connection) -> None:
    for table, name, kind, default in NOTIFICATION_COLUMNS_14:
        sql_type = kind.compile(dialect=conn.dialect) if not isinstance(kind, type) else kind().compile(conn.dialect)
        rest = f" NOT NULL DEFAULT '{default}'" if default is not None else ""
        conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {name} {sql_type}{rest}")
    conn.exec_driver_sql("CREATE INDEX ix_notification_outbox_held ON notification_outbox (status, cadence, recipient)")


def _document_tables(metadata: MetaData, *later_columns: Column) -> tuple[Table, Table]:
    templates = Table(
        "notice_templates",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("use_case", String(200), nullable=False),
        Column("version", Integer, nullable=False),
        Column("text", Text, nullable=False),
        Column("author_subject", String(320), nullable=False),
        Column("author_name", String(100), nullable=False),
        Column("comment", Text, nullable=False),
        Index("ix_notice_templates_version", "use_case", "version", unique=True),
    )
    documents = Table(
        "generated_documents",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("kind", String(30), nullable=False),
        Column("use_case", String(200), nullable=False),
        Column("iteration", String(200), nullable=False),
        Column("case_ids", Text, nullable=False),  # JSON list
        Column("case_count", Integer, nullable=False),
        Column("template_version", Integer, nullable=False),
        Column("references", Text, nullable=False),  # JSON list
        Column("file_name", String(200), nullable=False),
        Column("actor_name", String(100), nullable=False),
        Column("actor_subject", String(320)),  # None: the command line
        *later_columns,
        Index("ix_generated_documents_use_case", "use_case", "id"),
    )
    return templates, documents


def _v15_document_columns() -> tuple[Column, ...]:
    return (Column("statements_version", Integer),)  # None: not a notice (a dossier, a decision record)


NOTICE_TEMPLATES, GENERATED_DOCUMENTS = _document_tables(METADATA, *_v15_document_columns())


def _create_v12(conn: Connection) -> None:
    for table in _document_tables(MetaData()):
        table.create(conn)
        _make_append_only(conn, table.name)


def _v13_tables(metadata: MetaData) -> tuple[Table, Table]:
    adjudications = Table(
        "adjudications",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("round_id", Integer, nullable=False),
        Column("case_id", String(200), nullable=False),
        Column("decision", String(200), nullable=False),
        Column("reason", Text, nullable=False),
        Column("why_queued", Text, nullable=False),
        Column("adjudicator_subject", String(320), nullable=False),
        Column("adjudicator_name", String(100), nullable=False),
        Column("adjudicator_role", String(50), nullable=False),
        Index("ix_adjudications_case", "round_id", "case_id", unique=True),
    )
    expectations = Table(
        "expectations",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("use_case", String(200), nullable=False),
        Column("case_id", String(200), nullable=False),
        Column("expected_decision", String(200), nullable=False),
        Column("source", String(20), nullable=False),  # unanimous, adjudicated
        Column("round_id", Integer, nullable=False),
        Column("iteration", String(200), nullable=False),  # the round's iteration
        Column("author_subject", String(320), nullable=False),
        Column("author_name", String(100), nullable=False),
        Column("reason", Text, nullable=False),
        Index("ix_expectations_case", "use_case", "case_id"),
        Index("ix_expectations_round", "round_id", "case_id", unique=True),
    )
    return adjudications, expectations


ADJUDICATIONS, EXPECTATIONS = _v13_tables(METADATA)


def _create_v13(conn: Connection) -> None:
    for table in _v13_tables(MetaData()):
        table.create(conn)
        _make_append_only(conn, table.name)


def _retirements_table(metadata: MetaData) -> Table:
    return Table(
        "expectation_retirements",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("expectation_id", Integer, nullable=False, unique=True),
        Column("use_case", String(200), nullable=False),
        Column("case_id", String(200), nullable=False),
        Column("reason", Text, nullable=False),
        Column("actor_subject", String(320), nullable=False),
        Column("actor_name", String(100), nullable=False),
        Column("actor_role", String(50), nullable=False),
        Index("ix_expectation_retirements_use_case", "use_case"),
    )


EXPECTATION_RETIREMENTS = _retirements_table(METADATA)
#: since schema 16 one round case gives at most one expectation, and pinned ones (round_id 0) any number
_ROUND_CASE_UNIQUE = "CREATE UNIQUE INDEX ix_expectations_round ON expectations (round_id, case_id) WHERE round_id > 0"


def _create_v16(conn: Connection) -> None:
    conn.exec_driver_sql("DROP INDEX ix_expectations_round")
    conn.exec_driver_sql(_ROUND_CASE_UNIQUE)
    table = _retirements_table(MetaData())
    table.create(conn)
    _make_append_only(conn, table.name)


def _record_tables(metadata: MetaData) -> tuple[Table, Table]:
    records = Table(
        "decision_records",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("reference", String(40), nullable=False, unique=True),
        Column("use_case", String(200), nullable=False),
        Column("iteration", String(200), nullable=False),
        Column("case_id", String(200), nullable=False),
        Column("decision", String(200), nullable=False),
        Column("score", Float, nullable=False),
        Column("threshold", Float, nullable=False),
        Column("contents", Text, nullable=False),  # canonical JSON: everything the record prints
        Column("digest", String(64), nullable=False),  # sha256 of contents
        Column("actor_name", String(100), nullable=False),
        Column("actor_role", String(50), nullable=False),
        Column("actor_subject", String(320), nullable=False),
        Index("ix_decision_records_case", "use_case", "iteration", "case_id"),
    )
    statements = Table(
        "reason_statement_tables",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("use_case", String(200), nullable=False),
        Column("version", Integer, nullable=False),
        Column("statements", Text, nullable=False),  # JSON list of [input, level, statement]
        Column("author_subject", String(320), nullable=False),
        Column("author_name", String(100), nullable=False),
        Column("comment", Text, nullable=False),
        Index("ix_reason_statement_tables_version", "use_case", "version", unique=True),
    )
    return records, statements


DECISION_RECORDS, REASON_STATEMENTS = _record_tables(METADATA)


def _create_v15(conn: Connection) -> None:
    for column in _v15_document_columns():
        conn.exec_driver_sql(f"ALTER TABLE generated_documents ADD COLUMN {column.name} INTEGER")
    for table in _record_tables(MetaData()):
        table.create(conn)
        _make_append_only(conn, table.name)


def _hypotheses_table(metadata: MetaData) -> Table:
    return Table(
        "hypotheses",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("use_case", String(200), nullable=False),
        Column("iteration", String(200), nullable=False),
        Column("statement", Text, nullable=False),
        Column("claims", Text, nullable=False),  # JSON list of {metric, comparator, target, versus_parent, attribute}
        Column("author_subject", String(320), nullable=False),
        Column("author_name", String(100), nullable=False),
        Column("author_role", String(50), nullable=False),
        Column("parent", String(200)),
        Index("ix_hypotheses_iteration", "use_case", "iteration", "id"),
    )


HYPOTHESES = _hypotheses_table(METADATA)


def _create_v17(conn: Connection) -> None:
    table = _hypotheses_table(MetaData())
    table.create(conn)
    _make_append_only(conn, table.name)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "feedback records", _create_v1),
    Migration(2, "append-only lifecycle audit log", _create_v2),
    Migration(3, "goals, success criteria, cost matrices and threshold changes (append-only)", _create_v3),
    Migration(4, "feedback uid and triage (append-only log), reports on the app", _create_v4),
    Migration(5, "usage telemetry of the app", _create_v5),
    Migration(6, "feedback on edited (what-if) cases", _create_v6),
    Migration(7, "sign-offs (append-only), announcements (append-only) and their dismissals", _create_v7),
    Migration(8, "provenance of imported feedback and of the triage history it carried", _create_v8),
    Migration(9, "the stable subject of each person beside their name", _create_v9),
    Migration(10, "review rounds: their cases, who sees which, and the answers", _create_v10),
    Migration(11, "notification outbox, its delivery attempts (append-only) and subscriptions", _create_v11),
    Migration(12, "notice templates (every version kept) and the audit log of generated documents", _create_v12),
    Migration(13, "adjudications of review rounds and the expectations kept from them (append-only)", _create_v13),
    Migration(
        14, "notification cadence (immediate or digest), per-role defaults, digests and claim tokens", _create_v14
    ),
    Migration(15, "decision records (append-only) and reason statement tables (every version kept)", _create_v15),
    Migration(16, "expectations pinned from Explore, and retirements of expectations (append-only)", _create_v16),
    Migration(17, "the hypotheses iterations test, every version kept (append-only)", _create_v17),
)
LATEST_VERSION = MIGRATIONS[-1].version


def ensure_schema_table(conn: Connection) -> None:
    """In a write transaction: create the schema-version table if the store has none yet."""
    SCHEMA.create(conn, checkfirst=True)


def read_version(conn: Connection) -> int:
    """Schema version of the store behind `conn` (0 for an empty store); only reads."""
    if not inspect(conn).has_table(SCHEMA.name):
        return 0
    return int(conn.execute(select(func.coalesce(func.max(SCHEMA.c.version), 0))).scalar_one())
