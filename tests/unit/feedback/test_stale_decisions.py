"""A decision taken on a state someone else changed meanwhile is refused and says who changed it."""

import pytest

from feedback.access import Actor
from feedback.goals import GoalError
from feedback.lifecycle import LifecycleError
from feedback.store.goals import save_threshold, threshold_history
from feedback.store.lifecycle import change_lifecycle, list_lifecycle_events
from feedback.store.records import add_feedback
from feedback.store.signoff import list_signoffs
from feedback.store.triage import triage_feedback, triage_history
from feedback.triage import TriageError
from tests.helpers import make_draft

VERSIONS = ["v1", "v2", "v3"]
ADA, DANA, RITA = Actor("Ada Admin", "admin"), Actor("Dana Scientist", "data scientist"), Actor("Rita Risk", "risk")


def test_triage_on_a_stale_view_is_refused_with_who_changed_it(store):
    entry = add_feedback(store, make_draft(), {"v3"})
    other = add_feedback(store, make_draft(case_id="A2"), {"v3"})
    triage_feedback(store, [entry.id], "accepted", ADA, seen={entry.id: "new"})
    with pytest.raises(TriageError, match=r"#1 was changed by Ada Admin meanwhile \(now accepted, you saw new\)"):
        triage_feedback(
            store, [entry.id, other.id], "rejected", DANA, "not a bug", seen={entry.id: "new", other.id: "new"}
        )
    assert [e["to_status"] for e in triage_history(store, entry.id)] == ["accepted"]
    assert triage_history(store, other.id) == []  # all or none
    triage_feedback(store, [entry.id], "rejected", DANA, "not a bug", seen={entry.id: "accepted"})


def test_a_lifecycle_change_on_a_stale_status_is_refused(store):
    change_lifecycle(store, "credit", VERSIONS, "v1", "retired", ADA, "old", required_signoffs=())
    with pytest.raises(
        LifecycleError, match="v1 was changed by Ada Admin meanwhile \\(now retired, you saw candidate\\)"
    ):
        change_lifecycle(
            store,
            "credit",
            VERSIONS,
            "v1",
            "live",
            DANA,
            "go",
            required_signoffs=(),
            migration_note="n",
            seen_status="candidate",
        )
    assert [e.to_status for e in list_lifecycle_events(store, "credit")] == ["retired"]


def test_a_threshold_saved_against_a_stale_one_is_refused(store):
    save_threshold(store, "credit", "v3", 0.3, 0.4, RITA, "cost-optimal")
    with pytest.raises(GoalError, match="changed to 0.300 by Rita Risk meanwhile \\(you saw 0.400\\)"):
        save_threshold(store, "credit", "v3", 0.35, 0.4, ADA, "my pick")
    save_threshold(store, "credit", "v2", 0.35, 0.4, ADA, "another iteration is its own")
    assert [row["threshold"] for row in threshold_history(store, "credit")] == [0.3, 0.35]


def test_a_second_withdrawal_names_who_withdrew_first(store):
    from feedback.signoff import SignoffError
    from feedback.store.signoff import withdraw_signoff
    from tests.helpers import sign_off_for_promotion

    sign_off_for_promotion(store, "v3")
    [rita, _] = [s for s in list_signoffs(store, "credit", "v3")]
    withdraw_signoff(store, "credit", "v3", rita.id, ADA, "data changed")
    with pytest.raises(SignoffError, match="withdrawn already, by Ada Admin \\(meanwhile"):
        withdraw_signoff(store, "credit", "v3", rita.id, Actor("Rita Risk", "risk"), "mine")
