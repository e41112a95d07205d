"""Whether an iteration meets the expectations reviewers agreed on: one decision per case, compared.

An expectation says which decision a case should get (`feedback.expectations`). An iteration meets it
when its decision on the case, at its operating threshold, is that decision, and breaks it otherwise; a
case the iteration has no evaluation row for is not checked (counted apart, never as met or broken).
Only the expectation in force per case counts (the latest); a retired one is listed apart, never counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import pandas as pd

from demo_models.formats import format_share
from feedback.expectations import Expectation, Retirement, current_expectations


@dataclass(frozen=True)
class Broken:
    """An expectation an iteration breaks: the case, what was expected, what it decides, and where from."""

    case_id: str
    expected: str
    decided: str
    source: str
    round_id: int
    reason: str
    origin: str = ""  # in words: "agreed in round #3 (round by Dana)", "pinned from Explore by Ann on v3"


@dataclass(frozen=True)
class Line:
    """One expectation in force against an iteration: met, broken or not checked, and where it came from."""

    case_id: str
    expected: str
    decided: str  # "" when not checked
    outcome: str  # "met", "broken" or "not checked"
    source: str  # "round agreement", "adjudication" or "pinned from Explore"
    author: str  # the display name of its author (the round's creator, the adjudicator, who pinned it)
    origin: str
    reason: str


@dataclass(frozen=True)
class Retired:
    """A retired expectation, listed apart and not counted: what was expected, from where, who retired it, why."""

    case_id: str
    expected: str
    source: str
    author: str
    origin: str
    retired_by: str  # "Name (role)"
    retired_at: str  # "YYYY-MM-DD HH:MM" UTC, "" if unknown
    reason: str


@dataclass(frozen=True)
class ExpectationCheck:
    """An iteration against the expectations in force: how many it meets, which it breaks, and how many
    could not be checked (the case is not among its evaluation cases)."""

    iteration: str
    met: int
    broken: tuple[Broken, ...]
    not_checked: tuple[str, ...]
    lines: tuple[Line, ...] = ()  # every expectation in force, by case
    retired: tuple[Retired, ...] = ()  # the retired ones (not counted), newest retirement first

    @property
    def checked(self) -> int:
        """The expectations checked (met or broken)."""
        return self.met + len(self.broken)

    @property
    def share_met(self) -> float:
        """The share met of those checked; NaN (undefined) when none could be checked."""
        return self.met / self.checked if self.checked else float("nan")

    def describe(self) -> str:
        """ "v4 meets 47 of 50 expectations; 3 now contradict what reviewers agreed" (or why none is checked)."""
        if not self.checked:
            return f"{self.iteration}: no expectation can be checked yet" + (
                f" ({len(self.not_checked)} are on cases it was not evaluated on)" if self.not_checked else ""
            )
        text = f"{self.iteration} meets {self.met} of {self.checked} expectations ({format_share(self.share_met)})"
        if self.broken:
            text += f"; {len(self.broken)} now contradict what reviewers agreed: " + ", ".join(
                b.case_id for b in self.broken
            )
        return text


def check_expectations(iteration: str, expectations: Iterable[Expectation], decisions: pd.Series) -> ExpectationCheck:
    """An iteration's `decisions` (case id -> decision at its threshold) against the expectations in force."""
    met, broken, missing, lines = 0, [], [], []
    for case_id, expectation in sorted(current_expectations(expectations).items()):
        decided = str(decisions.loc[case_id]) if case_id in decisions.index else ""
        outcome = "not checked" if not decided else "met" if decided == expectation.expected_decision else "broken"
        lines.append(
            Line(
                case_id,
                expectation.expected_decision,
                decided,
                outcome,
                expectation.source_label,
                expectation.author_name,
                expectation.origin,
                expectation.reason,
            )
        )
        if outcome == "not checked":
            missing.append(case_id)
        elif outcome == "met":
            met += 1
        else:
            broken.append(
                Broken(
                    case_id,
                    expectation.expected_decision,
                    decided,
                    expectation.source,
                    expectation.round_id,
                    expectation.reason,
                    expectation.origin,
                )
            )
    return ExpectationCheck(iteration, met, tuple(broken), tuple(missing), tuple(lines))


def with_retired(check: ExpectationCheck, retired: Iterable[tuple[Expectation, Retirement]]) -> ExpectationCheck:
    """The check with the retired expectations (expectation, retirement) listed apart; the counts are unchanged."""
    return replace(
        check,
        retired=tuple(
            Retired(
                e.case_id,
                e.expected_decision,
                e.source_label,
                e.author_name,
                e.origin,
                f"{r.actor_name} ({r.actor_role})",
                f"{r.created_at:%Y-%m-%d %H:%M}" if r.created_at else "",
                r.reason,
            )
            for e, r in retired
        ),
    )


def expectations_frame(checks: Iterable[ExpectationCheck]) -> pd.DataFrame:
    """Met / broken per iteration as a table a business user reads ("—" where nothing could be checked)."""
    checks = list(checks)
    return pd.DataFrame(
        {
            "Iteration": [c.iteration for c in checks],
            "Expectations checked": [c.checked for c in checks],
            "Met": [f"{c.met} of {c.checked}" if c.checked else "—" for c in checks],
            "Share met": [format_share(c.share_met) for c in checks],
            "Broken": [len(c.broken) if c.checked else "—" for c in checks],
            "Broken cases": [", ".join(b.case_id for b in c.broken) for c in checks],
            "Not checked": [len(c.not_checked) for c in checks],
        }
    )


def broken_frame(check: ExpectationCheck) -> pd.DataFrame:
    """The expectations an iteration breaks, by case: expected, decided, from which round and why."""
    return pd.DataFrame(
        {
            "expected": [b.expected for b in check.broken],
            "decides": [b.decided for b in check.broken],
            "from": [b.origin for b in check.broken],
            "why expected": [b.reason for b in check.broken],
        },
        index=pd.Index([b.case_id for b in check.broken], name="case"),
    )


def lines_frame(check: ExpectationCheck) -> pd.DataFrame:
    """Every expectation in force against the iteration: the case, expected, decided, met or not, its source
    (round agreement, adjudication, pinned from Explore), its author and why."""
    lines = check.lines
    return pd.DataFrame(
        {
            "Case": [line.case_id for line in lines],
            "Should be": [line.expected for line in lines],
            "Decides": [line.decided or "—" for line in lines],
            "Met": [line.outcome for line in lines],
            "Source": [line.source for line in lines],
            "By": [line.author for line in lines],
            "From": [line.origin for line in lines],
            "Why expected": [line.reason for line in lines],
        }
    )


def retired_frame(check: ExpectationCheck) -> pd.DataFrame:
    """The retired expectations, not counted: the case, what was expected, its source and author, who retired
    it, when and why."""
    retired = check.retired
    return pd.DataFrame(
        {
            "Case": [r.case_id for r in retired],
            "Was expected": [r.expected for r in retired],
            "Source": [r.source for r in retired],
            "By": [r.author for r in retired],
            "Retired by": [r.retired_by for r in retired],
            "When (UTC)": [r.retired_at for r in retired],
            "Why retired": [r.reason for r in retired],
        }
    )
