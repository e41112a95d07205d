"""The report's and the dossier's "Review rounds": each closed round of the iteration with the agreement figures
the Reviews page shows (Wilson interval equal to statsmodels'), undefined as "—", open rounds left out, and what
people wrote escaped."""

from __future__ import annotations

import html
import io
import re

import pypdf
from sqlalchemy import update
from statsmodels.stats.proportion import proportion_confint

from demo_models.formats import format_share
from demo_models.presentation.report_inputs import compose_dossier, compose_report
from feedback.store.schema import REVIEW_ROUNDS
from tests.helpers import hold_round

HOSTILE = "<script>alert(1)</script> & reasons"


def _section(document: str) -> str:
    return document[document.index("<h2>Review rounds</h2>") : document.index("<h2>Expectations from review rounds")]


def _dossier_text(registry_dir, store) -> str:
    pdf = compose_dossier(registry_dir, store, "credit", "v3", "Cora Compliance (compliance)")
    text = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages).split())
    return text[text.rindex("Review rounds") : text.rindex("Expectations from review rounds")]


def test_without_a_closed_round_both_say_so(registry_dir, sqlite_store, scored):
    hold_round(sqlite_store, scored["v3"], agreed=3, cases=4, close=False)  # open: its answers stay hidden
    assert "No review round of v3 has closed yet." in _section(
        compose_report(registry_dir, sqlite_store, "credit", "v3")
    )
    assert "No review round of v3 has closed yet." in _dossier_text(registry_dir, sqlite_store)


def test_a_closed_round_shows_its_agreement_with_the_model_and_undefined_coefficients(
    registry_dir, sqlite_store, scored
):
    round_ = hold_round(sqlite_store, scored["v3"], agreed=49, cases=50, clarity=(4, 5))
    with sqlite_store.transaction() as conn:  # a round named and described in hostile text, as a person could
        conn.execute(update(REVIEW_ROUNDS).where(REVIEW_ROUNDS.c.id == round_.id).values(name=HOSTILE, purpose=HOSTILE))
    document = compose_report(registry_dir, sqlite_store, "credit", "v3")
    section = _section(document)
    low, high = proportion_confint(49, 50, alpha=0.05, method="wilson")
    assert html.escape(HOSTILE) in section and "<script>alert" not in document
    assert "50 answers on 50 cases from 1 of 1 reviewers" in section
    cells = [" ".join(html.unescape(c).split()) for c in re.findall(r"<td[^>]*>([^<]*)</td>", section)]
    agreement = cells[cells.index("Agreement with the model") : cells.index("Agreement with the model") + 3]
    assert agreement == ["Agreement with the model", "49 of 50: 98.0%", f"{format_share(low)} to {format_share(high)}"]
    alpha = cells[cells.index("Krippendorff's alpha") : cells.index("Krippendorff's alpha") + 3]
    assert alpha == ["Krippendorff's alpha", "—", "—"]  # one reviewer: no agreement between reviewers to measure
    clarity = cells[cells.index("Clarity of the explanations (of 5)") + 1]
    assert clarity == "4.50"
    assert "Random" in cells or "random" in cells  # agreement by strategy
    text = _dossier_text(registry_dir, sqlite_store)
    assert HOSTILE in text
    position = 0
    for cell in cells:
        position = text.find(cell, position)
        assert position >= 0, cell
