"""Choosing a case without a mouse: a searchable selectbox of case ids beside a selectable table."""

from __future__ import annotations

import streamlit as st

from pages._ui.text import plain


def _choose(key: str, state_key: str, query_key: str | None) -> None:
    picked = st.session_state[key]
    if picked is not None:
        st.session_state[state_key] = picked
        if query_key:
            st.query_params[query_key] = picked


def render_case_picker(label: str, case_ids: list[str], state_key: str, query_key: str | None, key: str) -> None:
    """A selectbox of `case_ids` (type to search) that shows and sets st.session_state[state_key]
    (and the URL's `query_key`, if given).

    A table row needs Tab, the arrow keys and Shift+Space; this is the same choice in one widget.
    """
    current = st.session_state.get(state_key)
    if st.session_state.get(key) != current:
        st.session_state[key] = current if current in case_ids else None
    st.selectbox(
        plain(label),
        case_ids,
        index=None,
        key=key,
        placeholder="Type or pick a case id",
        on_change=_choose,
        args=(key, state_key, query_key),
    )
