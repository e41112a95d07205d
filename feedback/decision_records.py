"""Decision records: what an auditor asks for when a single decision is disputed, kept append-only.

A record holds, as canonical JSON, everything it prints (the inputs as the model saw them, score, threshold,
decision, the waterfall, the reasons, the iteration's lifecycle status and the sign-offs in force, the feedback on
the case), who recorded it (name, role and stable subject) and a SHA-256 digest of the contents, so a download
can be checked against the store. The contents are composed by `demo_models.presentation.decision_record`;
persistence is in `feedback.store.decision_records`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from feedback.access import Actor, check_actor
from feedback.records import MAX_TEXT_CHARS, FeedbackError, clean_text

RECORD_DECISIONS = "record decisions"
MAX_CONTENTS_CHARS = 2_000_000


@dataclass(frozen=True)
class DecisionRecord:
    """One recorded decision: the case, its decision, the contents (JSON) and who recorded it."""

    reference: str
    use_case: str
    iteration: str
    case_id: str
    decision: str
    score: float
    threshold: float
    contents: str
    digest: str
    actor_name: str
    actor_role: str
    actor_subject: str
    id: int = 0
    created_at: datetime | None = None

    def data(self) -> dict:
        """The contents as a dictionary."""
        return json.loads(self.contents)

    def intact(self) -> bool:
        """Whether the contents still hash to the digest recorded with them."""
        return content_digest(self.contents) == self.digest


def canonical_json(contents: Mapping) -> str:
    """The contents as canonical JSON (sorted keys, no spaces, ASCII), the form that is hashed and kept."""
    return json.dumps(contents, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def content_digest(text: str) -> str:
    """SHA-256 of the canonical JSON, in hex."""
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def record_reference(digest: str) -> str:
    """The record's reference from its digest: "DR-1A2B-3C4D-5E6F"."""
    head = digest[:12].upper()
    return f"DR-{head[:4]}-{head[4:8]}-{head[8:]}"


def check_may_record(actor: Actor) -> Actor:
    """The checked actor (subject filled in), or AccessError unless compliance, risk or an admin."""
    return check_actor(actor, RECORD_DECISIONS)


def decision_record(contents: Mapping, actor: Actor) -> DecisionRecord:
    """A checked record of `contents` (which name use_case, iteration, case_id, decision, score and threshold)
    recorded by `actor`; AccessError for a role that may not, FeedbackError if malformed."""
    actor = check_may_record(actor)
    try:
        text = canonical_json(contents)
    except (TypeError, ValueError) as err:
        raise FeedbackError(f"The decision record cannot be kept: {err}") from err
    if len(text) > MAX_CONTENTS_CHARS:
        raise FeedbackError(f"The decision record is {len(text):,} characters; the limit is {MAX_CONTENTS_CHARS:,}.")
    digest = content_digest(text)
    return DecisionRecord(
        reference=record_reference(digest),
        use_case=clean_text("Use case", contents["use_case"], MAX_TEXT_CHARS),
        iteration=clean_text("Iteration", contents["iteration"], MAX_TEXT_CHARS),
        case_id=clean_text("Case", str(contents["case_id"]), MAX_TEXT_CHARS),
        decision=clean_text("Decision", contents["decision"], MAX_TEXT_CHARS),
        score=float(contents["score"]),
        threshold=float(contents["threshold"]),
        contents=text,
        digest=digest,
        actor_name=actor.name,
        actor_role=actor.role,
        actor_subject=actor.subject or "",
    )
