"""Export feedback (CSV, JSON, JSON lines) and import JSON lines from another store without loss.

A JSON line holds one entry with its triage log; references between entries (`duplicate_of`) go by
uid, because ids are local to a store. Importing is role-gated; each line is checked by
`feedback.import_check` to the same rules as the forms, and refused lines are listed with why.
The formats and records are here; reading and writing a store is in `feedback.store.exchange`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime

import pandas as pd

from feedback.records import Feedback

EXPORT_COLUMNS = [f.name for f in fields(Feedback)]
MAX_IMPORT_BYTES = 50_000_000
#: first characters that make a spreadsheet read a cell as a formula (OWASP "CSV Injection")
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: the fields of a triage log row that an export carries
LOG_FIELDS = (
    "created_at",
    "from_status",
    "to_status",
    "fixed_in",
    "note",
    "actor_name",
    "actor_role",
    "actor_subject",
)


def flatten_entry(entry: Feedback) -> dict:
    """An entry as plain JSON-ready values: its time in ISO 8601, its lists as lists."""
    data = asdict(entry)
    data["created_at"] = entry.created_at.isoformat() if entry.created_at else None
    data["reasons_shown"] = list(entry.reasons_shown)
    data["categories"] = list(entry.categories)
    return data


def neutralise_cell(value: object) -> object:
    """A text cell a spreadsheet would run as a formula, prefixed with "'" (OWASP); other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def export_csv(entries: list[Feedback]) -> bytes:
    """The entries as CSV for a spreadsheet (lists joined with "; ", formula-like text neutralised), UTF-8."""
    rows = [flatten_entry(e) for e in entries]
    for row in rows:
        row["reasons_shown"] = "; ".join(row["reasons_shown"])
        row["categories"] = "; ".join(row["categories"])
        row.update({key: neutralise_cell(value) for key, value in row.items()})
    return pd.DataFrame(rows, columns=EXPORT_COLUMNS).to_csv(index=False).encode("utf-8")


def export_json(entries: list[Feedback]) -> bytes:
    """The entries as one JSON array, exactly as stored, UTF-8."""
    return json.dumps([flatten_entry(e) for e in entries], ensure_ascii=False, indent=1).encode("utf-8")


@dataclass
class ImportReport:
    """What an import did: entries added, entries already present (same uid), lines refused and why."""

    added: int = 0
    already_present: int = 0
    errors: list[str] = field(default_factory=list)
    import_id: int | None = None


@dataclass(frozen=True)
class ImportRecord:
    """The provenance of an import: who imported, when, from which file and which store."""

    id: int
    created_at: datetime
    actor_name: str
    actor_role: str
    source_file: str
    exported_from: str
    actor_subject: str | None = None  # None in imports from before subjects were kept
