"""Sign-off before go-live: who must sign, what they saw when they signed, and which sign-offs count.

A sign-off records who, when, a comment and a snapshot of the scorecard, fairness gaps and open
feedback at that moment (kept as written, so later edits of goals or data do not change it). A
criterion that is not met at signing must be acknowledged explicitly. A sign-off counts for the next
promotion of the iteration only: it is withdrawn, or superseded by any lifecycle change of the
iteration, and then a new one is needed. Persistence is in `feedback.store.signoff`.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from feedback.access import Actor, check_acts_on, same_person
from feedback.records import MAX_COMMENT_CHARS, ROLES, FeedbackError, clean_text

SIGN = "sign off"
WITHDRAW = "withdraw"
#: triage statuses of feedback that still needs an answer
OPEN_STATUSES = ("new", "triaged", "accepted")


class SignoffError(ValueError):
    """A sign-off or withdrawal the rules refuse; the message says why."""


@dataclass(frozen=True)
class ScorecardLine:
    """One success criterion as judged at signing: its words, owner, value and verdict."""

    criterion: str
    owner: str
    value: float | None
    passed: bool | None  # None: no value could be computed
    note: str = ""

    @property
    def met(self) -> bool:
        """Whether the criterion is met (a criterion without a value is not)."""
        return self.passed is True


@dataclass(frozen=True)
class Snapshot:
    """What the signer saw: threshold, scorecard, fairness gaps per attribute, open feedback."""

    threshold: float
    scorecard: tuple[ScorecardLine, ...] = ()
    fairness_gaps: Mapping[str, Mapping[str, float | None]] = field(
        default_factory=dict
    )  # attribute -> gap -> value (None: undefined)
    fairness_notes: Mapping[str, str] = field(default_factory=dict)  # attribute -> why no gaps
    open_feedback: Mapping[str, int] = field(default_factory=dict)  # triage status -> entries
    favourable_decision: str = ""  # the decision the gaps were computed on ("" in snapshots before it was kept)
    #: expectations from review rounds: "met", "checked", "broken" (case ids), "not_checked" ({} before they were kept)
    expectations: Mapping[str, object] = field(default_factory=dict)

    def unmet(self) -> list[str]:
        """The criteria not met at signing (failing, or without a value)."""
        return [line.criterion for line in self.scorecard if not line.met]

    def to_json(self) -> str:
        """The snapshot as JSON text, as stored."""
        data = {
            "threshold": self.threshold,
            "scorecard": [line.__dict__ for line in self.scorecard],
            "fairness_gaps": {a: dict(g) for a, g in self.fairness_gaps.items()},
            "fairness_notes": dict(self.fairness_notes),
            "open_feedback": dict(self.open_feedback),
            "favourable_decision": self.favourable_decision,
            "expectations": dict(self.expectations),
        }
        return json.dumps(data)  # in the order shown (attributes as the iteration names them)

    @classmethod
    def from_json(cls, text: str) -> Snapshot:
        """The snapshot stored as `text`."""
        data = json.loads(text)
        return cls(
            threshold=data["threshold"],
            scorecard=tuple(ScorecardLine(**line) for line in data["scorecard"]),
            fairness_gaps=data["fairness_gaps"],
            fairness_notes=data["fairness_notes"],
            open_feedback=data["open_feedback"],
            favourable_decision=data.get("favourable_decision", ""),
            expectations=data.get("expectations", {}),
        )


@dataclass(frozen=True)
class SignOff:
    """A sign-off (or the withdrawal of one) of an iteration by a person in a role."""

    use_case: str
    iteration: str
    signer_name: str
    signer_role: str
    comment: str
    snapshot: Snapshot | None = None  # None for a withdrawal
    acknowledged: tuple[str, ...] = ()
    action: str = SIGN
    withdraws: int | None = None
    signer_subject: str | None = None  # None in sign-offs from before subjects were kept
    id: int = 0
    created_at: datetime | None = None


def count_open(statuses: Iterable[str]) -> dict[str, int]:
    """Feedback entries per open triage status (statuses with none are left out)."""
    counts: dict[str, int] = {}
    for status in statuses:
        if status in OPEN_STATUSES:
            counts[status] = counts.get(status, 0) + 1
    return counts


def check_required_roles(roles: Collection[str]) -> tuple[str, ...]:
    """The sign-off roles, or SignoffError naming an unknown one."""
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise SignoffError(f"Unknown sign-off role(s) {', '.join(map(repr, unknown))}; use {', '.join(ROLES)}.")
    return tuple(dict.fromkeys(roles))


def current_signoffs(records: list[SignOff], since: datetime | None) -> list[SignOff]:
    """Sign-offs of one iteration that count now: made after `since` (its last lifecycle change)
    and not withdrawn; oldest first."""
    withdrawn = {r.withdraws for r in records if r.action == WITHDRAW}
    return [
        r for r in records if r.action == SIGN and r.id not in withdrawn and (since is None or r.created_at > since)
    ]


def missing_roles(required: Collection[str], signoffs: Iterable[SignOff]) -> list[str]:
    """The required roles that have no current sign-off, in the order required."""
    signed = {s.signer_role for s in signoffs}
    return [role for role in required if role not in signed]


def plan_signoff(current: list[SignOff], required: Collection[str], status: str, draft: SignOff) -> SignOff:
    """The sign-off to record, or SignoffError: wrong status or role, twice, unacknowledged failures."""
    if status not in ("candidate", "deprecated"):
        raise SignoffError(f"{draft.iteration} is {status}; only an iteration waiting to go live can be signed off.")
    if draft.signer_role not in required:
        needed = ", ".join(required) or "no role (this use case needs no sign-off)"
        raise SignoffError(f"A {draft.signer_role} does not sign off this use case; it needs: {needed}.")
    for other in current:
        if other.signer_role == draft.signer_role:
            raise SignoffError(
                f"{draft.iteration} is signed off as {other.signer_role} already (by {other.signer_name}); "
                "withdraw that sign-off first to sign again."
            )
        if same_person(other.signer_subject, other.signer_name, draft.signer_subject, draft.signer_name):
            raise SignoffError(
                f"{other.signer_name} signed {draft.iteration} off as {other.signer_role} already; "
                "each required role needs a different person."
            )
    if draft.snapshot is None:
        raise SignoffError("A sign-off needs the snapshot of what the signer saw.")
    unmet = draft.snapshot.unmet()
    not_acknowledged = [c for c in unmet if c not in draft.acknowledged]
    if not_acknowledged:
        raise SignoffError(
            "These criteria are not met; acknowledge each of them to sign off anyway: " + "; ".join(not_acknowledged)
        )
    try:
        comment = clean_text("Comment", draft.comment, MAX_COMMENT_CHARS, multiline=True, required=bool(unmet))
    except FeedbackError as err:
        raise SignoffError(f"{err} Say why you sign off although criteria are not met.") from err
    return SignOff(
        **{**draft.__dict__, "comment": comment, "acknowledged": tuple(c for c in draft.acknowledged if c in unmet)}
    )


def plan_withdrawal(current: list[SignOff], signoff_id: int, actor: Actor, reason: str) -> SignOff:
    """The withdrawal to record, or SignoffError if that sign-off does not count any more or is not theirs
    (compared by subject; AccessError if a demo identity would withdraw a sign-off made under login)."""
    target = next((s for s in current if s.id == signoff_id), None)
    if target is None:
        raise SignoffError(
            f"Sign-off #{signoff_id} cannot be withdrawn: it was withdrawn already, or the iteration has been "
            "promoted or changed since (it is part of the record)."
        )
    check_acts_on(actor, target.signer_subject, target.signer_name, f"Sign-off #{signoff_id}")
    if not same_person(target.signer_subject, target.signer_name, actor.subject, actor.name) and actor.role != "admin":
        raise SignoffError(f"Only {target.signer_name} (or an admin) can withdraw this sign-off.")
    try:
        text = clean_text("Reason", reason, MAX_COMMENT_CHARS, multiline=True, required=True)
    except FeedbackError as err:
        raise SignoffError(str(err)) from err
    return SignOff(
        use_case=target.use_case,
        iteration=target.iteration,
        signer_name=actor.name,
        signer_role=actor.role,
        comment=text,
        action=WITHDRAW,
        withdraws=target.id,
        signer_subject=actor.subject,
    )
