from feedback.analytics import check_fixes, count_categories, count_verdicts
from feedback.store.records import add_feedback, list_feedback
from tests.helpers import make_draft

KNOWN = {"v1", "v2", "v3"}


def _save(store, **changes):
    return add_feedback(store, make_draft(**changes), KNOWN)


def test_counts_by_verdict_and_category(store):
    _save(store, iteration="v1", verdict="agree", categories=())
    _save(store, iteration="v1", verdict="disagree", categories=("wrong prediction", "fairness concern"))
    _save(store, iteration="v2", verdict="disagree", categories=("wrong prediction",))
    entries = list_feedback(store, "credit")
    verdicts = count_verdicts(entries)
    assert verdicts.loc["v1"].to_dict() == {"agree": 1, "disagree": 1, "unsure": 0}
    assert verdicts.loc["v2"].to_dict() == {"agree": 0, "disagree": 1, "unsure": 0}
    categories = count_categories(entries)
    assert categories.loc["v1"].to_dict() == {"wrong prediction": 1, "fairness concern": 1}
    assert count_verdicts([]).empty and count_categories([]).empty


def test_fix_rate_uses_the_latest_disagreement_with_an_expected_outcome(store):
    _save(store, iteration="v2", case_id="A1", verdict="disagree", expected_outcome="negative")
    _save(store, iteration="v2", case_id="A2", verdict="disagree", expected_outcome="positive")
    _save(store, iteration="v2", case_id="A2", verdict="disagree", expected_outcome="negative")  # latest wins
    _save(store, iteration="v2", case_id="A3", verdict="disagree", expected_outcome=None)  # no expectation
    _save(store, iteration="v2", case_id="A4", verdict="agree", expected_outcome="negative")  # not a dispute
    _save(store, iteration="v2", case_id="A5", verdict="disagree", expected_outcome="negative")  # not in new
    report = check_fixes(
        list_feedback(store, "credit", "v2"), {"A1": "negative", "A2": "positive", "A3": "negative", "A4": "positive"}
    )
    assert report.flagged == 2 and report.fixed == 1
    assert report.cases.loc["A1", "fixed"] and not report.cases.loc["A2", "fixed"]
    assert check_fixes([], {}).flagged == 0
