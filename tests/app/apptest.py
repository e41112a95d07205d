"""Helpers for AppTest: start the app on a page, read plotly figures, select a table row."""

from __future__ import annotations

import base64

import numpy as np
import plotly.io as pio
from streamlit.testing.v1 import AppTest

ENTRY = "../../app.py"  # resolved relative to this file
TIMEOUT = (
    180  # the first run of a process imports shap/sklearn and may train the built-ins; generous for a loaded CI machine
)


DEFAULT_USER = ("Ann Example", "data scientist")


def open_app(
    page: str | None = None, user: tuple[str, str] | None = DEFAULT_USER, first_visit: bool = False, **query
) -> AppTest:
    """The app as `user` (demo mode), run once on the home page or switched to `page`; a returning
    visitor (orientation seen) unless `first_visit`."""
    at = AppTest.from_file(ENTRY, default_timeout=TIMEOUT)
    at.query_params.update(query)
    if not first_visit:
        at.session_state["_dismissed_here"] = {"orientation"}
    if user is not None:
        at.session_state["identity_name"], at.session_state["identity_role"] = user
    at.run()
    if page is not None:
        at.switch_page(page).run()
    return at


def decode(value):
    """A plotly typed array ({"dtype", "bdata"}) as numpy, anything else unchanged."""
    if isinstance(value, dict) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        return array.reshape([int(s) for s in value["shape"].split(",")]) if "shape" in value else array
    return value


def plotly_figures(at: AppTest) -> dict:
    """Every plotly chart of the page, by key."""
    return {el.key: pio.from_json(el.proto.spec) for el in at.get("plotly_chart")}


def select_row(at: AppTest, key: str, row: int) -> AppTest:
    """Select a dataframe row the way a click would, and rerun."""
    at.session_state[key] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    return at.run()


def tables_with(at: AppTest, column: str) -> list:
    """The displayed dataframes (in page order) that have `column` (display tables carry no key)."""
    return [df.value for df in at.dataframe if column in df.value.columns]
