"""Health checks of a deployment: the store reachable and writable, every live iteration loads and
explains a case, and its latency within the agreed goal. Used by every page's banner and by
`involve health` (exit status 0 when healthy) for a deployment's health probe."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from demo_models.iterations.lineup import in_service, load_at_agreed_threshold, read_lineup
from demo_models.iterations.registry import RegistryError, list_iterations
from feedback.store.database import FeedbackStore, StoreError
from feedback.store.goals import current_criteria


@dataclass(frozen=True)
class Check:
    """One health check: what was checked, whether it passed, and what was found."""

    name: str
    ok: bool
    detail: str


def check_store(url: str) -> tuple[Check, FeedbackStore | None]:
    """The store opens, reads, and accepts a write (rolled back, so nothing is left behind)."""
    try:
        store = FeedbackStore(url)
        store.probe_write()
    except StoreError as err:
        return Check("store", False, str(err)), None
    return Check("store", True, f"reachable and writable ({store.location})"), store


def check_live_iterations(registry_dir: Path, store: FeedbackStore | None) -> list[Check]:
    """Every iteration in service (`in_service`, at its agreed threshold) loads and explains a case
    within its latency goal, if one is agreed."""
    all_cards = list_iterations(registry_dir=registry_dir)
    checks = []
    for use_case in sorted({c.use_case for c in all_cards}):
        lineup = read_lineup(store, use_case, all_cards)
        goals = [c for c in current_criteria(store, use_case) if c.metric == "latency_p95_ms"] if store else []
        for card in in_service(list(lineup.cards), lineup.statuses):
            name = f"{use_case}/{card.version}"
            try:
                scored = load_at_agreed_threshold(registry_dir, card)
                start = time.perf_counter()
                scored.explain_raw(scored.features.iloc[[0]])
                elapsed_ms = (time.perf_counter() - start) * 1000
            except (RegistryError, ValueError, OSError) as err:
                checks.append(Check(name, False, f"cannot load or explain: {err}"))
                continue
            if goals and elapsed_ms > goals[0].target:
                checks.append(
                    Check(name, False, f"explained a case in {elapsed_ms:.0f} ms, over the {goals[0].target:g} ms goal")
                )
            else:
                checks.append(Check(name, True, f"loads and explains a case in {elapsed_ms:.1f} ms"))
    return checks


def run_checks(registry_dir: Path, db_url: str) -> list[Check]:
    """All checks."""
    store_check, store = check_store(db_url)
    return [store_check, *check_live_iterations(registry_dir, store)]


def record_checks(db_url: str, checks: list[Check]) -> None:
    """Post the outage (or its end) on the notice board; nothing if the store itself cannot take it."""
    from feedback.store.announcements import record_health

    try:
        record_health(FeedbackStore(db_url), [(c.name, c.detail) for c in checks if not c.ok])
    except StoreError:
        pass  # the failing store is in the checks, and on the banner
