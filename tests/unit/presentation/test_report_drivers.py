"""The report's "how each input moves the score", "calibration" and "data behind it" sections: the same
numbers as Outcomes (the domain functions it calls), equal to scikit-learn, on a built-in and a brought
use case (missing incomes, a categorical region, approved as the positive class)."""

import re

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss

from demo_models.explanations.dependence import dependence_inputs, explain_dependence
from demo_models.iterations.registry import load_iteration
from demo_models.iterations.scoring import ScoredIteration
from demo_models.metrics.data_explorer import label_input, missing_by_group
from demo_models.presentation.report import ReportInputs, render_report
from demo_models.presentation.report_drivers import DEPENDENCE_INPUTS, gather_driver_sections
from tests.helpers import register_approvals


@pytest.fixture(scope="module")
def loans(tmp_path_factory) -> ScoredIteration:
    root = tmp_path_factory.mktemp("drivers")
    register_approvals(root)
    return ScoredIteration(load_iteration("loans", "v1", root))


def _text(document: str) -> str:
    return re.sub(r"<script.*?</script>", "", document, flags=re.S)


def test_the_sections_equal_the_domain_functions(scored):
    v2, v3 = scored["v2"], scored["v3"]
    sections = gather_driver_sections(v3, v2)
    top = dependence_inputs(v3)[:DEPENDENCE_INPUTS]
    assert [mine.column for mine, _ in sections.dependence] == top
    for mine, theirs in sections.dependence:
        np.testing.assert_allclose(mine.average, explain_dependence(v3, mine.column).average)
        assert theirs is not None and theirs.version == "v2"  # v2 takes the same inputs: overlaid
    labels = np.asarray(v3.iteration.labels, dtype=int)
    assert sections.calibration.brier == pytest.approx(brier_score_loss(labels, v3.scores.to_numpy()), abs=1e-12)
    assert [p.column for p in sections.profiles] == top
    assert sections.profiles[0].groups["cases"].sum() == len(v3.scores)


def test_the_report_prints_the_sections(scored):
    v3 = scored["v3"]
    document = _text(render_report(ReportInputs(scored=v3, previous=scored["v2"])))
    headings = ("How each input moves the score", "Calibration: does the score mean what it says?", "The data behind")
    assert all(re.search(f"<h[23]>{re.escape(h)}", document) for h in headings)
    labels = np.asarray(v3.iteration.labels, dtype=int)
    assert f"Brier score <b>{brier_score_loss(labels, v3.scores.to_numpy()):.4f}</b>" in document
    assert "No input is missing" in document  # the credit data has no missing value
    assert "None" not in document and "nan" not in document.lower()


def test_a_brought_model_shows_its_missing_values(loans):
    sections = gather_driver_sections(loans, None)
    assert all(theirs is None for _, theirs in sections.dependence)  # no previous iteration, nothing overlaid
    missing = missing_by_group(loans, "outcome")
    income = missing.set_index("input").loc[label_input(loans, "income")]
    assert income["missing"] == int(loans.features["income"].isna().sum()) > 0
    document = _text(render_report(ReportInputs(scored=loans)))
    assert "<h3>Missing values</h3>" in document
    share = loans.features["income"].isna().mean()
    assert f"{share:.1%}" in document
    assert "None" not in document and "nan" not in document.lower()
