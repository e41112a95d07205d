"""Check one JSON line of a feedback import to the rules of the forms and of triage, before any write.

A line is an entry exported by `feedback.store.exchange.export_jsonl`: the fields of a feedback entry,
its uid, and the triage log it carries. The log must replay from "new" by the triage rules to the
status the line states, and every iteration it names must be known here.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta, timezone

from feedback.access import PERMISSIONS
from feedback.records import (
    MAX_NAME_CHARS,
    MAX_SUBJECT_CHARS,
    TRIAGE_STATUSES,
    FeedbackDraft,
    FeedbackError,
    clean_text,
    validate_draft,
)
from feedback.triage import TriageError, plan_triage

MAX_LINE_CHARS = 200_000
MAX_LOG_ROWS = 1_000
CLOCK_SKEW = timedelta(minutes=5)  # a time later than now by more than this is refused


@dataclass(frozen=True)
class CheckedLine:
    """A valid line: the feedback row to insert, the entry it duplicates and its triage log (by uid)."""

    number: int
    uid: str
    values: dict
    duplicate_of_uid: str | None
    triage_log: tuple[dict, ...]
    exported_from: str = ""

    def references(self) -> set[str]:
        """The uids of the other entries this line points at."""
        return {u for u in (self.duplicate_of_uid, *(e["duplicate_of_uid"] for e in self.triage_log)) if u}


def _uid(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise FeedbackError(f"{what} is missing or not text")
    try:
        parsed = uuid.UUID(value)
    except ValueError as err:
        raise FeedbackError(f"{what} {value[:60]!r} is not a uid (36 characters, like an export writes)") from err
    if str(parsed) != value.lower():
        raise FeedbackError(f"{what} {value[:60]!r} is not a uid in its usual form")
    return value.lower()


def _moment(value: object, what: str, now: datetime) -> datetime:
    if not isinstance(value, str):
        raise FeedbackError(f"{what} is missing or not text")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as err:
        raise FeedbackError(f"{what} {value[:40]!r} is not a date and time") from err
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    if moment > now + CLOCK_SKEW:
        raise FeedbackError(f"{what} {value[:40]} is in the future")
    return moment.astimezone(timezone.utc)


def _subject(value: object, what: str) -> str | None:
    """A carried subject (None when the other store did not keep one)."""
    return None if value is None else clean_text(what, value, MAX_SUBJECT_CHARS)


def _draft(data: dict, known: Mapping[str, Collection[str]]) -> FeedbackDraft:
    values = {f.name: data.get(f.name, f.default) for f in fields(FeedbackDraft)}
    for name in ("reasons_shown", "categories"):
        if not isinstance(values[name], list):
            raise FeedbackError(f"{name} must be a list of texts")
    use_case = values["use_case"]
    return validate_draft(FeedbackDraft(**values), known.get(use_case, ()) if isinstance(use_case, str) else ())


def _replay(data: dict, uid: str, created: datetime, iterations: Collection[str], now: datetime) -> list[dict]:
    """The carried triage log, each step checked by the triage rules from "new" on."""
    carried = data.get("triage_log", [])
    if not isinstance(carried, list) or len(carried) > MAX_LOG_ROWS:
        raise FeedbackError(f"triage_log must be a list of at most {MAX_LOG_ROWS} changes")
    status, rows = "new", []
    for step, event in enumerate(carried, 1):
        where = f"triage change {step}"
        if not isinstance(event, dict):
            raise FeedbackError(f"{where} is not an object")
        if event.get("from_status") != status:
            raise FeedbackError(f"{where} starts from {event.get('from_status')!r}, but the entry was {status!r} then")
        role = event.get("actor_role")
        if role not in PERMISSIONS["triage feedback"]:
            raise FeedbackError(f"{where} was made by a {role!r}, a role that cannot triage")
        duplicate = (
            _uid(event["duplicate_of_uid"], f"{where}: duplicate_of_uid") if event.get("duplicate_of_uid") else None
        )
        if duplicate == uid:
            raise FeedbackError(f"{where} makes the entry a duplicate of itself")
        try:
            [change] = plan_triage(
                {0: status},
                event.get("to_status"),
                event.get("note") or "",
                duplicate_of=1 if duplicate else None,
                fixed_in=event.get("fixed_in"),
                known_ids={1},
                known_iterations=iterations,
            )
        except (TriageError, TypeError) as err:
            raise FeedbackError(f"{where}: {err}") from err
        moment = _moment(event.get("created_at"), f"{where}: created_at", now)
        if moment < created:
            raise FeedbackError(f"{where} is dated before the entry was given")
        rows.append(
            dict(
                created_at=moment,
                from_status=status,
                to_status=change.to_status,
                fixed_in=change.fixed_in,
                note=change.note,
                actor_name=clean_text(f"{where}: actor_name", event.get("actor_name"), MAX_NAME_CHARS),
                actor_role=role,
                duplicate_of_uid=duplicate if change.duplicate_of else None,
                actor_subject=_subject(event.get("actor_subject"), f"{where}: actor_subject"),
            )
        )
        status = change.to_status
    return rows


def check_line(number: int, line: str, known: Mapping[str, Collection[str]]) -> CheckedLine:
    """The line checked (FeedbackError says what is wrong); `known` maps use cases to their iterations."""
    if len(line) > MAX_LINE_CHARS:
        raise FeedbackError(f"longer than {MAX_LINE_CHARS:,} characters")
    try:
        data = json.loads(line)
    except json.JSONDecodeError as err:
        raise FeedbackError(f"not JSON ({err.msg})") from err
    except RecursionError as err:
        raise FeedbackError("nested too deeply to be an exported entry") from err
    if not isinstance(data, dict):
        raise FeedbackError("not a JSON object")
    now = datetime.now(timezone.utc)
    uid = _uid(data.get("uid"), "uid")
    draft = _draft(data, known)
    created = _moment(data.get("created_at"), "created_at", now)
    log = _replay(data, uid, created, known.get(draft.use_case, ()), now)
    last = log[-1] if log else {"to_status": "new", "fixed_in": None, "duplicate_of_uid": None, "note": ""}
    stated = {
        "triage_status": data.get("triage_status", "new"),
        "fixed_in": data.get("fixed_in"),
        "duplicate_of_uid": data.get("duplicate_of_uid"),
        "triage_note": data.get("triage_note"),
    }
    if stated["triage_status"] not in TRIAGE_STATUSES:
        raise FeedbackError(f"unknown triage status {stated['triage_status']!r}")
    replayed = {
        "triage_status": last["to_status"],
        "fixed_in": last["fixed_in"],
        "duplicate_of_uid": last["duplicate_of_uid"],
        "triage_note": last["note"] or None,
    }
    for key, value in stated.items():
        if key in data and value != replayed[key]:
            raise FeedbackError(
                f"{key} is {value!r} but its triage log leads to {replayed[key]!r}"
                + (" (a status needs the triage log that led to it)" if not log else "")
            )
    values = asdict(draft) | dict(
        reasons_shown=json.dumps(list(draft.reasons_shown)),
        categories=json.dumps(list(draft.categories)),
        created_at=created,
        triage_status=replayed["triage_status"],
        fixed_in=replayed["fixed_in"],
        triage_note=replayed["triage_note"],
        uid=uid,
    )
    source = data.get("exported_from")
    return CheckedLine(
        number, uid, values, replayed["duplicate_of_uid"], tuple(log), source[:300] if isinstance(source, str) else ""
    )


def unresolved_references(
    lines: Iterable[CheckedLine], known_uids: Collection[str]
) -> tuple[list[CheckedLine], list[str]]:
    """The lines whose references all resolve (to `known_uids` or another kept line), and why the others are refused."""
    kept = list(lines)
    refused: list[str] = []
    while True:
        available = set(known_uids) | {line.uid for line in kept}
        broken = [line for line in kept if not line.references() <= available]
        if not broken:
            return kept, refused
        for line in broken:
            missing = sorted(line.references() - available)
            refused.append(f"line {line.number}: it points at entry {missing[0]}, which is neither here nor imported")
        gone = {line.number for line in broken}
        kept = [line for line in kept if line.number not in gone]
