"""The use cases' vocabulary: complete for every use case, and derived sensibly for a brought one."""

import dataclasses

import pytest

from demo_models.vocabulary import CREDIT, FRAUD, capitalise, generic_vocabulary, get_use_case, pluralise, with_article


@pytest.mark.parametrize(
    "use_case",
    [CREDIT, FRAUD, get_use_case("titanic", "survived"), get_use_case("loans", "approved")],
    ids=lambda u: u.name,
)
def test_every_word_is_there_and_matches_the_decisions(use_case):
    words = use_case.words
    for field in dataclasses.fields(words):
        if field.name != "currency":
            assert getattr(words, field.name).strip(), field.name
    assert (words.positive_decision, words.negative_decision) == (
        use_case.positive_decision,
        use_case.negative_decision,
    )
    assert use_case.past(use_case.positive_decision) == words.positive_past
    assert use_case.past(use_case.negative_decision) == words.negative_past
    assert words.cases != words.case and words.positive_cases != words.positive_case


def test_a_brought_use_case_quotes_its_class_and_never_inflects_it():
    words = get_use_case("titanic", "survived").words
    assert words.outcome == "“survived”" and words.positive_cases == "“survived” cases"
    assert words.negative_case == "case that is not “survived”"
    assert words.positive_past == "flagged as survived" and words.negative_past == "passed"
    assert words.risk == "probability of “survived”"
    assert "surviveds" not in repr(words).lower()
    assert generic_vocabulary("high_value", "policy").positive_cases == "“high value” policies"
    assert generic_vocabulary("  ").outcome == "“positive”"


def test_credit_and_fraud_speak_their_own_words():
    assert CREDIT.words.positive_cases == "defaulters" and CREDIT.words.currency == "DM"
    assert FRAUD.words.negative_case == "genuine transaction" and FRAUD.words.currency == "EUR"
    assert FRAUD.words.count(1) == "1 transaction" and FRAUD.words.count(1288) == "1,288 transactions"
    assert CREDIT.words.decided("decline") == "applicants declined"


@pytest.mark.parametrize(
    ("noun", "plural"),
    [
        ("case", "cases"),
        ("applicant", "applicants"),
        ("policy", "policies"),
        ("day", "days"),
        ("box", "boxes"),
        ("batch", "batches"),
        ("“survived” case", "“survived” cases"),
    ],
)
def test_pluralise(noun, plural):
    assert pluralise(noun) == plural


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("applicant", "an applicant"),
        ("transaction", "a transaction"),
        ("“approved” case", "an “approved” case"),
        ("“survived” case", "a “survived” case"),
        ("hour", "an hour"),
        ("user", "a user"),
        ("unusual case", "an unusual case"),
        ("applicant who repays", "an applicant who repays"),
    ],
)
def test_with_article(phrase, expected):
    assert with_article(phrase) == expected


def test_capitalise_keeps_the_rest_and_skips_an_opening_quote():
    assert capitalise("fraudulent transactions") == "Fraudulent transactions"
    assert capitalise("“survived” cases") == "“Survived” cases"
    assert capitalise("ROC AUC of v2") == "ROC AUC of v2"
