"""Every generated sentence reads right for any use case: every page is rendered for credit, fraud and brought
use cases whose positive class is an unusual word ("survived", "approved"), all the text they show is
collected (markdown, metrics, widgets and their options, tables, chart titles and axes, the feedback form),
and none of it may hold a broken grammar pattern: a class name used as a verb ("would genuine", "cases
that genuine get"), a doubled plural ("Surviveds", "flag as surviveds"), a wrong article, a raw column
name, scientific notation, or a credit-only code snippet."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from demo_models.iterations.registry import list_iterations, load_iteration, register_iteration
from demo_models.vocabulary import CREDIT, get_use_case
from feedback.goals import CostMatrix
from feedback.store.database import FeedbackStore
from feedback.store.goals import save_costs
from feedback.store.records import add_feedback
from pages._ui.navigation import PAGES
from tests.app.apptest import open_app, plotly_figures, select_row
from tests.helpers import make_draft

BROUGHT = {"titanic": "survived", "loans": "approved"}  # use case: its positive class
#: Article exceptions: words spelt with a vowel but said with a consonant, or the reverse.
ARTICLE_OK = re.compile(
    r"\b(?:a (?:one|uni|use|usu|euro|eu)|an (?:hour|honest|f1|roc|sql|skops|mlflow|rmse|shap|x\b))", re.I
)


def _make_passengers(rows: int = 400, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "sex": rng.choice(["female", "male"], rows),
            "passenger_class": rng.choice([1, 2, 3], rows),
            "age": rng.integers(1, 80, rows).astype(float),
            "fare": np.round(rng.gamma(2.0, 15.0, rows), 2),
        },
        index=pd.Index([f"P{i:04d}" for i in range(rows)], name="case_id"),
    )
    logit = (
        1.2 * (frame["sex"] == "female")
        - 0.7 * (frame["passenger_class"] - 2)
        - 0.02 * (frame["age"] - 30)
        + 0.01 * frame["fare"]
    )
    frame["outcome"] = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    return frame


@pytest.fixture(scope="module")
def brought_registry(registry_dir, tmp_path_factory):
    """The built-in registry plus two iterations each of use cases brought with an unusual positive class."""
    root = tmp_path_factory.mktemp("vocabulary") / "registry"
    shutil.copytree(registry_dir, root)
    data = _make_passengers()
    train, evaluation = data.iloc[:250], data.iloc[250:]
    features = ["sex", "passenger_class", "age", "fare"]
    for use_case, positive_class in BROUGHT.items():
        for version, c in (("v1", 0.1), ("v2", 10.0)):
            model = Pipeline(
                [
                    (
                        "prep",
                        ColumnTransformer(
                            [("cat", OneHotEncoder(handle_unknown="ignore"), ["sex"])], remainder="passthrough"
                        ),
                    ),
                    ("clf", LogisticRegression(C=c, max_iter=2000)),
                ]
            ).fit(train[features], train["outcome"])
            register_iteration(
                model,
                evaluation,
                use_case=use_case,
                version=version,
                target="outcome",
                author="Vocabulary test",
                positive_label=1,
                positive_class=positive_class,
                threshold=0.5,
                protected_attributes=["sex"],
                parent="v1" if version == "v2" else None,
                notes=f"Logistic regression, C={c}.",
                registry_dir=root,
            )
    return root


def _seed(db, use_case: str, registry_dir) -> None:
    """A cost matrix and a reviewer's disagreement on v1, so that costs and the fix rate are worded too."""
    store = FeedbackStore(f"sqlite:///{db}")
    iteration = load_iteration(use_case, "v1", registry_dir)
    case_id = iteration.eval_data.index[0]
    decision = get_use_case(use_case, iteration.card.positive_class).negative_decision
    add_feedback(
        store,
        make_draft(
            use_case=use_case,
            iteration="v1",
            case_id=case_id,
            decision=decision,
            reasons_shown=(),
            expected_outcome="positive",
        ),
        {"v1"},
    )
    column = "fare" if use_case in BROUGHT else "amount" if use_case == "fraud" else "credit_amount"
    save_costs(
        store,
        CostMatrix(use_case, 120, 800, "Ann Example", column, 0.5, {"credit": "DM", "fraud": "EUR"}.get(use_case, "")),
    )


def _strings(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return [str(value)]


def collect_texts(at) -> list[str]:
    """Every piece of text the page shows, as AppTest sees it."""
    texts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "info", "warning", "success", "error"):
        texts += [str(e.value) for e in at.get(kind)]
    for metric in at.metric:
        texts += [metric.label, str(metric.value)]
    for kind in (
        "selectbox",
        "radio",
        "multiselect",
        "select_slider",
        "slider",
        "number_input",
        "text_input",
        "text_area",
        "button",
        "checkbox",
        "toggle",
        "expander",
        "tab",
        "date_input",
    ):
        for widget in at.get(kind):
            texts += _strings(getattr(widget, "label", None))
            options = getattr(widget, "options", None)
            if options is not None:
                texts += _strings(list(options))
    for element in at.dataframe:
        frame = element.value
        texts += [str(c) for c in frame.columns] + [str(i) for i in frame.index[:200]]
        for column in frame.columns:
            if frame[column].dtype == object:
                texts += [str(v) for v in frame[column].head(200)]
    for figure in plotly_figures(at).values():
        layout = figure.layout
        texts += _strings(layout.title.text)
        for axis in ("xaxis", "yaxis", "xaxis2", "yaxis2"):
            if axis in layout:
                texts += _strings(layout[axis].title.text)
        for trace in figure.data:
            texts += _strings(getattr(trace, "name", None))
            y = getattr(trace, "y", None)
            if isinstance(y, tuple) and y and isinstance(y[0], str):
                texts += list(y)
    return [t.replace("\\", "") for t in texts if t]


def broken_phrases(text: str, use_case) -> list[str]:
    """The broken grammar patterns in a text, for the use case's class names and decisions."""
    words = use_case.words
    labels = {use_case.positive_outcome, use_case.negative_outcome.removeprefix("not ")}
    patterns = [
        r"\bwould (?:not )?[“\"]?(?:%s)\b" % "|".join(map(re.escape, labels)),  # a class name used as a verb
        r"\bthat [“\"]?(?:%s)[”\"]? get\b" % "|".join(map(re.escape, labels)),  # "cases that genuine get"
        r"\b\w+[^e\W]eds\b",  # a doubled plural of a past form: "Surviveds", "flaggeds"
        r"\b(?:positive_rate|negative_rate|roc_auc|actual positive rate)\b",  # raw column names
        r"\b\d(?:\.\d+)?e[+-]\d+\b",  # scientific notation
        r"\ba (?=[aeiou]\w)|\ban (?=[bcdfgjklmnpqrstvwxyz]\w)",  # a wrong article
        r"raised the risk\b|\briskier\b" if not words.risk.startswith("risk") else r"(?!x)x",  # "risk" of a non-risk
    ]
    if use_case.name != "credit":  # credit's class names are verbs ("repays" is right there)
        patterns.append(r"\b(?:%s)[”\"]?s\b" % "|".join(map(re.escape, labels)))  # "frauds", "survived”s"
    for decision in (use_case.positive_decision, use_case.negative_decision):
        if " " in decision or decision.endswith("s"):
            patterns.append(rf"\b{re.escape(decision)}s\b")  # "flag as surviveds", "passs"
    found = []
    for pattern in patterns:
        for match in re.finditer(pattern, text, flags=re.IGNORECASE):
            window = text[max(0, match.start() - 30) : match.end() + 30]
            if not ARTICLE_OK.search(text[match.start() : match.end() + 8]):
                found.append(f"{match.group(0)!r} in …{window}…")
    return found


def test_the_checker_finds_the_broken_sentences_of_the_issue():
    titanic, fraud = get_use_case("titanic", "survived"), get_use_case("fraud")
    assert broken_phrases("288 cases that would genuine get 'flag'", fraud)
    assert broken_phrases("cases that genuine get “flag”", fraud)
    assert broken_phrases("Surviveds caught (recall)", titanic)
    assert broken_phrases("Precision of flag as surviveds", titanic)
    assert broken_phrases("Pass — what raised the risk most", titanic)
    assert broken_phrases("positive_rate", fraud) and broken_phrases("p-value 8.23e-96", fraud)
    assert broken_phrases("a applicant", CREDIT) and broken_phrases("an transaction", fraud)
    assert not broken_phrases("288 genuine transactions get “flag” (false positives); an applicant who repays", fraud)
    assert not broken_phrases("“Survived” cases caught (recall); a “survived” case; an hour; a user", titanic)


def _render_every_page(at, use_case: str) -> dict[str, list[str]]:
    shown = {}
    for script, _, _ in PAGES:
        at.switch_page(script).run()
        assert not at.exception, (script, [e.value for e in at.exception])
        texts = collect_texts(at)
        if script == "pages/1_Explore.py":  # a case of each decision, with its reasons and the feedback form
            view = at.dataframe(key="cases").value
            for decision in view["Decision"].unique():
                select_row(at, "cases", int(np.flatnonzero(view["Decision"].to_numpy() == decision)[0]))
                assert not at.exception
                texts += collect_texts(at)
        if script == "pages/3_Compare.py" and at.dataframe(key="flip_cases") is not None:
            try:
                select_row(at, "flip_cases", 0)
                texts += collect_texts(at)
            except KeyError:
                pass
        if script == "pages/2_What_if.py":
            suggest = [b for b in at.button if b.key == "whatif_suggest"]
            if suggest:
                suggest[0].click().run()
                assert not at.exception
                texts += collect_texts(at)
        shown[script] = texts
    return shown


@pytest.mark.parametrize("use_case", ["credit", "fraud", *BROUGHT])
def test_every_generated_sentence_reads_right(app_env, brought_registry, monkeypatch, use_case):
    monkeypatch.setenv("INVOLVE_REGISTRY_DIR", str(brought_registry))
    _seed(app_env, use_case, brought_registry)
    card = load_iteration(use_case, "v2", brought_registry).card
    wording = get_use_case(use_case, card.positive_class)
    at = open_app(use_case=use_case)
    shown = _render_every_page(at, use_case)
    problems = {
        script: found
        for script, texts in shown.items()
        if (found := [p for t in texts for p in broken_phrases(t, wording)])
    }
    assert not problems, problems
    everything = "\n".join(t for texts in shown.values() for t in texts)
    assert len(everything) > 20_000  # the pages really were read
    words = wording.words
    for phrase in (words.positive_cases, words.positive_past, words.outcome):
        assert phrase.lower() in everything.lower(), phrase


@pytest.mark.parametrize("use_case", ["credit", "fraud", "titanic"])
def test_the_registration_snippet_is_built_from_the_use_cases_card(app_env, brought_registry, monkeypatch, use_case):
    monkeypatch.setenv("INVOLVE_REGISTRY_DIR", str(brought_registry))
    at = open_app("pages/4_Iterations.py", use_case=use_case)
    assert not at.exception
    cards = list_iterations(use_case, brought_registry)
    latest = cards[-1]
    code = at.code[0].value
    compile(code, "snippet", "exec")
    assert (
        f"use_case={use_case!r}" in code
        and f"version='v{len(cards) + 1}'" in code
        and f"parent={latest.version!r}" in code
    )
    assert f"target={latest.target!r}" in code and f"positive_class={latest.positive_class!r}" in code
    assert f"protected_attributes={list(latest.protected_attributes)!r}" in code
    if use_case == "fraud":
        assert "'sex'" not in code and "'age'" not in code  # the credit-only snippet of the issue
