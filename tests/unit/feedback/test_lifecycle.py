from datetime import date, timedelta

import pytest
from sqlalchemy.exc import DBAPIError

from feedback.access import AccessError, Actor
from feedback.lifecycle import LifecycleError, plan_change
from feedback.store.lifecycle import change_lifecycle, lifecycle_statuses, list_lifecycle_events

VERSIONS = ["v1", "v2", "v3"]
DS = Actor("Dana Scientist", "data scientist")
SOON = date.today() + timedelta(days=30)


def _change(store, version, to_status, reason="because", actor=DS, **details):
    """A change for a use case that needs no sign-off (sign-offs: tests/unit/feedback/test_signoff.py)."""
    return change_lifecycle(
        store, "credit", VERSIONS, version, to_status, actor, reason, required_signoffs=(), **details
    )


def _go_live(store, version, **details):
    return _change(store, version, "live", migration_note="Fewer declines for short loans.", **details)


def test_every_iteration_starts_as_a_candidate(store):
    assert lifecycle_statuses(store, "credit", VERSIONS) == dict.fromkeys(VERSIONS, "candidate")


def test_promotion_is_recorded_with_who_when_why_and_the_migration_note(store):
    [event] = _go_live(store, "v2", reason="beats v1 on recall")
    assert (event.iteration, event.from_status, event.to_status) == ("v2", "candidate", "live")
    assert (event.actor_name, event.actor_role, event.reason) == (
        "Dana Scientist",
        "data scientist",
        "beats v1 on recall",
    )
    assert event.migration_note == "Fewer declines for short loans." and event.created_at is not None
    assert list_lifecycle_events(store, "credit") == [event]
    assert lifecycle_statuses(store, "credit", VERSIONS)["v2"] == "live"


def test_a_second_live_iteration_is_refused(store):
    _go_live(store, "v2")
    with pytest.raises(LifecycleError, match="v2 is live already; at most one iteration is live"):
        _go_live(store, "v3")
    assert lifecycle_statuses(store, "credit", VERSIONS) == {"v1": "candidate", "v2": "live", "v3": "candidate"}


def test_promoting_can_explicitly_demote_the_current_live_one(store):
    _go_live(store, "v2")
    deprecated, promoted = _go_live(store, "v3", demote_current=True, sunset_date=SOON)
    assert (deprecated.iteration, deprecated.to_status, deprecated.replacement, deprecated.sunset_date) == (
        "v2",
        "deprecated",
        "v3",
        SOON,
    )
    assert promoted.iteration == "v3" and promoted.to_status == "live"
    assert lifecycle_statuses(store, "credit", VERSIONS) == {"v1": "candidate", "v2": "deprecated", "v3": "live"}


def test_demoting_without_a_sunset_date_is_refused_and_nothing_is_logged(store):
    _go_live(store, "v2")
    with pytest.raises(LifecycleError, match="needs a sunset date"):
        _go_live(store, "v3", demote_current=True)
    assert len(list_lifecycle_events(store, "credit")) == 1


def test_a_live_iteration_is_deprecated_before_it_is_retired(store):
    _go_live(store, "v2")
    with pytest.raises(LifecycleError, match="Deprecate it first"):
        _change(store, "v2", "retired")
    with pytest.raises(LifecycleError, match="needs the iteration that replaces it"):
        _change(store, "v2", "deprecated", sunset_date=SOON)
    with pytest.raises(LifecycleError, match="in the past"):
        _change(store, "v2", "deprecated", sunset_date=date.today() - timedelta(days=1), replacement="v3")
    _change(store, "v2", "deprecated", sunset_date=SOON, replacement="v3")
    _change(store, "v2", "retired", reason="sunset reached")
    assert lifecycle_statuses(store, "credit", VERSIONS)["v2"] == "retired"


def test_a_retired_iteration_comes_back_only_with_a_recorded_reason(store):
    _change(store, "v1", "retired", reason="superseded")
    with pytest.raises(LifecycleError, match="it can only become candidate"):
        _go_live(store, "v1")
    with pytest.raises(LifecycleError, match="Reason is required"):
        _change(store, "v1", "candidate", reason="  ")
    [event] = _change(store, "v1", "candidate", reason="needed as a baseline for the audit")
    assert (event.from_status, event.to_status, event.reason) == (
        "retired",
        "candidate",
        "needed as a baseline for the audit",
    )


@pytest.mark.parametrize(
    ("actor", "message"),
    [
        (Actor("Bo", "business user"), "A business user cannot change lifecycle"),
        (Actor("Rita", "risk"), "A risk cannot change lifecycle; ask: admin, data scientist"),
        (Actor("Cy", "compliance"), "A compliance cannot change lifecycle"),
        (Actor("", "data scientist"), "Your name is required"),
        (Actor("Bo", "superuser"), "Unknown role"),
    ],
)
def test_only_allowed_roles_may_change_the_lifecycle(store, actor, message):
    with pytest.raises(AccessError, match=message):
        _change(store, "v1", "retired", actor=actor)
    assert list_lifecycle_events(store, "credit") == []


def test_unknown_iterations_and_statuses_are_refused():
    statuses = dict.fromkeys(VERSIONS, "candidate")
    with pytest.raises(LifecycleError, match="no iteration 'v9'"):
        plan_change(statuses, "credit", "v9", "live", DS, "x", migration_note="m", required_signoffs=())
    with pytest.raises(LifecycleError, match="Unknown status"):
        plan_change(statuses, "credit", "v1", "archived", DS, "x", required_signoffs=())
    with pytest.raises(LifecycleError, match="Migration note"):
        plan_change(statuses, "credit", "v1", "live", DS, "x", required_signoffs=())


def test_the_audit_log_cannot_be_edited_or_deleted(store):
    _go_live(store, "v2")
    for statement in ("UPDATE lifecycle_events SET reason = 'edited'", "DELETE FROM lifecycle_events"):
        with pytest.raises(DBAPIError, match="append-only"):
            with store.engine.begin() as conn:
                conn.exec_driver_sql(statement)
    assert list_lifecycle_events(store, "credit")[0].reason == "because"


def test_lifecycle_of_one_use_case_does_not_touch_another(store):
    _go_live(store, "v2")
    assert lifecycle_statuses(store, "fraud", ["v2"]) == {"v2": "candidate"}


def test_an_admin_may_change_the_lifecycle(store):
    [event] = _change(store, "v1", "retired", actor=Actor("Ada Admin", "admin"))
    assert event.actor_role == "admin"
