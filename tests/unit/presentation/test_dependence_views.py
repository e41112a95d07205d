"""The dependence figure and its text alternative draw and say the numbers of `explain_dependence`."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from demo_models.explanations.dependence import (
    Association,
    association_warnings,
    dependence_notes,
    explain_dependence,
)
from demo_models.formats import format_share
from demo_models.presentation.chart_text import describe_dependence
from demo_models.presentation.figures import build_dependence
from demo_models.presentation.glossary import find_term


def _traces(figure) -> dict:
    return {trace.name: trace for trace in figure.data}


def test_the_figure_draws_every_shap_point_and_the_partial_dependence(scored):
    it = scored["v3"]
    found = explain_dependence(it, "duration")
    traces = _traces(build_dependence(found, it.use_case))
    drawn = [t for t in traces.values() if t.xaxis == "x" and t.name.startswith("Savings")]
    assert found.colour_by == "saving_accounts"
    assert sum(len(t.y) for t in drawn) == len(found.contributions) == 300
    assert sorted(np.concatenate([t.y for t in drawn])) == sorted(found.contributions)
    line = traces["partial dependence (v3)"]
    assert np.array_equal(line.y, found.average) and list(line.x) == list(found.grid)
    ice = traces["ICE (50 v3 cases)"]
    assert [y for y in ice.y if y is not None] == found.ice.to_numpy().ravel().tolist()


def test_an_overlaid_iteration_adds_its_points_and_its_dashed_partial_dependence(scored):
    it, other = scored["v3"], scored["v2"]
    mine, theirs = explain_dependence(it, "duration"), explain_dependence(other, "duration")
    traces = _traces(build_dependence(mine, it.use_case, theirs))
    assert np.array_equal(traces["partial dependence (v2)"].y, theirs.average)
    assert traces["partial dependence (v2)"].line.dash == "dash"
    assert list(traces["v2 cases"].y) == theirs.contributions.tolist()
    text = describe_dependence(mine, it.use_case, theirs)
    grid = text.tables[0][1]
    assert grid["Partial dependence (v2)"].tolist() == [format_share(v) for v in theirs.average]
    assert "v2: on average" in text.summary


def test_a_categorical_input_is_drawn_on_its_categories_in_business_words(scored):
    it = scored["v3"]
    found = explain_dependence(it, "checking_account")
    figure = build_dependence(found, it.use_case)
    words = [it.use_case.describe_value("checking_account", v) for v in found.grid]
    assert list(figure.layout.xaxis2.categoryarray) == words
    assert list(_traces(figure)["partial dependence (v3)"].x) == words


def test_the_text_alternative_holds_the_grid_and_the_points(scored):
    it = scored["v3"]
    found = explain_dependence(it, "duration")
    text = describe_dependence(found, it.use_case)
    (_, grid), (_, points) = text.tables
    assert grid["Partial dependence (v3)"].tolist() == [format_share(v) for v in found.average]
    assert points["cases"].sum() == len(found.contributions)
    assert points["SHAP contribution (mean)"].mul(points["cases"]).sum() == pytest.approx(
        found.contributions.sum(), abs=0.01
    )
    assert f"from {found.contributions.min():+.2f} to {found.contributions.max():+.2f}" in text.summary
    assert "coloured by savings" in text.summary
    for label in ["SHAP dependence (v3)", "Partial dependence (v3)", "ICE", *points.columns[2:]]:
        assert find_term(label, it.use_case) is not None, label


def test_an_unused_input_is_said_to_be_unused(scored):
    it = scored["v3"]
    unused = next(c for c in it.features.columns if c not in it.iteration.shap_values.columns)
    found = explain_dependence(it, unused)
    text = describe_dependence(found, it.use_case)
    assert "does not use" in text.summary and len(text.tables) == 1
    assert any("no SHAP points" in note for note in dependence_notes(found, it.use_case))


def test_the_notes_disclose_the_samples_and_warnings_name_the_associated_input(scored, registry_dir):
    from demo_models.iterations.registry import load_iteration
    from demo_models.iterations.scoring import ScoredIteration

    fraud = ScoredIteration(load_iteration("fraud", "v2", registry_dir))
    found = explain_dependence(fraud, "amount")
    notes = dependence_notes(found, fraud.use_case)
    assert notes[0].startswith("v2: partial dependence averaged over 1,000 of 20,000 transactions (a seeded sample")
    assert "SHAP points of 5,000 of the 20,000" in notes[0]
    assert association_warnings(found, fraud.use_case) == []
    planted = replace(found, associations=(Association("distance_km", "Spearman", 0.82),))
    (warning,) = association_warnings(planted, fraud.use_case)
    assert "Amount is strongly associated with distance from home (Spearman 0.82)" in warning


def test_category_text_from_the_data_is_escaped_in_the_figure(scored):
    it = scored["v3"]
    found = explain_dependence(it, "checking_account")
    hostile = replace(found, grid=np.array(['<a href="x">low</a>', *found.grid[1:]], dtype=object))
    figure = build_dependence(hostile, it.use_case)
    assert figure.layout.xaxis2.categoryarray[0] == '&lt;a href="x"&gt;low&lt;/a&gt;'
