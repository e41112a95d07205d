"""Tables as people read them: numbers in business formats, undefined written as "—", numbers right-aligned."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd
import streamlit as st
from pandas.api.types import is_numeric_dtype

from demo_models.formats import format_table


def render_table(
    frame: pd.DataFrame,
    formats: Mapping[str, Callable[[object], str] | str],
    key: str,
    where=None,
    column_config: dict | None = None,
    **options,
) -> object:
    """Show `frame` with each column in `formats` formatted, "—" in every undefined cell; `where` is a column or
    container (default: the page), `options` go to `st.dataframe` (its result is returned: the selection event)."""
    holes = [c for c in frame.columns if frame[c].isna().any()]
    shown = format_table(frame, {c: formats[c] for c in holes if c in formats})
    config = {c: st.column_config.TextColumn(alignment="right") for c in holes if is_numeric_dtype(frame[c])}
    config.update(column_config or {})
    kept = {c: spec for c, spec in formats.items() if c in frame.columns and c not in holes}
    # A browser table draws a missing cell as "None" whatever a styler says: columns with one are text.
    data = shown.style.format(kept) if kept else shown
    return (where or st).dataframe(data, column_config=config, key=key, **options)
