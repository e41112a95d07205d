"""What the monitoring page watches: a stream of cases by month, scored by an iteration, and how
it drifts from the months the iteration was trained on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from demo_models.builtin.fraud_stream import make_transactions
from demo_models.iterations.scoring import ScoredIteration
from demo_models.metrics.drift import feature_drift, performance_by_month, psi, psi_by_month

MONITOR_SEED = 13
SHAP_CASES_PER_MONTH = 500
SCORED_SAMPLE = 100_000


@dataclass(frozen=True)
class Stream:
    """Cases over time with their month; a seeded sample of them scored by one iteration.

    Input drift uses every case; scores, performance and SHAP use the scored sample (all cases
    when there are at most SCORED_SAMPLE).
    """

    frame: pd.DataFrame
    month_column: str
    sample: np.ndarray  # positions in `frame` of the scored cases
    labels: np.ndarray  # actual outcome of the scored cases
    scores: np.ndarray  # their scores
    generated: bool  # True: the synthetic production stream; False: the evaluation cases

    @property
    def sampled(self) -> pd.DataFrame:
        """The scored cases."""
        return self.frame.iloc[self.sample]

    @property
    def months(self) -> list[str]:
        """The months present, in order."""
        return sorted(self.frame[self.month_column].unique())


def build_stream(scored: ScoredIteration, rows: int) -> Stream | None:
    """The stream to monitor: for fraud a generated "production" year of `rows` transactions,
    for a use case whose evaluation data has a `month` column those cases; else None."""
    card = scored.card
    if card.use_case == "fraud":
        frame = make_transactions(rows, seed=MONITOR_SEED, case_ids=False)
        generated = True
    elif "month" in scored.features.columns:
        frame = scored.iteration.eval_data
        generated = False
    else:
        return None
    sample = np.arange(len(frame))
    if len(frame) > SCORED_SAMPLE:
        sample = np.sort(np.random.default_rng(MONITOR_SEED).choice(len(frame), SCORED_SAMPLE, replace=False))
    scored_part = frame.iloc[sample]
    labels = (scored_part[card.target] == card.positive_label).to_numpy(int)
    proba = scored.iteration.model.predict_proba(scored_part[list(card.features)])[:, scored.explainer.positive_index]
    return Stream(frame, "month", sample, labels, np.asarray(proba, dtype=float), generated)


def reference_months(scored: ScoredIteration, stream: Stream) -> list[str]:
    """The months the iteration was trained on (from its card), else the first three of the stream."""
    months = [m for m in scored.card.extra.get("reference_months", []) if m in stream.months]
    return months or stream.months[:3]


def reference_cases(scored: ScoredIteration, stream: Stream | None) -> tuple[pd.DataFrame | None, list[str]]:
    """(the stream's cases in the reference months, those months): the data the iteration was trained on as
    monitoring reads it; (None, []) where the use case has no stream (the registry holds no reference)."""
    if stream is None:
        return None, []
    months = reference_months(scored, stream)
    return stream.frame[stream.frame[stream.month_column].isin(months)], months


def shap_by_month(
    scored: ScoredIteration, stream: Stream, per_month: int = SHAP_CASES_PER_MONTH, seed: int = 0
) -> pd.DataFrame:
    """Mean |SHAP| per input (columns) per month (rows), on a seeded sample of cases of each month."""
    rng = np.random.default_rng(seed)
    sampled = stream.sampled
    groups = sorted(sampled.groupby(stream.month_column).indices.items())
    rows = np.concatenate([rng.choice(idx, size=min(len(idx), per_month), replace=False) for _, idx in groups])
    attribution = scored.explainer.explain(sampled[list(scored.card.features)].iloc[rows])
    table = pd.DataFrame(np.abs(attribution.contributions), columns=list(attribution.columns))
    months = sampled[stream.month_column].to_numpy()[rows]
    return table.groupby(months).mean().rename_axis(stream.month_column)


def current_windows(stream: Stream, reference: list[str]) -> list[str]:
    """The months that can be the current window: those after the reference (every month if none is)."""
    return [m for m in stream.months if m not in reference] or stream.months


def drift_in_window(
    scored: ScoredIteration, stream: Stream, reference: list[str], current: str
) -> tuple[pd.DataFrame, float]:
    """(input drift of every column, PSI of the scores) of the `current` month against the reference
    months: the inputs on every case, the scores on the scored sample."""
    frame, month = stream.frame, stream.month_column
    columns = list(scored.explainer.columns)
    drift = feature_drift(frame[frame[month].isin(reference)], frame[frame[month] == current], columns)
    sample_months = stream.sampled[month].to_numpy()
    score_psi = psi(
        pd.Series(stream.scores[np.isin(sample_months, reference)]),
        pd.Series(stream.scores[sample_months == current]),
    )
    return drift, score_psi


@dataclass(frozen=True)
class MonthlyDrift:
    """Month by month (rows): PSI of each input and of the score, performance at the iteration's
    threshold (labels known), and mean |SHAP| of each input."""

    psi: pd.DataFrame
    performance: pd.DataFrame
    importance: pd.DataFrame


def drift_by_month(scored: ScoredIteration, stream: Stream, reference: list[str]) -> MonthlyDrift:
    """Each month of the stream against the reference months, and how the iteration does in it."""
    by_month = psi_by_month(stream.frame, stream.month_column, reference, list(scored.explainer.columns))
    sampled = stream.sampled.assign(score=stream.scores)
    by_month["score"] = psi_by_month(sampled, stream.month_column, reference, ["score"])["score"]
    performance = performance_by_month(sampled, stream.month_column, stream.labels, stream.scores, scored.threshold)
    return MonthlyDrift(by_month, performance, shap_by_month(scored, stream))
