"""Two iterations on the same cases: metrics, importance, decisions that flip, reasons that change,
which pair to compare by default, and whether the newer one fixed what reviewers flagged."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from demo_models.explanations.reasons import top_reason_features
from demo_models.iterations.registry import IterationCard
from demo_models.iterations.scoring import ScoredIteration
from demo_models.metrics.groups import group_frame
from demo_models.metrics.performance import METRIC_KEYS, headline_metrics
from feedback.analytics import FixReport, check_fixes
from feedback.records import Feedback

FLIP_TO_POSITIVE = "to positive"
FLIP_TO_NEGATIVE = "to negative"


class CompareError(ValueError):
    """Two iterations that cannot be compared; the message says why."""


@dataclass(frozen=True)
class Comparison:
    """What changes from `old` to `new` on the cases both are shown on."""

    old: ScoredIteration
    new: ScoredIteration
    metrics: pd.DataFrame  # metric key -> old, new, difference
    importance: pd.DataFrame  # input column -> old, new, old rank, new rank, rank change
    cases: pd.DataFrame  # per common case: scores, decisions, flip, groups, reason features
    groups: tuple[str, ...]  # protected attributes present in the cases
    reasons_compared: int  # cases declined by both whose stored SHAP allows comparing reasons

    @cached_property
    def flips(self) -> pd.DataFrame:
        """The cases whose decision differs between the two iterations."""
        return self.cases[self.cases["flip"] != ""]

    def flip_counts(self) -> dict[str, int]:
        """How many cases flip to the positive decision and how many to the negative one."""
        counts = self.cases["flip"].value_counts()
        return {d: int(counts.get(d, 0)) for d in (FLIP_TO_POSITIVE, FLIP_TO_NEGATIVE)}

    def flips_by_group(self, attribute: str) -> pd.DataFrame:
        """Per group of a protected attribute: cases, flips each way, and the share that flips."""
        frame = self.cases
        group = frame[attribute]
        table = pd.DataFrame(
            {
                "cases": frame.groupby(group, observed=True).size(),
                FLIP_TO_POSITIVE: (frame["flip"] == FLIP_TO_POSITIVE).groupby(group, observed=True).sum(),
                FLIP_TO_NEGATIVE: (frame["flip"] == FLIP_TO_NEGATIVE).groupby(group, observed=True).sum(),
            }
        )
        table["flip rate"] = (table[FLIP_TO_POSITIVE] + table[FLIP_TO_NEGATIVE]) / table["cases"]
        return table

    @cached_property
    def reason_changes(self) -> pd.DataFrame:
        """Cases declined by both iterations whose principal reasons differ."""
        both = self.cases[self.cases["reasons_compared"]]
        return both[both["reasons_old"].map(set) != both["reasons_new"].map(set)]


def _importance(old: ScoredIteration, new: ScoredIteration) -> pd.DataFrame:
    table = pd.DataFrame({"old": old.global_importance(), "new": new.global_importance()}).fillna(0.0)
    table["old rank"] = table["old"].rank(ascending=False, method="first").astype(int)
    table["new rank"] = table["new"].rank(ascending=False, method="first").astype(int)
    table["rank change"] = table["old rank"] - table["new rank"]  # > 0: more important in new
    return table.sort_values("new", ascending=False)


def _reason_features(scored: ScoredIteration, case_ids: pd.Index) -> pd.Series:
    stored = scored.iteration.shap_values.reindex(case_ids).dropna()
    features = top_reason_features(stored.to_numpy(), list(stored.columns), scored.card.protected_attributes)
    return pd.Series(features, index=stored.index, dtype=object).reindex(case_ids)


def compare_iterations(old: ScoredIteration, new: ScoredIteration) -> Comparison:
    """Compare two iterations of a use case on their common evaluation cases."""
    if old.card.use_case != new.card.use_case:
        raise CompareError("Only iterations of the same use case can be compared.")
    common = old.scores.index.intersection(new.scores.index, sort=False)
    if common.empty:
        raise CompareError(f"{old.card.version} and {new.card.version} share no evaluation cases.")
    labels = pd.Series(new.iteration.labels, index=new.scores.index)[common].to_numpy()
    old_m = headline_metrics(labels, old.scores[common].to_numpy(), old.threshold)
    new_m = headline_metrics(labels, new.scores[common].to_numpy(), new.threshold)
    metrics = pd.DataFrame({"old": old_m, "new": new_m}).loc[list(METRIC_KEYS)]
    metrics["difference"] = metrics["new"] - metrics["old"]

    positive = new.use_case.positive_decision
    cases = pd.DataFrame(
        {
            "score_old": old.scores[common],
            "score_new": new.scores[common],
            "decision_old": old.decisions()[common],
            "decision_new": new.decisions()[common],
        }
    )
    changed = cases["decision_old"] != cases["decision_new"]
    to_positive = changed & (cases["decision_new"] == positive)
    cases["flip"] = ""
    cases.loc[to_positive, "flip"] = FLIP_TO_POSITIVE
    cases.loc[changed & ~to_positive, "flip"] = FLIP_TO_NEGATIVE
    attributes = tuple(a for a in new.card.protected_attributes if a in new.features.columns)
    cases = cases.join(group_frame(new.features.loc[common], attributes, new.use_case))
    cases["reasons_old"] = _reason_features(old, common)
    cases["reasons_new"] = _reason_features(new, common)
    cases["reasons_compared"] = (
        (cases["decision_old"] == positive)
        & (cases["decision_new"] == positive)
        & cases["reasons_old"].notna()
        & cases["reasons_new"].notna()
    )
    return Comparison(
        old=old,
        new=new,
        metrics=metrics,
        importance=_importance(old, new),
        cases=cases,
        groups=attributes,
        reasons_compared=int(cases["reasons_compared"].sum()),
    )


def default_pair(cards: list[IterationCard], picked: str) -> tuple[str, str]:
    """(before, after) versions to compare first: the picked iteration (the newest if it is not among
    `cards`) after its parent, or after the iteration before it; needs two cards, oldest first."""
    versions = [c.version for c in cards]
    new = picked if picked in versions else versions[-1]
    parent = cards[versions.index(new)].parent
    old = parent if parent in versions else versions[max(versions.index(new) - 1, 0)]
    if old == new:
        old = versions[1] if new == versions[0] else versions[0]
    return old, new


def check_flagged_fixed(entries: list[Feedback], old_version: str, new: ScoredIteration) -> FixReport:
    """Whether `new` decides as reviewers expected on the cases they flagged on `old_version`
    (`check_fixes` on that iteration's entries; entries on other iterations are ignored)."""
    flagged = [f for f in entries if f.iteration == old_version]
    return check_fixes(flagged, new.outcomes(f.case_id for f in flagged))
