"""The lineup of a use case: agreed thresholds, statuses, what is in service, the default iteration."""

from dataclasses import replace

import pytest

from demo_models.iterations.lineup import at_agreed_thresholds, default_iteration, in_service, read_lineup
from demo_models.iterations.registry import IterationCard, RegistryError
from feedback.access import Actor
from feedback.store.goals import save_threshold
from feedback.store.lifecycle import change_lifecycle

CARD = IterationCard("credit", "v1", "Dana", "2026-01-01", "risk", 0, "bad risk", 0.5, ("age",))
CARDS = [replace(CARD, version=v, created=f"2026-01-0{i}") for i, v in enumerate(("v1", "v2", "v3"), 1)]
OTHER = replace(CARD, use_case="fraud", version="v9")
DS = Actor("Dana Scientist", "data scientist")


def _statuses(**given):
    return {c.version: given.get(c.version, "candidate") for c in CARDS}


def test_the_saved_threshold_replaces_the_registered_one_and_only_there():
    agreed = at_agreed_thresholds(CARDS, {"v2": 0.3})
    assert [c.threshold for c in agreed] == [0.5, 0.3, 0.5]
    assert agreed[1] == replace(CARDS[1], threshold=0.3)


def test_without_a_store_every_iteration_of_the_use_case_is_a_candidate_at_its_registered_threshold():
    lineup = read_lineup(None, "credit", [*CARDS, OTHER])
    assert lineup.cards == tuple(CARDS) and lineup.statuses == _statuses()
    with pytest.raises(RegistryError, match="no iteration 'v9' of the use case 'credit'"):
        lineup.card("v9")


def test_the_store_gives_the_statuses_and_the_agreed_thresholds(sqlite_store):
    save_threshold(sqlite_store, "credit", "v3", 0.3, 0.5, Actor("Rita", "risk"), "cost-optimal")
    change_lifecycle(
        sqlite_store,
        "credit",
        ["v1", "v2", "v3"],
        "v2",
        "live",
        DS,
        "better",
        required_signoffs=(),
        migration_note="fewer declines",
    )
    lineup = read_lineup(sqlite_store, "credit", [OTHER, *CARDS])
    assert lineup.statuses == _statuses(v2="live")
    assert lineup.card("v3").threshold == 0.3 and lineup.card("v2").threshold == 0.5
    assert [c.version for c in lineup.cards] == ["v1", "v2", "v3"]


def test_in_service_is_the_live_iterations_or_every_one_not_retired():
    assert [c.version for c in in_service(CARDS, _statuses(v2="live"))] == ["v2"]
    assert [c.version for c in in_service(CARDS, _statuses(v1="live", v3="live"))] == ["v1", "v3"]
    assert [c.version for c in in_service(CARDS, _statuses(v2="retired"))] == ["v1", "v3"]
    assert [c.version for c in in_service(CARDS, _statuses(v1="deprecated"))] == ["v1", "v2", "v3"]


def test_the_default_is_the_live_one_else_the_newest_not_retired_else_the_newest():
    assert default_iteration(CARDS, _statuses(v1="live")).version == "v1"
    assert default_iteration(CARDS, _statuses(v2="deprecated")).version == "v3"
    assert default_iteration(CARDS, _statuses(v3="retired")).version == "v2"
    assert default_iteration(CARDS, dict.fromkeys(("v1", "v2", "v3"), "retired")).version == "v3"
