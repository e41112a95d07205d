"""Confirmations that survive a rerun: set before `st.rerun`, shown once at the top of the next run."""

from __future__ import annotations

import streamlit as st

from pages._ui.text import plain

FLASH = "_flash"


def confirm_and_rerun(message: str) -> None:
    """Rerun the page and show `message` (plain text, or `md(...)`) as a confirmation at the top of the next run."""
    st.session_state[FLASH] = message
    st.rerun()


def show_confirmation() -> None:
    """Show the confirmation left by `confirm_and_rerun`, once."""
    message = st.session_state.pop(FLASH, None)
    if message:
        st.success(plain(message))
