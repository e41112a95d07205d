"""What drives the scores of a connected decision log, month by month: the mean |SHAP| of each of the
iteration's inputs on a seeded sample of each month, drawn by the engine where the log lies (the shadow
comparison's sample: DuckDB for files, the database for a SQL log) and explained by the iteration's own
explainer (exact SHAP where it has one). Only the samples travel to the app; their sizes are said."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from demo_models.iterations.scoring import ScoredIteration
from demo_models.monitoring.shadow import SAMPLE_SEED, ShadowError, as_evaluated, draw_sample
from demo_models.monitoring.sources import Source
from demo_models.monitoring.stream import SHAP_CASES_PER_MONTH

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LogImportance:
    """Mean |SHAP| of each input (columns) per month (rows), with the decisions explained (`explained`) and
    held (`decisions`) per month, and the sample's seed."""

    importance: pd.DataFrame
    explained: pd.Series
    decisions: pd.Series
    seed: int


def importance_by_month(
    source: Source,
    scored: ScoredIteration,
    months: list[str],
    per_month: int = SHAP_CASES_PER_MONTH,
    seed: int = SAMPLE_SEED,
) -> LogImportance:
    """Explain a seeded sample of `per_month` decisions of each month with the iteration; ShadowError with a
    sentence when the log lacks one of its inputs or the iteration cannot explain the rows."""
    features = list(scored.card.features)
    importance, explained, decisions = {}, {}, {}
    for month in months:
        sample = draw_sample(source, month, per_month, seed)
        missing = [f for f in features if f not in sample.rows.columns]
        if missing:
            raise ShadowError(f"The log has no column for {scored.card.version}'s input(s) {', '.join(missing)}.")
        try:
            attribution = scored.explainer.explain(as_evaluated(sample.rows, scored.features))
        except (ValueError, TypeError, KeyError) as error:
            first = (str(error).strip().splitlines() or [type(error).__name__])[0]
            raise ShadowError(f"{scored.card.version} could not explain the log's rows: {first}") from error
        importance[month] = pd.Series(np.abs(attribution.contributions).mean(axis=0), index=attribution.columns)
        explained[month], decisions[month] = len(sample.rows), sample.window_decisions
    log.info("SHAP by month of the log: %d months, %d decisions explained", len(months), sum(explained.values()))
    frame = pd.DataFrame(importance).T.rename_axis("month")
    return LogImportance(frame, pd.Series(explained, dtype=int), pd.Series(decisions, dtype=int), int(seed))
