"""Export from a store (JSON lines with each entry's triage log) and import into it, with its provenance."""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Mapping
from datetime import datetime, timezone

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from feedback.access import Actor, check_actor
from feedback.exchange import LOG_FIELDS, MAX_IMPORT_BYTES, ImportRecord, ImportReport, flatten_entry
from feedback.import_check import CheckedLine, check_line, unresolved_references
from feedback.records import Feedback, FeedbackError, clean_text
from feedback.store.database import FeedbackStore, utc_row
from feedback.store.schema import FEEDBACK, FEEDBACK_IMPORTS, TRIAGE_EVENTS

log = logging.getLogger(__name__)


def export_jsonl(store: FeedbackStore, entries: list[Feedback]) -> str:
    """The entries as JSON lines, oldest first, each with its triage log: the format `import_jsonl` reads."""
    ids = [e.id for e in entries]
    with store.transaction() as conn:
        uids = dict(conn.execute(select(FEEDBACK.c.id, FEEDBACK.c.uid)).all())
        events = [
            row
            for start in range(0, len(ids), 500)
            for row in conn.execute(
                select(TRIAGE_EVENTS)
                .where(TRIAGE_EVENTS.c.feedback_id.in_(ids[start : start + 500]))
                .order_by(TRIAGE_EVENTS.c.id)
            ).mappings()
        ]
    logs: dict[int, list[dict]] = {}
    for event in events:
        row = {k: event[k] for k in LOG_FIELDS}
        row["created_at"] = _iso(event["created_at"])
        row["duplicate_of_uid"] = uids.get(event["duplicate_of"])
        logs.setdefault(event["feedback_id"], []).append(row)
    lines = []
    for entry in sorted(entries, key=lambda e: e.id):
        data = flatten_entry(entry)
        data.pop("import_id")
        data["duplicate_of_uid"] = uids.get(entry.duplicate_of)
        data["triage_log"] = logs.get(entry.id, [])
        data["exported_from"] = store.location
        lines.append(json.dumps(data, ensure_ascii=False) + "\n")
    return "".join(lines)


def _iso(moment: datetime) -> str:
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc).isoformat()


def import_jsonl(
    store: FeedbackStore, text: str, known: Mapping[str, Collection[str]], actor: Actor, source_file: str = ""
) -> ImportReport:
    """Import JSON lines exported by another store, as `actor` (AccessError unless the role may).

    `known` maps each use case to its iterations here. Every line is checked on its own: refused
    lines are listed with their number and reason and the others are added (lines whose uid is
    here already are counted, not added again). Who imported, when and from which file and store
    is recorded once per import, apart from each entry's original author.
    """
    actor = check_actor(actor, "import feedback")
    report = ImportReport()
    if len(text.encode("utf-8")) > MAX_IMPORT_BYTES:
        report.errors.append(f"the file is larger than {MAX_IMPORT_BYTES // 1_000_000} MB")
        return report
    try:
        source = clean_text("File name", source_file, 200, required=False)
    except FeedbackError:
        source = "(unnamed)"
    checked: list[CheckedLine] = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                checked.append(check_line(number, line, known))
            except FeedbackError as err:
                report.errors.append(f"line {number}: {err}")
    with store.transaction(write=True) as conn:
        present = _present_uids(conn, [c.uid for c in checked])
        fresh, seen = [], set()
        for line in checked:
            if line.uid in present or line.uid in seen:
                report.already_present += 1
            else:
                fresh.append(line)
                seen.add(line.uid)
        referenced = {uid for line in fresh for uid in line.references()} - seen
        ids = present | _present_uids(conn, sorted(referenced - present.keys()))
        fresh, refused = unresolved_references(fresh, ids.keys())
        report.errors.extend(refused)
        exported_from = sorted({line.exported_from for line in fresh if line.exported_from})
        import_id = conn.execute(
            insert(FEEDBACK_IMPORTS).returning(FEEDBACK_IMPORTS.c.id),
            dict(
                created_at=datetime.now(timezone.utc),
                actor_name=actor.name,
                actor_role=actor.role,
                actor_subject=actor.subject,
                source_file=source or "(unnamed)",
                exported_from="; ".join(exported_from)[:2000],
            ),
        ).scalar_one()
        added = _insert_lines(conn, fresh, ids, import_id, report)
        _insert_logs(conn, added, ids, import_id)
        report.added, report.import_id = len(added), import_id
    log.info(
        "import #%s by %s: %d added, %d present, %d refused",
        import_id,
        actor.name,
        report.added,
        report.already_present,
        len(report.errors),
    )
    return report


def _present_uids(conn: Connection, uids: list[str]) -> dict[str, int]:
    """uid -> id of the entries here among `uids` (asked in chunks: SQLite caps a query's parameters)."""
    found: dict[str, int] = {}
    for start in range(0, len(uids), 500):
        chunk = uids[start : start + 500]
        found |= dict(conn.execute(select(FEEDBACK.c.uid, FEEDBACK.c.id).where(FEEDBACK.c.uid.in_(chunk))).all())
    return found


def _insert_lines(
    conn: Connection, lines: list[CheckedLine], ids: dict[str, int], import_id: int, report: ImportReport
) -> list[CheckedLine]:
    """Insert each entry in its own savepoint (one the database refuses sinks only itself)."""
    added = []
    for line in lines:
        try:
            with conn.begin_nested():
                ids[line.uid] = conn.execute(
                    insert(FEEDBACK).returning(FEEDBACK.c.id), {**line.values, "import_id": import_id}
                ).scalar_one()
        except SQLAlchemyError as err:
            report.errors.append(f"line {line.number}: the store refused it ({type(err.orig or err).__name__})")
            continue
        added.append(line)
    for line in added:  # now that every entry has its id here
        if line.duplicate_of_uid:
            conn.execute(
                update(FEEDBACK).where(FEEDBACK.c.id == ids[line.uid]).values(duplicate_of=ids[line.duplicate_of_uid])
            )
    return added


def _insert_logs(conn: Connection, lines: list[CheckedLine], ids: dict[str, int], import_id: int) -> None:
    rows = [
        {
            **{k: v for k, v in event.items() if k != "duplicate_of_uid"},
            "feedback_id": ids[line.uid],
            "duplicate_of": ids.get(event["duplicate_of_uid"]),
            "import_id": import_id,
        }
        for line in lines
        for event in line.triage_log
    ]
    if rows:
        conn.execute(insert(TRIAGE_EVENTS), rows)


def read_import(store: FeedbackStore, import_id: int) -> ImportRecord | None:
    """The provenance of one import (None if there is no such import)."""
    with store.transaction() as conn:
        row = conn.execute(select(FEEDBACK_IMPORTS).where(FEEDBACK_IMPORTS.c.id == import_id)).mappings().first()
    return ImportRecord(**utc_row(dict(row))) if row else None
