"""The feedback store as pages see it: opened once per server process, or the reason it cannot be."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from feedback.store.database import FeedbackStore, StoreError
from feedback.store.opening import read_only_requested
from pages._ui.text import md

if TYPE_CHECKING:
    from pages._ui.context import PageContext


@st.cache_resource(show_spinner=False)
def _open_store(url: str, read_only: bool) -> FeedbackStore:
    return FeedbackStore(url, read_only=read_only)


def open_store(url: str) -> tuple[FeedbackStore | None, str | None]:
    """(the store, None), or (None, why it cannot be opened) with the reason in the sidebar."""
    try:
        return _open_store(url, read_only_requested()), None
    except StoreError as err:
        st.sidebar.error(md("Feedback is unavailable: {}", err))
        return None, str(err)


def require_store(ctx: PageContext, what: str) -> FeedbackStore:
    """The store, or a clear message and the page stops when it is unavailable."""
    if ctx.store is None:
        st.error(md("{} unavailable: {}", what, ctx.store_error))
        st.stop()
    return ctx.store
