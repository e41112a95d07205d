"""AppTest of hypotheses on the Iterations page: a data scientist states one from the form (claims from dropdowns),
and the timeline shows each claim's verdict — waiting for a round, then decided once a round has closed; a business
user gets no form. And a review-metric criterion on Sign-off, judged by its interval."""

from __future__ import annotations

from statsmodels.stats.proportion import proportion_confint

from feedback.store.database import FeedbackStore
from feedback.store.goals import save_criterion
from feedback.store.hypotheses import current_hypotheses
from pages._ui.text import plain
from tests.app.apptest import open_app, tables_with
from tests.helpers import CRITERION_SPECS, hold_round, make_criterion

PAGE = "pages/4_Iterations.py"
HOSTILE = "Monotone **bold** <b>tag</b>"


def _markdown(at) -> str:
    return "\n".join(m.value for m in [*at.markdown, *at.caption, *at.error, *at.success])


def _state(at):
    at.selectbox(key="hypothesis_version").set_value("v3")
    at.text_area(key="hypothesis_text").input(HOSTILE)
    for i, (metric, comparator, target, basis) in enumerate(
        [("agreement_with_model", ">=", 0.85, "absolute"), ("roc_auc", ">=", -0.5, "vs parent"), ("", ">=", 0, "")]
    ):
        if not metric:
            continue
        at.selectbox(key=f"hypothesis_metric_{i}").set_value(metric)
        at.selectbox(key=f"hypothesis_comparator_{i}").set_value(comparator)
        at.number_input(key=f"hypothesis_target_{i}").set_value(target)
        at.selectbox(key=f"hypothesis_basis_{i}").set_value(basis)
    [submit] = [b for b in at.form_submit_button if b.form_id == "hypothesis_form"]
    return submit.click().run()


def test_a_hypothesis_is_stated_on_the_page_and_judged_on_the_timeline(app_env, scored):
    at = open_app(PAGE, user=("Dana", "data scientist"))
    assert not at.exception
    assert "confirmed only when the interval's lower bound is at least 0.85" in _markdown(at)
    _state(at)
    assert not at.exception, [e.value for e in at.exception]
    store = FeedbackStore(f"sqlite:///{app_env}")
    stated = current_hypotheses(store, "credit")["v3"]
    assert (stated.statement, stated.author_name, stated.parent, len(stated.claims)) == (HOSTILE, "Dana", "v2", 2)
    shown = _markdown(at)
    assert "The hypothesis of v3 is stated, with 2 claims." in shown
    assert f"**Hypothesis** — {plain(HOSTILE)} (" in shown  # the statement escaped
    assert "1 of 2 claims confirmed, 1 waiting" in shown
    assert "waiting: Agreement with the model >= 0.85 — waiting for a round: no review round of v3" in shown
    assert "confirmed: ROC AUC vs v2 >= -0.5 —" in shown

    hold_round(store, scored["v3"], agreed=49, cases=50)  # 98%, its interval above 0.85: confirmed
    at = open_app(PAGE, user=("Dana", "data scientist"))
    shown = _markdown(at)
    assert "2 of 2 claims confirmed" in shown
    low, high = proportion_confint(49, 50, alpha=0.05, method="wilson")
    assert f"confirmed: Agreement with the model >= 0.85 — 0.98 (95% interval {low:.2f}–{high:.2f}); round #1" in shown


def test_a_refused_claim_is_said_and_nothing_is_kept(app_env):
    at = open_app(PAGE, user=("Dana", "data scientist"))
    at.text_area(key="hypothesis_text").input("Clarity")
    at.selectbox(key="hypothesis_metric_0").set_value("clarity")
    at.number_input(key="hypothesis_target_0").set_value(4.0)
    at.selectbox(key="hypothesis_basis_0").set_value("vs parent")
    [submit] = [b for b in at.form_submit_button if b.form_id == "hypothesis_form"]
    submit.click().run()
    assert "Not stated — Clarity of explanations is judged by its interval" in _markdown(at)
    assert current_hypotheses(FeedbackStore(f"sqlite:///{app_env}"), "credit") == {}


def test_a_business_user_reads_hypotheses_but_gets_no_form(app_env):
    at = open_app(PAGE, user=("Bea", "business user"))
    assert not at.exception
    assert not [b for b in at.form_submit_button if b.form_id == "hypothesis_form"]
    assert "As a business user, you can read the hypotheses on the timeline." in _markdown(at)


def test_a_review_criterion_on_sign_off_waits_for_a_round_then_passes_on_its_lower_bound(app_env, scored):
    store = FeedbackStore(f"sqlite:///{app_env}")
    save_criterion(store, make_criterion(metric="agreement_with_model", target=0.8), specs=CRITERION_SPECS)
    at = open_app("pages/5_Sign_off.py", user=("Rita Risk", "risk"))
    assert not at.exception
    result = tables_with(at, "Result")[0].iloc[0]
    assert (result["Criterion"], result["Result"]) == (
        "Agreement with the model >= 0.8",
        "no value: waiting for a round: no review round of v3 has been held yet",
    )
    hold_round(store, scored["v3"], agreed=45, cases=50)  # 90%: its interval 0.79–0.96 straddles 0.8
    low, high = proportion_confint(45, 50, alpha=0.05, method="wilson")
    at = open_app("pages/5_Sign_off.py", user=("Rita Risk", "risk"))
    assert tables_with(at, "Result")[0].iloc[0]["Result"] == (
        f"not yet decided (interval {low:.2f}–{high:.2f} straddles 0.8) · 0.9"
    )
    save_criterion(store, make_criterion(metric="agreement_with_model", target=0.75), specs=CRITERION_SPECS)
    at = open_app("pages/5_Sign_off.py", user=("Rita Risk", "risk"))
    results = tables_with(at, "Result")[0]
    assert results.iloc[1]["Result"] == f"pass · 0.9 (95% interval {low:.2f}–{high:.2f})"
