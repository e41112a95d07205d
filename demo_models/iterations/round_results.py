"""What a review round found: completion per reviewer, the answers a person may read and, once it is closed, the
agreement figures (`demo_models.metrics.agreement`) on the round's iteration — for the Reviews page, the HTML report
and the dossier, so all three show the same numbers."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from demo_models.formats import format_number, format_share
from demo_models.iterations.evaluation import Evaluation
from demo_models.iterations.review_evidence import READER, round_frames
from demo_models.metrics.agreement import AgreementSummary, summarise_agreement
from demo_models.metrics.groups import group_frame
from feedback.access import Actor
from feedback.rounds import ReviewRound
from feedback.store.database import FeedbackStore
from feedback.store.rounds import list_rounds, read_round, round_completion


@dataclass(frozen=True)
class RoundResults:
    """What the results of a round show a person: completion, the answers they may read, and agreement."""

    round: ReviewRound
    completion: pd.DataFrame  # per reviewer: assigned, decided, answered
    answers: pd.DataFrame  # the answers the viewer may read (everyone's once closed)
    agreement: AgreementSummary | None  # None while the round is open or without answers
    why_no_agreement: str = ""


def round_results(store: FeedbackStore, round_id: int, viewer: Actor, scored: Evaluation) -> RoundResults:
    """A round's completion per reviewer, the answers the viewer may read and, once closed, the agreement
    figures (`summarise_agreement`) on the round's iteration `scored`."""
    round_ = read_round(store, round_id)
    completion = pd.DataFrame(round_completion(store, round_id))
    answers, cases = round_frames(store, round_id, viewer, scored)
    attributes = scored.card.protected_attributes
    if attributes:
        groups = group_frame(scored.features, (attributes[0],), scored.use_case)[attributes[0]]  # bands of all cases
        cases["group"] = groups.reindex(cases.index).astype(str).to_numpy()
    if round_.status != "closed":
        why = "Agreement is shown when the round closes, so that no reviewer sees the others' answers before."
        return RoundResults(round_, completion, answers, None, why)
    if answers.empty:
        return RoundResults(round_, completion, answers, None, "No reviewer answered before the round closed.")
    summary = summarise_agreement(answers[["case_id", "reviewer", "own_decision", "verdict", "clarity"]], cases)
    return RoundResults(round_, completion, answers, summary)


def closed_round_results(store: FeedbackStore, scored: Evaluation) -> list[RoundResults]:
    """The results of every closed review round held on the iteration `scored`, oldest first."""
    version = scored.card.version
    rounds = [r for r in list_rounds(store, scored.card.use_case) if r.iteration == version and r.status == "closed"]
    return [round_results(store, r.id, READER, scored) for r in reversed(rounds)]


def agreement_table(summary: AgreementSummary) -> pd.DataFrame:
    """Agreement of the blind decisions with the model's, per strategy, model decision and group, as text
    ("18 of 20", "90% (70% to 97%)"; "—" where there is no answer)."""
    rows = []
    for by, frame in (("Strategy", summary.by_strategy), ("Model's decision", summary.by_decision)):
        rows += [(by, str(key), row) for key, row in frame.iterrows()]
    rows += [("Group", str(key), row) for key, row in summary.by_group.iterrows() if key is not None and key == key]
    return pd.DataFrame(
        {
            "By": [by for by, _, _ in rows],
            "Which": [key for _, key, _ in rows],
            "Blind decisions equal to the model's": [f"{int(r['agreed'])} of {int(r['answers'])}" for _, _, r in rows],
            "Share (95% interval)": [
                f"{format_share(r['rate'])} ({format_share(r['low'])} to {format_share(r['high'])})" for _, _, r in rows
            ],
        }
    )


def _interval(low: float, high: float, show=format_number) -> str:
    return "—" if pd.isna(low) else f"{show(low)} to {show(high)}"


def agreement_facts(summary: AgreementSummary) -> pd.DataFrame:
    """A closed round's headline figures as text, one row each: figure, value ("—" undefined), 95% interval."""
    rate = summary.with_model
    rows = [
        (
            "Agreement with the model",
            f"{rate.successes} of {rate.trials}: {format_share(rate.rate)}",
            _interval(rate.low, rate.high, format_share),
        ),
        ("Krippendorff's alpha", format_number(summary.alpha.value), _interval(summary.alpha.low, summary.alpha.high)),
        ("Fleiss' kappa", format_number(summary.fleiss.value), _interval(summary.fleiss.low, summary.fleiss.high)),
        (
            "Mind changed by the reveal",
            format_share(summary.changed_mind.rate),
            _interval(summary.changed_mind.low, summary.changed_mind.high, format_share),
        ),
        (
            "Clarity of the explanations (of 5)",
            format_number(summary.clarity_mean),
            _interval(*summary.clarity_interval),
        ),
    ]
    return pd.DataFrame(rows, columns=["Figure", "Value", "95% interval"])
