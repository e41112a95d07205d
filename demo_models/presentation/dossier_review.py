"""The dossier's sections on what people said in review: its closed review rounds, the expectations from review
rounds it meets or breaks, and the hypothesis it tests judged claim by claim — the HTML report's tables, in the PDF."""

from __future__ import annotations

from demo_models.metrics.expectations import broken_frame
from demo_models.presentation.report import ReportInputs, format_table, hypothesis_table
from demo_models.presentation.report_reviews import describe_round, round_tables


def write_hypothesis(pdf, inputs: ReportInputs) -> None:
    """The hypothesis stated for the iteration, who stated it, and each claim's verdict, value, interval and why."""
    from demo_models.iterations.hypotheses import INTERVAL_RULE

    pdf.heading("Hypothesis tested")
    judgement = inputs.hypothesis
    if judgement is None:
        pdf.para(f"No hypothesis has been stated for {inputs.scored.card.version}.")
        return
    stated = judgement.hypothesis
    pdf.para(stated.statement, bold=True)
    pdf.para(
        f"Stated by {stated.author_name} ({stated.author_role}) on {stated.created_at:%Y-%m-%d}: "
        f"{judgement.summary()}. {INTERVAL_RULE}",
        size=8.5,
        grey=True,
    )
    pdf.grid(hypothesis_table(judgement).set_index("Claim"), "Claim", widths=(4, 2, 2, 2, 5))


def write_rounds(pdf, inputs: ReportInputs) -> None:
    """Each closed review round of the iteration: what it was, its headline agreement figures and agreement by
    strategy, decision and group, as the report and the Reviews page show them."""
    pdf.heading("Review rounds")
    if not inputs.rounds:
        pdf.para(f"No review round of {inputs.scored.card.version} has closed yet.")
    for results in inputs.rounds:
        pdf.heading(describe_round(results), level=1)
        pdf.para(f"Purpose: {results.round.purpose}", size=8.5, grey=True)
        tables = round_tables(results)
        if not tables:
            pdf.para(results.why_no_agreement)
        for table in tables:
            first = table.columns[0]
            pdf.grid(table.set_index(first), first)
        if results.agreement is not None and results.agreement.split_cases:
            pdf.para(f"Cases the reviewers split on: {', '.join(map(str, results.agreement.split_cases))}")


def write_expectations(pdf, inputs: ReportInputs) -> None:
    """How many expectations agreed in review rounds the iteration meets, and the cases where it breaks them."""
    pdf.heading("Expectations from review rounds")
    check = inputs.expectations
    if check is None or not check.checked:
        pdf.para(check.describe() if check else "No expectation from review rounds yet.")
        return
    pdf.para(
        f"{inputs.scored.card.version} meets {check.met} of {check.checked} expectations reviewers agreed on "
        f"(unanimous or adjudicated); it breaks {len(check.broken)}."
    )
    if check.broken:
        pdf.grid(format_table(broken_frame(check)), "case", widths=(2, 2, 2, 3, 5))
