"""A self-contained HTML report of an iteration for stakeholders who never open the app.

Every number comes from the same functions the pages use; plotly is embedded once, so the file
reads offline. The caller fetches what people said (criteria results, feedback) from the store.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from demo_models.formats import format_count, format_money, format_share
from demo_models.formats import format_table as format_cells
from demo_models.iterations.scoring import ScoredIteration
from demo_models.metrics.compare import FLIP_TO_NEGATIVE, FLIP_TO_POSITIVE, compare_iterations
from demo_models.metrics.costs import CaseCosts, cost_curve, total_cost
from demo_models.metrics.expectations import ExpectationCheck, broken_frame
from demo_models.metrics.fairness import GAP_METRICS, FairnessError, fairness_gaps
from demo_models.metrics.outcomes import confusion
from demo_models.metrics.performance import headline_metrics, metric_labels
from demo_models.presentation.error_figures import (
    build_error_heat_map,
    build_reliability_pair,
    describe_error_heat_map,
)
from demo_models.presentation.figures import build_importance_comparison, build_waterfall
from demo_models.presentation.report_drivers import (
    gather_driver_sections,
    render_calibration_parts,
    render_data_parts,
    render_dependence_parts,
)
from demo_models.presentation.report_errors import ErrorSection, error_section
from demo_models.presentation.report_reviews import review_rounds_html
from demo_models.vocabulary import capitalise
from feedback.hypotheses import CONFIRMED, REFUTED

if TYPE_CHECKING:
    from demo_models.iterations.hypotheses import HypothesisJudgement
    from demo_models.iterations.round_results import RoundResults

EXAMPLES = 3
STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2rem auto;
color:#222;padding:0 1rem}
h1{margin-bottom:.2rem} h2{border-bottom:2px solid #eee;padding-bottom:.3rem;margin-top:2.2rem}
table{border-collapse:collapse;margin:.6rem 0} th,td{border:1px solid #ddd;padding:.3rem .6rem;text-align:right}
th{background:#f6f6f6} td:first-child,th:first-child{text-align:left} .muted{color:#777;font-size:.9rem}
.pass{color:#1e8449;font-weight:600} .fail{color:#c0392b;font-weight:600}
"""


@dataclass
class ReportInputs:
    """What the report shows: the iteration, optionally its predecessor, and what people said."""

    scored: ScoredIteration
    previous: ScoredIteration | None = None
    scorecard: list[tuple[str, str, str]] = field(default_factory=list)  # criterion, owner, verdict
    costs: CaseCosts | None = None
    currency: str = ""
    verdicts: pd.DataFrame | None = None  # iteration x verdict counts
    categories: pd.DataFrame | None = None
    triage: pd.Series | None = None  # status -> count, for this iteration
    fixes: tuple[int, int] | None = None  # (fixed, flagged) on the previous iteration
    expectations: ExpectationCheck | None = None  # the iteration against what reviewers agreed
    feedback_verdicts: pd.Series | None = None  # this iteration's feedback verdicts by case id (`verdicts_of`)
    reviewed: pd.DataFrame | None = None  # the answers of its closed review rounds (`verdict_frame`)
    rounds: tuple[RoundResults, ...] = ()  # its closed review rounds, oldest first (`iterations.round_results`)
    hypothesis: HypothesisJudgement | None = (
        None  # the hypothesis it tests, judged (`demo_models.iterations.hypotheses`)
    )


def errors_of_report(inputs: ReportInputs) -> ErrorSection:
    """The "where it errs" section of the report and the dossier, from the same inputs."""
    return error_section(
        inputs.scored, inputs.previous, inputs.costs, inputs.currency, inputs.feedback_verdicts, inputs.reviewed
    )


def error_paragraphs(section: ErrorSection, use_case) -> tuple[str, str]:
    """(what the cohort table shows, what the side-by-side shows; empty without a previous iteration), as text."""
    found, change = section.found, section.change
    first = (
        f"At the threshold: {format_count(found.errors)} wrong of {format_count(found.cases)} "
        f"({format_share(found.rate)}). The worst cohorts of a tree of at most three conditions on the inputs, "
        "with the share of feedback that disagreed and of the closed review rounds' verdicts that agreed."
    )
    second = ""
    if change is not None:
        second = (
            f"Beside {change.old} on the {use_case.words.count(change.cases)} both were shown: "
            f"{format_count(change.errors_before)} wrong under {change.old}, {format_count(change.errors_after)} "
            f"under {change.new}; each cohort either found, under both (exact McNemar test on its paired cases)."
        )
    return first, second


class _Figures:
    def __init__(self) -> None:
        self.first = True

    def __call__(self, figure: go.Figure) -> str:
        markup = pio.to_html(figure, full_html=False, include_plotlyjs=self.first, config={"displaylogo": False})
        self.first = False
        return markup


def format_table(frame: pd.DataFrame, percent: tuple[str, ...] = (), digits: int = 3) -> pd.DataFrame:
    """A table's numbers as the report prints them: shares as percentages, floats to `digits`, undefined as —
    (`formats.format_table`)."""
    floats = {c: f"{{:.{digits}f}}" for c in frame.columns if pd.api.types.is_float_dtype(frame[c])}
    return format_cells(frame, {**floats, **dict.fromkeys(percent, format_share)})


def _table(frame: pd.DataFrame, percent: tuple[str, ...] = (), digits: int = 3) -> str:
    return format_table(frame, percent, digits).to_html(escape=True, border=0)


def compare_importance(inputs: ReportInputs) -> pd.DataFrame:
    """Mean |SHAP| per input of the iteration ("new") and its predecessor ("old"; itself without one), largest first."""
    it = inputs.scored
    importance = pd.DataFrame({"old": it.global_importance(), "new": it.global_importance()})
    if inputs.previous is not None:
        importance["old"] = inputs.previous.global_importance().reindex(importance.index).fillna(0.0)
    return importance.sort_values("new", ascending=False)


def pick_examples(scored: ScoredIteration) -> list[str]:
    """The cases the report explains: the highest scores at or above the threshold."""
    return list(scored.scores[scored.scores >= scored.card.threshold].sort_values(ascending=False).index[:EXAMPLES])


def hypothesis_html(judgement: HypothesisJudgement | None, version: str) -> list[str]:
    """The report's section on the hypothesis the iteration tests: the statement, who stated it, and a table of
    its claims, each confirmed, refuted or waiting, with the value (and interval) it was judged on and why."""
    from demo_models.iterations.hypotheses import INTERVAL_RULE

    e = html.escape
    parts = ["<h2>Hypothesis tested</h2>"]
    if judgement is None:
        return [*parts, f"<p>No hypothesis has been stated for {e(version)}.</p>"]
    stated = judgement.hypothesis
    parts.append(
        f"<p><b>{e(stated.statement)}</b></p><p class='muted'>Stated by {e(stated.author_name)} "
        f"({e(stated.author_role)}) on {stated.created_at:%Y-%m-%d}: {e(judgement.summary())}. {e(INTERVAL_RULE)}</p>"
    )
    table = hypothesis_table(judgement)
    rows = []
    for claim, outcome, value, interval, note in table.itertuples(index=False):
        css = {CONFIRMED: "pass", REFUTED: "fail"}.get(outcome, "muted")
        rows.append(
            f"<tr><td>{e(claim)}</td><td class='{css}'>{e(outcome)}</td><td>{value}</td><td>{interval}</td>"
            f"<td>{e(note)}</td></tr>"
        )
    header = "".join(f"<th>{e(name)}</th>" for name in table.columns)
    parts.append(f"<table><tr>{header}</tr>" + "".join(rows) + "</table>")
    return parts


def hypothesis_table(judgement: HypothesisJudgement) -> pd.DataFrame:
    """The hypothesis's claims as text, one row each: claim, verdict, value ("—" undecided), 95% interval, why."""
    rows = [
        (
            v.text,
            v.outcome,
            "—" if v.value is None else f"{v.value:.4g}",
            "—" if v.interval is None else f"{v.interval[0]:.2f}–{v.interval[1]:.2f}",
            v.note,
        )
        for v in judgement.verdicts
    ]
    return pd.DataFrame(rows, columns=["Claim", "Verdict", "Value", "95% interval", "Why"])


def render_report(inputs: ReportInputs) -> str:
    """The report as one HTML document."""
    it, card, use_case = inputs.scored, inputs.scored.card, inputs.scored.use_case
    words = use_case.words
    figure = _Figures()
    e = html.escape
    labels, scores = it.iteration.labels, it.scores.to_numpy()
    parts = [
        f"<h1>{e(use_case.title)} — iteration {e(card.version)}</h1>",
        f"<p class='muted'>{e(card.model_type)} by {e(card.author)}, registered {e(card.created[:10])}"
        f"{', built on ' + e(card.parent) if card.parent else ''}. Threshold {format_share(card.threshold)}: "
        f"{e(words.positive_decision)} at or above. {e(words.count(card.n_eval))} to evaluate it on. Report made "
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by Involve.</p>",
        f"<p class='muted'>Explanations: {e(card.explainer)}; SHAP stored for {card.shap_rows:,} of "
        f"{card.n_eval:,} evaluation cases ({e(card.shap_rule or 'a seeded sample')}).</p>",
        f"<p>{e(card.notes)}</p>",
        "<h2>Goal scorecard</h2>",
    ]
    if inputs.scorecard:
        rows = "".join(
            f"<tr><td>{e(c)}</td><td>{e(o)}</td>"
            f"<td class='{'pass' if v.startswith('pass') else 'fail' if v.startswith('FAIL') else ''}'>{e(v)}</td></tr>"
            for c, o, v in inputs.scorecard
        )
        parts.append(f"<table><tr><th>Criterion</th><th>Owner</th><th>{e(card.version)}</th></tr>{rows}</table>")
    else:
        parts.append("<p>No success criteria have been agreed yet.</p>")

    metrics = headline_metrics(labels, scores, card.threshold)
    names = metric_labels(use_case)
    parts += ["<h2>Outcomes and cost</h2>", _table(pd.DataFrame({"value": metrics}).rename(index=names))]
    matrix = confusion(labels, scores, card.threshold)
    matrix.index = [f"actually {words.negative_state}", f"actually {words.positive_state}"]
    matrix.columns = [words.negative_past, words.positive_past]
    parts.append(_table(matrix))
    if inputs.costs is not None:
        curve = cost_curve(labels, scores, inputs.costs)
        now = curve.per_thousand(total_cost(labels, scores, card.threshold, inputs.costs))
        best = curve.per_thousand(float(curve.totals[curve.best]))
        parts.append(
            "<p>Expected cost of errors per 1,000 cases: "
            f"<b>{e(format_money(now, inputs.currency))}</b> at the threshold; "
            f"{e(format_money(best, inputs.currency))} at the cost-optimal threshold {curve.optimal_threshold:.3f}.</p>"
        )
    else:
        parts.append("<p class='muted'>No cost matrix has been agreed.</p>")

    parts.append("<h2>Fairness</h2>")
    for attribute in card.protected_attributes:
        try:
            gaps = fairness_gaps(it, attribute)
        except FairnessError as err:
            parts.append(f"<p>{e(str(err))}</p>")
            continue
        table = pd.DataFrame({use_case.label(attribute): gaps}).rename(index=GAP_METRICS)  # _table escapes
        parts.append(_table(table))
    parts.append(
        f"<p class='muted'>Gaps on the favourable decision, “{e(use_case.favourable_decision)}”, computed with "
        "fairlearn; — where a rate would divide by zero (no case in a group gets or deserves it).</p>"
    )

    parts.append("<h2>What drives the scores</h2>")
    importance = compare_importance(inputs)
    parts.append(
        figure(
            build_importance_comparison(
                importance, use_case, inputs.previous.card.version if inputs.previous else card.version, card.version
            )
        )
    )

    drivers = gather_driver_sections(it, inputs.previous)
    parts += render_dependence_parts(drivers, it, figure)

    parts.append("<h2>Example explanations</h2>")
    for case_id in pick_examples(it):
        explanation = it.explain_case(case_id)
        reasons = "".join(f"<li>{e(r.text)}</li>" for r in explanation.reasons)
        parts.append(
            f"<h3>{e(capitalise(words.case))} {e(case_id)}: {format_share(explanation.score)}, "
            f"{e(explanation.decision)}</h3><ol>{reasons}</ol>"
        )
        parts.append(figure(build_waterfall(explanation, use_case)))

    section = errors_of_report(inputs)
    first, second = error_paragraphs(section, use_case)
    parts += ["<h2>Where it errs</h2>", f"<p>{e(first)}</p>", _table(section.cohorts)]
    if section.heat is not None:
        parts.append(figure(build_error_heat_map(section.heat, use_case, currency=inputs.currency)))
        parts.append(f"<p class='muted'>{e(describe_error_heat_map(section.heat, use_case).summary)}</p>")
    if section.change is not None:
        parts += [f"<p>{e(second)}</p>", _table(section.change_table), _table(section.calibration)]
        parts.append(figure(build_reliability_pair(section.change, words.outcome)))

    parts += render_calibration_parts(drivers, it, figure, _table)
    parts += render_data_parts(drivers, it, figure, _table)

    if inputs.previous is not None:
        comparison = compare_iterations(inputs.previous, it)
        old = inputs.previous.card.version
        counts = comparison.flip_counts()
        neg, pos = use_case.negative_decision, use_case.positive_decision
        parts += [
            f"<h2>What changed since {e(old)}</h2>",
            _table(comparison.metrics.rename(index=names, columns={"old": old, "new": card.version})),
            f"<p>Decisions that flip on the {e(words.count(len(comparison.cases)))} both were shown: "
            f"<b>{counts[FLIP_TO_POSITIVE]}</b> "
            f"{e(neg)} → {e(pos)}, <b>{counts[FLIP_TO_NEGATIVE]}</b> {e(pos)} → {e(neg)}.</p>",
        ]
        direction = {FLIP_TO_POSITIVE: f"{neg} → {pos}", FLIP_TO_NEGATIVE: f"{pos} → {neg}"}
        for attribute in comparison.groups:
            parts.append(_table(comparison.flips_by_group(attribute).rename(columns=direction), percent=("flip rate",)))

    parts.append("<h2>Feedback and its resolution</h2>")
    for title, frame in (("Verdicts", inputs.verdicts), ("What it was about", inputs.categories)):
        if frame is not None and not frame.empty:
            parts += [f"<h3>{e(title)}</h3>", _table(frame)]
    if inputs.triage is not None and len(inputs.triage):
        parts += ["<h3>Triage</h3>", _table(inputs.triage.rename("entries").to_frame())]
    if inputs.fixes is not None and inputs.fixes[1]:
        parts.append(
            f"<p>Of {inputs.fixes[1]} cases reviewers disagreed with on the previous iteration and said what they "
            f"expected, {e(card.version)} now decides <b>{inputs.fixes[0]}</b> that way.</p>"
        )
    if inputs.verdicts is None or inputs.verdicts.empty:
        parts.append("<p>No feedback yet.</p>")
    parts += review_rounds_html(inputs.rounds, card.version)
    parts.append("<h2>Expectations from review rounds</h2>")
    check = inputs.expectations
    if check is None or not check.checked:
        parts.append(f"<p>{e(check.describe() if check else 'No expectation from review rounds yet.')}</p>")
    else:
        parts.append(
            f"<p>{e(card.version)} meets <b>{check.met}</b> of <b>{check.checked}</b> expectations reviewers agreed "
            f"on (unanimous or adjudicated); it breaks <b>{len(check.broken)}</b>.</p>"
        )
        if check.broken:
            parts.append(_table(broken_frame(check)))
    parts += hypothesis_html(inputs.hypothesis, card.version)
    body = "\n".join(parts)
    title = f"Involve report: {use_case.title} {card.version}"
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{e(title)}</title>"
        f"<style>{STYLE}</style></head><body>{body}</body></html>"
    )
