"""Which cases the demo reviewers give feedback on, what they say, and which entries a later
iteration fixed — chosen from the iterations' own decisions and explanations, deterministically.

A reviewer who disagrees expects the case's actual outcome; a comment states only facts of the
case (its inputs in business words) and the reviewer's view. An entry is "fixed by" a later
iteration only when that iteration decides the case as expected, no longer lets a protected
attribute drive it, or no longer explains a large amount as lowering the risk.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from demo_models.iterations.scoring import ScoredIteration
from feedback.access import Actor

#: one entry: case id, reviewer, verdict, the other fields of the feedback draft
Entry = tuple[str, Actor, str, dict]
LARGE_AMOUNT_DM = 7_000

DEMO_MARK = "(demo)"  # every demo person's name ends with it
MARA = Actor(f"Mara Lindqvist {DEMO_MARK}", "risk")
PRIYA = Actor(f"Priya Nair {DEMO_MARK}", "compliance")
TOMAS = Actor(f"Tomás Ruiz {DEMO_MARK}", "data scientist")
JONAS = Actor(f"Jonas Weber {DEMO_MARK}", "business user")
AYLIN = Actor(f"Aylin Demir {DEMO_MARK}", "business user")
SAM = Actor(f"Sam Okafor {DEMO_MARK}", "business user")
LEA = Actor(f"Lea Brandt {DEMO_MARK}", "business user")


@dataclass
class FeedbackPlan:
    """Entries per iteration and group, and which (group, index) a later iteration fixed."""

    v1: dict[str, list[Entry]] = field(default_factory=dict)
    v2: dict[str, list[Entry]] = field(default_factory=dict)
    v3: dict[str, list[Entry]] = field(default_factory=dict)
    fixed_by: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # fixing version -> entries


def facts(scored: ScoredIteration, case_id: str, columns: tuple[str, ...]) -> str:
    """Some inputs of a case in business words: "Credit amount 5,951 DM, Loan duration 48 months"."""
    values = scored.features.loc[case_id]
    use_case = scored.use_case
    return ", ".join(f"{use_case.label(c)} {use_case.describe_value(c, values[c])}" for c in columns)


def _outcome(scored: ScoredIteration) -> pd.Series:
    return pd.Series(scored.iteration.labels, index=scored.features.index).map({1: "positive", 0: "negative"})


def _decided(scored: ScoredIteration) -> pd.Series:
    return (scored.scores >= scored.threshold).map({True: "positive", False: "negative"})


def _disagree(scored: ScoredIteration, case_id: str, person: Actor, columns: tuple[str, ...], **extra) -> Entry:
    expected = _outcome(scored)[case_id]
    use_case = scored.use_case
    shown = scored.use_case.decision_for(float(scored.scores[case_id]), scored.threshold)
    wanted = use_case.positive_decision if expected == "positive" else use_case.negative_decision
    comment = f"{use_case.past(shown).capitalize()}, but I would {wanted}: {facts(scored, case_id, columns)}."
    fields = dict(expected_outcome=expected, categories=("wrong prediction",), severity="high", comment=comment)
    return case_id, person, "disagree", {**fields, **extra}


def credit_feedback(scored: dict[str, ScoredIteration]) -> FeedbackPlan:
    """Feedback on credit v1, v2 and v3 (about three dozen entries)."""
    aylin, jonas, mara, priya = AYLIN, JONAS, MARA, PRIYA
    s1, s2, s3 = scored["v1"], scored["v2"], scored["v3"]
    actual = _outcome(s2)
    d1, d2, d3 = _decided(s1), _decided(s2), _decided(s3)
    ids = sorted(actual.index)
    key = ("checking_account", "saving_accounts", "credit_amount", "duration")
    plan, fixed_v2, fixed_v1 = FeedbackPlan(), [], []
    officers = (jonas, aylin)

    drivers = [c for c in ids if s1.explain_case(c).protected_drivers][:3]
    plan.v1["fairness"] = []
    for i, case in enumerate(drivers):
        driver = s1.explain_case(case).protected_drivers[0]
        comment = (
            f"{driver.text} is among the strongest drivers of this decision. "
            "A protected attribute must not drive a credit decision."
        )
        plan.v1["fairness"].append(
            (case, priya, "unsure", dict(categories=("fairness concern",), severity="high", comment=comment))
        )
        if not s2.explain_case(case).protected_drivers:
            fixed_v1.append(("fairness", i))
    wrong_v1 = [c for c in ids if d1[c] != actual[c] and c not in drivers][:3]
    plan.v1["wrong"] = [_disagree(s1, c, officers[i % 2], key) for i, c in enumerate(wrong_v1)]
    fixed_v1 += [("wrong", i) for i, c in enumerate(wrong_v1) if d2[c] == actual[c]]

    shap2, shap3, amount = s2.iteration.shap_values, s3.iteration.shap_values, s2.features["credit_amount"]
    odd = [c for c in ids if amount[c] >= LARGE_AMOUNT_DM and shap2.loc[c, "credit_amount"] < 0][:4]
    plan.v2["amount"] = [
        (
            c,
            officers[i % 2],
            "unsure",
            dict(
                categories=("unclear explanation",),
                severity="medium",
                explanation_rating=2,
                comment="The explanation says the credit amount of "
                f"{s2.use_case.describe_value('credit_amount', amount[c])} "
                "lowers the risk. A larger loan should not make an applicant look safer; I cannot explain that to a "
                "customer.",
            ),
        )
        for i, c in enumerate(odd)
    ]
    fixed_v2 += [("amount", i) for i, c in enumerate(odd) if shap3.loc[c, "credit_amount"] >= 0]
    used = set(odd)
    better = [c for c in ids if d2[c] != actual[c] and d3[c] == actual[c] and c not in used][:5]
    plan.v2["fixed"] = [_disagree(s2, c, officers[i % 2], key) for i, c in enumerate(better)]
    fixed_v2 += [("fixed", i) for i in range(len(better))]
    used |= set(better)
    still = [c for c in ids if d2[c] != actual[c] and d3[c] != actual[c] and c not in used][:4]
    plan.v2["open"] = [_disagree(s2, c, (jonas, aylin, mara)[i % 3], key) for i, c in enumerate(still)]
    used |= set(still)
    right = [c for c in ids if d2[c] == actual[c] and c not in used]
    plan.v2["agree"] = [
        (
            c,
            (jonas, aylin, mara)[i % 3],
            "agree",
            dict(
                expected_outcome=actual[c],
                explanation_rating=4 + i % 2,
                severity="low",
                comment="Matches my own assessment." if i % 3 == 0 else "",
            ),
        )
        for i, c in enumerate(right[:8])
    ]
    plan.v2["missing"] = [
        (
            right[8],
            jonas,
            "unsure",
            dict(
                categories=("missing factor",),
                comment=(
                    "Employment length is not among the inputs; for a first loan it matters more than the job category."
                ),
            ),
        ),
        (
            right[9],
            aylin,
            "unsure",
            dict(
                categories=("missing factor",),
                comment=("How long the applicant has been employed should count; it is not in the application data."),
            ),
        ),
        (
            right[10],
            mara,
            "unsure",
            dict(
                categories=("missing factor",),
                comment=(
                    "Savings show only as a band "
                    f"({s2.use_case.describe_value('saving_accounts', s2.features.loc[right[10], 'saving_accounts'])})"
                    "; "
                    "the trend of the savings would tell more."
                ),
            ),
        ),
    ]
    plan.v3["agree"] = [
        (c, mara, "agree", dict(expected_outcome=actual[c], explanation_rating=5, severity="low"))
        for c in [c for c in ids if d3[c] == actual[c]][:3]
    ]
    plan.v3["review"] = [
        (
            ids[0],
            priya,
            "unsure",
            dict(
                categories=("fairness concern",),
                severity="medium",
                comment="Reviewing the approval rates of the age bands before I sign v3 off.",
            ),
        ),
    ]
    plan.fixed_by = {"v1": fixed_v1, "v2": fixed_v2}
    return plan


def fraud_feedback(scored: dict[str, ScoredIteration]) -> FeedbackPlan:
    """Feedback on fraud v1 (after the drift) and v2 (about a dozen entries)."""
    lea, sam = LEA, SAM
    s1, s2 = scored["v1"], scored["v2"]
    actual, d1, d2 = _outcome(s1), _decided(s1), _decided(s2)
    late = s1.features["month"] >= "2025-07"
    key = ("amount", "channel", "hour", "card_age_months")
    analysts = (sam, lea)

    def pick(mask, n):
        return sorted(mask[mask].index)[:n]

    plan = FeedbackPlan()
    missed = pick(late & (actual == "positive") & (d1 == "negative") & (d2 == "positive"), 5)
    both = pick(late & (actual == "positive") & (d1 == "negative") & (d2 == "negative"), 2)
    false_flags = pick((actual == "negative") & (d1 == "positive") & (d2 == "negative"), 2)
    caught = pick((actual == "positive") & (d1 == "positive"), 2)
    plan.v1["missed"] = [_disagree(s1, c, analysts[i % 2], key) for i, c in enumerate(missed)]
    plan.v1["missed_both"] = [_disagree(s1, c, analysts[i % 2], key) for i, c in enumerate(both)]
    plan.v1["false_flags"] = [
        _disagree(s1, c, analysts[i % 2], key, severity="medium") for i, c in enumerate(false_flags)
    ]
    plan.v1["agree"] = [
        (c, analysts[i % 2], "agree", dict(expected_outcome="positive", explanation_rating=4, severity="low"))
        for i, c in enumerate(caught)
    ]
    plan.v2["agree"] = [
        (c, analysts[i % 2], "agree", dict(expected_outcome="positive", explanation_rating=4 + i % 2, severity="low"))
        for i, c in enumerate(pick((actual == "positive") & (d2 == "positive") & late, 3))
    ]
    plan.fixed_by = {
        "v1": [
            (group, i)
            for group, cases in (("missed", missed), ("false_flags", false_flags))
            for i, c in enumerate(cases)
            if d2[c] == actual[c]
        ]
    }
    return plan
