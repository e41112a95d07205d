"""Export feedback (CSV, JSON, JSON lines) and import JSON lines from another store without loss."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone

import pandas as pd
from sqlalchemy import insert, select

from feedback.records import TRIAGE_STATUSES, Feedback, FeedbackDraft, FeedbackError, validate_draft
from feedback.schema import FEEDBACK
from feedback.store import FeedbackStore

EXPORT_COLUMNS = [f.name for f in fields(Feedback)]
MAX_IMPORT_BYTES = 50_000_000


def _plain(entry: Feedback) -> dict:
    data = asdict(entry)
    data["created_at"] = entry.created_at.isoformat() if entry.created_at else None
    data["reasons_shown"] = list(entry.reasons_shown)
    data["categories"] = list(entry.categories)
    return data


def export_csv(entries: list[Feedback]) -> bytes:
    """The entries as CSV (lists joined with "; "), UTF-8."""
    rows = [_plain(e) for e in entries]
    for row in rows:
        row["reasons_shown"] = "; ".join(row["reasons_shown"])
        row["categories"] = "; ".join(row["categories"])
    return pd.DataFrame(rows, columns=EXPORT_COLUMNS).to_csv(index=False).encode("utf-8")


def export_json(entries: list[Feedback]) -> bytes:
    """The entries as one JSON array, UTF-8."""
    return json.dumps([_plain(e) for e in entries], ensure_ascii=False, indent=1).encode("utf-8")


def export_jsonl(entries: list[Feedback]) -> str:
    """The entries as JSON lines, oldest first: the format `import_jsonl` reads back."""
    return "".join(json.dumps(_plain(e), ensure_ascii=False) + "\n" for e in sorted(entries, key=lambda e: e.id))


@dataclass
class ImportReport:
    """What an import did: entries added, entries already present (same uid), lines refused."""

    added: int = 0
    already_present: int = 0
    errors: list[str] = field(default_factory=list)


def _parse_line(line: str, known: Mapping[str, Collection[str]]) -> dict:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as err:
        raise FeedbackError(f"not JSON ({err.msg})") from err
    if not isinstance(data, dict):
        raise FeedbackError("not a JSON object")
    if not isinstance(data.get("uid"), str) or not data["uid"].strip():
        raise FeedbackError("no uid")
    try:
        draft = FeedbackDraft(**{f.name: data.get(f.name) for f in fields(FeedbackDraft)})
        draft = validate_draft(
            FeedbackDraft(
                **{
                    **asdict(draft),
                    "reasons_shown": tuple(draft.reasons_shown or ()),
                    "categories": tuple(draft.categories or ()),
                    "severity": draft.severity or "medium",
                    "comment": draft.comment or "",
                    "app_version": draft.app_version or "",
                }
            ),
            known.get(str(draft.use_case), ()),
        )
        created = datetime.fromisoformat(data["created_at"]) if data.get("created_at") else datetime.now(timezone.utc)
    except (TypeError, ValueError) as err:
        raise FeedbackError(str(err)) from err
    status = data.get("triage_status") or "new"
    if status not in TRIAGE_STATUSES:
        raise FeedbackError(f"unknown triage status {status!r}")
    values = asdict(draft)
    values.update(
        reasons_shown=json.dumps(list(draft.reasons_shown)),
        categories=json.dumps(list(draft.categories)),
        created_at=created if created.tzinfo else created.replace(tzinfo=timezone.utc),
        triage_status=status,
        fixed_in=data.get("fixed_in"),
        triage_note=data.get("triage_note"),
        uid=data["uid"].strip(),
    )
    return values


def import_jsonl(store: FeedbackStore, text: str, known: Mapping[str, Collection[str]]) -> ImportReport:
    """Import JSON lines exported by another store; valid lines are added in one transaction.

    `known` maps each use case to its iterations here. Lines whose uid is already in this store are
    counted, not added again; invalid lines are reported with their number and skipped.
    """
    report = ImportReport()
    if len(text.encode("utf-8")) > MAX_IMPORT_BYTES:
        report.errors.append(f"the file is larger than {MAX_IMPORT_BYTES // 1_000_000} MB")
        return report
    parsed = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            parsed.append(_parse_line(line, known))
        except FeedbackError as err:
            report.errors.append(f"line {number}: {err}")
    with store.transaction(write=True) as conn:
        uids = [p["uid"] for p in parsed]
        present = {r[0] for r in conn.execute(select(FEEDBACK.c.uid).where(FEEDBACK.c.uid.in_(uids)))} if uids else set()
        for values in parsed:
            if values["uid"] in present:
                report.already_present += 1
                continue
            conn.execute(insert(FEEDBACK).values(**values))
            present.add(values["uid"])
            report.added += 1
    return report
