"""The report's "where it errs" section: the same cohorts, heat map and side-by-side figures as Outcomes,
formatted the same in the HTML report and the dossier."""

import html

import numpy as np
import pandas as pd

from demo_models.metrics.cohort_compare import compare_cohorts
from demo_models.metrics.error_map import error_heat_map, heat_map_inputs
from demo_models.metrics.errors import find_error_cohorts
from demo_models.presentation.report import ReportInputs, render_report
from demo_models.presentation.report_errors import REPORT_COHORTS, error_section


def test_the_section_equals_the_domain_functions(scored):
    v2, v3 = scored["v2"], scored["v3"]
    verdicts = pd.Series(["disagree", "agree", "disagree"], index=list(v3.scores.index[:3]), dtype=object)
    reviewed = pd.DataFrame({"case_id": list(v3.scores.index[:4]), "own_decision": "x",
                             "verdict": ["agree", "agree", "disagree", None]})  # fmt: skip
    section = error_section(v3, v2, verdicts=verdicts, reviewed=reviewed)
    found = find_error_cohorts(v3, "errors", None, verdicts)
    assert list(section.cohorts["cohort"]) == [c.description for c in found.cohorts[:REPORT_COHORTS]]
    assert list(section.cohorts["wrong"]) == [f"{c.errors} of {c.cases}" for c in found.cohorts[:REPORT_COHORTS]]
    assert section.cohorts["reviewers agreeing"].str.endswith(" of 0").sum() >= 1  # "— of 0": undefined, not 0 %
    assert all(t.startswith("—") for t in section.cohorts["reviewers agreeing"] if t.endswith(" of 0"))
    x, y = heat_map_inputs(v3)[:2]
    np.testing.assert_array_equal(section.heat.cases, error_heat_map(v3, x, y).cases)
    change = compare_cohorts(v2, v3)
    assert list(section.change_table["cohort"]) == list(change.table["cohort"][: 2 * REPORT_COHORTS])
    assert list(section.calibration["Brier"]) == [f"{s.brier:.4f}" for s in change.calibration]


def test_the_report_prints_the_section(scored):
    document = render_report(ReportInputs(scored=scored["v3"], previous=scored["v2"]))
    assert "<h2>Where it errs</h2>" in document
    worst = find_error_cohorts(scored["v3"]).cohorts[0]
    assert f"<td>{html.escape(worst.description)}</td>" in document
    assert f"<td>{worst.errors} of {worst.cases}</td>" in document
    alone = render_report(ReportInputs(scored=scored["v1"]))
    assert "<h2>Where it errs</h2>" in alone and "Beside " not in alone  # no previous iteration: no side by side
