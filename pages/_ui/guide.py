"""The in-app guide: "how to read this page" for every page, and the first-visit orientation text."""

from __future__ import annotations

import logging

import streamlit as st

log = logging.getLogger(__name__)

GUIDE_PAGE = "pages/12_Guide.py"

#: A first-visit orientation to the pages and the feedback loop (rendered by setup_page, dismissible).
ORIENTATION = """\
Involve shows each **iteration** (version) of a model to the people it serves while it is still being built,
and keeps what you say about it with the iteration, the case and the explanation you saw.

**The loop**
1. **Explore** what an iteration decides on real cases and why; try changes to a case on **What-if**.
2. **Say where it is wrong**: the feedback form under every case takes your verdict and comment.
3. The team **triages** it in the **Inbox**: accepted, rejected, duplicate, fixed in an iteration.
4. The **next iteration** fixes what was accepted.
5. **Compare** the two on the same cases: which decisions flip, for whom, and whether the cases you flagged are fixed.
6. The roles the use case names **sign off** on the **Sign-off** page, against the **Goals** agreed up front.
7. The iteration goes **live**; the **Notices** board tells you what changes for you.

**Also**: **Outcomes** (errors and what they cost), **Fairness** (groups compared), **Monitoring** (drift and
usage), **Iterations** (lifecycle and audit log). Every page has a short reading guide at the top, and the
**Guide** explains every number the app shows, with a worked example on the data.
"""

#: Page title (as passed to `setup_page`) -> how to read that page, one sentence a line.
PAGE_GUIDES: dict[str, str] = {
    "Home": "\n".join(
        (
            "What it answers: which model iteration you are looking at, what its score means, and how it does against "
            "the goals.",
            "Pick the use case and the iteration in the sidebar; your choice follows you to every page.",
            "The goal scorecard has one row per agreed criterion: pass, FAIL, or why there is no value yet.",
            "All iterations lists every version with its status (candidate, live, deprecated, retired), what changed "
            "and its feedback.",
            "Next: open Explore to see what the selected iteration decides on real cases.",
            "Feedback on a case goes through the form on Explore or What-if; problems with the app through the "
            "sidebar.",
        )
    ),
    "Explore": "\n".join(
        (
            "What it answers: what does this iteration decide for each case, and why?",
            "The table lists the evaluation cases: score (the model's probability of the bad outcome), decision and "
            "actual outcome.",
            "Filter or sort it and select a row to open a case.",
            "The waterfall shows how each input pushed the score up (red) or down (green), starting from the average "
            "case.",
            "The listed reasons are the inputs that pushed most towards the bad outcome; a protected attribute is "
            "never one.",
            "Next: if the decision or the reasons look wrong, say so in the feedback form below the case; it goes to "
            "the Inbox.",
        )
    ),
    "What-if": "\n".join(
        (
            "What it answers: what would the model decide if this case were different?",
            "Pick a case and change any input on the left: the new score, decision and waterfall appear next to the "
            "original.",
            "The smallest change that flips the decision is searched over the inputs a person could change, never "
            "protected ones.",
            "Next: if the model reacts in a way that makes no sense, send feedback below; your changes are kept with "
            "it.",
        )
    ),
    "Compare": "\n".join(
        (
            "What it answers: what changes between two iterations on the same cases, for whom, and was the flagged "
            "feedback fixed?",
            "Headline metrics: each iteration's value and the difference (after minus before); the scorecard judges "
            "both.",
            "What drives the scores: how much each input matters in each iteration, and how its rank moved.",
            "Decisions that flip: how many cases change decision each way, by group; select one to see both "
            "explanations.",
            "Feedback: verdicts per iteration, and how many cases reviewers flagged on the older one the newer one now "
            "gets right.",
        )
    ),
    "Iterations": "\n".join(
        (
            "What it answers: which iterations exist, which one is live, and who changed what, when and why.",
            "The timeline shows each iteration, newest first, with its status, what it was built on and its notes.",
            "The lifecycle runs candidate, live, deprecated, retired; at most one iteration is live at a time.",
            "Promotion needs a migration note (what changes for business users) and the sign-offs the use case "
            "requires.",
            "The audit log keeps every change and cannot be edited; the iteration report is one file for people "
            "without the app.",
        )
    ),
    "Sign-off": "\n".join(
        (
            "What it answers: may this iteration go live, and who has signed it off on what evidence?",
            "Promoting an iteration to live needs the sign-off of every role the use case names; the table shows who "
            "is missing.",
            "Each sign-off stores a snapshot of that moment: the goal scorecard, the fairness gaps and the open "
            "feedback.",
            "A criterion that is not met must be acknowledged explicitly before signing; say why in the comment.",
            "A sign-off can be withdrawn until the iteration is promoted; the history keeps every sign-off with its "
            "snapshot.",
        )
    ),
    "Goals": "\n".join(
        (
            "What it answers: what must the model achieve, agreed before any iteration is judged?",
            "The problem statement says what the model is for, who uses its output in which decision, and what it "
            "promises.",
            "Each success criterion is a metric (the Guide explains each), a comparison, a target, an owner and a date "
            "agreed.",
            "The scorecard judges every iteration against every criterion: pass, FAIL, or why it has no value yet.",
            "Criteria also feed the scorecards on Home, Compare and Sign-off; every edit is kept with who and when.",
        )
    ),
    "Outcomes": "\n".join(
        (
            "What it answers: which errors does the iteration make at a threshold, and what do they cost the business?",
            "Move the threshold to see the rates, the decisions-against-outcomes table and the curves change.",
            "In the table, rows are what actually happened and columns what the model decided; off the diagonal are "
            "the errors.",
            "The business sets what each kind of error costs; the page then finds the threshold with the lowest "
            "expected cost.",
            "Calibration shows whether a score of 30 % means 30 %; Where it is wrong lists the groups of cases, in "
            "plain conditions, where the errors concentrate.",
            "Saving an operating threshold changes the decisions on every page and is recorded; Speed shows how fast a "
            "decision is.",
            "How each input moves the score: pick an input to see its SHAP contributions and the average score as it "
            "sweeps its values (partial dependence), beside another iteration's if you like.",
        )
    ),
    "Inbox": "\n".join(
        (
            "What it answers: what have reviewers said, and what has been done about it?",
            "The table lists every feedback entry with the decision and reasons shown at the time; use the filters and "
            "search.",
            "Triage one or many entries: new, triaged, then accepted, rejected or duplicate, and finally fixed in an "
            "iteration.",
            "The summary shows verdicts and topics per iteration, the share of disagreement per week and inputs named "
            "in comments.",
            "Next: accepted entries go into the next iteration, and Compare shows whether it fixed them.",
        )
    ),
    "Fairness": "\n".join(
        (
            "What it answers: does the iteration treat groups (such as sex or age band) differently?",
            "Group by group shows each group's rates at the threshold; groups under 30 cases are uncertain.",
            "Gaps between groups gives each gap metric with a 95% interval (how large it may be) and the chance of a "
            "gap this large among random groups of the same sizes (whether it may be noise).",
            "A ratio of favourable decisions under 0.8 fails the four-fifths screen, a warning sign rather than a "
            "verdict.",
            "Next: a gap that matters is feedback too; flag a case from Explore as a fairness concern.",
        )
    ),
    "Monitoring": "\n".join(
        (
            "What it answers: has the data changed since the iteration learnt from it, does it still perform, how is "
            "the app used?",
            "Data drift gives each input's PSI for the chosen month against the training months: under 0.1 stable, "
            "over 0.25 act.",
            "Month by month shows drift as a heatmap, performance where outcomes are known, and what drives the scores "
            "over time.",
            "How the app is used counts page views, explanations viewed and feedback, and how fast explanations came.",
            "Next: an input to act on is a reason for a new iteration; tell the team through the Inbox.",
        )
    ),
    "Notices": "\n".join(
        (
            "What it answers: what has changed or will change, and what does it mean for you?",
            "The board lists every announcement: a new live iteration and what changes for you, a planned deprecation "
            "or retirement.",
            "It also carries degraded service and notices from the team, each with its date and author.",
            "Each notice shows as a banner on every page until you dismiss it; dismissing is for you only, and the "
            "history stays here.",
            "Service status shows the latest health checks; those allowed can post a notice at the bottom.",
        )
    ),
    "Reviews": "\n".join(
        (
            "What it answers: do the people the model serves agree with its decisions, and with each other?",
            "A data scientist or admin creates a round: an iteration, the reviewers, cases per reviewer, and the "
            "overlap (each case seen by that many reviewers); the cases are chosen by strategy, each with why.",
            "My reviews is your queue: you first see only the case's inputs and record your own decision and "
            "confidence; then the model's score, decision and reasons are shown and you give your verdict.",
            "Your first decision is kept as it was; nobody sees the others' answers until the round closes.",
            "Round results: progress per reviewer; once closed, agreement between reviewers (Krippendorff's alpha, "
            "Fleiss' kappa) and with the model, with intervals.",
        )
    ),
    "Documents": "\n".join(
        (
            "What it answers: what does a declined applicant's notice say, and which documents were generated?",
            "The decision notice template is edited here by compliance (or an admin), with the notice of a sample "
            "declined case rendered beside it as you type; a template that fails or reaches outside the sandbox is "
            "refused with the reason and not saved.",
            "Every version is kept; the latest is in force, and each notice prints its version (Template v3).",
            "Generated documents: every notice downloaded from Explore or What-if and every batch written with "
            "`involve notices`, with who, when, which case(s), iteration, template version and reference(s).",
        )
    ),
    "Guide": "\n".join(
        (
            "What it answers: what does each number in the app mean?",
            "The orientation explains the pages and how your feedback leads to the next iteration.",
            "The glossary gives every metric: what it means, its formula, what a good value looks like, and a worked "
            "example.",
            "Worked examples use the iteration selected in the sidebar, on its evaluation cases at its current "
            "threshold.",
            "Search by a name or a word of the meaning, for example precision, approve rate or drift.",
        )
    ),
}


def render_page_guide(title: str) -> None:
    """The page's collapsed "How to read this page" section, with a link to the glossary."""
    text = PAGE_GUIDES.get(title)
    if text is None:
        log.warning("no page guide for %r", title)
        return
    with st.expander("How to read this page", icon=":material/help:"):
        for line in text.splitlines():
            st.text(line)  # plain text: the guide is prose, and it leaves the pages' markdown untouched
        st.page_link(GUIDE_PAGE, label="Glossary of every number", icon=":material/menu_book:")
