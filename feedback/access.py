"""Who may do what. Enforced here, in the domain layer, whatever the pages show.

Identity comes from the deployment's login (roles from a configured mapping) or, in demo mode,
from what the person says; either way every action is checked against the role's permissions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from feedback.records import MAX_NAME_CHARS, ROLES, FeedbackError, clean_text

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
}
DEFAULT_ROLE = "business user"


class AccessError(PermissionError):
    """An action the person's role does not allow, or a person who did not say who they are."""


@dataclass(frozen=True)
class Actor:
    """Who acts: a name and one of the roles."""

    name: str
    role: str


def check_actor(actor: Actor, action: str) -> Actor:
    """The actor with a clean name, or AccessError if unnamed, of an unknown role, or not allowed."""
    try:
        name = clean_text("Your name", actor.name, MAX_NAME_CHARS)
    except FeedbackError as err:
        raise AccessError(f"{err} Say who you are (sidebar) before you {action}.") from err
    if actor.role not in ROLES:
        raise AccessError(f"Unknown role {actor.role!r}.")
    allowed = PERMISSIONS[action]
    if actor.role not in allowed:
        raise AccessError(f"A {actor.role} cannot {action}; ask: {', '.join(allowed)}.")
    return Actor(name, actor.role)


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


def role_for(email: str | None, mapping: Mapping[str, str]) -> str:
    """The role of a logged-in person: from the mapping, else the least privileged role."""
    return mapping.get((email or "").lower(), DEFAULT_ROLE)
