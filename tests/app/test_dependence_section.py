"""AppTest of "How each input moves the score" on the Outcomes page, for credit, fraud and a brought model."""

import shutil

import numpy as np
import pytest

from demo_models.explanations.dependence import explain_dependence
from demo_models.iterations.registry import load_iteration, register_iteration
from demo_models.iterations.scoring import ScoredIteration
from demo_models.vocabulary import get_use_case
from tests.app.apptest import decode, open_app, plotly_figures
from tests.helpers import fit_planted_model, planted_approvals

PAGE = "pages/7_Outcomes.py"


def _open(use_case: str):
    at = open_app(PAGE, use_case=use_case)
    assert not at.exception
    return at


def _traces(at) -> dict[str, dict]:
    return {trace["name"]: trace for trace in plotly_figures(at)["dependence"].to_plotly_json()["data"]}


def _version(at) -> str:
    return at.slider[0].key.rsplit("_", 1)[-1]  # the Outcomes threshold slider is keyed by use case and version


@pytest.mark.parametrize(("use_case", "column"), [("credit", "duration"), ("fraud", "amount")])
def test_the_section_draws_the_partial_dependence_of_the_chosen_input(app_env, registry_dir, use_case, column):
    at = _open(use_case)
    at.selectbox(key=f"dependence_input_{use_case}").set_value(column).run()
    assert not at.exception
    version = _version(at)
    expected = explain_dependence(ScoredIteration(load_iteration(use_case, version, registry_dir)), column)
    traces = _traces(at)
    drawn = traces[f"partial dependence ({version})"]
    assert np.allclose(np.asarray(decode(drawn["y"]), dtype=float), expected.average)
    assert np.allclose(np.asarray(decode(drawn["x"]), dtype=float), expected.grid)
    assert any("partial dependence averaged over" in c.value for c in at.caption)


@pytest.mark.parametrize("use_case", ["credit", "fraud"])
def test_choosing_another_input_changes_the_figure(app_env, use_case):
    at = _open(use_case)
    picker = at.selectbox(key=f"dependence_input_{use_case}")
    first, before = picker.value, _traces(at)
    picker.select_index(1).run()
    assert not at.exception
    chosen = at.selectbox(key=f"dependence_input_{use_case}").value
    assert chosen != first
    assert _traces(at) != before
    assert plotly_figures(at)["dependence"].layout.xaxis.title.text == get_use_case(use_case).label(chosen)


@pytest.mark.parametrize("use_case", ["credit", "fraud"])
def test_another_iteration_can_be_overlaid(app_env, registry_dir, use_case):
    at = _open(use_case)
    overlay = at.selectbox(key=f"dependence_other_{use_case}")
    assert overlay.value == "(none)" and len(overlay.options) >= 2
    other = overlay.options[1]
    overlay.set_value(other).run()
    assert not at.exception
    column = at.selectbox(key=f"dependence_input_{use_case}").value
    expected = explain_dependence(ScoredIteration(load_iteration(use_case, other, registry_dir)), column)
    traces = _traces(at)
    assert np.allclose(np.asarray(decode(traces[f"partial dependence ({other})"]["y"]), dtype=float), expected.average)
    assert any(c.value.startswith(f"{other}: partial dependence averaged") for c in at.caption)


@pytest.fixture(scope="module")
def planted_registry(registry_dir, tmp_path_factory):
    """The built-ins and a brought use case with missing values, categories and a planted correlated pair
    (income and savings): v1 and v2, and v3 whose tenure is one value for every case."""
    root = tmp_path_factory.mktemp("planted") / "registry"
    shutil.copytree(registry_dir, root)
    frame = planted_approvals()
    for version, strength in (("v1", 1.0), ("v2", 0.01)):
        register_iteration(
            fit_planted_model(frame, strength),
            frame.iloc[:600],
            use_case="loans",
            version=version,
            target="approved",
            author="Test",
            positive_class="approved",
            threshold=0.4,
            favourable="positive",
            registry_dir=root,
        )
    constant = frame.assign(tenure=5.0)
    register_iteration(
        fit_planted_model(constant),
        constant.iloc[:600],
        use_case="loans",
        version="v3",
        target="approved",
        author="Test",
        positive_class="approved",
        threshold=0.4,
        favourable="positive",
        registry_dir=root,
    )
    return root


def test_an_input_that_cannot_be_swept_gets_a_clear_message(app_env, planted_registry, monkeypatch):
    monkeypatch.setenv("INVOLVE_REGISTRY_DIR", str(planted_registry))
    at = open_app(PAGE, use_case="loans", iteration="v3")
    at.selectbox(key="dependence_input_loans").set_value("tenure").run()
    assert not at.exception
    assert "dependence" not in plotly_figures(at)
    (info,) = [i.value.replace("\\", "") for i in at.info if "cannot be swept" in i.value]
    assert "Tenure cannot be swept: in v3's evaluation cases, tenure has fewer than two distinct values" in info
    at.selectbox(key="dependence_input_loans").set_value("income").run()
    assert not at.exception and "dependence" in plotly_figures(at)


def test_a_brought_model_with_missing_values_shows_the_section_and_the_correlation_warning(
    app_env, planted_registry, monkeypatch
):
    monkeypatch.setenv("INVOLVE_REGISTRY_DIR", str(planted_registry))
    at = open_app(PAGE, use_case="loans", iteration="v2")
    assert not at.exception
    at.selectbox(key="dependence_input_loans").set_value("income").run()
    at.selectbox(key="dependence_other_loans").set_value("v1").run()
    assert not at.exception
    traces = _traces(at)
    for version in ("v1", "v2"):
        expected = explain_dependence(ScoredIteration(load_iteration("loans", version, planted_registry)), "income")
        drawn = np.asarray(decode(traces[f"partial dependence ({version})"]["y"]), dtype=float)
        assert np.allclose(drawn, expected.average)
    warnings = [w.value.replace("\\", "") for w in at.warning]
    assert any("Income is strongly associated with savings (Spearman" in w for w in warnings), warnings
    assert any("have no income" in c.value for c in at.caption)
    at.selectbox(key="dependence_input_loans").set_value("tenure").run()
    assert not any("strongly associated" in w.value for w in at.warning)
