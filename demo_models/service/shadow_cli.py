"""`involve monitor shadow USECASE --against VERSION [--month YYYY-MM] [--sample N]`: what another iteration
would have decided on a seeded sample of the decision log, printed as Monitoring shows it."""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

import duckdb

from demo_models import settings
from demo_models.iterations.registry import RegistryError, list_iterations, load_iteration
from demo_models.monitoring.shadow import MAX_SAMPLE, SAMPLE_SEED, SAMPLE_SIZE, ShadowError


def add_shadow_parser(actions: argparse._SubParsersAction) -> None:
    """Add `monitor shadow` to the monitor commands."""
    shadow = actions.add_parser(
        "shadow", help="re-score a seeded sample of the decision log with another iteration: flips, groups, cost"
    )
    shadow.add_argument("use_case")
    shadow.add_argument("--against", required=True, help="the iteration to re-score with, e.g. the candidate")
    shadow.add_argument("--month", default=None, help="the window, YYYY-MM (default: the log's latest month)")
    shadow.add_argument("--sample", type=int, default=SAMPLE_SIZE, help=f"decisions to re-score (1..{MAX_SAMPLE:,})")
    shadow.add_argument("--seed", type=int, default=SAMPLE_SEED)
    shadow.add_argument("--served", default=None, help="the serving iteration (default: the one the log names)")
    shadow.add_argument("--registry", type=Path, default=None)
    shadow.add_argument("--db", default=None, help="store URL: agreed thresholds and cost matrix")


def _fail(message: str) -> int:
    print(f"No shadow comparison: {message}", file=sys.stderr)
    return 1


def _print_table(title: str, table) -> None:
    print(f"\n{title}")
    print(table.to_string())


def run_shadow(args: argparse.Namespace) -> int:
    """Print the shadow comparison; 0 when made, 1 with one clear sentence when it cannot be."""
    from demo_models.iterations.lineup import default_iteration, read_lineup
    from demo_models.iterations.scoring import ScoredIteration
    from demo_models.monitoring.aggregates import list_months
    from demo_models.monitoring.shadow import served_iteration, served_versions, shadow_compare
    from demo_models.monitoring.shadow_tables import (
        flip_table,
        flips_sentence,
        group_table,
        outcome_table,
        sample_sentence,
        undefined_notes,
    )
    from demo_models.monitoring.sources import load_source
    from feedback.store.database import FeedbackStore, StoreError
    from feedback.store.goals import costs_history

    registry = Path(args.registry or settings.registry_dir())
    try:
        source = load_source(args.use_case)
    except (tomllib.TOMLDecodeError, KeyError) as error:
        return _fail(f"the sources file could not be read ({error}): fix or remove it.")
    if source is None:
        return _fail(f"no decision-log source is connected for {args.use_case}: run `involve monitor connect`.")
    cards = list_iterations(args.use_case, registry)
    if not cards:
        return _fail(f"the use case {args.use_case!r} has no registered iteration in {registry}.")
    store, costs = None, None
    try:
        store = FeedbackStore(args.db or settings.db_url())
        lineup = read_lineup(store, args.use_case, cards)
        history = costs_history(store, args.use_case)
        costs = history[-1] if history else None
    except StoreError as error:
        print(f"The store is unavailable ({error}): registered thresholds, no cost matrix.", file=sys.stderr)
        lineup = read_lineup(None, args.use_case, cards)
    try:
        candidate_card = lineup.card(args.against)
        month = args.month
        if month is None:
            months = list_months(source)
            month = months.index[-1] if len(months) else None
        if args.served:
            served = lineup.card(args.served)
        else:
            fallback = default_iteration(list(lineup.cards), lineup.statuses)
            served = served_iteration(list(lineup.cards), served_versions(source, month), fallback)
        candidate = ScoredIteration(load_iteration(args.use_case, candidate_card.version, registry))
        shadow = shadow_compare(
            source, served, candidate.at_threshold(candidate_card.threshold), month, args.sample, args.seed, costs
        )
    except (RegistryError, ShadowError) as error:
        return _fail(str(error))
    except duckdb.Error as error:
        return _fail(f"the log could not be read: {(str(error).strip().splitlines() or ['?'])[0]}")
    use_case = candidate.use_case
    print(f"{args.use_case}: shadow of {served.version}'s traffic with {candidate_card.version}")
    print(sample_sentence(shadow, use_case))
    print(flips_sentence(shadow, use_case))
    _print_table("Flips (share of the sample, 95 % Wilson interval)", flip_table(shadow, use_case))
    for attribute in shadow.by_group:
        _print_table(f"Flips by {use_case.label(attribute).lower()}", group_table(shadow, attribute, use_case))
    _print_table("On the decisions whose outcome is known", outcome_table(shadow, use_case))
    for note in undefined_notes(shadow, use_case):
        print(f"- {note}")
    return 0
