"""The sidebar pickers: the use case, whether retired iterations show, and the iteration. Each choice
persists across pages and is mirrored in the URL, so a link opens the same view."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from demo_models import __version__
from demo_models.iterations.lineup import Lineup, default_iteration, read_lineup
from demo_models.iterations.registry import IterationCard
from demo_models.vocabulary import get_use_case
from feedback.store.database import FeedbackStore, StoreError
from pages._ui.remembered import chosen_key, remembered_widget
from pages._ui.text import md


def pick_in_sidebar(
    label: str,
    options: list[str],
    state_key: str,
    query_key: str,
    describe: Callable[[str], str],
    default: str,
    hidden: tuple[str, ...] | list[str] = (),
) -> str:
    """A sidebar picker whose choice persists across pages and is mirrored in the URL."""
    requested = st.query_params.get(query_key)
    if requested is not None and requested != st.session_state.get(state_key):
        if requested in options:
            st.session_state[state_key] = requested
            st.session_state[chosen_key(state_key)] = True
        else:
            why = (  # the URL is anyone's: never markup
                md("{!r} is retired; switch on “Show retired iterations” to see it", requested)
                if requested in hidden
                else md("There is no {} {!r}", label.lower(), requested)
            )
            st.error(md("{}. Showing {} instead; available: {}.", why, describe(default), ", ".join(options)))
            del st.query_params[query_key]
    remembered = st.session_state.get(state_key)
    if remembered not in options:
        if remembered is not None:
            st.warning(
                md(
                    "The {} {!r} you had picked is no longer available; showing {}.",
                    label.lower(),
                    remembered,
                    describe(default),
                )
            )
        st.session_state[state_key] = default

    def mirror(value: str) -> None:
        st.query_params[query_key] = value
        st.session_state[chosen_key(state_key)] = True

    return remembered_widget(
        st.sidebar.selectbox,
        label,
        state_key,
        default,
        widget_key=f"_pick_{state_key}",
        then=mirror,
        options=options,
        format_func=describe,
    )


@dataclass(frozen=True)
class Picked:
    """What the sidebar pickers settled on: the use case's lineup and the iteration to show."""

    lineup: Lineup
    card: IterationCard
    store_error: str | None  # why statuses and thresholds could not be read, if they could not


def pick_iteration(all_cards: list[IterationCard], store: FeedbackStore | None) -> Picked:
    """The use case and iteration pickers (and the retired toggle) in the sidebar, with a caption of
    what the page shows; the iteration comes at its agreed threshold."""
    use_cases = sorted({c.use_case for c in all_cards})
    default_use_case = "credit" if "credit" in use_cases else use_cases[0]
    name = pick_in_sidebar(
        "Use case", use_cases, "use_case", "use_case", lambda n: get_use_case(n).title, default_use_case
    )
    store_error = None
    try:
        lineup = read_lineup(store, name, all_cards)
    except StoreError as err:
        store_error = str(err)
        st.sidebar.error(md("Lifecycle statuses are unavailable: {}", err))
        lineup = read_lineup(None, name, all_cards)
    statuses = lineup.statuses
    show_retired = remembered_widget(
        st.sidebar.toggle, "Show retired iterations", "retired_shown", False, widget_key="show_retired"
    )
    retired = [v for v, status in statuses.items() if status == "retired"]
    visible = [c for c in lineup.cards if show_retired or c.version not in retired] or list(lineup.cards)
    by_version = {c.version: c for c in visible}
    version = pick_in_sidebar(
        "Iteration",
        list(by_version),
        "iteration",
        "iteration",
        lambda v: f"{v} · {statuses.get(v, '?')} · {by_version[v].model_type}" if v in by_version else v,
        default=default_iteration(visible, statuses).version,
        hidden=retired,
    )
    card = by_version[version]
    st.sidebar.caption(
        md(
            "This page shows {} · {} ({}) · threshold {:.1%} · {:,} evaluation cases · Involve {}",
            get_use_case(name).title,
            card.version,
            statuses.get(card.version, "?"),
            card.threshold,
            card.n_eval,
            __version__,
        )
    )
    st.sidebar.divider()
    return Picked(lineup, card, store_error)
