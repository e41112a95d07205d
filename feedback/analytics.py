"""What the feedback says: counts per iteration, and whether a new iteration fixed what was flagged."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from feedback.records import CATEGORIES, VERDICTS, Feedback


def count_verdicts(entries: list[Feedback]) -> pd.DataFrame:
    """Entries per iteration (rows) and verdict (columns)."""
    frame = pd.DataFrame({"iteration": [f.iteration for f in entries], "verdict": [f.verdict for f in entries]})
    table = pd.crosstab(frame["iteration"], frame["verdict"]) if entries else pd.DataFrame()
    return table.reindex(columns=list(VERDICTS), fill_value=0)


def count_categories(entries: list[Feedback]) -> pd.DataFrame:
    """Entries per iteration (rows) and category (columns); an entry counts once per category."""
    pairs = [(f.iteration, c) for f in entries for c in f.categories]
    frame = pd.DataFrame(pairs, columns=["iteration", "category"])
    table = pd.crosstab(frame["iteration"], frame["category"]) if pairs else pd.DataFrame()
    return table.reindex(columns=[c for c in CATEGORIES if c in table.columns], fill_value=0)


@dataclass(frozen=True)
class FixReport:
    """Cases where reviewers disagreed with the old iteration and said what they expected."""

    cases: pd.DataFrame  # case_id -> expected ("positive"/"negative"), new outcome, fixed

    @property
    def flagged(self) -> int:
        """Number of such cases the new iteration is shown on."""
        return len(self.cases)

    @property
    def fixed(self) -> int:
        """How many of them the new iteration now decides the way the reviewers expected."""
        return int(self.cases["fixed"].sum()) if len(self.cases) else 0


def check_fixes(old_entries: list[Feedback], new_outcomes: Mapping[str, str]) -> FixReport:
    """Compare the latest "disagree" with an expected outcome per case to the new decisions.

    `new_outcomes` maps case id to "positive" or "negative": what the new iteration decides.
    """
    latest: dict[str, str] = {}
    for entry in sorted(old_entries, key=lambda f: f.id):
        if entry.verdict == "disagree" and entry.expected_outcome is not None:
            latest[entry.case_id] = entry.expected_outcome
    rows = [
        {"case_id": case, "expected": expected, "new": new_outcomes[case], "fixed": new_outcomes[case] == expected}
        for case, expected in latest.items()
        if case in new_outcomes
    ]
    frame = pd.DataFrame(rows, columns=["case_id", "expected", "new", "fixed"]).set_index("case_id")
    return FixReport(frame)


def disagreement_over_time(entries: list[Feedback], freq: str = "W") -> pd.DataFrame:
    """Share of "disagree" verdicts per period (rows, by period start) and iteration (columns)."""
    if not entries:
        return pd.DataFrame()
    frame = pd.DataFrame(
        {
            "period": pd.to_datetime([f.created_at for f in entries], utc=True)
            .tz_localize(None)
            .to_period(freq)
            .start_time,
            "iteration": [f.iteration for f in entries],
            "disagree": [f.verdict == "disagree" for f in entries],
        }
    )
    return frame.pivot_table(index="period", columns="iteration", values="disagree", aggfunc="mean").sort_index()


def mentioned_features(
    entries: list[Feedback],
    vocabulary: Mapping[str, str],
    categories: tuple[str, ...] = ("missing factor", "unclear explanation"),
) -> pd.Series:
    """How many comments (of entries in those categories) name each input, by label or column name.

    `vocabulary` maps an input column to its business label.
    """
    counts: dict[str, int] = {}
    for entry in entries:
        if not set(entry.categories) & set(categories):
            continue
        text = entry.comment.lower()
        for column, label in vocabulary.items():
            words = {label.lower(), column.lower(), column.replace("_", " ").lower()}
            if any(w and w in text for w in words):
                counts[label] = counts.get(label, 0) + 1
    return pd.Series(counts, dtype="int64").sort_values(ascending=False)
