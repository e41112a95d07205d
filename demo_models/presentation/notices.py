"""Decision notices: for a case the iteration declines (or flags), the decision, the iteration that decided, a
reference, the principal reasons worded as standard statements, and what would change the decision."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone

import numpy as np
import pandas as pd

from demo_models.explanations.reasons import MAX_REASONS, Reason, rank_reasons
from demo_models.explanations.whatif import Counterfactual, find_counterfactuals, is_missing, missing_like
from demo_models.iterations.scoring import CaseExplanation, ScoredIteration

HIGH, LOW, MISSING = "high", "low", "missing"  # the levels of a number (against the median of the evaluation cases)

_PURPOSES = ("business", "car", "domestic appliances", "education", "furniture/equipment", "radio/TV", "repairs")
_CATEGORIES = ("grocery", "fuel", "restaurants", "electronics", "travel", "online services", "fashion")

#: The standard reason statements of the built-in use cases: (input, level) -> statement. A level is "high" or
#: "low" for a number (above / at or below the median of the evaluation cases), the value itself for a category.
DEFAULT_STATEMENTS: dict[str, dict[tuple[str, str], str]] = {
    "credit": {
        ("duration", HIGH): "Duration of the requested credit is long",
        ("duration", LOW): "Duration of the requested credit is short",
        ("credit_amount", HIGH): "Amount of credit requested is high",
        ("credit_amount", LOW): "Amount of credit requested is low",
        ("checking_account", "little"): "Balance of the checking account is low",
        ("checking_account", "moderate"): "Balance of the checking account is moderate",
        ("checking_account", "quite rich"): "Balance of the checking account is high",
        ("checking_account", "rich"): "Balance of the checking account is very high",
        ("checking_account", "not_known"): "No checking account on record",
        ("saving_accounts", "little"): "Savings are low",
        ("saving_accounts", "moderate"): "Savings are moderate",
        ("saving_accounts", "quite rich"): "Savings are substantial",
        ("saving_accounts", "rich"): "Savings are large",
        ("saving_accounts", "not_known"): "No savings on record",
        ("housing", "own"): "Applicant owns their home",
        ("housing", "rent"): "Applicant rents their home",
        ("housing", "free"): "Applicant lives rent-free",
        ("job", "0"): "Employment is unskilled, non-resident",
        ("job", "1"): "Employment is unskilled, resident",
        ("job", "2"): "Employment is skilled",
        ("job", "3"): "Employment is highly skilled",
        ("purpose", "vacation/others"): "Purpose of the credit is vacation or other",
        **{("purpose", p): f"Purpose of the credit is {p}" for p in _PURPOSES},
    },
    "fraud": {
        ("amount", HIGH): "Amount of the transaction is high",
        ("amount", LOW): "Amount of the transaction is low",
        ("hour", HIGH): "Transaction was made late in the day",
        ("hour", LOW): "Transaction was made at night or early in the day",
        ("distance_km", HIGH): "Transaction was made far from the cardholder's home",
        ("distance_km", LOW): "Transaction was made close to the cardholder's home",
        ("card_age_months", HIGH): "Card has been held for a long time",
        ("card_age_months", LOW): "Card was issued recently",
        ("country_match", "0"): "Country of the transaction differs from the card's",
        ("country_match", "1"): "Country of the transaction matches the card's",
        ("txn_24h", HIGH): "Many transactions on the card in the last 24 hours",
        ("txn_24h", LOW): "Few transactions on the card in the last 24 hours",
        **{("merchant_category", c): f"Merchant category is {c}" for c in _CATEGORIES},
        **{("channel", c): f"Payment channel is {c}" for c in ("chip", "contactless", "online", "in-app wallet")},
    },
}


class NoticeError(ValueError):
    """A notice that cannot be made (the case is not declined, the template is refused); the message says why."""


@dataclass(frozen=True)
class NoticeReason:
    """One principal reason of a notice: the input, its value in business words, and its standard statement."""

    feature: str
    label: str
    value: str
    level: str  # the key into the statement table with the feature: "high", "low", "missing" or the category
    contribution: float  # towards the decision given (log-odds or probability, as the explanation's scale)
    statement: str | None  # None: the table has no statement for it (reported, never printed raw)


@dataclass(frozen=True)
class DecisionNotice:
    """What a notice says about one declined case; `reasons` have statements, `missing` lack one."""

    use_case: str
    use_case_title: str
    version: str
    case_id: str
    case_noun: str
    decision: str  # "decline", "flag"
    decision_past: str  # "declined", "flagged"
    issued: date
    reference: str
    reasons: tuple[NoticeReason, ...]
    missing: tuple[NoticeReason, ...]
    what_would_change: str | None

    @property
    def statements(self) -> list[str]:
        """The standard statements of the principal reasons, strongest first."""
        return [r.statement for r in self.reasons if r.statement]


def statements_for(use_case: str) -> Mapping[tuple[str, str], str]:
    """The default statement table of a use case (empty for a brought use case)."""
    return DEFAULT_STATEMENTS.get(use_case, {})


def is_declined(scored: ScoredIteration, explanation: CaseExplanation) -> bool:
    """Whether the case got the unfavourable decision ("decline" for credit, "flag" for fraud)."""
    return explanation.decision == scored.use_case.unfavourable_decision


def decline_reasons(scored: ScoredIteration, explanation: CaseExplanation) -> list[Reason]:
    """The reason codes pushing towards the unfavourable decision, strongest first, at most four, never protected."""
    use_case = scored.use_case
    if not use_case.favourable_is_positive:  # the decline is the positive decision: the case's own reason codes
        return list(explanation.reasons[:MAX_REASONS])
    pushing_down = -explanation.contributions  # the decline is the negative decision: pushes away from positive
    ranked = rank_reasons(pushing_down, explanation.values, use_case, scored.card.protected_attributes)
    return [replace(r, contribution=-r.contribution) for r in ranked]


def reason_level(scored: ScoredIteration, feature: str, value) -> str:
    """The level of an input's value: "high"/"low" against the evaluation median for a number, else the value."""
    if is_missing(value):
        return MISSING
    column = scored.features[feature] if feature in scored.features.columns else None
    if column is not None and pd.api.types.is_numeric_dtype(column) and column.nunique() > 10:
        return HIGH if float(value) > float(column.median()) else LOW
    return str(value.item() if hasattr(value, "item") else value)


def notice_reference(scored: ScoredIteration, explanation: CaseExplanation, ranked: list[Reason] | None = None) -> str:
    """A reference unique to the use case, version, case and the explanation shown: "DN-1A2B-3C4D-5E6F" (`ranked`:
    the case's `decline_reasons`, when the caller has them)."""
    ranked = decline_reasons(scored, explanation) if ranked is None else ranked
    reasons = [[r.feature, r.value, round(r.contribution, 9)] for r in ranked]
    payload = [
        scored.card.use_case,
        scored.card.version,
        str(explanation.case_id),
        explanation.decision,
        round(explanation.score, 12),
        round(explanation.threshold, 12),
        reasons,
    ]
    digest = hashlib.sha256(json.dumps(payload, ensure_ascii=True).encode()).hexdigest()[:12].upper()
    return f"DN-{digest[:4]}-{digest[4:8]}-{digest[8:]}"


def describe_change(scored: ScoredIteration, counterfactual: Counterfactual) -> str:
    """The counterfactual in plain words: "If loan duration were 24 months instead of 48 months, the applicant
    would have been approved." """
    use_case = scored.use_case
    describe = use_case.describe_value
    parts = [
        f"{_lower_first(use_case.label(c))} were {describe(c, new)} instead of {describe(c, old)}"
        for c, (old, new) in counterfactual.changes.items()
    ]
    decision = use_case.decision_for(counterfactual.score, scored.threshold)
    return f"If {' and '.join(parts)}, the {use_case.words.case} would have been {use_case.past(decision)}."


def _lower_first(label: str) -> str:
    return label[0].lower() + label[1:] if len(label) > 1 and label[1].islower() else label


def _rows_of(scored: ScoredIteration, explanations: list[CaseExplanation]) -> pd.DataFrame:
    """The cases' raw inputs, a row each (indexed by case id), as `edited_row` makes one: the evaluation cases'
    dtypes, a missing value written as the first evaluation case writes it, an integer input holding one becomes
    float. Every case must have the same integer inputs missing (`_dtype_group`), so each row's dtypes are its own."""
    first = scored.features.iloc[[0]]
    index = pd.Index([str(e.case_id) for e in explanations])
    columns = {}
    for column in scored.features.columns:
        values = [e.values.get(column) for e in explanations]
        dtype = first[column].dtype
        missing = [is_missing(v) for v in values]
        if any(missing):
            if pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_extension_array_dtype(dtype):
                dtype = np.dtype(float)
            hole = missing_like(first[column])
            values = [hole if m else v for v, m in zip(values, missing)]
        columns[column] = pd.Series(values, index=index, dtype=object).astype(dtype)
    return pd.DataFrame(columns, index=index)


def _dtype_group(scored: ScoredIteration, explanation: CaseExplanation) -> tuple[str, ...]:
    """The integer inputs the case has missing (their row's dtype becomes float): cases alike share a frame."""
    features = scored.features
    return tuple(
        c
        for c in features.columns
        if pd.api.types.is_integer_dtype(features[c].dtype)
        and not pd.api.types.is_extension_array_dtype(features[c].dtype)
        and is_missing(explanation.values.get(c))
    )


def notice_reasons(
    scored: ScoredIteration,
    explanation: CaseExplanation,
    statements: Mapping[tuple[str, str], str] | None = None,
    ranked: list[Reason] | None = None,
) -> list[NoticeReason]:
    """The principal reasons towards the decline with their statements (None where the table has none); `ranked`:
    the case's `decline_reasons`, when the caller has them."""
    table = statements_for(scored.use_case.name) if statements is None else statements
    reasons = []
    for reason in decline_reasons(scored, explanation) if ranked is None else ranked:
        level = reason_level(scored, reason.feature, explanation.values.get(reason.feature))
        statement = table.get((reason.feature, level)) or None
        reasons.append(NoticeReason(reason.feature, reason.label, reason.value, level, reason.contribution, statement))
    return reasons


def build_notice(
    scored: ScoredIteration,
    explanation: CaseExplanation,
    issued: date | None = None,
    statements: Mapping[tuple[str, str], str] | None = None,
) -> DecisionNotice:
    """The decision notice of a declined (or flagged) case; NoticeError for a case given the favourable decision."""
    return build_notices(scored, [explanation], issued, statements)[0]


def build_notices(
    scored: ScoredIteration,
    explanations: list[CaseExplanation],
    issued: date | None = None,
    statements: Mapping[tuple[str, str], str] | None = None,
) -> list[DecisionNotice]:
    """The notice of each declined case, in order, each the same as `build_notice` makes it: the rows built and the
    counterfactuals searched for all cases at once. NoticeError (before any search) if a case was not declined."""
    use_case = scored.use_case
    for explanation in explanations:
        if not is_declined(scored, explanation):
            raise NoticeError(
                f"{use_case.words.case.capitalize()} {explanation.case_id} was {use_case.past(explanation.decision)}: "
                f"a decision notice is only for a {use_case.unfavourable_decision} decision."
            )
    counterfactuals: list[Counterfactual | None] = [None] * len(explanations)
    if use_case.actionable:
        groups: dict[tuple[str, ...], list[int]] = {}
        for k, explanation in enumerate(explanations):
            groups.setdefault(_dtype_group(scored, explanation), []).append(k)
        for members in groups.values():
            rows = _rows_of(scored, [explanations[k] for k in members])
            for k, found in zip(members, find_counterfactuals(scored, rows)):
                counterfactuals[k] = found
    day = issued or datetime.now(timezone.utc).date()
    return [_notice(scored, e, day, statements, c) for e, c in zip(explanations, counterfactuals)]


def _notice(
    scored: ScoredIteration,
    explanation: CaseExplanation,
    issued: date,
    statements: Mapping[tuple[str, str], str] | None,
    counterfactual: Counterfactual | None,
) -> DecisionNotice:
    use_case = scored.use_case
    ranked = decline_reasons(scored, explanation)
    reasons = notice_reasons(scored, explanation, statements, ranked)
    return DecisionNotice(
        use_case=use_case.name,
        use_case_title=use_case.title,
        version=scored.card.version,
        case_id=str(explanation.case_id),
        case_noun=use_case.words.case,
        decision=explanation.decision,
        decision_past=use_case.past(explanation.decision),
        issued=issued,
        reference=notice_reference(scored, explanation, ranked),
        reasons=tuple(r for r in reasons if r.statement),
        missing=tuple(r for r in reasons if not r.statement),
        what_would_change=describe_change(scored, counterfactual) if counterfactual is not None else None,
    )
