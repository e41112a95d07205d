"""An iteration's hypothesis stated and judged: each claim confirmed, refuted, or waiting (and why).

A claim on a model metric is measured on the evaluation cases as a success criterion is
(`evaluation.measure_metric`) and compared by the goals' one judging function
(`feedback.goals.meets_target`); a claim vs the parent compares the change from the parent's value. A claim
on a review metric is judged by its 95 % interval (`demo_models.iterations.review_evidence`): ">= 0.85" is confirmed
only when the lower bound is at least 0.85, refuted when the upper bound is below it, and otherwise not yet
decided. No data is "waiting", never met.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from demo_models.iterations.evaluation import Evaluation, costs_for, load_evaluation, measure_metric
from demo_models.iterations.lineup import load_at_agreed_threshold
from demo_models.iterations.registry import IterationCard
from demo_models.iterations.review_evidence import ReviewEvidence, review_evidence
from demo_models.metrics.catalogue import criterion_specs
from demo_models.vocabulary import get_use_case
from feedback.access import Actor
from feedback.goals import CostMatrix, meets_target
from feedback.hypotheses import CONFIRMED, REFUTED, WAITING, Claim, ClaimVerdict, Hypothesis, verdict_of
from feedback.store.database import FeedbackStore
from feedback.store.goals import costs_history
from feedback.store.hypotheses import current_hypotheses, save_hypothesis

INTERVAL_RULE = (
    "A claim on a review metric (agreement with the model, clarity, expectations met) is judged by its 95% "
    "interval: “≥ 0.85” is confirmed only when the interval's lower bound is at least 0.85, refuted when its "
    "upper bound is below 0.85, and otherwise not yet decided. Model metrics are judged on the evaluation "
    "cases, as the goals are. A claim without data waits, and says for what."
)


@dataclass(frozen=True)
class HypothesisJudgement:
    """A hypothesis with the verdict of each of its claims."""

    hypothesis: Hypothesis
    verdicts: tuple[ClaimVerdict, ...]

    def summary(self) -> str:
        """ "2 of 3 claims confirmed, 1 waiting" (the counts that are not zero)."""
        counts = {o: sum(v.outcome == o for v in self.verdicts) for o in (CONFIRMED, REFUTED, WAITING)}
        parts = [f"{counts[CONFIRMED]} of {len(self.verdicts)} claims confirmed"]
        parts += [f"{counts[o]} {o}" for o in (REFUTED, WAITING) if counts[o]]
        return ", ".join(parts)


def describe_verdict(verdict: ClaimVerdict) -> str:
    """One claim's verdict in a line: "confirmed: Agreement with the model >= 0.85 — 0.92 (95% interval
    0.86–0.96); round #3 …" or "waiting: … — waiting for a round: …"."""
    if verdict.value is None:
        return f"{verdict.outcome}: {verdict.text} — {verdict.note}"
    interval = f" (95% interval {verdict.interval[0]:.2f}–{verdict.interval[1]:.2f})" if verdict.interval else ""
    note = f"; {verdict.note}" if verdict.note else ""
    return f"{verdict.outcome}: {verdict.text} — {verdict.value:.4g}{interval}{note}"


def judge_claim(
    claim: Claim,
    text: str,
    scored: Evaluation,
    parent: Evaluation | None,
    reviews: ReviewEvidence | None,
    costs: CostMatrix | None = None,
) -> ClaimVerdict:
    """One claim judged on the iteration `scored` (and its `parent` for a claim vs the parent)."""
    matrix, why_no_costs = costs_for(scored, costs)
    value, why, interval = measure_metric(scored, claim.metric, claim.attribute, matrix, None, reviews)
    source = reviews.measure(claim.metric).source if reviews is not None and interval is not None else ""
    if value is not None and claim.versus_parent:
        if parent is None:
            return verdict_of(claim, text, None, None, "the parent iteration cannot be read")
        parent_matrix, _ = costs_for(parent, costs)
        before, why, _ = measure_metric(parent, claim.metric, claim.attribute, parent_matrix)
        if before is None:
            return verdict_of(claim, text, None, None, f"{parent.card.version}: {why}")
        source = f"{value:.4g} vs {before:.4g} on {parent.card.version}"
        value = value - before
    if value is None:
        return verdict_of(claim, text, None, None, why or why_no_costs)
    passed, undecided = meets_target(claim.comparator, claim.target, value, interval)
    return verdict_of(claim, text, passed, value, undecided or source, interval)


def judge_hypothesis(
    hypothesis: Hypothesis,
    scored: Evaluation,
    parent: Evaluation | None,
    reviews: ReviewEvidence | None,
    costs: CostMatrix | None = None,
) -> HypothesisJudgement:
    """Every claim of the hypothesis judged on the iteration `scored`, at its threshold."""
    specs = criterion_specs(scored.use_case)
    verdicts = tuple(
        judge_claim(c, c.describe(specs, hypothesis.parent), scored, parent, reviews, costs) for c in hypothesis.claims
    )
    return HypothesisJudgement(hypothesis, verdicts)


def _evaluation_of(registry_dir: Path, card: IterationCard) -> Evaluation:
    evaluation = load_evaluation(card.use_case, card.version, registry_dir)
    if evaluation is None:
        return load_at_agreed_threshold(registry_dir, card)
    return evaluation.at_threshold(card.threshold)


def judge_hypotheses(
    store: FeedbackStore, registry_dir: Path, use_case: str, cards: Sequence[IterationCard]
) -> dict[str, HypothesisJudgement]:
    """Iteration -> its current hypothesis judged, for the iterations of `cards` (at their agreed thresholds)
    that state one."""
    stated = current_hypotheses(store, use_case)
    by_version = {c.version: c for c in cards if c.use_case == use_case}
    history = costs_history(store, use_case)
    costs = history[-1] if history else None
    judged = {}
    for version, hypothesis in stated.items():
        card = by_version.get(version)
        if card is None:
            continue
        scored = _evaluation_of(registry_dir, card)
        parent_card = by_version.get(hypothesis.parent or "")
        parent = _evaluation_of(registry_dir, parent_card) if parent_card is not None else None
        judged[version] = judge_hypothesis(hypothesis, scored, parent, review_evidence(store, scored), costs)
    return judged


def record_hypothesis(
    store: FeedbackStore, card: IterationCard, actor: Actor, statement: str, claims: Iterable[Claim]
) -> Hypothesis:
    """State the hypothesis the iteration of `card` tests (claims vs its parent), as its new version: the one
    way, from the Iterations page and from `register_iteration(..., hypothesis=...)` (AccessError /
    HypothesisError if refused)."""
    use_case = get_use_case(card.use_case, card.positive_class, card.favourable)
    return save_hypothesis(
        store,
        actor,
        card.use_case,
        card.version,
        statement,
        claims,
        specs=criterion_specs(use_case),
        parent=card.parent,
    )
