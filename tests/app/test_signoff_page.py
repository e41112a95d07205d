"""AppTest of the Sign-off page (pages/5_Sign_off.py): who must sign, what they sign, withdrawal."""

import pytest

from demo_models.metrics.fairness import fairness_gaps
from feedback.access import Actor
from feedback.store.database import FeedbackStore
from feedback.store.expectations import retire_expectation, save_pinned
from feedback.store.goals import save_criterion
from feedback.store.lifecycle import change_lifecycle
from feedback.store.signoff import current_signoffs_of, list_signoffs, sign_off, withdraw_signoff
from tests.app.apptest import open_app, tables_with
from tests.helpers import CRITERION_SPECS, make_criterion, sign_off_for_promotion

PAGE = "pages/5_Sign_off.py"
RITA = ("Rita Risk", "risk")
DECISIONS = ("approve", "decline")


def _sign(at, comment="Checked the scorecard and the gaps."):
    at.text_area(key="signoff_comment").input(comment)
    [button] = [b for b in at.button if b.label.startswith("Sign off v3 as")]
    button.click().run()
    return at


def test_the_page_says_who_must_sign_and_refuses_other_roles(app_env):
    at = open_app(PAGE)  # a data scientist
    assert not at.exception
    assert at.warning[0].value == "v3 cannot go live yet: it needs the sign-off of **risk, compliance**."
    status = tables_with(at, "Signed by")[0]
    assert list(status["Role"]) == ["risk", "compliance"] and list(status["Signed by"]) == ["—", "—"]
    _sign(at)
    assert "A data scientist does not sign off this use case; it needs: risk, compliance" in at.error[0].value
    assert list_signoffs(FeedbackStore(f"sqlite:///{app_env}"), "credit") == []


def test_signing_stores_the_snapshot_shown(app_env, scored):
    at = _sign(open_app(PAGE, user=RITA))
    assert not at.exception
    assert at.success[0].value == "v3 signed off as risk."
    store = FeedbackStore(f"sqlite:///{app_env}")
    [signoff] = current_signoffs_of(store, "credit", "v3")
    assert (signoff.signer_name, signoff.comment) == ("Rita Risk", "Checked the scorecard and the gaps.")
    v3 = scored["v3"]
    assert signoff.snapshot.threshold == pytest.approx(v3.threshold)
    for attribute in v3.card.protected_attributes:
        assert signoff.snapshot.fairness_gaps[attribute] == pytest.approx(fairness_gaps(v3, attribute))
    status = tables_with(at, "Signed by")[0]
    assert list(status["Signed by"]) == ["Rita Risk", "—"]
    assert at.warning[0].value == "v3 cannot go live yet: it needs the sign-off of **compliance**."
    now, signed = tables_with(at, "Disparate impact ratio")  # the snapshot shown now, and in the history
    ratio = signoff.snapshot.fairness_gaps["sex"]["dp_ratio"]
    assert (
        now.loc["Sex", "Disparate impact ratio"] == signed.loc["Sex", "Disparate impact ratio"] == pytest.approx(ratio)
    )


def test_a_failing_criterion_must_be_acknowledged(app_env):
    save_criterion(
        FeedbackStore(f"sqlite:///{app_env}"), make_criterion(metric="recall", target=0.99), specs=CRITERION_SPECS
    )
    at = open_app(PAGE, user=RITA)
    assert tables_with(at, "Result")[0].iloc[0]["Result"].startswith("FAIL")
    _sign(at)
    assert "acknowledge each of them to sign off anyway: Recall >= 0.99" in at.error[0].value
    at.checkbox(key="signoff_ack_0").check()
    _sign(at, comment="Recall target is for v4; accepted for the pilot.")
    assert at.success[0].value == "v3 signed off as risk."
    [signoff] = current_signoffs_of(FeedbackStore(f"sqlite:///{app_env}"), "credit", "v3")
    assert signoff.acknowledged == ("Recall >= 0.99",)
    assert signoff.snapshot.scorecard[0].passed is False


def test_a_signoff_is_withdrawn_before_promotion(app_env):
    at = _sign(open_app(PAGE, user=RITA))
    at.text_area(key="withdraw_reason").input("The July data changed the picture.")
    [button] = [b for b in at.button if b.label == "Withdraw"]
    button.click().run()
    assert at.success[0].value == "Sign-off #1 of v3 withdrawn."
    assert current_signoffs_of(FeedbackStore(f"sqlite:///{app_env}"), "credit", "v3") == []
    assert any("withdrew sign-off #1" in m.value for m in at.markdown)


def test_a_live_iteration_shows_its_signoffs_as_history(app_env):
    store = FeedbackStore(f"sqlite:///{app_env}")
    sign_off_for_promotion(store, "v3")
    change_lifecycle(
        store,
        "credit",
        ["v1", "v2", "v3"],
        "v3",
        "live",
        Actor("Dana", "data scientist"),
        "goals met",
        migration_note="Fewer declines.",
        required_signoffs=("risk", "compliance"),
    )
    at = open_app(PAGE)
    assert not at.exception
    assert at.info[0].value.startswith("v3 is live: there is nothing to sign off.")
    titles = [e.label for e in at.expander]
    assert any("signed off as risk by Rita Risk" in t and "part of the record" in t for t in titles)
    assert not [b for b in at.button if b.label.startswith("Sign off")]


def test_the_page_without_a_store_says_so(app_env, monkeypatch, tmp_path):
    bad = tmp_path / "not-a-db.sqlite3"
    bad.write_bytes(b"this is not a database" * 100)
    monkeypatch.setenv("INVOLVE_DB_URL", f"sqlite:///{bad}")
    at = open_app(PAGE)
    assert not at.exception
    assert any("Sign-offs are unavailable" in e.value for e in at.error)


def test_once_every_role_signed_the_form_gives_way_to_withdrawal(app_env):
    sign_off_for_promotion(FeedbackStore(f"sqlite:///{app_env}"), "v3")
    at = open_app(PAGE, user=RITA)
    assert at.success[0].value.startswith("v3 is signed off by every required role")
    assert not [b for b in at.button if b.label.startswith("Sign off")]
    assert at.selectbox(key="withdraw_id").options == ["#1 · risk · Rita Risk", "#2 · compliance · Cora Compliance"]


def test_in_demo_mode_nobody_withdraws_a_signoff_made_under_login(app_env):
    store = FeedbackStore(f"sqlite:///{app_env}")
    sign_off_for_promotion(store, "v3")  # demo identities
    [rita, cora] = current_signoffs_of(store, "credit", "v3")
    store_login = Actor("Rita Risk", "risk", "https://login.example|rita")
    withdraw_signoff(store, "credit", "v3", rita.id, Actor("Rita Risk", "risk"), "re-sign under login")
    login = sign_off(
        store,
        "credit",
        ["v1", "v2", "v3"],
        "v3",
        store_login,
        "ok",
        rita.snapshot,
        required_signoffs=("risk", "compliance"),
    )
    at = open_app(PAGE, user=("rita risk", "admin"))  # demo mode: the same name, any role
    assert any("not authenticated" in w.value for w in at.sidebar.warning)
    assert at.selectbox(key="withdraw_id").options == [
        f"#{cora.id} · compliance · Cora Compliance",
        f"#{login.id} · risk · Rita Risk",
    ]
    at.selectbox(key="withdraw_id").set_value(login.id)
    at.text_area(key="withdraw_reason").input("I am Rita, trust me.")
    [button] = [b for b in at.button if b.label == "Withdraw"]
    button.click().run()
    assert not at.exception
    assert any("signed-in person" in e.value and "cannot act on it" in e.value for e in at.error)
    assert {s.id for s in current_signoffs_of(store, "credit", "v3")} == {cora.id, login.id}


def test_the_snapshot_lists_each_expectation_with_its_source_and_the_retired_apart(app_env, scored):
    store, model = FeedbackStore(f"sqlite:///{app_env}"), scored["v3"].decisions()
    met, broken, gone = model.index[:3]
    other = {"approve": "decline", "decline": "approve"}
    name = "Cy <b>Judge</b>"
    for case, decision in ((met, model[met]), (broken, other[model[broken]]), (gone, model[gone])):
        kept = save_pinned(store, Actor(name, "risk"), "credit", case, "v3", decision, "r", decisions=DECISIONS)
    retire_expectation(store, kept.id, Actor("Dee", "data scientist"), "The file was wrong")
    at = _sign(open_app(PAGE, user=RITA))
    assert not at.exception
    shown = "**Expectations** (round agreements, adjudications, pins from Explore): 1 of 2 met; broken: "
    assert any(m.value.startswith(shown) and m.value.endswith("; 1 retired, not counted") for m in at.markdown)
    [signoff] = current_signoffs_of(store, "credit", "v3")
    lines, retired = signoff.snapshot.expectations["lines"], signoff.snapshot.expectations["retired"]
    assert [(x["Case"], x["Met"], x["Source"], x["By"]) for x in lines] == sorted(
        [(met, "met", "pinned from Explore", name), (broken, "broken", "pinned from Explore", name)]
    )
    assert [(x["Case"], x["Retired by"], x["Why retired"]) for x in retired] == [
        (gone, "Dee (data scientist)", "The file was wrong")
    ]
    now, signed = tables_with(at, "Met")  # the snapshot still to sign (compliance's) and the one in the history
    for table in (now, signed):
        assert list(table["By"]) == [name, name] and set(table["Source"]) == {"pinned from Explore"}
    assert [list(t["Applicant"]) for t in tables_with(at, "Why retired")] == [[gone], [gone]]
