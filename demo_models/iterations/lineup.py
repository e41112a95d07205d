"""The iterations a use case offers right now: each at its agreed operating threshold, with its
lifecycle status, which of them are in service and which one is shown by default."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from demo_models.iterations.registry import IterationCard, RegistryError, check_name, load_iteration
from feedback.store.database import FeedbackStore
from feedback.store.goals import current_thresholds
from feedback.store.lifecycle import lifecycle_statuses

if TYPE_CHECKING:  # scoring imports scikit-learn: only where an iteration is scored
    from demo_models.iterations.scoring import ScoredIteration


@dataclass(frozen=True)
class Lineup:
    """The iterations of one use case, oldest first, each at its agreed threshold, and their statuses."""

    use_case: str
    cards: tuple[IterationCard, ...]
    statuses: dict[str, str]  # lifecycle status of every version ("candidate" when the store has none)

    def card(self, version: str) -> IterationCard:
        """The card of one version, at its agreed threshold; RegistryError if the name is not valid or the use
        case has no such version."""
        check_name("version", version)  # names become paths: say so before "no such iteration"
        for card in self.cards:
            if card.version == version:
                return card
        raise RegistryError(f"There is no iteration {version!r} of the use case {self.use_case!r}.")


def at_agreed_thresholds(cards: list[IterationCard], saved: dict[str, float]) -> list[IterationCard]:
    """The cards with each iteration's saved operating threshold (the registered one when none is saved)."""
    return [replace(c, threshold=saved.get(c.version, c.threshold)) for c in cards]


def read_lineup(store: FeedbackStore | None, use_case: str, cards: list[IterationCard]) -> Lineup:
    """The iterations of a use case (from `cards`, any use case's) at their agreed thresholds, with their
    statuses; without a store, at their registered thresholds, as candidates. StoreError if the store fails."""
    cards = [c for c in cards if c.use_case == use_case]
    if store is None or not cards:
        return Lineup(use_case, tuple(cards), {c.version: "candidate" for c in cards})
    statuses = lifecycle_statuses(store, use_case, [c.version for c in cards])
    return Lineup(use_case, tuple(at_agreed_thresholds(cards, current_thresholds(store, use_case))), statuses)


def in_service(cards: list[IterationCard], statuses: dict[str, str]) -> list[IterationCard]:
    """The iterations that serve decisions: the live ones, or every one not retired when none is live
    (oldest first)."""
    live = [c for c in cards if statuses.get(c.version) == "live"]
    return live or [c for c in cards if statuses.get(c.version) != "retired"]


def default_iteration(cards: list[IterationCard], statuses: dict[str, str]) -> IterationCard:
    """The iteration shown until someone picks one: the (first) live one, else the newest in service,
    else the newest of `cards`."""
    serving = in_service(cards, statuses)
    if serving and statuses.get(serving[0].version) == "live":
        return serving[0]
    return (serving or cards)[-1]


def load_at_agreed_threshold(registry_dir: Path, card: IterationCard) -> ScoredIteration:
    """The iteration of a lineup card loaded and scored, deciding at the card's (agreed) threshold."""
    from demo_models.iterations.scoring import ScoredIteration

    return ScoredIteration(load_iteration(card.use_case, card.version, registry_dir)).at_threshold(card.threshold)
