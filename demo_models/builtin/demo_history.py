"""A labelled demo history for the built-in use cases, written into a fresh store at first start.

Everything is made through the calls a person's clicks make (goals, criteria and costs saved,
feedback given, triaged, iterations signed off and promoted, notices posted), by demo people whose
names end in "(demo)". Every number a demo person states (a migration note's counts, a value they
acknowledge at sign-off) is computed from the iterations, and an entry is marked "fixed in" an
iteration only when that iteration decides or explains the case the way the reviewer asked.
Credit ends with v2 live and v3 a candidate awaiting compliance; fraud with v2 live and v1
deprecated. It is written only into a fresh store (`feedback.store.fresh`), once, under a lock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from demo_models import __version__
from demo_models.builtin.demo_feedback import JONAS, MARA, PRIYA, TOMAS, credit_feedback, fraud_feedback
from demo_models.builtin.demo_round import seed_credit_round
from demo_models.iterations.registry import list_iterations, load_iteration
from demo_models.iterations.scoring import ScoredIteration
from demo_models.metrics.catalogue import criterion_specs
from demo_models.presentation.report_inputs import compose_snapshot, evaluate_criteria, expectations_of
from demo_models.vocabulary import get_use_case, required_signoffs
from feedback.access import Actor
from feedback.announcements import NOTICE, Announcement
from feedback.goals import CostMatrix, Criterion, GoalStatement
from feedback.records import FeedbackDraft
from feedback.signoff import Snapshot
from feedback.store.announcements import post_notice
from feedback.store.database import FeedbackStore
from feedback.store.fresh import exclusive, is_fresh
from feedback.store.goals import costs_history, current_criteria, save_costs, save_criterion, save_statement
from feedback.store.lifecycle import change_lifecycle
from feedback.store.records import add_feedback, list_feedback
from feedback.store.signoff import sign_off
from feedback.store.triage import triage_feedback

log = logging.getLogger(__name__)

SIGNERS = {p.role: p for p in (MARA, PRIYA, TOMAS, JONAS)}  # one demo person per role that may sign
NOTICE_TITLE = "This is demo history"
LOCK_NAME = "demo-history"
BUILTINS = {"credit": ("v1", "v2", "v3"), "fraud": ("v1", "v2")}


@dataclass
class Seeder:
    """Writes one use case's history; `scored` holds its iterations, `versions` their names."""

    store: FeedbackStore
    use_case: str
    scored: dict[str, ScoredIteration]

    @property
    def versions(self) -> list[str]:
        """The use case's versions."""
        return list(self.scored)

    def give(self, version: str, case_id: str, person: Actor, verdict: str, fields: dict) -> int:
        """Feedback on a case as the Explore page would record it (what the app showed); its id."""
        explanation = self.scored[version].explain_case(case_id)
        draft = FeedbackDraft(
            use_case=self.use_case,
            iteration=version,
            case_id=case_id,
            score=explanation.score,
            threshold=explanation.threshold,
            decision=explanation.decision,
            reasons_shown=tuple(r.text for r in explanation.reasons),
            reviewer_name=person.name,
            reviewer_role=person.role,
            verdict=verdict,
            app_version=__version__,
            **fields,
        )
        return add_feedback(self.store, draft, known_iterations=self.versions).id

    def triage(self, ids: list[int], to_status: str, note: str = "", **fields) -> None:
        """Triage entries as the data scientist (nothing when `ids` is empty)."""
        if ids:
            triage_feedback(
                self.store, ids, to_status, TOMAS, note, known_iterations=self.versions, notify=False, **fields
            )

    def sign(self, version: str, why: str) -> None:
        """Every required role signs the iteration off on the snapshot the Sign-off page would show
        (the same for each: nothing changes between them)."""
        snapshot = self.snapshot(version)
        for role in required_signoffs(get_use_case(self.use_case)):
            self.sign_as(version, SIGNERS[role], why, snapshot)

    def snapshot(self, version: str) -> Snapshot:
        """What the Sign-off page shows a signer of the iteration now."""
        scored = self.scored[version]
        history = costs_history(self.store, self.use_case)
        results = evaluate_criteria(
            scored, current_criteria(self.store, self.use_case), history[-1] if history else None
        )
        feedback = list_feedback(self.store, self.use_case, version)
        return compose_snapshot(scored, results, feedback, expectations_of(self.store, scored))

    def sign_as(self, version: str, person: Actor, why: str, snapshot: Snapshot | None = None) -> None:
        """One sign-off by `person`; a criterion not met is acknowledged, with its value in the comment."""
        snapshot = snapshot or self.snapshot(version)
        unmet = [line for line in snapshot.scorecard if not line.met]
        comment = why
        if unmet:
            shown = "; ".join(
                f"{line.criterion} ({'no value' if line.value is None else f'{line.value:.3g}'})" for line in unmet
            )
            comment += f" Accepted although not met: {shown}. The next iteration has to close this."
        sign_off(
            self.store,
            self.use_case,
            self.versions,
            version,
            person,
            comment,
            snapshot,
            [line.criterion for line in unmet],
            required_signoffs=required_signoffs(get_use_case(self.use_case)),
            notify=False,  # demo history: nobody is to hear of it
        )

    def promote(self, version: str, note: str, reason: str, demote: bool = False) -> None:
        """Promote an iteration to live (the current live one deprecated for 30 days, if `demote`)."""
        change_lifecycle(
            self.store,
            self.use_case,
            self.versions,
            version,
            "live",
            TOMAS,
            reason,
            migration_note=note,
            demote_current=demote,
            sunset_date=date.today() + timedelta(days=30) if demote else None,
            required_signoffs=required_signoffs(get_use_case(self.use_case)),
            notify=False,  # demo history: no team channel is to hear of it
        )

    def flips(self, old: str, new: str) -> tuple[int, int]:
        """How many evaluation cases `new` decides positively that `old` did not, and the reverse."""
        a = self.scored[old].scores >= self.scored[old].threshold
        b = self.scored[new].scores >= self.scored[new].threshold
        return int((b & ~a).sum()), int((a & ~b).sum())


def _criterion(
    use_case: str, metric: str, comparator: str, target: float, owner: str, agreed: int, attribute=None
) -> Criterion:
    return Criterion(
        use_case=use_case,
        key="",
        metric=metric,
        comparator=comparator,
        target=target,
        owner=owner,
        agreed_on=date.today() - timedelta(days=agreed),
        author_name=MARA.name,
        attribute=attribute,
    )


def seed_credit(seeder: Seeder) -> None:
    """Credit: goals and costs, feedback on v1, v2 signed off and live, feedback on v2 (some fixed
    in v3), v3 signed off by risk and waiting for compliance."""
    store, uc, owner = seeder.store, "credit", f"{MARA.name}, head of credit risk"
    specs = criterion_specs(get_use_case(uc))
    save_statement(
        store,
        GoalStatement(
            uc,
            "Decide small consumer loans faster without approving more applicants who then default.",
            "Loan officers, for every application up to 20,000 DM: the decision and its principal reasons "
            "go into the letter to the applicant; risk reviews the declines every month.",
            "Never uses sex or age to decide. At most four reasons per decision, in words an applicant "
            "understands. A loan officer can always overrule the model.",
            MARA.name,
            MARA.role,
        ),
    )
    for metric, comparator, target, attribute in (
        ("recall", ">=", 0.55, None),
        ("negative_rate", ">=", 0.65, None),
        ("roc_auc", ">=", 0.75, None),
        ("dp_ratio", ">=", 0.8, "sex"),
        ("dp_ratio", ">=", 0.8, "age"),
        ("expected_cost_per_case", "<=", 400, None),
    ):
        save_criterion(
            store, _criterion(uc, metric, comparator, target, owner, 60, attribute), ("sex", "age"), specs=specs
        )
    save_costs(store, CostMatrix(uc, 250, 500, MARA.name, "credit_amount", 0.5, "DM"))
    plan = credit_feedback(seeder.scored)
    v1_ids = {key: [seeder.give("v1", *entry) for entry in entries] for key, entries in plan.v1.items()}
    seeder.triage([i for ids in v1_ids.values() for i in ids], "accepted", "Reproduced on the evaluation cases.")
    seeder.sign("v2", "Checked the scorecard and the fairness gaps on the evaluation cases.")
    newly_declined, newly_approved = seeder.flips("v1", "v2")
    seeder.promote(
        "v2",
        f"Decisions come from a new model that does not use sex or age. On the 300 evaluation applications "
        f"{newly_approved} are now approved that v1 declined and {newly_declined} declined that v1 approved; "
        "the reasons in the letters name only the application.",
        "Signed off by risk and compliance; replaces the manual scorecard.",
    )
    seeder.triage(
        [v1_ids[key][i] for key, i in plan.fixed_by["v1"]],
        "fixed",
        "v2 decides or explains these as the reviewers asked.",
        fixed_in="v2",
    )
    v2_ids = {key: [seeder.give("v2", *entry) for entry in entries] for key, entries in plan.v2.items()}
    seeder.triage(v2_ids["amount"] + v2_ids["fixed"] + v2_ids["open"][:2], "accepted", "Reproduced; planned for v3.")
    seeder.triage(v2_ids["open"][2:3] + v2_ids["agree"][:5], "triaged")
    first, *others = v2_ids["missing"]
    seeder.triage(
        [first], "rejected", "Employment length is not in the data this model may use; kept for the data request."
    )
    seeder.triage(others[:1], "duplicate", duplicate_of=first)
    for key, entries in plan.v3.items():
        for entry in entries:
            seeder.give("v3", *entry)
    seed_credit_round(seeder.store, seeder.scored, seeder.versions)
    seeder.sign_as("v3", MARA, "Monotone in amount and duration, as the loan officers asked.")
    fixed = [v2_ids[key][i] for key, i in plan.fixed_by["v2"]]
    seeder.triage(fixed, "fixed", "v3 decides or explains these as the reviewers asked.", fixed_in="v3")
    post_notice(
        store,
        Announcement(
            NOTICE,
            "v3 waits for the compliance sign-off",
            "I am reviewing the age bands of v3 before I sign it off. Feedback on v3 is welcome until then.",
            PRIYA.name,
            PRIYA.role,
            use_case=uc,
        ),
        PRIYA,
        seeder.versions,
        notify=False,
    )


def seed_fraud(seeder: Seeder) -> None:
    """Fraud: goals and costs, v1 live, feedback on v1 after the drift, criteria added, v2 signed
    off and live (v1 deprecated), what v2 fixed marked so."""
    store, uc, owner = seeder.store, "fraud", f"{MARA.name}, head of fraud risk"
    specs = criterion_specs(get_use_case(uc))
    save_statement(
        store,
        GoalStatement(
            uc,
            "Stop more card fraud before it is paid out, without flooding the review queue.",
            "Fraud analysts review the flagged transactions within the hour; the rest pass.",
            "A customer's age never decides. A flagged transaction shows why it was flagged.",
            MARA.name,
            MARA.role,
        ),
    )
    for metric, comparator, target, attribute in (
        ("negative_rate", ">=", 0.97, None),
        ("dp_ratio", ">=", 0.8, "customer_age_band"),
    ):
        save_criterion(
            store,
            _criterion(uc, metric, comparator, target, owner, 90, attribute),
            ("customer_age_band",),
            specs=specs,
        )
    save_costs(store, CostMatrix(uc, 10, 20, MARA.name, "amount", 1.0, "EUR"))
    seeder.sign("v1", "Review queue stays small; no age gap.")
    flagged = int((seeder.scored["v1"].scores >= seeder.scored["v1"].threshold).sum())
    seeder.promote(
        "v1",
        f"Transactions scoring at or above the threshold are flagged for review: {flagged:,} of the "
        "20,000 evaluation transactions. The rest pass as before.",
        "First model; signed off by risk and compliance.",
    )
    plan = fraud_feedback(seeder.scored)
    v1_ids = {key: [seeder.give("v1", *entry) for entry in entries] for key, entries in plan.v1.items()}
    for metric, comparator, target in (("recall", ">=", 0.5), ("expected_cost_per_case", "<=", 2.0)):
        save_criterion(
            store, _criterion(uc, metric, comparator, target, owner, 20), ("customer_age_band",), specs=specs
        )
    seeder.triage(
        [i for ids in v1_ids.values() for i in ids if i not in v1_ids["agree"]],
        "accepted",
        "Confirmed by the chargebacks; the wallet pattern is new since July.",
    )
    seeder.sign("v2", "Catches the in-app wallet pattern; queue size acceptable.")
    more, fewer = seeder.flips("v1", "v2")
    v1, v2 = (seeder.scored[v] for v in ("v1", "v2"))
    new_flags = (v2.scores >= v2.threshold) & (v1.scores < v1.threshold)
    channels = v2.features.loc[new_flags, "channel"].value_counts()
    top = v2.use_case.describe_value("channel", channels.index[0]) if len(channels) else "none"
    seeder.promote(
        "v2",
        f"Retrained after the July drift: {more:,} evaluation transactions are now flagged that v1 passed "
        f"and {fewer:,} pass that v1 flagged; {channels.iloc[0] if len(channels) else 0:,} of the new flags are "
        f"{top} purchases.",
        "Signed off; v1 misses the wallet fraud.",
        demote=True,
    )
    seeder.triage(
        [v1_ids[key][i] for key, i in plan.fixed_by["v1"]],
        "fixed",
        "v2 decides these as the analysts said.",
        fixed_in="v2",
    )
    for key, entries in plan.v2.items():
        for entry in entries:
            seeder.give("v2", *entry)


def _load(registry_dir: Path) -> dict[str, dict[str, ScoredIteration]] | None:
    present = {(c.use_case, c.version) for c in list_iterations(registry_dir=registry_dir)}
    if any((uc, v) not in present for uc, versions in BUILTINS.items() for v in versions):
        return None
    return {
        uc: {v: ScoredIteration(load_iteration(uc, v, registry_dir)) for v in versions}
        for uc, versions in BUILTINS.items()
    }


def seed_demo_history(store: FeedbackStore, registry_dir: Path) -> bool:
    """Write the demo history of credit and fraud if the store is fresh (once, under a lock shared
    by every process on the store); whether it was written."""
    with exclusive(store, LOCK_NAME):
        if not is_fresh(store):
            log.info("demo history not written: the store already holds entries")
            return False
        scored = _load(Path(registry_dir))
        if scored is None:
            log.warning("demo history not written: a built-in iteration is missing from %s", registry_dir)
            return False
        seed_credit(Seeder(store, "credit", scored["credit"]))
        seed_fraud(Seeder(store, "fraud", scored["fraud"]))
        post_notice(
            store,
            Announcement(
                NOTICE,
                NOTICE_TITLE,
                "This store was empty, so Involve filled it at first start with an example history: the goals, "
                "cost matrices, sign-offs, lifecycle changes and feedback were made by demo people, whose names "
                "end in (demo). Start with INVOLVE_DEMO_HISTORY=0 on an empty store to begin without it.",
                TOMAS.name,
                TOMAS.role,
            ),
            TOMAS,
            notify=False,
        )
    log.info("demo history written for credit and fraud")
    return True
