"""An iteration scored on its evaluation cases, ready to list cases and explain any one fast."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit

from demo_models.explanations.attributions import CaseExplainer
from demo_models.explanations.reasons import Reason, find_protected_drivers, rank_reasons
from demo_models.iterations.evaluation import Evaluation, score_cases
from demo_models.iterations.registry import Iteration
from demo_models.vocabulary import UseCase

SCORE_COLUMN = "Score"
DECISION_COLUMN = "Decision"
OUTCOME_COLUMN = "Actual outcome"
SORT_ORDERS = ("score, highest first", "score, lowest first", "case id")

log = logging.getLogger(__name__)


class UnknownCaseError(LookupError):
    """A case id that is not among the iteration's evaluation cases."""


@dataclass(frozen=True)
class CaseExplanation:
    """Everything shown about one case: its data, score, decision, SHAP and reasons."""

    case_id: str
    values: pd.Series
    score: float
    threshold: float
    decision: str
    base_value: float  # output for the average case, on the explanation's scale
    contributions: pd.Series  # per input column on that scale, strongest first
    reasons: list[Reason]
    protected_drivers: list[Reason]
    scale: str = "log-odds"  # or "probability"

    @property
    def output(self) -> float:
        """The model's output for this case on the explanation's scale."""
        return self.base_value + float(self.contributions.sum())

    @property
    def base_score(self) -> float:
        """Probability of the positive class for the average case (the base value)."""
        return float(expit(self.base_value)) if self.scale == "log-odds" else self.base_value


class ScoredIteration(Evaluation):
    """An iteration with its explainer, encoded evaluation cases and their scores."""

    def __init__(self, iteration: Iteration, use_case: UseCase | None = None) -> None:
        features = iteration.features
        self.explainer = CaseExplainer(iteration.model, features, iteration.card.positive_label)
        super().__init__(iteration, score_cases(iteration.model, features, self.explainer.positive_index), use_case)
        self._columns = np.array(self.explainer.columns, dtype=object)
        self._encoded = self.explainer.transform(features)
        self._rows = {case_id: i for i, case_id in enumerate(features.index)}
        self._stored: dict[str, object] = {}  # see _stored_shap; shared by at_threshold copies
        self._tables: dict[float, pd.DataFrame] = {}  # case_table per threshold (shared by at_threshold copies)

    def global_importance(self) -> pd.Series:
        """Mean |SHAP| per input column over the stored evaluation cases, largest first."""
        return self.iteration.shap_values.abs().mean().sort_values(ascending=False)

    def case_table(self) -> pd.DataFrame:
        """One row per case: key inputs in business words, score, decision and actual outcome.

        Built once per threshold (describing every value costs ~50 ms on 20k cases); a copy is returned.
        """
        if self.threshold not in self._tables:
            self._tables[self.threshold] = self._build_case_table()
        return self._tables[self.threshold].copy()

    def _build_case_table(self) -> pd.DataFrame:
        features = self.features
        shown = [c for c in self.use_case.key_columns if c in features.columns] or list(features.columns)
        table = pd.DataFrame(index=features.index)
        for column in shown:
            series = features[column]
            if series.dtype == object or str(series.dtype) in {"category", "string", "str"}:
                series = series.map(lambda v, c=column: self.use_case.describe_value(c, v))
            table[self.use_case.label(column)] = series
        table[SCORE_COLUMN] = self.scores
        table[DECISION_COLUMN] = self.decisions()
        outcome = pd.Series(self.iteration.labels, index=features.index)
        table[OUTCOME_COLUMN] = outcome.map({1: self.use_case.positive_outcome, 0: self.use_case.negative_outcome})
        return table

    def score_of(self, row: pd.DataFrame) -> float:
        """The model's probability of the positive class for one raw case."""
        return float(self.iteration.model.predict_proba(row)[0, self.explainer.positive_index])

    def explain_raw(self, row: pd.DataFrame) -> CaseExplanation:
        """Explain a case given as raw inputs (one row, indexed by its case id): encode, score, explain."""
        return self._explain(str(row.index[0]), self.explainer.transform(row), row.iloc[0])

    def explain_case(self, case_id: str) -> CaseExplanation:
        """Score, grouped SHAP, decision and reason codes of one evaluation case."""
        if case_id not in self._rows:
            raise UnknownCaseError(f"There is no case {case_id!r} in iteration {self.card.version}.")
        row = self._rows[case_id]
        stored = self._stored_shap().get(case_id)
        if stored is not None:  # exact SHAP computed at registration: the same numbers, without the cost
            base, scale = self._stored["base"]
            return self._build(case_id, stored, base, float(self.scores.iloc[row]), scale, self.features.iloc[row])
        return self._explain(case_id, self._encoded[row : row + 1], self.features.iloc[row])

    def _stored_shap(self) -> dict[str, np.ndarray]:
        """The stored SHAP rows by case id, in the explainer's column order, if they agree with the live
        explainer on a stored case (base value and contributions within 1e-6); empty otherwise."""
        if "rows" in self._stored:
            return self._stored["rows"]
        self._stored["rows"] = {}
        stored = self.iteration.shap_values
        known = [c for c in stored.index.astype(str) if c in self._rows]
        if not known or set(stored.columns) != set(self._columns):
            return self._stored["rows"]
        matrix = stored.set_axis(stored.index.astype(str)).loc[known, list(self._columns)].to_numpy(dtype=float)
        probe = self._rows[known[0]]
        live = self.explainer.attribute(self._encoded[probe : probe + 1])
        if abs(live.base_value - self.card.base_value) <= 1e-6 and np.allclose(
            live.contributions[0], matrix[0], rtol=0, atol=1e-6
        ):
            self._stored["base"] = (live.base_value, live.scale)
            self._stored["rows"] = dict(zip(known, matrix))
        else:
            log.info(
                "stored SHAP of %s/%s differs from the live explainer: cases are explained live",
                self.card.use_case,
                self.card.version,
            )
        return self._stored["rows"]

    def _explain(self, case_id: str, encoded: np.ndarray, values: pd.Series) -> CaseExplanation:
        attribution = self.explainer.attribute(encoded)
        return self._build(
            case_id,
            attribution.contributions[0],
            attribution.base_value,
            float(attribution.scores[0]),
            attribution.scale,
            values,
        )

    def _build(
        self, case_id: str, raw: np.ndarray, base_value: float, score: float, scale: str, values: pd.Series
    ) -> CaseExplanation:
        order = np.argsort(-np.abs(raw), kind="stable")
        contributions = pd.Series(raw[order], index=self._columns[order])
        protected = self.card.protected_attributes
        return CaseExplanation(
            case_id=case_id,
            values=values,
            score=score,
            threshold=self.threshold,
            decision=self.use_case.decision_for(score, self.threshold),
            base_value=base_value,
            contributions=contributions,
            reasons=rank_reasons(contributions, values, self.use_case, protected),
            protected_drivers=find_protected_drivers(contributions, values, self.use_case, protected),
            scale=scale,
        )


def filter_case_table(
    table: pd.DataFrame,
    decisions: list[str] | None = None,
    score_range: tuple[float, float] = (0.0, 1.0),
    sort: str = SORT_ORDERS[0],
) -> pd.DataFrame:
    """Cases with one of the decisions and a score in the range, in the chosen order."""
    low, high = score_range
    keep = table[SCORE_COLUMN].between(low, high)
    if decisions is not None:
        keep &= table[DECISION_COLUMN].isin(decisions)
    view = table[keep]
    if sort == SORT_ORDERS[2]:
        return view.sort_index()
    return view.sort_values(SCORE_COLUMN, ascending=sort == SORT_ORDERS[1], kind="stable")
