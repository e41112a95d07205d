"""AppTest of the Reviews page (pages/13_Reviews.py): blind first, who creates rounds, resume, results."""

from __future__ import annotations

from datetime import date, timedelta

from demo_models.formats import format_share
from demo_models.iterations.registry import load_iteration
from demo_models.presentation.glossary import find_term
from demo_models.vocabulary import get_use_case
from feedback.access import Actor, demo_subject
from feedback.rounds import Reviewer, ReviewRound, RoundCase, Verdict
from feedback.store.database import FeedbackStore
from feedback.store.rounds import create_round, list_rounds, my_queue, save_own_decision, save_verdict
from tests.app.apptest import open_app, tables_with

PAGE = "pages/13_Reviews.py"
ANN, BO = ("Ann Example", "risk"), ("Bo Builder", "business user")
DEE = Actor("Dee", "data scientist")
REVIEWERS = (
    Reviewer(demo_subject(ANN[0]), *ANN),
    Reviewer(demo_subject(BO[0]), *BO),
)


def _round(db, scored, cases: int = 10) -> tuple[FeedbackStore, int]:
    store = FeedbackStore(f"sqlite:///{db}")
    ids = list(scored["v3"].scores.index[:cases])
    draft = ReviewRound(
        "credit", "v3", "Round 1", "Reasons", date.today() + timedelta(days=3), REVIEWERS, cases, 2, 1, "", ""
    )
    round_, _ = create_round(
        store, draft, [RoundCase(0, c, "random", "sampled") for c in ids], DEE, known_iterations={"v1", "v2", "v3"}
    )
    return store, round_.id


def _texts(at) -> str:
    parts = [m.value for m in at.markdown] + [s.value for s in at.subheader] + [c.value for c in at.caption]
    return "\n".join(p.replace("\\", "") for p in parts)


def _submit(at, form: str):
    """Submit the page's form whose id starts with `form` ("own_" or "verdict_")."""
    [button] = [b for b in at.form_submit_button if b.form_id.startswith(form)]
    return button.click().run()


def _revealed(at) -> dict:
    """What of the model's answer the page shows: metric labels, waterfall charts, the reasons heading."""
    return {
        "metrics": [m.label for m in at.metric],
        "waterfalls": [el.key for el in at.get("plotly_chart") if (el.key or "").startswith("review_waterfall")],
        "why": [s.value for s in at.subheader if s.value.startswith("Principal reasons") or "what raised" in s.value],
    }


def test_blind_first_nothing_of_the_model_shows_before_the_own_decision_is_saved(app_env, scored):
    store, round_id = _round(app_env, scored)
    case = my_queue(store, round_id, Actor(*ANN))[0].case_id
    explanation = scored["v3"].explain_case(case)
    reasons = [r.text for r in explanation.reasons]
    at = open_app(PAGE, user=ANN)
    assert not at.exception
    assert _revealed(at) == {"metrics": [], "waterfalls": [], "why": []}
    text = _texts(at)
    assert reasons and not [r for r in reasons if r in text]
    assert f"Applicant {case}" in text or case in text
    at.radio(key=f"own_decision_{case}").set_value("approve")
    at.slider(key=f"own_confidence_{case}").set_value(4)
    _submit(at, "own_")
    assert not at.exception
    shown = _revealed(at)
    assert "Decision" in shown["metrics"] and any(label.startswith("Probability of") for label in shown["metrics"])
    assert shown["waterfalls"] == [f"review_waterfall_{case}"]
    expected = (
        "Principal reasons for “decline”"
        if explanation.decision == "decline"
        else "Approved — what raised the risk of default most"
    )
    assert [w.replace("\\", "") for w in shown["why"]] == [expected]  # the heading says the model's own decision
    text = _texts(at)
    assert all(r in text for r in reasons)
    assert "Your decision before the reveal: **approve** (confidence 4 of 5)." in "\n".join(m.value for m in at.info)


def test_a_verdict_is_saved_after_the_reveal_and_the_queue_moves_on(app_env, scored):
    store, round_id = _round(app_env, scored)
    queue = my_queue(store, round_id, Actor(*ANN))
    save_own_decision(store, round_id, queue[0].case_id, Actor(*ANN), "decline", 2, decisions=("approve", "decline"))
    at = open_app(PAGE, user=ANN)
    at.radio(key=f"verdict_verdict_{queue[0].case_id}").set_value("disagree")
    at.slider(key=f"verdict_clarity_{queue[0].case_id}").set_value(2)
    _submit(at, "verdict_")
    assert not at.exception
    answer = my_queue(store, round_id, Actor(*ANN))[0].answer
    assert (answer.own_decision, answer.verdict, answer.clarity) == ("decline", "disagree", 2)
    assert queue[1].case_id in _texts(at) and _revealed(at)["metrics"] == []  # the next case, blind again


def test_resume_lands_on_the_first_unanswered_case(app_env, scored):
    store, round_id = _round(app_env, scored)
    queue = my_queue(store, round_id, Actor(*BO))
    for item in queue[:2]:
        save_own_decision(store, round_id, item.case_id, Actor(*BO), "approve", 3, decisions=("approve", "decline"))
        save_verdict(store, round_id, item.case_id, Actor(*BO), Verdict("agree"))
    at = open_app(PAGE, user=BO)
    assert not at.exception
    assert [s.value for s in at.subheader if queue[2].case_id in s.value] == [f"Applicant {queue[2].case_id} · 3 of 10"]
    assert "2 of 10 answered" in [el.proto.text for el in at.get("progress")]
    at.button(key="my_previous").click().run()
    assert _revealed(at)["metrics"]  # the answered case before it shows the model's answer


def test_a_business_user_cannot_see_new_round_and_a_data_scientist_creates_one(app_env, scored):
    bo = open_app(PAGE, user=BO)
    assert not bo.exception
    assert "nr_name" not in [w.key for w in bo.text_input]
    assert "Rounds are created by: admin, data scientist." in _texts(bo)
    dee = open_app(PAGE, user=("Dee", "data scientist"))
    dee.text_input(key="nr_name").input("First round").run()
    dee.text_area(key="nr_purpose").input("Do the reasons make sense?").run()
    dee.text_area(key="nr_typed").input("Ann Example, risk\nBo Builder, business user").run()
    for strategy, quota in {"flips": 0, "borderline": 3, "costliest": 0, "flagged": 0, "random": 2}.items():
        dee.number_input(key=f"nr_q_{strategy}").set_value(quota).run()
    dee.number_input(key="nr_per").set_value(5).run()
    dee.button(key="nr_choose").click().run()
    assert not dee.exception
    [chosen] = tables_with(dee, "Strategy")
    assert list(chosen["Strategy"]) == ["borderline"] * 3 + ["random"] * 2 and chosen["Why"].str.len().min() > 0
    dee.button(key="nr_create").click().run()
    assert not dee.exception
    [created] = list_rounds(FeedbackStore(f"sqlite:///{app_env}"), "credit")
    assert (created.name, created.overlap, [p.name for p in created.reviewers]) == (
        "First round",
        2,
        ["Ann Example", "Bo Builder"],
    )


def test_results_show_agreement_only_once_the_creator_closes_the_round(app_env, scored, registry_dir):
    store, round_id = _round(app_env, scored, cases=4)
    model = scored["v3"].at_threshold(load_iteration("credit", "v3", registry_dir).card.threshold).decisions()
    ids = [item.case_id for item in my_queue(store, round_id, Actor(*ANN))]
    rate = sum(model[c] == "approve" for c in ids) / len(ids)  # both reviewers approve all 4 cases
    for who in (ANN, BO):
        for item in my_queue(store, round_id, Actor(*who)):
            save_own_decision(
                store, round_id, item.case_id, Actor(*who), "approve", 3, decisions=("approve", "decline")
            )
    at = open_app(PAGE, user=ANN)
    assert "Agreement is shown when the round closes" in "\n".join(i.value for i in at.info)
    assert "results_close" not in [b.key for b in at.button]
    dee = open_app(PAGE, user=("Dee", "data scientist"))
    dee.button(key="results_close").click().run()
    assert not dee.exception
    labels = [m.label for m in dee.metric]
    assert "Krippendorff's alpha" in labels and "Agreement with the model" in labels
    assert "every reviewer gave the same decision on every case" in _texts(dee)  # alpha undefined, not 0 or 1
    assert dict(zip(labels, (m.value for m in dee.metric)))["Krippendorff's alpha"] == "—"  # undefined, shown so
    assert dict(zip(labels, (m.value for m in dee.metric)))["Agreement with the model"] == format_share(rate)
    assert [label for label in labels if find_term(label, get_use_case("credit")) is None] == []  # in the glossary
    [by] = tables_with(dee, "Share (95% interval)")
    assert list(by[by["By"] == "Strategy"]["Blind decisions equal to the model's"]) == [f"{round(rate * 8)} of 8"]
    ann = open_app(PAGE, user=ANN)  # the round closed: Ann's queue shows the model's answers, without any form
    assert not ann.exception and [b.form_id for b in ann.form_submit_button] == ["app_report"]
    assert "This round is closed: answers can no longer be given or changed." in [i.value for i in ann.info]
    assert len(tables_with(ann, "Own decision")[0]) == 8  # everyone's answers now


def _closed_with_a_split(app_env, scored, splits: int = 1):
    """A 4-case round: both decide the first ones as v3 does; Ann and Bo split on the last (`splits`) ones."""
    store, round_id = _round(app_env, scored, cases=4)
    model = scored["v3"].decisions()
    ids = [item.case_id for item in my_queue(store, round_id, Actor(*ANN))]
    other = {"approve": "decline", "decline": "approve"}
    for who in (ANN, BO):
        for case in ids:
            own = other[model[case]] if (who == BO and case in ids[-splits:]) else model[case]
            save_own_decision(store, round_id, case, Actor(*who), own, 3, decisions=("approve", "decline"))
            save_verdict(store, round_id, case, Actor(*who), Verdict("agree" if own == model[case] else "disagree"))
    return store, round_id, ids, model


def test_closing_keeps_the_agreed_cases_and_a_split_is_adjudicated_into_an_expectation(app_env, scored):
    from feedback.store.expectations import list_adjudications, list_expectations

    store, round_id, ids, model = _closed_with_a_split(app_env, scored)
    dee = open_app(PAGE, user=("Dee", "data scientist"))
    assert "No expectation yet" in _texts(dee)
    dee.button(key="results_close").click().run()
    assert not dee.exception
    assert sorted(e.case_id for e in list_expectations(store, "credit")) == sorted(ids[:3])
    [queue] = tables_with(dee, "What the reviewers said")
    assert list(queue["Applicant"]) == [ids[-1]] and list(queue["Agreed outcome"]) == ["waiting"]
    assert list(queue["Why"]) == ["the reviewers split"]
    [table] = tables_with(dee, "Broken cases")
    assert table.set_index("Iteration").loc["v3", "Met"] == "3 of 3"

    ann = open_app(PAGE, user=ANN)  # a reviewer of the case: the role may adjudicate, the person may not
    assert not [f for f in ann.form_submit_button if f.form_id.startswith("adjudicate_")]
    assert "You reviewed the 1 case(s) waiting: someone who did not adjudicates them." in _texts(ann)

    bea = open_app(PAGE, user=("Bea Teller", "business user"))
    assert not [f for f in bea.form_submit_button if f.form_id.startswith("adjudicate_")]
    assert "1 case(s) wait for adjudication by: admin, data scientist, risk, compliance." in _texts(bea)

    cy = open_app(PAGE, user=("Cy Judge", "compliance"))
    decided = other = "approve" if model[ids[-1]] == "decline" else "decline"
    cy.selectbox(key="adj_case").select(ids[-1])
    cy.radio(key="adj_decision").set_value(decided)
    _submit(cy, "adjudicate_")  # without a reason: refused, nothing written
    assert "Say why" in "\n".join(e.value for e in cy.error) and list_adjudications(store, round_id) == []
    cy.text_area(key="adj_reason").input("The savings outweigh the short employment")
    _submit(cy, "adjudicate_")
    assert not cy.exception
    [saved] = list_adjudications(store, round_id)
    assert (saved.case_id, saved.decision, saved.adjudicator_name) == (ids[-1], other, "Cy Judge")
    [queue] = tables_with(cy, "What the reviewers said")
    assert list(queue["Agreed outcome"]) == [decided] and list(queue["By"]) == ["Cy Judge"]
    [table] = tables_with(cy, "Broken cases")
    row = table.set_index("Iteration").loc["v3"]
    assert (row["Met"], row["Broken"], row["Broken cases"]) == ("3 of 4", 1, ids[-1])  # v3 decides otherwise
    assert "Every case of this round is adjudicated" in _texts(cy)


def test_after_an_adjudication_the_form_starts_blank_for_the_next_case(app_env, scored):
    store, round_id, ids, model = _closed_with_a_split(app_env, scored, splits=2)
    open_app(PAGE, user=("Dee", "data scientist")).button(key="results_close").click().run()
    cy = open_app(PAGE, user=("Cy Judge", "compliance"))
    cy.selectbox(key="adj_case").select(ids[-1])
    cy.radio(key="adj_decision").set_value("approve")
    cy.text_area(key="adj_reason").input("The savings outweigh the short employment")
    _submit(cy, "adjudicate_")
    assert not cy.exception
    assert "adjudicated: approve" in "\n".join(s.value for s in cy.success)
    assert cy.selectbox(key="adj_case").value == ids[-2]  # the one still waiting
    assert (cy.radio(key="adj_decision").value, cy.text_area(key="adj_reason").value) == (None, "")
