import json

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LinearRegression, LogisticRegression

from demo_models.builtin.german_credit import split_credit
from demo_models.builtin.training import CREDIT_ITERATIONS, fit_builtin
from demo_models.iterations.registry import (
    IterationCard,
    RegistryError,
    iteration_dir,
    list_iterations,
    list_use_cases,
    load_iteration,
    register_iteration,
)


@pytest.fixture
def frame():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"income": rng.normal(50, 10, 120), "debt": rng.normal(10, 3, 120)})
    X["bad"] = (X["debt"] * 3 - X["income"] + rng.normal(0, 5, 120) > -20).astype(int)
    return X


@pytest.fixture
def model(frame):
    return LogisticRegression().fit(frame[["income", "debt"]], frame["bad"])


def _register(model, frame, root, **changes):
    args = dict(use_case="loans", version="v1", target="bad", author="Dana", registry_dir=root)
    args.update(changes)
    return register_iteration(model, frame, **args)


def _leftovers(root):
    return [p.name for p in root.rglob("*") if p.name.startswith((".staging", ".trash"))]


def test_register_and_load_round_trip(model, frame, tmp_path):
    card = _register(model, frame, tmp_path, positive_class="bad loan", threshold=0.3, notes=" first ")
    assert card.features == ("income", "debt") and card.n_eval == 120 and card.notes == "first"
    assert card.model_type == "LogisticRegression" and card.explainer.startswith("linear SHAP")
    loaded = load_iteration("loans", "v1", tmp_path)
    assert loaded.card == card
    np.testing.assert_array_equal(
        loaded.model.predict_proba(frame[["income", "debt"]]), model.predict_proba(frame[["income", "debt"]])
    )
    assert list(loaded.eval_data.index[:2]) == ["case-1", "case-2"]
    assert loaded.labels.tolist() == frame["bad"].tolist()
    assert list_use_cases(tmp_path) == ["loans"]


def test_card_json_round_trip():
    card = IterationCard("c", "v9", "me", "2026-01-01T00:00:00+00:00", "t", 1, "p", 0.5, ("a", "b"), ("a",))
    assert IterationCard.from_json(card.to_json()) == card


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (dict(version="bad name!"), "version name"),
        (dict(use_case=""), "use case name"),
        (dict(author=" "), "author"),
        (dict(threshold=1.0), "strictly between 0 and 1"),
        (dict(target="missing"), "not in the evaluation data"),
        (dict(positive_label=7), "does not occur"),
        (dict(protected_attributes=["sex"]), "Protected attributes not in"),
        (dict(parent="v0"), "parent iteration loans/v0 does not exist"),
    ],
)
def test_refusals_say_why_and_leave_nothing_on_disk(model, frame, tmp_path, change, message):
    with pytest.raises(RegistryError, match=message):
        _register(model, frame, tmp_path, **change)
    assert not (tmp_path / "loans" / "v1").exists()
    assert _leftovers(tmp_path) == []


def test_a_target_that_is_not_binary_is_refused(model, frame, tmp_path):
    frame = frame.assign(bad=np.arange(len(frame)) % 3)
    with pytest.raises(RegistryError, match="exactly two outcomes"):
        _register(model, frame, tmp_path)


def test_a_model_without_predict_proba_is_refused(frame, tmp_path):
    regressor = LinearRegression().fit(frame[["income", "debt"]], frame["bad"])
    with pytest.raises(RegistryError, match="no predict_proba"):
        _register(regressor, frame, tmp_path)


def test_columns_the_model_cannot_take_are_refused(model, frame, tmp_path):
    with pytest.raises(RegistryError, match="cannot"):
        _register(model, frame.rename(columns={"debt": "liabilities"}), tmp_path)
    assert _leftovers(tmp_path) == [] and not (tmp_path / "loans" / "v1").exists()


def test_duplicate_case_ids_are_refused(model, frame, tmp_path):
    with pytest.raises(RegistryError, match="unique"):
        _register(model, frame.set_index(pd.Index(["x"] * len(frame))), tmp_path)


def test_an_existing_version_is_refused_unless_replaced(model, frame, tmp_path):
    _register(model, frame, tmp_path, notes="first")
    with pytest.raises(RegistryError, match="already exists"):
        _register(model, frame, tmp_path, notes="second")
    assert load_iteration("loans", "v1", tmp_path).card.notes == "first"
    _register(model, frame, tmp_path, notes="second", replace=True)
    assert load_iteration("loans", "v1", tmp_path).card.notes == "second"
    assert _leftovers(tmp_path) == []


class Sneaky(BaseEstimator, ClassifierMixin):
    """A type no allow-list knows: loading it must be refused."""


def test_a_model_file_with_untrusted_types_is_never_loaded(model, frame, tmp_path):
    _register(model, frame, tmp_path)
    sio.dump(Sneaky(), iteration_dir("loans", "v1", tmp_path) / "model.skops")
    with pytest.raises(RegistryError, match="does not trust"):
        load_iteration("loans", "v1", tmp_path)


def test_a_corrupt_model_file_gives_a_clear_error(model, frame, tmp_path):
    _register(model, frame, tmp_path)
    (iteration_dir("loans", "v1", tmp_path) / "model.skops").write_bytes(b"not a zip file")
    with pytest.raises(RegistryError, match="not a readable skops model"):
        load_iteration("loans", "v1", tmp_path)


def test_unknown_iterations_and_newer_formats_are_refused(model, frame, tmp_path):
    with pytest.raises(RegistryError, match="no iteration 'v7'"):
        load_iteration("loans", "v7", tmp_path)
    _register(model, frame, tmp_path)
    card_file = iteration_dir("loans", "v1", tmp_path) / "card.json"
    card_file.write_text(json.dumps({**json.loads(card_file.read_text()), "format_version": 99}))
    with pytest.raises(RegistryError, match="newer Involve"):
        load_iteration("loans", "v1", tmp_path)


def test_builtin_iterations_are_listed_in_order_with_lineage(registry_dir):
    cards = list_iterations("credit", registry_dir)
    assert [(c.version, c.parent) for c in cards] == [("v1", None), ("v2", "v1"), ("v3", "v2")]
    assert all(c.threshold == 0.4 and c.protected_attributes == ("sex", "age") for c in cards)
    assert all(c.target == "default" and c.positive_class == "default" and c.n_eval == 300 for c in cards)


def test_builtin_training_is_deterministic(scored):
    X = split_credit().eval
    for spec in CREDIT_ITERATIONS:
        refit = fit_builtin(spec)
        np.testing.assert_array_equal(refit.predict_proba(X)[:, 1], scored[spec.version].scores.to_numpy())


def _smallest_step(model, column, grid):
    X = split_credit().eval.iloc[:60]
    curves = np.array([model.predict_proba(X.assign(**{column: value}))[:, 1] for value in grid])
    return np.diff(curves, axis=0).min()


@pytest.mark.parametrize(
    ("column", "grid"),
    [("duration", np.arange(4, 73, 4)), ("credit_amount", np.linspace(250, 18000, 25))],
)
def test_v3_risk_never_falls_with_longer_duration_or_larger_amount_unlike_v2(scored, column, grid):
    assert _smallest_step(scored["v3"].iteration.model, column, grid) >= -1e-12
    assert _smallest_step(scored["v2"].iteration.model, column, grid) < -0.01


def test_v2_is_more_accurate_than_the_baseline(scored):
    from sklearn.metrics import roc_auc_score

    auc = {v: roc_auc_score(s.iteration.labels, s.scores) for v, s in scored.items()}
    assert auc["v2"] > auc["v1"]
