"""Where the machine side meets the human side for a report or a scorecard: registry + store.

The one module of demo_models that reads the feedback store; the page, the command line and the
scorecard use it so that all of them show the same numbers.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from demo_models.iterations.evaluation import costs_for, evaluate_criteria, verdict  # noqa: F401 (used by pages and the CLI from here)
from demo_models.iterations.hypotheses import HypothesisJudgement, judge_hypothesis
from demo_models.iterations.lineup import load_at_agreed_threshold, read_lineup
from demo_models.iterations.registry import list_iterations
from demo_models.iterations.review_evidence import ReviewEvidence, review_evidence
from demo_models.iterations.round_results import closed_round_results
from demo_models.iterations.scoring import ScoredIteration
from demo_models.metrics.catalogue import criterion_specs
from demo_models.metrics.cohort_compare import verdict_frame
from demo_models.metrics.compare import check_flagged_fixed
from demo_models.metrics.errors import verdicts_of
from demo_models.metrics.expectations import (
    ExpectationCheck,
    check_expectations,
    lines_frame,
    retired_frame,
    with_retired,
)
from demo_models.metrics.fairness import FairnessError, fairness_gaps
from demo_models.metrics.outcomes import measure_latency
from demo_models.presentation.dossier import DossierMeta, render_dossier
from demo_models.presentation.report import ReportInputs, render_report
from feedback.analytics import count_categories, count_verdicts
from feedback.goals import CostMatrix, CriterionResult
from feedback.records import Feedback
from feedback.signoff import ScorecardLine, Snapshot, count_open
from feedback.store.database import FeedbackStore
from feedback.store.expectations import read_expectation_book
from feedback.store.goals import costs_history, current_criteria
from feedback.store.hypotheses import current_hypotheses
from feedback.store.lifecycle import lifecycle_statuses
from feedback.store.records import list_feedback
from feedback.store.rounds import closed_answers
from feedback.store.signoff import current_signoffs_of


def compose_snapshot(
    scored: ScoredIteration,
    results: list[CriterionResult],
    feedback: list[Feedback],
    expectations: ExpectationCheck | None = None,
) -> Snapshot:
    """What a signer sees and signs: threshold, scorecard, fairness gaps per protected attribute,
    open feedback of the iteration and, if given, the expectations from review rounds it meets."""
    gaps, notes, specs = {}, {}, criterion_specs(scored.use_case)
    for attribute in scored.card.protected_attributes:
        try:
            gaps[attribute] = {k: None if math.isnan(v) else v for k, v in fairness_gaps(scored, attribute).items()}
        except FairnessError as err:
            notes[attribute] = str(err)
    return Snapshot(
        threshold=float(scored.threshold),
        scorecard=tuple(
            ScorecardLine(
                r.criterion.describe(specs),
                r.criterion.owner,
                None if r.value is None else float(r.value),
                r.passed,
                r.note or (f"95% interval {r.interval[0]:.2f}–{r.interval[1]:.2f}" if r.interval else ""),
            )
            for r in results
        ),
        fairness_gaps=gaps,
        fairness_notes=notes,
        open_feedback=count_open(f.triage_status for f in feedback if f.iteration == scored.card.version),
        favourable_decision=scored.use_case.favourable_decision,
        expectations={}
        if expectations is None
        else {
            "met": expectations.met,
            "checked": expectations.checked,
            "broken": [b.case_id for b in expectations.broken],
            "not_checked": len(expectations.not_checked),
            "lines": lines_frame(expectations).to_dict("records"),
            "retired": retired_frame(expectations).to_dict("records"),
        },
    )


def gather_report_inputs(registry_dir: Path, store: FeedbackStore, use_case: str, version: str) -> ReportInputs:
    """What the report and the dossier of an iteration show, at its operating threshold, with the store's goals
    and feedback."""
    lineup = read_lineup(store, use_case, list_iterations(registry_dir=registry_dir))
    scored = load_at_agreed_threshold(registry_dir, lineup.card(version))
    parent = scored.card.parent
    previous = load_at_agreed_threshold(registry_dir, lineup.card(parent)) if parent else None
    history = costs_history(store, use_case)
    costs = history[-1] if history else None
    criteria = current_criteria(store, use_case)
    latency = measure_latency(scored) if any(c.metric == "latency_p95_ms" for c in criteria) else None
    reviews = review_evidence(store, scored)
    results = evaluate_criteria(scored, criteria, costs, latency, reviews)
    specs = criterion_specs(scored.use_case)
    entries = [f for f in list_feedback(store, use_case) if f.iteration in {version, scored.card.parent}]
    fixes = None
    if previous is not None:
        report = check_flagged_fixed(entries, previous.card.version, scored)
        fixes = (report.fixed, report.flagged)
    mine = [f for f in entries if f.iteration == version]
    return ReportInputs(
        scored=scored,
        previous=previous,
        scorecard=[(r.criterion.describe(specs), r.criterion.owner, verdict(r)) for r in results],
        costs=costs_for(scored, costs)[0],
        currency=costs.currency if costs else "",
        verdicts=count_verdicts(entries),
        categories=count_categories(entries),
        triage=pd.Series([f.triage_status for f in mine], dtype=object).value_counts(),
        fixes=fixes,
        expectations=expectations_of(store, scored),
        feedback_verdicts=verdicts_of(entries, version),
        reviewed=verdict_frame(closed_answers(store, use_case, version)),
        rounds=tuple(closed_round_results(store, scored)),
        hypothesis=hypothesis_of(store, scored, previous, reviews, costs),
    )


def hypothesis_of(
    store: FeedbackStore,
    scored: ScoredIteration,
    parent: ScoredIteration | None,
    reviews: ReviewEvidence,
    costs: CostMatrix | None,
) -> HypothesisJudgement | None:
    """The hypothesis the iteration tests now, judged (None if none was stated)."""
    stated = current_hypotheses(store, scored.card.use_case).get(scored.card.version)
    if stated is None:
        return None
    return judge_hypothesis(
        stated, scored, parent if parent and parent.card.version == stated.parent else None, reviews, costs
    )


def expectations_of(store: FeedbackStore, scored: ScoredIteration) -> ExpectationCheck:
    """The iteration, at its threshold, against the expectations of its use case in force (from review rounds,
    adjudications and pins), the retired ones listed apart."""
    book = read_expectation_book(store, scored.card.use_case)
    return with_retired(check_expectations(scored.card.version, book.in_force, scored.decisions()), book.retired)


def compose_report(registry_dir: Path, store: FeedbackStore, use_case: str, version: str) -> str:
    """The HTML report of an iteration, at its operating threshold, with the store's goals and feedback."""
    return render_report(gather_report_inputs(registry_dir, store, use_case, version))


def compose_dossier(registry_dir: Path, store: FeedbackStore, use_case: str, version: str, generated_by: str) -> bytes:
    """The dossier PDF of an iteration: the report's sections from the same inputs, its lifecycle status and the
    sign-offs in force, generated by `generated_by`."""
    inputs = gather_report_inputs(registry_dir, store, use_case, version)
    status = lifecycle_statuses(store, use_case, [version]).get(version, "candidate")
    signoffs = current_signoffs_of(store, use_case, version)
    return render_dossier(inputs, DossierMeta(status=status, generated_by=generated_by, signoffs=tuple(signoffs)))
