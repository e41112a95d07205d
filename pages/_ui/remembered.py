"""Sidebar widgets whose value persists across pages.

Widget ids are per page: on a page switch the previous page's widget state is still what
``st.session_state[widget_key]`` returns while the new page's widget is created with its default.
So the value lives in a plain session key and is written into the widget's key on *every* run,
before the widget is created (never guarded by "if it differs", which is what once made the
pickers fall back to their first option on every second page).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st


def _copy(state_key: str, widget_key: str, then: Callable[[Any], None] | None) -> None:
    st.session_state[state_key] = st.session_state[widget_key]
    if then is not None:
        then(st.session_state[state_key])


def remembered_widget(
    widget: Callable[..., Any],
    label: str,
    state_key: str,
    default: Any,
    *,
    widget_key: str | None = None,
    then: Callable[[Any], None] | None = None,
    **kwargs: Any,
) -> Any:
    """Render `widget` showing the value kept under `state_key` (`default` at first); a change is
    kept there and passed to `then`. Returns the kept value."""
    widget_key = widget_key or f"_{state_key}"
    st.session_state.setdefault(state_key, default)
    st.session_state[widget_key] = st.session_state[state_key]
    widget(label, key=widget_key, on_change=_copy, args=(state_key, widget_key, then), **kwargs)
    return st.session_state[state_key]


def chosen_key(state_key: str) -> str:
    """The session key set once the person picks `state_key` themselves (widget or link)."""
    return f"_{state_key}_chosen"
