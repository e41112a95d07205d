"""Code a data scientist can copy: the registration call, filled in from the use case's own card."""

from __future__ import annotations

import re

from demo_models.iterations.registry import IterationCard


def next_version(versions: list[str]) -> str:
    """The version after the highest "vN" of the list ("v4" after v1..v3); "v1" when there is none."""
    numbers = [int(m.group(1)) for v in versions if (m := re.fullmatch(r"v(\d+)", v))]
    return f"v{max(numbers, default=0) + 1}"


def registration_snippet(card: IterationCard, versions: list[str]) -> str:
    """The `register_iteration` call for the next iteration of the card's use case, with its target,
    positive class, favourable decision, threshold and protected attributes (so that it runs on the
    same kind of data and is judged on the same side)."""
    favourable = f"                   favourable={card.favourable!r},\n" if card.favourable != "negative" else ""
    return (
        "from demo_models.iterations.registry import register_iteration\n\n"
        f"register_iteration(model, eval_df, use_case={card.use_case!r}, version={next_version(versions)!r},\n"
        f"                   target={card.target!r}, positive_label={card.positive_label!r},\n"
        f"                   positive_class={card.positive_class!r}, threshold={card.threshold:g},\n"
        f"                   protected_attributes={list(card.protected_attributes)!r}, parent={card.version!r},\n"
        + favourable
        + '                   author="Your name", notes="What changed, in words a business user understands.")'
    )
