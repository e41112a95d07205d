"""Whether an iteration meets the expectations reviewers agreed on: one decision per case, compared.

An expectation says which decision a case should get (`feedback.expectations`). An iteration meets it
when its decision on the case, at its operating threshold, is that decision, and breaks it otherwise; a
case the iteration has no evaluation row for is not checked (counted apart, never as met or broken).
Only the expectation in force per case counts (the latest).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from demo_models.formats import format_share
from feedback.expectations import Expectation, current_expectations


@dataclass(frozen=True)
class Broken:
    """An expectation an iteration breaks: the case, what was expected, what it decides, and where from."""

    case_id: str
    expected: str
    decided: str
    source: str
    round_id: int
    reason: str
    origin: str = ""  # in words: "round #3, unanimous", "pinned by Ann on v3"


@dataclass(frozen=True)
class ExpectationCheck:
    """An iteration against the expectations in force: how many it meets, which it breaks, and how many
    could not be checked (the case is not among its evaluation cases)."""

    iteration: str
    met: int
    broken: tuple[Broken, ...]
    not_checked: tuple[str, ...]

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
    met, broken, missing = 0, [], []
    for case_id, expectation in sorted(current_expectations(expectations).items()):
        if case_id not in decisions.index:
            missing.append(case_id)
            continue
        decided = str(decisions.loc[case_id])
        if decided == expectation.expected_decision:
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
    return ExpectationCheck(iteration, met, tuple(broken), tuple(missing))


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
