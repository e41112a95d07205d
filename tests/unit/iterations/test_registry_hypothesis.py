"""`register_iteration(..., hypothesis=...)`: the hypothesis is checked before anything is written, saved in the
store once the iteration is registered, by the same domain call as the Iterations page."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from demo_models.iterations.registry import RegistryError, list_iterations, register_iteration
from feedback.access import Actor, demo_subject
from feedback.hypotheses import Claim, HypothesisDraft
from feedback.store.database import FeedbackStore
from feedback.store.hypotheses import current_hypotheses

CLAIMS = (Claim("roc_auc", ">=", -0.01, versus_parent=True), Claim("agreement_with_model", ">=", 0.85))


@pytest.fixture
def frame():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"income": rng.normal(50, 10, 120), "debt": rng.normal(10, 3, 120)})
    X["bad"] = (X["debt"] * 3 - X["income"] + rng.normal(0, 5, 120) > -20).astype(int)
    return X


def _register(frame, root, version, **changes):
    model = LogisticRegression().fit(frame[["income", "debt"]], frame["bad"])
    args = dict(use_case="loans", version=version, target="bad", author="Dana", registry_dir=root)
    return register_iteration(model, frame, **(args | changes))


def test_a_hypothesis_given_at_registration_is_saved_with_its_author(frame, tmp_path):
    store = FeedbackStore(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    _register(frame, tmp_path, "v1")
    draft = HypothesisDraft("Debt matters more than income", CLAIMS, Actor("Dana", "data scientist"))
    card = _register(frame, tmp_path, "v2", parent="v1", hypothesis=draft, store=store)
    stated = current_hypotheses(store, "loans")["v2"]
    assert (stated.iteration, stated.parent, stated.claims, stated.author_subject) == (
        card.version,
        "v1",
        (Claim("roc_auc", ">=", -0.01, True), Claim("agreement_with_model", ">=", 0.85)),
        demo_subject("Dana"),
    )


@pytest.mark.parametrize(
    "draft, message",
    [
        (HypothesisDraft("Better", CLAIMS, Actor("Cy", "risk")), "A risk cannot state hypotheses"),
        (
            HypothesisDraft("Better", (CLAIMS[0],), Actor("Dana", "data scientist")),
            "“ROC AUC vs parent” needs a parent iteration",
        ),
    ],
)
def test_a_refused_hypothesis_refuses_the_registration_before_anything_is_written(frame, tmp_path, draft, message):
    store = FeedbackStore(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    with pytest.raises(RegistryError, match=f"The hypothesis cannot be stated: {message}"):
        _register(frame, tmp_path, "v1", hypothesis=draft, store=store)
    assert list_iterations("loans", tmp_path) == [] and current_hypotheses(store, "loans") == {}
