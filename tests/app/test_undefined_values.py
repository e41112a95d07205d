"""Undefined is shown as undefined — "—" with the reason — never as 0, in every place a rate can
divide by zero: Outcomes, Compare, the scorecard, Fairness, the report and the glossary examples.

The brought "loans" use case (positive class = approved = favourable) is registered a second time
at a threshold no case reaches: nobody gets the positive decision, so precision and the parity
ratio have nothing to divide by.
"""

import re
import shutil
from datetime import date

import pytest

from demo_models.iterations.registry import load_iteration, register_iteration
from demo_models.iterations.scoring import ScoredIteration
from demo_models.presentation.glossary import GLOSSARY
from demo_models.presentation.report_inputs import compose_report
from demo_models.presentation.worked_examples import worked_example
from feedback.goals import Criterion
from feedback.store.database import FeedbackStore
from feedback.store.goals import save_criterion
from pages._ui.navigation import PAGES
from tests.app.apptest import open_app, tables_with
from tests.helpers import CRITERION_SPECS, approvals_data, fit_approvals_model

UNREACHED = 0.995


@pytest.fixture(scope="module")
def loans_registry(registry_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("undefined") / "registry"
    shutil.copytree(registry_dir, root)
    frame = approvals_data()
    model = fit_approvals_model(frame)
    common = dict(
        use_case="loans",
        target="approved",
        author="Test",
        positive_class="approved",
        favourable="positive",
        protected_attributes=["region"],
        registry_dir=root,
    )
    register_iteration(model, frame.iloc[:600], version="v1", threshold=0.4, **common)
    register_iteration(model, frame.iloc[:600], version="v2", parent="v1", threshold=UNREACHED, **common)
    return root


@pytest.fixture
def loans_env(app_env, loans_registry, monkeypatch):
    monkeypatch.setenv("INVOLVE_REGISTRY_DIR", str(loans_registry))
    return app_env


@pytest.fixture
def nobody(loans_registry) -> ScoredIteration:
    scored = ScoredIteration(load_iteration("loans", "v2", loans_registry))
    assert (scored.scores < UNREACHED).all()  # the premise: no positive decision at all
    return scored


def _texts(at) -> str:
    parts = [m.value for m in at.metric] + [c.value for c in at.caption] + [w.value for w in at.warning]
    parts += [str(m.value) for m in at.markdown]
    return "\n".join(parts)


def test_outcomes_shows_precision_as_undefined(loans_env, nobody):
    at = open_app("pages/7_Outcomes.py", use_case="loans", iteration="v2")
    assert not at.exception
    precision = next(m for m in at.metric if m.label.startswith("Precision"))
    assert precision.value == "—"
    assert "nan" not in _texts(at).lower()


def test_compare_marks_undefined_metrics(loans_env, nobody):
    at = open_app("pages/3_Compare.py", use_case="loans", iteration="v2")
    assert not at.exception
    table = tables_with(at, "difference")[0]
    precision_row = next(i for i in table.index if str(i).startswith("Precision"))
    assert table.loc[precision_row, "v2"] == "—" and table.loc[precision_row, "v1"] != "—"
    assert any("—: undefined" in c.value for c in at.caption)


def test_scorecard_says_why_a_criterion_has_no_value(loans_env, nobody):
    store = FeedbackStore(f"sqlite:///{loans_env}")
    save_criterion(
        store,
        Criterion("loans", "", "precision", ">=", 0.5, "Risk team", date(2026, 11, 1), "Ann"),
        specs=CRITERION_SPECS,
    )
    at = open_app(use_case="loans", iteration="v2")
    assert not at.exception
    cells = tables_with(at, "Owner")[0].iloc[:, -1].tolist()
    assert cells == ["no value: undefined: no case got “flag as approved”"]


def test_fairness_shows_an_undefined_ratio_as_undefined(loans_env, nobody):
    at = open_app("pages/9_Fairness.py", use_case="loans", iteration="v2")
    assert not at.exception
    gaps = at.dataframe[1].value
    assert gaps.loc["Disparate impact ratio", "value"] == "—"
    assert any("Four-fifths screen: no value" in w.value for w in at.warning)
    assert not any("Four-fifths screen" in s.value for s in at.success)


def test_report_and_glossary_examples_show_undefined_not_zero(loans_env, loans_registry, nobody):
    html = compose_report(loans_registry, FeedbackStore(f"sqlite:///{loans_env}"), "loans", "v2")
    text = re.sub(r"<script.*?</script>", "", html, flags=re.S).lower()  # plotly's own JS says NaN
    assert "<td>—</td>" in text and "nan" not in text
    precision = next(t for t in GLOSSARY if t.key == "precision")
    text = worked_example(precision, nobody)
    assert "undefined" in text and "0.0%" not in text and "nan" not in text.lower()


def _null_cells(at) -> list[str]:
    """Every table cell the browser would draw as "None": a missing value that no text replaced."""
    found = []
    for element in at.dataframe:
        frame = element.value
        for column in frame.columns:
            nulls = frame[column].isna()
            if nulls.any():
                found.append(f"{element.key or '(no key)'}: {column!r} ({int(nulls.sum())} cells)")
    return found


@pytest.mark.parametrize("script", [s for s, _label, _icon in PAGES])
def test_no_table_leaves_a_cell_for_the_browser_to_call_none(loans_env, nobody, script):
    at = open_app(script, use_case="loans", iteration="v2")
    assert not at.exception
    assert _null_cells(at) == []


@pytest.mark.parametrize("script", ["pages/7_Outcomes.py", "pages/10_Monitoring.py", "pages/3_Compare.py"])
def test_built_in_tables_write_undefined_out(app_env, script):
    """Credit without a cost matrix: the error cohorts' cost of errors is undefined, written as "—"."""
    at = open_app(script, use_case="credit")
    assert not at.exception
    assert _null_cells(at) == []
    if script == "pages/7_Outcomes.py":
        assert set(tables_with(at, "cost of errors")[0]["cost of errors"]) == {"—"}
