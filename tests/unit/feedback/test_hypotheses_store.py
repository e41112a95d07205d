"""Stating a hypothesis (SQLite and PostgreSQL): who may (in the domain, by subject), what a claim may say, every
version kept (append-only) and the latest counting, and a schema 16 store upgraded to 17."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update

from feedback.access import AccessError, Actor, demo_subject
from feedback.hypotheses import Claim, HypothesisError, state_hypothesis
from feedback.store.database import FeedbackStore, StoreError
from feedback.store.hypotheses import current_hypotheses, hypothesis_history, save_hypothesis
from feedback.store.schema import HYPOTHESES, LATEST_VERSION, MIGRATIONS
from tests.helpers import CRITERION_SPECS

DEE, ADA = Actor("Dee", "data scientist"), Actor("Ada", "admin")
CLAIMS = (
    Claim("clarity", ">=", 4),
    Claim("agreement_with_model", ">=", 0.85),
    Claim("roc_auc", ">=", -0.01, versus_parent=True),
)
STATEMENT = "Monotone constraints make the explanations make sense"


def _save(store, actor=DEE, iteration="v3", statement=STATEMENT, claims=CLAIMS, parent="v2"):
    return save_hypothesis(store, actor, "credit", iteration, statement, claims, specs=CRITERION_SPECS, parent=parent)


def test_a_hypothesis_round_trips_with_its_claims_and_its_author(store):
    saved = _save(store, Actor("Dee ", "data scientist", "https://idp#dee"))
    assert saved.id > 0 and saved.created_at.tzinfo is not None
    assert (saved.author_subject, saved.author_name, saved.author_role) == ("https://idp#dee", "Dee", "data scientist")
    assert saved.claims == (
        Claim("clarity", ">=", 4.0),
        Claim("agreement_with_model", ">=", 0.85),
        Claim("roc_auc", ">=", -0.01, True),
    )
    assert hypothesis_history(store, "credit") == [saved] == hypothesis_history(store, "credit", "v3")
    assert current_hypotheses(store, "credit") == {"v3": saved} and current_hypotheses(store, "churn") == {}
    assert [c.describe(CRITERION_SPECS, saved.parent) for c in saved.claims] == [
        "Clarity of explanations >= 4",
        "Agreement with the model >= 0.85",
        "ROC AUC vs v2 >= -0.01",
    ]


def test_stating_it_again_is_a_new_version_and_the_latest_counts(store):
    first = _save(store)
    later = _save(store, ADA, statement="Clarity alone", claims=(Claim("clarity", ">=", 3.5),))
    other = _save(store, iteration="v2", parent="v1")
    assert hypothesis_history(store, "credit", "v3") == [first, later]
    assert current_hypotheses(store, "credit") == {"v3": later, "v2": other}
    assert later.author_subject == demo_subject("Ada")


@pytest.mark.parametrize("role", ["risk", "compliance", "business user"])
def test_only_a_data_scientist_or_an_admin_states_one_and_a_refusal_writes_nothing(store, role):
    with pytest.raises(AccessError, match=f"A {role} cannot state hypotheses; ask: admin, data scientist"):
        _save(store, Actor("Cy", role))
    with pytest.raises(AccessError):
        _save(store, Actor("", "data scientist"))  # unnamed
    assert hypothesis_history(store, "credit") == []


def test_a_demo_identity_cannot_restate_one_stated_under_login(store):
    _save(store, Actor("Dee", "data scientist", "https://idp#dee"))
    with pytest.raises(AccessError, match="demo-mode name is not authenticated"):
        _save(store, ADA)
    assert len(hypothesis_history(store, "credit")) == 1


@pytest.mark.parametrize(
    "claims, parent, message",
    [
        ((), "v2", "Add at least one measurable claim"),
        ((Claim("agreement_with_model", ">=", 0.85, True),), "v2", "judged by its interval"),
        ((Claim("roc_auc", ">=", -0.01, True),), None, "needs a parent iteration"),
        ((Claim("clarity", ">=", 6),), "v2", "must lie between 1 and 5"),
        ((Claim("agreement_with_model", ">=", 85),), "v2", "must lie between 0 and 1"),
        ((Claim("roc_auc", ">=", -2, True),), "v2", "A change of ROC AUC lies between −1 and 1"),
        ((Claim("dp_ratio", ">=", 0.8),), "v2", "name one"),
        ((Claim("shoe_size", ">=", 1),), "v2", "Unknown metric 'shoe_size'"),
        ((Claim("roc_auc", ">", 0.5),), "v2", "comparator must be one of"),
        ((Claim("roc_auc", ">=", 0.5),) * 11, "v2", "At most 10 claims"),
    ],
)
def test_a_claim_is_checked_against_the_catalogue(claims, parent, message):
    with pytest.raises(HypothesisError, match=message):
        state_hypothesis(DEE, "credit", "v3", STATEMENT, claims, specs=CRITERION_SPECS, parent=parent)


def test_a_statement_is_required():
    with pytest.raises(HypothesisError, match="Say what the iteration is meant to show"):
        state_hypothesis(DEE, "credit", "v3", "  ", CLAIMS, specs=CRITERION_SPECS, parent="v2")


def test_hypotheses_are_append_only(store):
    _save(store)
    for statement in (update(HYPOTHESES).values(statement="X"), delete(HYPOTHESES)):
        with pytest.raises(StoreError, match="append-only"):
            with store.transaction(write=True) as conn:
                conn.execute(statement)


def test_a_schema_16_store_is_upgraded_and_takes_hypotheses(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'v16.sqlite3'}"
    monkeypatch.setattr("feedback.store.database.MIGRATIONS", MIGRATIONS[:16])
    monkeypatch.setattr("feedback.store.database.LATEST_VERSION", 16)
    assert FeedbackStore(url).schema_version() == 16
    monkeypatch.undo()
    upgraded = FeedbackStore(url)
    assert upgraded.schema_version() == LATEST_VERSION == 17
    assert _save(upgraded).id == 1
