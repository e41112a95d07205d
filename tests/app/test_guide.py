"""AppTest of the Guide page (pages/12_Guide.py), of "How to read this page" on every page, and that every
metric any page shows has a glossary entry."""

from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import confusion_matrix, precision_score, recall_score

from demo_models.iterations.registry import load_iteration
from demo_models.presentation.glossary import GLOSSARY, find_term, phrase_glossary
from demo_models.vocabulary import get_use_case
from feedback.goals import CostMatrix
from feedback.store.database import FeedbackStore
from feedback.store.goals import save_costs
from feedback.store.records import add_feedback
from pages._ui.guide import PAGE_GUIDES
from pages._ui.navigation import PAGES
from tests.app.apptest import open_app, select_row
from tests.helpers import make_draft

GUIDE = "pages/12_Guide.py"
APP_DIR = Path(__file__).resolve().parents[2]
#: Labels the pages show that are plain counts or identifiers, not metrics (find_term must know none of them).
NOT_METRICS = {
    "mean",  # the data explorer: an input's own statistics in each group (Outcomes), the data, not the model
    "median",
    "25th percentile",
    "75th percentile",
    "Evaluation cases",  # how many cases every iteration is shown on
    "Iterations",  # how many iterations the use case has
    "cases",  # how many cases are in a group (Fairness, Compare) or a month (Monitoring)
    "#",  # the number of a feedback entry (Inbox)
    "decisions with a known outcome",  # how many of a shadow sample's decisions are labelled (Monitoring)
    "Attempts",  # how many times a notification was tried (Notices' delivery log)
}
#: Columns of tables whose rows are metrics: they hold the value of the metric the row names.
VALUE_COLUMNS = {"value", "difference", "change"}


def guide_terms(at) -> list[str]:
    """Labels of the glossary's expanders (the page's own sections aside)."""
    return [
        e.label for e in at.main.expander if e.label != "How to read this page" and not e.label.startswith("Welcome")
    ]


def texts(at) -> str:
    return "\n".join(m.value.replace("\\", "") for m in at.markdown)


def test_the_guide_shows_every_term_with_meaning_formula_and_examples(app_env, scored):
    at = open_app(GUIDE)
    assert not at.exception
    assert at.title[0].value == "Guide"
    assert "**The loop**" in texts(at)
    credit = get_use_case("credit")
    assert guide_terms(at) == [t.name for t in phrase_glossary(credit)]
    assert "TP / (TP + FP)" in [c.value for c in at.code]
    v3 = scored["v3"]
    y, declined = v3.iteration.labels, (v3.scores >= 0.4).to_numpy().astype(int)
    tn, fp, fn, tp = confusion_matrix(y, declined).ravel()
    assert f"precision = {tp} / {tp + fp} = {precision_score(y, declined):.1%}" in texts(at)
    assert f"recall = {tp} / {tp + fn} = {recall_score(y, declined):.1%}" in texts(at)
    assert any("Set what each error costs on the Outcomes page" in c.value.replace("\\", "") for c in at.caption)


def test_search_filters_the_glossary_and_the_example_is_worked_on_the_picked_iteration(app_env, scored):
    at = open_app(GUIDE, iteration="v2")
    at.text_input(key="glossary_search").input("precision").run()
    assert not at.exception
    shown = guide_terms(at)
    assert shown[0] == "Precision" and "PSI (population stability index)" not in shown and len(shown) < 5
    v2 = scored["v2"]
    y, declined = v2.iteration.labels, (v2.scores >= v2.threshold).to_numpy().astype(int)
    tn, fp, fn, tp = confusion_matrix(y, declined).ravel()
    assert f"On v2 at threshold 40.0%: {tp + fp} of the 300 applicants were declined, {tp} of them" in texts(at)
    assert f"precision = {tp} / {tp + fp} = {precision_score(y, declined):.1%}" in texts(at)
    at.text_input(key="glossary_search").input("no such thing").run()
    assert not at.exception and guide_terms(at) == [] and "No term matches" in at.info[0].value


def test_cost_terms_are_worked_out_once_a_cost_matrix_is_agreed(app_env):
    save_costs(FeedbackStore(f"sqlite:///{app_env}"), CostMatrix("credit", 100, 500, "Ann", "credit_amount", 0.5, "DM"))
    at = open_app(GUIDE)
    at.text_input(key="glossary_search").input("cost-optimal").run()
    assert not at.exception
    assert "Cost-optimal threshold" in guide_terms(at)
    assert "of all" in texts(at) and "DM per 1,000 cases" in texts(at)


def test_the_guide_speaks_fraud_and_shows_drift_examples(app_env, registry_dir):
    at = open_app(GUIDE, use_case="fraud")
    assert not at.exception
    assert "Flag rate" in guide_terms(at) and "Recall (fraudulent transactions caught)" in guide_terms(at)
    fraud = load_iteration("fraud", "v2", registry_dir)
    assert at.session_state["iteration"] == "v2"
    assert f"of the {fraud.labels.sum():,} transactions with the outcome “fraud”" in texts(at)
    assert "2025-12 against 2025-01…2025-09" in texts(at)


def test_the_guide_works_without_the_store(app_env):
    app_env.write_bytes(b"not a database" * 100)
    at = open_app(GUIDE)
    assert not at.exception
    assert len(guide_terms(at)) == len(GLOSSARY)
    assert "No worked example: no cost matrix has been agreed" in "\n".join(
        c.value.replace("\\", "") for c in at.caption
    )


def test_every_page_has_a_guide():
    assert {label for _, label, _ in PAGES} <= set(PAGE_GUIDES)
    assert PAGES[-1] == ("pages/12_Guide.py", "Guide", ":material/menu_book:")
    for text in PAGE_GUIDES.values():
        assert 4 <= len(text.splitlines()) <= 8 and text.startswith("What it answers:")


def _seed(db: Path, use_case: str, registry_dir: Path) -> None:
    """Feedback that Compare and the Inbox count, and a cost matrix, so that their numbers are shown."""
    store = FeedbackStore(f"sqlite:///{db}")
    if use_case == "credit":
        add_feedback(store, make_draft(iteration="v2"), {"v2"})
        save_costs(store, CostMatrix("credit", 100, 500, "Ann", "credit_amount", 0.5, "DM"))
    else:
        case = load_iteration("fraud", "v1", registry_dir).features.index[0]
        add_feedback(
            store, make_draft(use_case="fraud", iteration="v1", case_id=case, decision="pass", reasons_shown=()), {"v1"}
        )
        save_costs(store, CostMatrix("fraud", 20, 50, "Ann", "amount", 1.0, "EUR"))


def _shown_labels(at) -> set[str]:
    """Labels of every metric, numeric table column (or metric row) and metric picker option on the page."""
    labels = {m.label for m in at.metric}
    for element in at.dataframe:
        frame = element.value
        if VALUE_COLUMNS & set(frame.columns) or frame.index.name == "metric":
            labels |= {str(i) for i in frame.index}
            continue
        labels |= {
            str(c)
            for c in frame.columns
            if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
        }
    for box in at.selectbox:
        if box.label == "Metric":
            labels |= set(box.options)
    return labels


@pytest.mark.parametrize("use_case", ["credit", "fraud"])
def test_every_metric_shown_on_any_page_is_in_the_glossary(app_env, registry_dir, use_case):
    _seed(app_env, use_case, registry_dir)
    at = open_app(use_case=use_case)
    wording = get_use_case(use_case)
    card = load_iteration(use_case, "v2", registry_dir).card
    inputs = {wording.label(c) for c in card.features}  # a case's own data (Explore's table), not metrics
    assert not [label for label in inputs | NOT_METRICS if find_term(label, wording)]
    unknown, seen = {}, set()
    for script, title, _ in PAGES:
        assert (APP_DIR / script).exists(), script
        at.switch_page(script).run()
        if script == "pages/1_Explore.py":
            select_row(at, "cases", 0)  # a case's metrics show once one is selected
        assert not at.exception, (script, [e.value for e in at.exception])
        assert "How to read this page" in [e.label for e in at.expander], script
        assert PAGE_GUIDES[title].splitlines()[0] in [t.value for t in at.text], script
        labels = _shown_labels(at) - NOT_METRICS - inputs
        seen |= labels
        missing = sorted(label for label in labels if find_term(label, wording) is None)
        if missing:
            unknown[script] = missing
    assert not unknown, unknown
    assert len(seen) > 40  # the pages really were read
