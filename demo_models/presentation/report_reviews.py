"""The report's "Review rounds" section: each closed round of the iteration with its headline agreement figures
and agreement by strategy, decision and group (`iterations.round_results`, as the Reviews page shows them), as
HTML for the report and as text tables for the dossier."""

from __future__ import annotations

import html

import pandas as pd

from demo_models.iterations.round_results import RoundResults, agreement_facts, agreement_table


def describe_round(results: RoundResults) -> str:
    """ "Round #3 “Monotone check”, closed 2026-12-04, compared with v2: 60 answers on 40 cases from 3 reviewers." """
    round_, answers = results.round, results.answers
    closed = f", closed {round_.closed_at:%Y-%m-%d}" if round_.closed_at else ""
    compared = f", compared with {round_.compared_to}" if round_.compared_to else ""
    cases = answers["case_id"].nunique() if not answers.empty else 0
    reviewers = answers["reviewer_subject"].nunique() if not answers.empty else 0
    return (
        f"Round #{round_.id} “{round_.name}”{closed}{compared}: {len(answers)} answers on {cases} cases from "
        f"{reviewers} of {len(round_.reviewers)} reviewers."
    )


def round_tables(results: RoundResults) -> list[pd.DataFrame]:
    """The round's tables as text: its headline figures, then agreement by strategy, decision and group (none
    when nobody answered before it closed)."""
    if results.agreement is None:
        return []
    return [agreement_facts(results.agreement), agreement_table(results.agreement)]


def review_rounds_html(rounds: list[RoundResults] | tuple[RoundResults, ...], version: str) -> list[str]:
    """The HTML section: each closed round's description, purpose and tables, or why there is nothing to show."""
    e = html.escape
    parts = ["<h2>Review rounds</h2>"]
    if not rounds:
        return [*parts, f"<p>No review round of {e(version)} has closed yet.</p>"]
    for results in rounds:
        parts += [f"<h3>{e(describe_round(results))}</h3>", f"<p class='muted'>Purpose: {e(results.round.purpose)}</p>"]
        tables = round_tables(results)
        if not tables:
            parts.append(f"<p>{e(results.why_no_agreement)}</p>")
        parts += [table.to_html(escape=True, border=0, index=False) for table in tables]
        if results.agreement is not None and results.agreement.split_cases:
            parts.append(
                f"<p>Cases the reviewers split on: {e(', '.join(map(str, results.agreement.split_cases)))}</p>"
            )
    return parts
