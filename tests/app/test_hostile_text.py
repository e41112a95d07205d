"""Hostile text on every page: data and user text (feedback, names, imported case ids, iteration
notes and author, goals, criteria, notices, sign-offs, triage notes, app reports, ?case= / ?iteration=
/ ?use_case=) is shown as written and never becomes a link, an image, HTML, emphasis, a colour
directive or math in any element's markdown (body, label, help, caption, expander and tab labels)."""

from __future__ import annotations

from datetime import date

import pytest

from demo_models.builtin.demo_history import Seeder
from demo_models.iterations.registry import load_iteration
from demo_models.iterations.scoring import ScoredIteration
from feedback.access import Actor, demo_subject
from feedback.announcements import NOTICE, Announcement
from feedback.app_reports import REPORT_KINDS, AppReport
from feedback.goals import GoalStatement
from feedback.rounds import Reviewer, ReviewRound, RoundCase, Verdict
from feedback.store.announcements import post_notice
from feedback.store.app_reports import report_problem
from feedback.store.database import FeedbackStore
from feedback.store.exchange import export_jsonl, import_jsonl
from feedback.store.goals import save_criterion, save_statement
from feedback.store.records import add_feedback, list_feedback
from feedback.store.rounds import create_round, save_own_decision, save_verdict
from feedback.store.triage import triage_feedback
from pages._ui.navigation import PAGES
from pages._ui.text import escape_markdown
from tests.app.apptest import DEFAULT_USER, open_app
from tests.helpers import (
    BUILTIN_VERSIONS,
    CRITERION_SPECS,
    HOSTILE,
    copy_registry_with_hostile_card,
    make_criterion,
    make_draft,
)

LINK, IMAGE, HTML, BOLD, DIRECTIVE, MATH, RLO = HOSTILE
EVERYTHING = "\n".join(HOSTILE)  # multi-line text keeps line breaks: one per line
#: What must never appear unescaped in an element's markdown (each comes only from the hostile text).
MARKUP = ("](https://evil", "![x]", "<img", "**bold**", ":red[", "$x^2$", "\u202e", "https://evil")

#: The markdown-carrying fields of Streamlit's element protos.
MARKDOWN_FIELDS = {"body", "label", "help", "caption", "title"}


def _strings(message, out: list[str]) -> list[str]:
    for field, value in message.ListFields():
        values = value if field.is_repeated else [value]
        for v in values:
            if field.type == field.TYPE_MESSAGE:
                _strings(v, out)
            elif field.type == field.TYPE_STRING and field.name in MARKDOWN_FIELDS:
                out.append(v)
    return out


def markdown_of(at) -> list[str]:
    """Every markdown string of the page's elements and blocks (plotly charts apart)."""
    found: list[str] = []

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None and getattr(node, "type", "") != "plotly_chart":
            _strings(proto, found)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


def unescaped_markup(text: str) -> list[str]:
    """The hostile fragments left in `text` once every escaped hostile string is taken out."""
    for value in sorted(HOSTILE + (EVERYTHING,), key=len, reverse=True):
        for shown in (escape_markdown(value), escape_markdown(repr(value))):
            text = text.replace(shown, "")
    return [m for m in MARKUP if m in text]


def _hostile_round(store: FeedbackStore, cases: list[str], versions: list[str]) -> None:
    """A review round with hostile name, purpose, reviewers and answers; the app's person is a reviewer."""
    reader = Reviewer(demo_subject(DEFAULT_USER[0]), *DEFAULT_USER)
    draft = ReviewRound(
        "credit",
        "v3",
        LINK,
        EVERYTHING,
        date.today(),
        (reader, Reviewer(demo_subject(HTML), HTML, "risk")),
        2,
        2,
        1,
        "",
        "",
    )
    round_, _ = create_round(
        store,
        draft,
        [RoundCase(0, c, "random", EVERYTHING) for c in cases],
        Actor(IMAGE, "data scientist"),
        known_iterations=versions,
    )
    save_own_decision(store, round_.id, cases[1], Actor(HTML, "risk"), "approve", 3, decisions=("approve", "decline"))
    save_verdict(store, round_.id, cases[1], Actor(HTML, "risk"), Verdict("agree", comment=EVERYTHING))
    save_own_decision(store, round_.id, cases[0], Actor(*DEFAULT_USER), "approve", 3, decisions=("approve", "decline"))


@pytest.fixture
def hostile_env(app_env, registry_dir, tmp_path, monkeypatch, scored):
    """A registry whose credit v3 has hostile notes and author, and a store with hostile text everywhere."""
    registry = copy_registry_with_hostile_card(registry_dir, tmp_path / "registry", EVERYTHING, LINK)
    monkeypatch.setenv("INVOLVE_REGISTRY_DIR", str(registry))

    store = FeedbackStore(f"sqlite:///{app_env}")
    versions = list(BUILTIN_VERSIONS)
    save_statement(store, GoalStatement("credit", EVERYTHING, LINK, IMAGE, HTML, "risk"))
    save_criterion(store, make_criterion(owner=LINK, author_name=BOLD), specs=CRITERION_SPECS)
    seeder = Seeder(store, "credit", {"v3": ScoredIteration(load_iteration("credit", "v3", registry))})
    case = scored["v3"].scores.index[0]
    given = seeder.give(
        "v3", str(case), Actor(LINK, "risk"), "disagree", {"comment": EVERYTHING, "expected_outcome": "negative"}
    )
    seeder.give("v3", str(case), Actor(HTML, "business user"), "unsure", {"comment": IMAGE})
    triage_feedback(store, [given], "accepted", Actor(IMAGE, "data scientist"), EVERYTHING, known_iterations=versions)
    seeder.sign_as("v3", Actor(HTML, "risk"), EVERYTHING)
    post_notice(
        store, Announcement(NOTICE, LINK, EVERYTHING, IMAGE, "risk", use_case="credit"), Actor(IMAGE, "risk"), versions
    )
    report_problem(store, AppReport("Home", REPORT_KINDS[0], EVERYTHING, HTML, "risk", "0.1.0"))
    _hostile_round(store, [str(c) for c in scored["v3"].scores.index[:2]], versions)

    other = FeedbackStore(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    add_feedback(other, make_draft(case_id=IMAGE, reviewer_name=DIRECTIVE, comment=MATH, decision=BOLD), set(versions))
    report = import_jsonl(
        store,
        export_jsonl(other, list_feedback(other, "credit")),
        {"credit": versions},
        Actor(MATH, "data scientist"),
        source_file=LINK,
    )
    assert report.added == 1, report.errors
    return store


@pytest.mark.parametrize("script", [script for script, _, _ in PAGES])
def test_no_page_turns_hostile_text_into_markup(hostile_env, script):
    at = open_app(None if script == "app.py" else script, iteration=LINK, case=IMAGE, use_case=HTML)
    assert not at.exception, at.exception
    texts = markdown_of(at)
    assert any(escape_markdown(LINK) in t for t in texts), "the hostile ?iteration= is not echoed (escaped)"
    at.query_params["iteration"] = "v3"  # then the hostile iteration's own page, with every store text
    at.query_params["case"] = IMAGE
    at.run()
    assert not at.exception, at.exception
    texts += markdown_of(at)
    leaks = {t: unescaped_markup(t) for t in texts if unescaped_markup(t)}
    assert not leaks, f"{script} renders hostile text as markup: {leaks}"
