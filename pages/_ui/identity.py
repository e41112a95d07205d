"""Who is using the app: the deployment's login (st.login) with a role mapping, or demo mode.

People are identified by a stable subject (feedback.access): the login's issuer and `sub`, or in
demo mode `demo:<typed name>`; the name is only what is shown.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import streamlit as st

from demo_models import settings
from feedback.access import DEFAULT_ROLE, AccessError, Actor, demo_subject, login_subject, parse_role_mapping, role_for
from feedback.records import MAX_NAME_CHARS, ROLES
from pages._ui.remembered import remembered_widget
from pages._ui.text import md, plain

log = logging.getLogger("involve.app")


@dataclass(frozen=True)
class Identity:
    """The person: name shown, role, whether it comes from a login or from demo mode, and the stable subject."""

    name: str
    role: str
    demo: bool
    email: str | None = None
    subject: str | None = None  # None: a demo person who has not typed a name
    role_reason: str = ""  # with login: why this role (mapped from a verified e-mail, or why not)

    @property
    def actor(self) -> Actor:
        """The person as the domain layer's Actor."""
        return Actor(self.name, self.role, self.subject)


def _secret(name: str, default=None):
    try:
        return st.secrets.get(name, default)
    except FileNotFoundError:  # no secrets.toml at all
        return default


def _login_configured() -> bool:
    return bool(_secret("auth"))


def current_identity() -> Identity:
    """Render who-am-I in the sidebar and return the identity; stops the page until login if required."""
    if _login_configured():
        if not st.user.get("is_logged_in", False):
            st.sidebar.button("Log in", on_click=st.login, type="primary")
            st.info("Log in to use Involve.")
            st.stop()
        try:
            mapping = parse_role_mapping(settings.role_mapping() or str(_secret("involve_roles", "") or ""))
        except ValueError as err:
            log.error("role mapping unusable: %s", err)
            st.sidebar.error(md("{} Everyone is a {} until it is fixed.", err, DEFAULT_ROLE))
            mapping = {}
        identity = login_identity({k: st.user.get(k) for k in CLAIMS}, mapping)
        st.sidebar.caption(md("Signed in as {} ({}): {}.", identity.name, identity.role, identity.role_reason))
        if st.user.get("email") and st.user.get("email_verified") is not True:
            st.sidebar.warning(md("No mapped role: {}.", identity.role_reason), icon=":material/gpp_maybe:")
        st.sidebar.button("Log out", on_click=st.logout)
        return identity
    st.sidebar.warning(
        "**Demo mode**: no login is configured. Names are **not authenticated**: anyone can type any name "
        "and pick any role. Records made by signed-in people cannot be changed from demo mode.",
        icon=":material/theater_comedy:",
    )
    name = remembered_widget(st.sidebar.text_input, "Your name", "identity_name", "", max_chars=MAX_NAME_CHARS)
    role = remembered_widget(st.sidebar.selectbox, "Your role", "identity_role", DEFAULT_ROLE, options=ROLES)
    name = name.strip()
    return Identity(name, role, True, subject=demo_subject(name) if name else None)


CLAIMS = ("sub", "iss", "name", "email", "email_verified")


def login_identity(claims: dict, mapping: dict[str, str]) -> Identity:
    """The identity of a logged-in person from the login's claims: subject from `iss` and `sub`, role
    from the mapping by verified e-mail only (the lowest role otherwise, with the reason)."""
    email = claims.get("email")
    role, reason = role_for(email, mapping, claims.get("email_verified") is True)
    try:
        subject = login_subject(claims)
    except AccessError as err:
        st.error(plain(err))
        st.stop()
    return Identity(str(claims.get("name") or email or "unknown"), role, False, email, subject, reason)
