"""Who may do what. Enforced here, in the domain layer, whatever the pages show.

Identity comes from the deployment's login (roles from a configured mapping) or, in demo mode,
from what the person says; either way every action is checked against the role's permissions.
People are compared by a stable *subject*, never by the name shown: with login the provider's
issuer and `sub` claim (or a verified e-mail), in demo mode `demo:<the typed name, normalised>`.
A demo identity never acts on a record made under login.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from feedback.records import MAX_NAME_CHARS, MAX_SUBJECT_CHARS, ROLES, FeedbackError, clean_text

#: action -> roles allowed to take it
PERMISSIONS: Mapping[str, tuple[str, ...]] = {
    "give feedback": ROLES,
    "edit goals": ROLES,
    "triage feedback": ("admin", "data scientist"),
    "import feedback": ("admin", "data scientist"),  # an import carries triage decisions
    "change lifecycle": ("admin", "data scientist"),
    "change threshold": ("admin", "data scientist", "risk"),
    "sign off": ROLES,  # which roles a use case needs is its own policy (feedback.signoff)
    "post notices": ("admin", "data scientist", "risk", "compliance"),
    "create rounds": ("admin", "data scientist"),  # review rounds (feedback.rounds)
    "adjudicate": ("admin", "data scientist", "risk", "compliance"),  # split review cases (feedback.expectations)
    "pin expectations": ("admin", "data scientist", "risk", "compliance"),  # from Explore (feedback.expectations)
    "retire expectations": ("admin", "data scientist"),  # an expectation no longer counts (kept, with why)
    "state hypotheses": ("admin", "data scientist"),  # what an iteration tests (feedback.hypotheses)
    "subscribe to notifications": ROLES,
    "see dead notifications": ("admin",),
    "edit notice templates": ("admin", "compliance"),  # decision notice wording (feedback.notice_templates)
    "write notice batches": ("admin", "compliance"),  # a ZIP of every declined case's notice, from the page
    "record decisions": ("admin", "compliance", "risk"),  # decision records for an audit (feedback.decision_records)
}
DEFAULT_ROLE = "business user"
DEMO_PREFIX = "demo:"


class AccessError(PermissionError):
    """An action the person's role does not allow, or a person who did not say who they are."""


@dataclass(frozen=True)
class Actor:
    """Who acts: the name shown, one of the roles, and the stable subject (None: a demo identity of the name)."""

    name: str
    role: str
    subject: str | None = None


def demo_subject(name: str) -> str:
    """The demo identity of a typed name: `demo:` and the name case-folded, with single spaces."""
    return DEMO_PREFIX + re.sub(r"\s+", " ", name).strip().casefold()


def subject_of(subject: str | None, name: str) -> str:
    """The subject a record was made by; a record from before subjects were kept counts as the demo
    identity of its name (names were all there was)."""
    return subject or demo_subject(name)


def is_demo(subject: str) -> bool:
    """Whether a subject is a demo identity (a typed, unauthenticated name)."""
    return subject.startswith(DEMO_PREFIX)


def check_actor(actor: Actor, action: str) -> Actor:
    """The actor with a clean name and its subject, or AccessError if unnamed, of an unknown role, or not allowed."""
    try:
        name = clean_text("Your name", actor.name, MAX_NAME_CHARS)
    except FeedbackError as err:
        raise AccessError(f"{err} Say who you are (sidebar) before you {action}.") from err
    if actor.role not in ROLES:
        raise AccessError(f"Unknown role {actor.role!r}.")
    subject = actor.subject or demo_subject(name)
    if len(subject) > MAX_SUBJECT_CHARS:
        raise AccessError(f"The login's subject is longer than {MAX_SUBJECT_CHARS} characters; ask the deployment.")
    allowed = PERMISSIONS[action]
    if actor.role not in allowed:
        raise AccessError(f"A {actor.role} cannot {action}; ask: {', '.join(allowed)}.")
    return Actor(name, actor.role, subject)


def check_acts_on(actor: Actor, record_subject: str | None, record_name: str, what: str) -> None:
    """AccessError if a demo identity would act on a record made under login (whatever its role)."""
    acting = subject_of(actor.subject, actor.name)
    if is_demo(acting) and not is_demo(subject_of(record_subject, record_name)):
        raise AccessError(
            f"{what} was made by a signed-in person; a demo-mode name is not authenticated and cannot act on it."
        )


def name_changer(actor: Actor, subject: str | None, name: str) -> str:
    """Who made a change, as a "changed by … meanwhile" message names them.

    "you, in another window" if it was the actor.
    """
    return "you, in another window," if same_person(actor.subject, actor.name, subject, name) else name


def same_person(subject_a: str | None, name_a: str, subject_b: str | None, name_b: str) -> bool:
    """Whether two records were made by the same person (by subject, never by the name shown)."""
    return subject_of(subject_a, name_a) == subject_of(subject_b, name_b)


def parse_role_mapping(text: str) -> dict[str, str]:
    """A JSON object mapping a login e-mail to a role; unknown roles are refused."""
    if not text.strip():
        return {}
    try:
        mapping = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"The role mapping is not valid JSON: {err}") from err
    if not isinstance(mapping, dict):
        raise ValueError("The role mapping must be a JSON object of e-mail to role.")
    unknown = {role for role in mapping.values() if role not in ROLES}
    if unknown:
        raise ValueError(f"The role mapping names unknown roles: {sorted(unknown)}; use {', '.join(ROLES)}.")
    return {str(email).lower(): role for email, role in mapping.items()}


def role_for(email: str | None, mapping: Mapping[str, str], email_verified: bool = False) -> tuple[str, str]:
    """The role of a logged-in person and why: mapped by a *verified* e-mail, else the least privileged role."""
    key = (email or "").strip().lower()
    if not key or key not in mapping:
        return DEFAULT_ROLE, "your e-mail is not in the role mapping" if key else "the login gave no e-mail"
    if email_verified is not True:
        return (
            DEFAULT_ROLE,
            f"the login provider has not verified {email}, so its mapped role ({mapping[key]}) is not given",
        )
    return mapping[key], f"mapped from your verified e-mail {email}"


def login_subject(claims: Mapping[str, object]) -> str:
    """The stable subject of a logged-in person: `<issuer>|<sub>`, else `email:<verified e-mail>`
    (AccessError if the login gives neither)."""
    sub, issuer = str(claims.get("sub") or "").strip(), str(claims.get("iss") or "").strip()
    if sub:
        return f"{issuer}|{sub}" if issuer else f"sub:{sub}"
    email = str(claims.get("email") or "").strip().lower()
    if email and claims.get("email_verified") is True:
        return f"email:{email}"
    raise AccessError("The login gave neither a subject (`sub`) nor a verified e-mail; ask the deployment.")
