"""Who is using the app: the deployment's login (st.login) with a role mapping, or demo mode."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import streamlit as st

from demo_models import settings
from feedback.access import DEFAULT_ROLE, Actor, parse_role_mapping, role_for
from feedback.records import MAX_NAME_CHARS, ROLES
from pages._ui.remembered import remembered_widget
from pages._ui.text import md

log = logging.getLogger("involve.app")


@dataclass(frozen=True)
class Identity:
    """The person: name, role, and whether it comes from a login or from demo mode."""

    name: str
    role: str
    demo: bool
    email: str | None = None

    @property
    def actor(self) -> Actor:
        """The person as the domain layer's Actor."""
        return Actor(self.name, self.role)


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
        email = st.user.get("email")
        identity = Identity(str(st.user.get("name") or email or "unknown"), role_for(email, mapping), False, email)
        st.sidebar.caption(md("Signed in as {} ({})", identity.name, identity.role))
        st.sidebar.button("Log out", on_click=st.logout)
        return identity
    st.sidebar.warning(
        "**Demo mode**: no login is configured, so anyone can say who they are and pick any role.",
        icon=":material/theater_comedy:",
    )
    name = remembered_widget(st.sidebar.text_input, "Your name", "identity_name", "", max_chars=MAX_NAME_CHARS)
    role = remembered_widget(st.sidebar.selectbox, "Your role", "identity_role", DEFAULT_ROLE, options=ROLES)
    return Identity(name.strip(), role, True)
