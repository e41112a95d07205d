"""The demo history: written through the domain calls into a fresh store only, once, labelled, and
every number and "fixed in" in it true of the iterations."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date

import pytest

from demo_models.builtin.demo_feedback import DEMO_MARK
from demo_models.builtin.demo_history import NOTICE_TITLE, seed_demo_history
from demo_models.presentation.report_inputs import evaluate_criteria
from feedback.analytics import check_fixes
from feedback.signoff import SIGN
from feedback.store.announcements import dismiss, list_announcements, record_health
from feedback.store.database import FeedbackStore
from feedback.store.fresh import count_person_records, is_fresh
from feedback.store.goals import costs_history, criteria_history, current_criteria, statement_history
from feedback.store.lifecycle import lifecycle_statuses, list_lifecycle_events
from feedback.store.notifications import delivery_log
from feedback.store.records import add_feedback, list_feedback
from feedback.store.signoff import current_signoffs_of, list_signoffs
from feedback.store.telemetry import flush_events, record_event
from tests.helpers import make_draft


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, registry_dir) -> FeedbackStore:
    """One store with the demo history (written once for the module)."""
    store = FeedbackStore(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'store.sqlite3'}")
    assert seed_demo_history(store, registry_dir) is True
    return store


@pytest.fixture(scope="module")
def fraud_scored(registry_dir):
    from demo_models.iterations.registry import load_iteration
    from demo_models.iterations.scoring import ScoredIteration

    return {v: ScoredIteration(load_iteration("fraud", v, registry_dir)) for v in ("v1", "v2")}


def test_a_second_seeding_writes_nothing(seeded, registry_dir):
    before = count_person_records(seeded)
    assert seed_demo_history(seeded, registry_dir) is False
    assert count_person_records(seeded) == before


def test_a_store_with_a_real_entry_is_not_seeded(sqlite_store, registry_dir):
    add_feedback(sqlite_store, make_draft(), known_iterations=["v1", "v2", "v3"])
    assert not is_fresh(sqlite_store)
    assert seed_demo_history(sqlite_store, registry_dir) is False
    assert sum(count_person_records(sqlite_store).values()) == 1


def test_looking_around_leaves_a_store_fresh(sqlite_store):
    record_event(sqlite_store, "credit", "Home", "business user", "page view", "v1")
    assert flush_events()
    dismiss(sqlite_store, "ann", ["orientation"])
    record_health(sqlite_store, [("credit/v1", "cannot load")])  # the health checks' own notice
    assert is_fresh(sqlite_store)


def test_two_seedings_at_once_write_the_history_once(tmp_path, registry_dir, seeded):
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    stores = [FeedbackStore(url), FeedbackStore(url)]  # as two app processes would open it
    results = [None, None]

    def seed(i):
        results[i] = seed_demo_history(stores[i], registry_dir)

    threads = [threading.Thread(target=seed, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]
    assert count_person_records(stores[0]) == count_person_records(seeded)


def test_every_demo_person_is_labelled_and_the_history_says_it_is_demo(seeded):
    names = set()
    for use_case in ("credit", "fraud"):
        names |= {f.reviewer_name for f in list_feedback(seeded, use_case)}
        names |= {s.signer_name for s in list_signoffs(seeded, use_case)}
        names |= {e.actor_name for e in list_lifecycle_events(seeded, use_case)}
        names |= {s.author_name for s in statement_history(seeded, use_case)}
        names |= {c.author_name for c in criteria_history(seeded, use_case)}
        names |= {c.owner.split(",")[0] for c in criteria_history(seeded, use_case)}
    names |= {a.author_name for a in list_announcements(seeded)}
    assert len(names) >= 6
    assert all(name.endswith(DEMO_MARK) for name in names), names
    assert NOTICE_TITLE in {a.title for a in list_announcements(seeded, "credit")}


def test_the_demo_history_queues_no_notification(seeded):
    assert len(list_lifecycle_events(seeded, "credit")) > 0
    assert delivery_log(seeded) == []  # no team channel or person is to hear of demo changes


def test_credit_v2_is_live_signed_off_and_v3_awaits_compliance(seeded):
    assert lifecycle_statuses(seeded, "credit", ["v1", "v2", "v3"]) == {
        "v1": "candidate",
        "v2": "live",
        "v3": "candidate",
    }
    live = [e for e in list_lifecycle_events(seeded, "credit") if e.to_status == "live"]
    assert [e.iteration for e in live] == ["v2"] and live[0].migration_note
    signed = {(s.iteration, s.signer_role) for s in list_signoffs(seeded, "credit") if s.action == SIGN}
    assert {("v2", "risk"), ("v2", "compliance"), ("v3", "risk")} == signed
    assert [s.signer_role for s in current_signoffs_of(seeded, "credit", "v3")] == ["risk"]


def test_acknowledged_criteria_are_the_ones_not_met_with_their_values(seeded):
    for record in list_signoffs(seeded, "credit"):
        unmet = [line for line in record.snapshot.scorecard if not line.met]
        assert list(record.acknowledged) == [line.criterion for line in unmet]
        for line in unmet:
            assert f"{line.criterion} ({line.value:.3g})" in record.comment


def test_the_migration_note_counts_the_flips(seeded, scored):
    note = next(e.migration_note for e in list_lifecycle_events(seeded, "credit") if e.to_status == "live")
    old, new = scored["v1"].scores >= 0.4, scored["v2"].scores >= 0.4
    assert f"{(old & ~new).sum()} are now approved that v1 declined and {(new & ~old).sum()} declined" in note


def test_the_credit_scorecard_has_a_value_for_every_criterion_and_costs_in_money(seeded, scored):
    costs = costs_history(seeded, "credit")[-1]
    assert costs.false_positive_cost > 0 and costs.false_negative_fraction > 0 and costs.currency == "DM"
    criteria = current_criteria(seeded, "credit")
    assert len(criteria) >= 5
    for version in ("v1", "v2", "v3"):
        results = evaluate_criteria(scored[version], criteria, costs)
        assert all(r.value is not None and r.passed is not None for r in results), version
    verdicts = {v: [r.passed for r in evaluate_criteria(scored[v], criteria, costs)] for v in ("v1", "v3")}
    assert not all(verdicts["v1"]) and all(verdicts["v3"])  # v1 fails fairness, v3 meets every goal


def test_credit_feedback_is_varied_and_every_fix_is_true(seeded, scored):
    entries = list_feedback(seeded, "credit")
    assert len(entries) >= 30
    assert len({f.reviewer_name for f in entries}) >= 4
    assert {"new", "triaged", "accepted", "rejected", "duplicate", "fixed"} <= {f.triage_status for f in entries}
    fixed = Counter(f.fixed_in for f in entries if f.triage_status == "fixed")
    assert fixed["v3"] >= 5 and fixed["v2"] >= 1
    for entry in entries:
        if entry.triage_status == "fixed" and entry.expected_outcome and entry.verdict == "disagree":
            assert scored[entry.fixed_in].outcomes([entry.case_id])[entry.case_id] == entry.expected_outcome
        if entry.triage_status == "fixed" and "unclear explanation" in entry.categories:
            assert scored[entry.fixed_in].iteration.shap_values.loc[entry.case_id, "credit_amount"] >= 0
        shown = scored[entry.iteration].explain_case(entry.case_id)
        assert entry.score == pytest.approx(shown.score) and entry.decision == shown.decision


def test_the_fix_rate_of_v3_over_v2_is_computed_and_partial(seeded, scored):
    old = list_feedback(seeded, "credit", "v2")
    report = check_fixes(old, scored["v3"].outcomes(f.case_id for f in old))
    assert 0 < report.fixed < report.flagged


def test_fraud_v2_replaced_v1_and_fixed_what_the_analysts_flagged(seeded, fraud_scored):
    assert lifecycle_statuses(seeded, "fraud", ["v1", "v2"]) == {"v1": "deprecated", "v2": "live"}
    deprecation = next(e for e in list_lifecycle_events(seeded, "fraud") if e.to_status == "deprecated")
    assert deprecation.replacement == "v2" and deprecation.sunset_date > date.today()
    entries = list_feedback(seeded, "fraud")
    assert 10 <= len(entries) < len(list_feedback(seeded, "credit"))
    fixed = [f for f in entries if f.triage_status == "fixed"]
    assert fixed and all(f.fixed_in == "v2" for f in fixed)
    for entry in fixed:
        assert fraud_scored["v2"].outcomes([entry.case_id])[entry.case_id] == entry.expected_outcome
    assert len(criteria_history(seeded, "fraud")) == 4  # two agreed first, two after the drift
    assert costs_history(seeded, "fraud")[-1].currency == "EUR"


def test_credit_has_a_completed_round_with_an_adjudicated_split_that_v3_breaks(seeded, scored):
    from demo_models.metrics.expectations import check_expectations
    from feedback.access import Actor
    from feedback.store.expectations import list_adjudications, list_expectations
    from feedback.store.rounds import list_rounds, read_answers

    [round_] = list_rounds(seeded, "credit")
    assert round_.status == "closed" and round_.compared_to == "v2" and list_rounds(seeded, "fraud") == []
    answers = read_answers(seeded, round_.id, Actor("anyone", "risk"))
    assert len(answers) == 12 and all(DEMO_MARK in a.reviewer_name and a.verdict for a in answers)
    by_case: dict[str, set] = {}
    for a in answers:
        by_case.setdefault(a.case_id, set()).add(a.own_decision)
    [split] = [c for c, owns in by_case.items() if len(owns) > 1]
    [adjudication] = list_adjudications(seeded, round_.id)
    assert adjudication.case_id == split and DEMO_MARK in adjudication.adjudicator_name
    v2, v3 = scored["v2"].decisions(), scored["v3"].decisions()
    assert adjudication.decision == v2[split] != v3[split]
    expectations = list_expectations(seeded, "credit")
    assert sorted(e.case_id for e in expectations) == sorted(by_case)
    check = check_expectations("v3", expectations, v3)
    assert (check.met, [b.case_id for b in check.broken]) == (5, [split])
    assert split not in [b.case_id for b in check_expectations("v2", expectations, v2).broken]
    [mara] = current_signoffs_of(seeded, "credit", "v3")
    counted = {k: mara.snapshot.expectations[k] for k in ("met", "checked", "broken", "not_checked")}
    assert counted == {"met": 5, "checked": 6, "broken": [split], "not_checked": 0}
    assert len(mara.snapshot.expectations["lines"]) == 6 and mara.snapshot.expectations["retired"] == []
