"""Sign-off before go-live: promotion refused without it, snapshots kept as signed, withdrawal rules."""

from dataclasses import replace
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy.exc import DBAPIError

from demo_models.metrics.fairness import fairness_gaps
from demo_models.presentation.report_inputs import compose_snapshot, evaluate_criteria
from demo_models.vocabulary import CREDIT, get_use_case, required_signoffs
from feedback.access import AccessError, Actor
from feedback.lifecycle import LifecycleError, plan_change
from feedback.signoff import ScorecardLine, SignOff, SignoffError, Snapshot, count_open, current_signoffs
from feedback.store.goals import current_criteria, save_criterion
from feedback.store.lifecycle import change_lifecycle, lifecycle_statuses, list_lifecycle_events
from feedback.store.signoff import current_signoffs_of, list_signoffs, sign_off, withdraw_signoff
from tests.helpers import BUILTIN_VERSIONS, CRITERION_SPECS, make_criterion

VERSIONS = list(BUILTIN_VERSIONS)
REQUIRED = ("risk", "compliance")
DS = Actor("Dana Scientist", "data scientist")
RITA = Actor("Rita Risk", "risk")
CORA = Actor("Cora Compliance", "compliance")
PASSING = Snapshot(
    0.4, (ScorecardLine("Recall ≥ 0.5", "Risk team", 0.61, True),), {"sex": {"dp_ratio": 0.91}}, {}, {"new": 2}
)
FAILING = Snapshot(
    0.4,
    (
        ScorecardLine("Recall ≥ 0.8", "Risk team", 0.61, False),
        ScorecardLine("Cost", "Finance", None, None, "no cost matrix"),
    ),
)


def _sign(
    store, actor, snapshot=PASSING, version="v3", comment="Checked the scorecard.", acknowledged=(), required=REQUIRED
):
    return sign_off(
        store, "credit", VERSIONS, version, actor, comment, snapshot, acknowledged, required_signoffs=required
    )


def _promote(store, version="v3", required=REQUIRED, **details):
    return change_lifecycle(
        store,
        "credit",
        VERSIONS,
        version,
        "live",
        DS,
        "meets the goals",
        migration_note="Fewer declines.",
        required_signoffs=required,
        **details,
    )


def test_promotion_without_the_required_signoffs_is_refused_by_the_domain():
    statuses = dict.fromkeys(VERSIONS, "candidate")
    with pytest.raises(LifecycleError, match="v3 cannot go live without the sign-off of: risk, compliance"):
        plan_change(statuses, "credit", "v3", "live", DS, "x", migration_note="m", required_signoffs=REQUIRED)
    one = SignOff("credit", "v3", "Rita", "risk", "ok", PASSING, id=1)
    with pytest.raises(LifecycleError, match="without the sign-off of: compliance"):
        plan_change(
            statuses, "credit", "v3", "live", DS, "x", migration_note="m", required_signoffs=REQUIRED, signoffs=[one]
        )
    both = [one, replace(one, signer_name="Cora", signer_role="compliance", id=2)]
    [event] = plan_change(
        statuses, "credit", "v3", "live", DS, "x", migration_note="m", required_signoffs=REQUIRED, signoffs=both
    )
    assert event.to_status == "live"


def test_the_store_refuses_promotion_until_every_required_role_signed(store):
    with pytest.raises(LifecycleError, match="risk, compliance"):
        _promote(store)
    _sign(store, RITA)
    with pytest.raises(LifecycleError, match="sign-off of: compliance"):
        _promote(store)
    assert list_lifecycle_events(store, "credit") == []
    _sign(store, CORA)
    [event] = _promote(store)
    assert event.to_status == "live" and lifecycle_statuses(store, "credit", VERSIONS)["v3"] == "live"


def test_other_transitions_need_no_signoff(store):
    [event] = change_lifecycle(store, "credit", VERSIONS, "v1", "retired", DS, "superseded", required_signoffs=REQUIRED)
    assert event.to_status == "retired"


def test_a_signoff_records_who_when_comment_and_snapshot(store):
    saved = _sign(store, RITA)
    [read] = list_signoffs(store, "credit", "v3")
    assert read == saved
    assert (read.signer_name, read.signer_role, read.comment) == ("Rita Risk", "risk", "Checked the scorecard.")
    assert read.snapshot == PASSING and read.created_at is not None


def test_the_snapshot_is_unchanged_after_the_goals_are_edited(store, scored):
    scored = scored["v3"]
    save_criterion(store, make_criterion(metric="recall", target=0.3), specs=CRITERION_SPECS)
    criteria = current_criteria(store, "credit")
    snapshot = compose_snapshot(scored, evaluate_criteria(scored, criteria, None), [])
    assert snapshot.scorecard[0].passed is True and snapshot.threshold == scored.threshold
    _sign(store, RITA, snapshot=snapshot, version=scored.card.version)
    edited = save_criterion(
        store, replace(criteria[0], target=0.99, id=0, created_at=None), specs=CRITERION_SPECS
    )  # a new version of it
    assert current_criteria(store, "credit")[0].target == 0.99 and edited.key == criteria[0].key
    [read] = list_signoffs(store, "credit", scored.card.version)
    assert read.snapshot == snapshot
    assert read.snapshot.scorecard[0].criterion == "Recall >= 0.3" and read.snapshot.scorecard[0].passed is True


def test_compose_snapshot_holds_the_fairness_gaps_and_open_feedback(scored):
    scored = scored["v2"]  # without sex and age as inputs, but judged on them
    assert scored.card.protected_attributes
    entries = [
        SimpleNamespace(iteration=version, triage_status=status)
        for version, status in [
            ("v2", "new"),
            ("v2", "new"),
            ("v2", "triaged"),
            ("v2", "fixed"),
            ("v2", "rejected"),
            ("v3", "new"),
        ]
    ]
    snapshot = compose_snapshot(scored, [], entries)
    for attribute in scored.card.protected_attributes:
        assert snapshot.fairness_gaps[attribute] == pytest.approx(fairness_gaps(scored, attribute))
    assert snapshot.open_feedback == {"new": 2, "triaged": 1}
    assert Snapshot.from_json(snapshot.to_json()) == snapshot


def test_failing_criteria_must_be_acknowledged_with_a_comment(store):
    with pytest.raises(SignoffError, match="acknowledge each of them.*Recall ≥ 0.8; Cost"):
        _sign(store, RITA, snapshot=FAILING)
    with pytest.raises(SignoffError, match="Cost"):
        _sign(store, RITA, snapshot=FAILING, acknowledged=["Recall ≥ 0.8"])
    with pytest.raises(SignoffError, match="Comment is required"):
        _sign(store, RITA, snapshot=FAILING, acknowledged=["Recall ≥ 0.8", "Cost"], comment=" ")
    assert list_signoffs(store, "credit") == []
    saved = _sign(store, RITA, snapshot=FAILING, acknowledged=["Recall ≥ 0.8", "Cost", "not a criterion"])
    assert saved.acknowledged == ("Recall ≥ 0.8", "Cost")


@pytest.mark.parametrize(
    ("actor", "message"),
    [
        (
            Actor("Dana", "data scientist"),
            "A data scientist does not sign off this use case; it needs: risk, compliance",
        ),
        (Actor("", "risk"), "Your name is required"),
    ],
)
def test_only_the_required_roles_sign_off(store, actor, message):
    with pytest.raises((SignoffError, AccessError), match=message):
        _sign(store, actor)
    assert list_signoffs(store, "credit") == []


def test_one_signoff_per_role_and_one_role_per_person(store):
    _sign(store, RITA)
    with pytest.raises(SignoffError, match="signed off as risk already"):
        _sign(store, Actor("Rob Risk", "risk"))
    with pytest.raises(SignoffError, match="each required role needs a different person"):
        _sign(store, Actor("rita risk", "compliance"))


def test_only_an_iteration_waiting_to_go_live_is_signed_off(store):
    change_lifecycle(store, "credit", VERSIONS, "v1", "retired", DS, "old", required_signoffs=REQUIRED)
    with pytest.raises(SignoffError, match="v1 is retired"):
        _sign(store, RITA, version="v1")


def test_a_withdrawn_signoff_no_longer_counts(store):
    rita = _sign(store, RITA)
    _sign(store, CORA)
    with pytest.raises(SignoffError, match="Only Rita Risk"):
        withdraw_signoff(store, "credit", "v3", rita.id, CORA, "not mine")
    with pytest.raises(SignoffError, match="Reason is required"):
        withdraw_signoff(store, "credit", "v3", rita.id, RITA, "")
    withdrawal = withdraw_signoff(store, "credit", "v3", rita.id, RITA, "the July data changed")
    assert (withdrawal.action, withdrawal.withdraws) == ("withdraw", rita.id)
    assert [s.signer_role for s in current_signoffs_of(store, "credit", "v3")] == ["compliance"]
    with pytest.raises(LifecycleError, match="sign-off of: risk"):
        _promote(store)
    with pytest.raises(SignoffError, match="withdrawn already"):
        withdraw_signoff(store, "credit", "v3", rita.id, RITA, "again")
    _sign(store, RITA)  # signing again after a withdrawal
    assert _promote(store)[0].to_status == "live"


def test_after_promotion_a_signoff_cannot_be_withdrawn_and_a_new_promotion_needs_new_signoffs(store):
    rita, _ = _sign(store, RITA), _sign(store, CORA)
    _promote(store)
    with pytest.raises(SignoffError, match="part of the record"):
        withdraw_signoff(store, "credit", "v3", rita.id, RITA, "too late")
    assert current_signoffs_of(store, "credit", "v3") == []
    change_lifecycle(
        store,
        "credit",
        VERSIONS,
        "v3",
        "deprecated",
        DS,
        "rollback",
        sunset_date=date.today() + timedelta(days=9),
        replacement="v2",
        required_signoffs=REQUIRED,
    )
    with pytest.raises(LifecycleError, match="risk, compliance"):
        _promote(store)
    assert len(list_signoffs(store, "credit", "v3")) == 2  # the earlier ones stay in the record


def test_admin_may_withdraw_anyone_s_signoff(store):
    rita = _sign(store, RITA)
    withdraw_signoff(store, "credit", "v3", rita.id, Actor("Ada", "admin"), "Rita left the bank")
    assert current_signoffs_of(store, "credit", "v3") == []


def test_signoffs_cannot_be_edited_or_deleted(store):
    _sign(store, RITA)
    for statement in ("UPDATE signoffs SET comment = 'edited'", "DELETE FROM signoffs"):
        with pytest.raises(DBAPIError, match="append-only"):
            with store.engine.begin() as conn:
                conn.exec_driver_sql(statement)


def test_counting_helpers():
    assert count_open(["new", "fixed", "accepted", "new", "duplicate"]) == {"new": 2, "accepted": 1}
    a = SignOff("c", "v", "A", "risk", "", PASSING, id=1, created_at=None)
    assert current_signoffs([a, replace(a, action="withdraw", withdraws=1, id=2)], None) == []


def test_required_roles_per_use_case_and_from_the_setting(monkeypatch):
    assert required_signoffs(CREDIT) == ("risk", "compliance")
    assert required_signoffs(get_use_case("churn")) == ("business user",)
    monkeypatch.setenv("INVOLVE_SIGNOFF_ROLES", '{"churn": ["risk", "admin"], "credit": []}')
    assert required_signoffs(get_use_case("churn")) == ("risk", "admin")
    assert required_signoffs(CREDIT) == ()
    monkeypatch.setenv("INVOLVE_SIGNOFF_ROLES", '{"churn": "risk"}')
    with pytest.raises(ValueError, match="list of roles"):
        required_signoffs(CREDIT)


def test_an_unknown_required_role_is_refused(store):
    with pytest.raises(SignoffError, match="Unknown sign-off role"):
        _promote(store, required=("risk", "board"))
