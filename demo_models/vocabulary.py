"""Business vocabulary of each use case: what the score means, feature labels, value wording, and the
words every generated sentence is built from (`Vocabulary`, complete for any use case)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from demo_models import settings
from demo_models.formats import format_quantity

_VOWEL_SOUND = re.compile(r"^[“\"']?(?:[aeio]|u(?!ni|se|sa|su)|hour|honest)", re.IGNORECASE)


def pluralise(noun: str) -> str:
    """The plural of a noun, or of a phrase ending in its noun: "case" → "cases", "policy" → "policies"."""
    if not noun:
        return noun
    if re.search(r"[^aeiou]y$", noun):
        return noun[:-1] + "ies"
    if noun.endswith(("s", "x", "z", "ch", "sh")):
        return noun + "es"
    return noun + "s"


def capitalise(phrase: str) -> str:
    """The phrase with its first letter upper case (after an opening quote), the rest unchanged:
    "fraudulent transactions" → "Fraudulent transactions", "“survived” cases" → "“Survived” cases"."""
    for i, char in enumerate(phrase):
        if char.isalpha():
            return phrase[:i] + char.upper() + phrase[i + 1 :]
    return phrase


def with_article(phrase: str) -> str:
    """The phrase after "a" or "an": "an applicant", "a transaction", "a “survived” case"."""
    return f"{'an' if _VOWEL_SOUND.match(phrase) else 'a'} {phrase}"


def _past_of(decision: str) -> str:
    known = {"decline": "declined", "approve": "approved", "pass": "passed", "flag": "flagged", "stop": "stopped"}
    head, _, rest = decision.partition(" ")
    word = known.get(head, head + ("d" if head.endswith("e") else "ed"))
    return f"{word} {rest}".strip()


@dataclass(frozen=True)
class Vocabulary:
    """Every word a generated sentence takes from its use case, so that no sentence inflects a class
    name itself ("would genuine", "Surviveds"). Phrases are lower case; capitalise at the start."""

    case: str  # one case: "applicant"
    cases: str  # "applicants"
    outcome: str  # what the score is the probability of: "default", "fraud", "“survived”"
    positive_case: str  # a case whose actual outcome is positive: "defaulter"
    positive_cases: str  # "defaulters"
    negative_case: str  # "applicant who repays"
    negative_cases: str  # "applicants who repay"
    positive_state: str  # after "actually": "defaulted", "fraud", "“survived”"
    negative_state: str  # "repaid", "genuine", "not “survived”"
    positive_decision: str  # the decision at or above the threshold: "decline"
    negative_decision: str  # "approve"
    positive_past: str  # "declined"
    negative_past: str  # "approved"
    positive_decisions: str  # the decisions as a plural noun: "declines", "flags"
    negative_decisions: str  # "approvals", "passes"
    risk: str  # what a SHAP push towards the positive class raises: "risk of default"
    currency: str = ""  # the money the business counts in: "DM", "EUR"; "" when not known

    def decided(self, decision: str) -> str:
        """Cases that got the decision, as a plural noun phrase: "declined applicants", "transactions passed"."""
        return f"{self.cases} {self.past(decision)}"

    def past(self, decision: str) -> str:
        """A decision as a past participle: "declined", "flagged", "flagged as churn", "passed"."""
        if decision == self.positive_decision:
            return self.positive_past
        if decision == self.negative_decision:
            return self.negative_past
        return _past_of(decision)

    def count(self, number: int, singular: str | None = None, plural: str | None = None) -> str:
        """A count with its noun, thousands separated: "1 applicant", "1,288 applicants"."""
        singular = singular or self.case
        return f"{number:,} {singular if number == 1 else (plural or pluralise(singular))}"


def generic_vocabulary(positive_class: str, case_noun: str = "case") -> Vocabulary:
    """The vocabulary of a brought use case, from its card's name of the positive class ("survived",
    "churn", "approved"): the class is quoted as a label and never inflected or used as a verb."""
    label = " ".join(str(positive_class).replace("_", " ").split()) or "positive"
    quoted = f"“{label}”"
    cases = pluralise(case_noun)
    positive_decision = f"flag as {label}"
    return Vocabulary(
        case=case_noun,
        cases=cases,
        outcome=quoted,
        positive_case=f"{quoted} {case_noun}",
        positive_cases=f"{quoted} {cases}",
        negative_case=f"{case_noun} that is not {quoted}",
        negative_cases=f"{cases} that are not {quoted}",
        positive_state=quoted,
        negative_state=f"not {quoted}",
        positive_decision=positive_decision,
        negative_decision="pass",
        positive_past=_past_of(positive_decision),
        negative_past="passed",
        positive_decisions=f"flags as {label}",
        negative_decisions="passes",
        risk=f"probability of {quoted}",
    )


@dataclass(frozen=True)
class UseCase:
    """How a use case speaks to business users; unknown use cases get a plain generic one."""

    name: str
    title: str
    description: str
    positive_outcome: str  # what the positive class means, e.g. "default"
    negative_outcome: str  # e.g. "repay"
    positive_decision: str  # decision when score >= threshold, e.g. "decline"
    negative_decision: str  # e.g. "approve"
    case_noun: str = "case"
    feature_labels: Mapping[str, str] = field(default_factory=dict)
    value_labels: Mapping[str, Mapping[Any, str]] = field(default_factory=dict)
    units: Mapping[str, str] = field(default_factory=dict)
    key_columns: tuple[str, ...] = ()
    group_bands: Mapping[str, tuple[float, ...]] = field(default_factory=dict)  # cut points
    actionable: tuple[str, ...] = ()  # inputs a case can change (for counterfactuals)
    signoff_roles: tuple[str, ...] = ("business user",)  # who signs off before an iteration goes live
    favourable: str = "negative"  # which decision is the good one for the case: "negative" or "positive"
    vocabulary: Vocabulary | None = None  # None: derived from the outcome names (`generic_vocabulary`)

    @property
    def favourable_is_positive(self) -> bool:
        """Whether the positive decision (score at or above the threshold) is the favourable one."""
        return self.favourable == "positive"

    @property
    def favourable_decision(self) -> str:
        """The decision that is good for the case ("approve" for credit, "hire" for hiring)."""
        return self.positive_decision if self.favourable_is_positive else self.negative_decision

    @property
    def unfavourable_decision(self) -> str:
        """The other decision ("decline" for credit)."""
        return self.negative_decision if self.favourable_is_positive else self.positive_decision

    @property
    def favourable_outcome(self) -> str:
        """The actual outcome that deserved the favourable decision ("repay" for credit)."""
        return self.positive_outcome if self.favourable_is_positive else self.negative_outcome

    def __post_init__(self) -> None:
        if self.vocabulary is None:
            object.__setattr__(self, "vocabulary", generic_vocabulary(self.positive_outcome, self.case_noun))

    @property
    def words(self) -> Vocabulary:
        """The words generated sentences are built from."""
        return self.vocabulary  # type: ignore[return-value]

    def label(self, feature: str) -> str:
        """Business label of an input column ("Loan duration"), or the column humanised."""
        return self.feature_labels.get(feature, feature.replace("_", " ").capitalize())

    def describe_value(self, feature: str, value: Any) -> str:
        """A value in business words: "48 months", "5,951 DM", "low balance"."""
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return "missing"
        labels = self.value_labels.get(feature)
        if labels is not None and value in labels:
            return labels[value]
        if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
            return format_quantity(value, self.units.get(feature, ""))
        return str(value).replace("_", " ")

    def past(self, decision: str) -> str:
        """A decision as a past participle: "declined", "approved", "flagged as churn", "passed"."""
        return self.words.past(decision)

    def decision_for(self, score: float, threshold: float) -> str:
        """The decision shown for a score: the positive decision at or above the threshold."""
        return self.positive_decision if score >= threshold else self.negative_decision


CREDIT = UseCase(
    name="credit",
    title="Credit risk",
    description=(
        "Loan applications from the German Credit data. The model estimates the probability "
        "that an applicant defaults; applications at or above the iteration's threshold are "
        "declined."
    ),
    positive_outcome="default",
    negative_outcome="repay",
    positive_decision="decline",
    negative_decision="approve",
    case_noun="applicant",
    feature_labels={
        "checking_account": "Checking account",
        "saving_accounts": "Savings",
        "credit_amount": "Credit amount",
        "duration": "Loan duration",
        "purpose": "Purpose",
        "housing": "Housing",
        "job": "Job",
        "sex": "Sex",
        "age": "Age",
    },
    value_labels={
        "checking_account": {
            "little": "low balance",
            "moderate": "moderate balance",
            "quite rich": "high balance",
            "rich": "very high balance",
            "not_known": "no account on record",
        },
        "saving_accounts": {
            "little": "little",
            "moderate": "moderate",
            "quite rich": "substantial",
            "rich": "large",
            "not_known": "none on record",
        },
        "job": {
            0: "unskilled, non-resident",
            1: "unskilled, resident",
            2: "skilled",
            3: "highly skilled",
        },
        "housing": {"own": "owns home", "rent": "rents", "free": "lives rent-free"},
    },
    units={"credit_amount": "DM", "duration": "months", "age": "years"},
    key_columns=("credit_amount", "duration", "purpose", "checking_account", "saving_accounts"),
    group_bands={"age": (25, 40)},
    actionable=("credit_amount", "duration"),
    signoff_roles=("risk", "compliance"),
    vocabulary=Vocabulary(
        case="applicant",
        cases="applicants",
        outcome="default",
        positive_case="defaulter",
        positive_cases="defaulters",
        negative_case="applicant who repays",
        negative_cases="applicants who repay",
        positive_state="defaulted",
        negative_state="repaid",
        positive_decision="decline",
        negative_decision="approve",
        positive_past="declined",
        negative_past="approved",
        positive_decisions="declines",
        negative_decisions="approvals",
        risk="risk of default",
        currency="DM",
    ),
)

FRAUD = UseCase(
    name="fraud",
    title="Card fraud",
    description=(
        "Card transactions over a year (synthetic, seeded) with a holiday peak and, from July, a new "
        "card-not-present fraud pattern through a new payment channel. The model estimates the "
        "probability that a transaction is fraud; at or above the threshold it is flagged for review."
    ),
    positive_outcome="fraud",
    negative_outcome="genuine",
    positive_decision="flag",
    negative_decision="pass",
    case_noun="transaction",
    feature_labels={
        "amount": "Amount",
        "merchant_category": "Merchant category",
        "channel": "Channel",
        "hour": "Hour of day",
        "distance_km": "Distance from home",
        "card_age_months": "Card age",
        "country_match": "Country matches the card's",
        "txn_24h": "Transactions in the last 24 h",
        "customer_age_band": "Customer age band",
        "month": "Month",
    },
    value_labels={"country_match": {0: "no", 1: "yes"}},
    units={"amount": "EUR", "distance_km": "km", "card_age_months": "months"},
    key_columns=("month", "amount", "merchant_category", "channel", "hour"),
    signoff_roles=("risk", "compliance"),
    vocabulary=Vocabulary(
        case="transaction",
        cases="transactions",
        outcome="fraud",
        positive_case="fraudulent transaction",
        positive_cases="fraudulent transactions",
        negative_case="genuine transaction",
        negative_cases="genuine transactions",
        positive_state="fraud",
        negative_state="genuine",
        positive_decision="flag",
        negative_decision="pass",
        positive_past="flagged",
        negative_past="passed",
        positive_decisions="flags",
        negative_decisions="passes",
        risk="risk of fraud",
        currency="EUR",
    ),
)

USE_CASES: dict[str, UseCase] = {CREDIT.name: CREDIT, FRAUD.name: FRAUD}


def required_signoffs(use_case: UseCase) -> tuple[str, ...]:
    """The roles that must sign off an iteration of the use case before it goes live: the use
    case's own, unless INVOLVE_SIGNOFF_ROLES names it (ValueError if that setting is malformed)."""
    configured = settings.signoff_roles()
    return tuple(configured[use_case.name]) if use_case.name in configured else use_case.signoff_roles


def get_use_case(name: str, positive_outcome: str = "positive", favourable: str = "negative") -> UseCase:
    """The known use case of that name, or a generic one that speaks of the positive class and
    treats the `favourable` decision ("negative" or "positive") as the good one."""
    if name in USE_CASES:
        return USE_CASES[name]
    words = generic_vocabulary(positive_outcome)
    return UseCase(
        favourable=favourable,
        name=name,
        title=name.replace("_", " ").capitalize(),
        description=f"Cases of the '{name}' use case, scored for the {words.risk}.",
        positive_outcome=positive_outcome,
        negative_outcome=f"not {positive_outcome}",
        positive_decision=words.positive_decision,
        negative_decision=words.negative_decision,
        vocabulary=words,
    )
