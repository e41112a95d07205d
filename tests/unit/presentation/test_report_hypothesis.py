"""The report's "Hypothesis tested" section and a review-metric criterion on its scorecard: each claim with its
verdict, value and interval (equal to statsmodels'), waiting with why, and what people wrote escaped."""

from __future__ import annotations

import html
import io
import re
from datetime import date

import pypdf
from statsmodels.stats.proportion import proportion_confint

from demo_models.presentation.report_inputs import compose_dossier, compose_report
from feedback.access import Actor
from feedback.goals import Criterion
from feedback.hypotheses import Claim
from feedback.store.goals import save_criterion
from feedback.store.hypotheses import save_hypothesis
from tests.helpers import CRITERION_SPECS, hold_round

HOSTILE = "<script>alert(1)</script> & monotone"


def _section(document: str) -> str:
    return document[document.index("<h2>Hypothesis tested</h2>") :]


def test_without_a_hypothesis_the_section_says_so(registry_dir, sqlite_store):
    section = _section(compose_report(registry_dir, sqlite_store, "credit", "v3"))
    assert "No hypothesis has been stated for v3." in section


def _state_and_review(sqlite_store, scored) -> None:
    claims = (Claim("agreement_with_model", ">=", 0.85), Claim("clarity", ">=", 4.0), Claim("roc_auc", ">=", -1, True))
    save_hypothesis(
        sqlite_store,
        Actor("Dee", "data scientist"),
        "credit",
        "v3",
        HOSTILE,
        claims,
        specs=CRITERION_SPECS,
        parent="v2",
    )
    save_criterion(
        sqlite_store,
        Criterion("credit", "", "agreement_with_model", ">=", 0.8, "Ann", date(2026, 12, 1), "Ann"),
        specs=CRITERION_SPECS,
    )
    hold_round(sqlite_store, scored["v3"], agreed=49, cases=50)  # no clarity rated


def test_the_report_shows_each_claim_judged_and_the_review_criterion_by_its_interval(
    registry_dir, sqlite_store, scored
):
    _state_and_review(sqlite_store, scored)
    document = compose_report(registry_dir, sqlite_store, "credit", "v3")
    section = _section(document)
    low, high = proportion_confint(49, 50, alpha=0.05, method="wilson")
    assert html.escape(HOSTILE) in section and "<script>alert" not in document
    assert "Stated by Dee (data scientist)" in section and "2 of 3 claims confirmed, 1 waiting" in section
    assert (
        f"<tr><td>Agreement with the model &gt;= 0.85</td><td class='pass'>confirmed</td><td>0.98</td>"
        f"<td>{low:.2f}–{high:.2f}</td>" in section
    )
    assert (
        "<tr><td>Clarity of explanations &gt;= 4</td><td class='muted'>waiting</td><td>—</td><td>—</td>"
        "<td>waiting for a round: no reviewer rated the clarity of an explanation in round #1 “Monotone check”</td>"
    ) in section
    assert "<td>ROC AUC vs v2 &gt;= -1</td><td class='pass'>confirmed</td>" in section
    assert "lower bound is at least 0.85" in section
    assert f"pass · 0.98 (95% interval {low:.2f}–{high:.2f})" in document  # the scorecard


def test_the_dossier_prints_the_reports_hypothesis_section_cell_by_cell(registry_dir, sqlite_store, scored):
    _state_and_review(sqlite_store, scored)
    section = _section(compose_report(registry_dir, sqlite_store, "credit", "v3"))
    cells = [" ".join(html.unescape(c).split()) for c in re.findall(r"<t[dh][^>]*>([^<]*)</t[dh]>", section)]
    assert len(cells) == 5 * 4 and "0.98" in cells  # the premise: a heading row and three claims
    pdf = compose_dossier(registry_dir, sqlite_store, "credit", "v3", "Cora Compliance (compliance)")
    text = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages).split())
    text = text[text.rindex("Hypothesis tested") :]
    assert "Stated by Dee (data scientist)" in text and HOSTILE in text
    position = 0
    for cell in cells:
        position = text.find(cell, position)
        assert position >= 0, cell


def test_the_dossier_says_when_no_hypothesis_was_stated(registry_dir, sqlite_store):
    pdf = compose_dossier(registry_dir, sqlite_store, "credit", "v3", "Bo")
    text = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages).split())
    assert "No hypothesis has been stated for v3." in text
