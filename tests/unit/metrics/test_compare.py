from dataclasses import asdict, replace

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, precision_score, recall_score, roc_auc_score

from demo_models.explanations.reasons import rank_reasons, top_reason_features
from demo_models.iterations.registry import IterationCard
from demo_models.metrics.compare import (
    FLIP_TO_NEGATIVE,
    FLIP_TO_POSITIVE,
    CompareError,
    check_flagged_fixed,
    compare_iterations,
    default_pair,
)
from demo_models.metrics.groups import band_labels, group_frame
from demo_models.metrics.performance import headline_metrics, metric_labels
from demo_models.vocabulary import CREDIT, get_use_case
from feedback.records import Feedback
from tests.helpers import make_draft


@pytest.fixture(scope="module")
def comparison(scored):
    return compare_iterations(scored["v2"], scored["v3"])


def test_headline_metrics_equal_scikit_learn():
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 2, 500)
    scores = np.clip(labels * 0.3 + rng.random(500) * 0.7, 0, 1)
    m = headline_metrics(labels, scores, 0.5)
    decisions = (scores >= 0.5).astype(int)
    assert m["roc_auc"] == roc_auc_score(labels, scores)
    assert m["recall"] == recall_score(labels, decisions)
    assert m["precision"] == precision_score(labels, decisions)
    assert m["accuracy"] == accuracy_score(labels, decisions)
    assert m["positive_rate"] == decisions.mean() and m["negative_rate"] == 1 - decisions.mean()
    assert np.isnan(headline_metrics(np.zeros(5), np.linspace(0, 1, 5), 0.5)["roc_auc"])
    assert metric_labels(CREDIT)["negative_rate"] == "Approve rate"


def test_comparison_metrics_equal_scikit_learn_on_the_same_predictions(comparison, scored):
    labels = scored["v3"].iteration.labels
    for column, version in (("old", "v2"), ("new", "v3")):
        scores = scored[version].scores.to_numpy()
        assert comparison.metrics.at["roc_auc", column] == roc_auc_score(labels, scores)
        assert comparison.metrics.at["recall", column] == recall_score(labels, scores >= 0.4)
    assert comparison.metrics.at["roc_auc", "difference"] == pytest.approx(
        comparison.metrics.at["roc_auc", "new"] - comparison.metrics.at["roc_auc", "old"]
    )


def test_flip_counts_equal_a_direct_recomputation(comparison, scored):
    old = scored["v2"].scores >= 0.4
    new = scored["v3"].scores >= 0.4
    expected = {FLIP_TO_POSITIVE: int((~old & new).sum()), FLIP_TO_NEGATIVE: int((old & ~new).sum())}
    assert comparison.flip_counts() == expected
    assert sum(expected.values()) > 0
    assert set(comparison.flips.index) == set(old.index[old != new])


def test_flips_by_group_add_up(comparison, scored):
    for attribute in ("sex", "age"):
        table = comparison.flips_by_group(attribute)
        assert table["cases"].sum() == 300
        assert table[FLIP_TO_POSITIVE].sum() == comparison.flip_counts()[FLIP_TO_POSITIVE]
    ages = scored["v3"].features["age"]
    by_age = comparison.flips_by_group("age")
    assert list(by_age.index) == ["under 25", "25–40", "over 40"]
    assert by_age.at["under 25", "cases"] == (ages < 25).sum()
    assert by_age.at["over 40", "cases"] == (ages > 40).sum()


def test_reason_changes_use_the_same_rule_as_the_case_page(comparison, scored):
    changed = comparison.reason_changes
    assert 0 < len(changed) <= comparison.reasons_compared
    for case_id in changed.index[:10]:
        old = [r.feature for r in scored["v2"].explain_case(case_id).reasons]
        new = [r.feature for r in scored["v3"].explain_case(case_id).reasons]
        assert comparison.cases.at[case_id, "reasons_old"] == old
        assert comparison.cases.at[case_id, "reasons_new"] == new
        assert set(old) != set(new)


def test_vectorised_reasons_equal_rank_reasons_for_every_case(scored):
    it = scored["v1"]
    stored = it.iteration.shap_values
    fast = top_reason_features(stored.to_numpy(), list(stored.columns), ("sex", "age"))
    for row, case_id in enumerate(stored.index):
        contributions = stored.loc[case_id].to_dict()
        slow = rank_reasons(contributions, it.features.loc[case_id], CREDIT, ("sex", "age"))
        assert fast[row] == [r.feature for r in slow]


def test_importance_ranks_and_their_change(comparison, scored):
    table = comparison.importance
    assert table["new"].is_monotonic_decreasing
    assert table.at["checking_account", "new rank"] == 1
    assert (table["rank change"] == table["old rank"] - table["new rank"]).all()
    assert table.at["duration", "old"] == pytest.approx(scored["v2"].iteration.shap_values["duration"].abs().mean())


def _clone(scored_iteration, **card_changes):
    clone = object.__new__(type(scored_iteration))
    clone.__dict__.update(scored_iteration.__dict__)
    clone.card = type(scored_iteration.card)(**{**scored_iteration.card.__dict__, **card_changes})
    return clone


def test_iterations_of_different_use_cases_or_without_common_cases_are_refused(scored):
    with pytest.raises(CompareError, match="same use case"):
        compare_iterations(scored["v1"], _clone(scored["v2"], use_case="other"))
    elsewhere = _clone(scored["v2"])
    elsewhere.scores = elsewhere.scores.set_axis("X" + elsewhere.scores.index)
    with pytest.raises(CompareError, match="share no evaluation cases"):
        compare_iterations(scored["v1"], elsewhere)


def test_band_labels_and_group_frame():
    assert band_labels(pd.Series([24, 25, 40, 41]), (25, 40)).tolist() == ["under 25", "25–40", "25–40", "over 40"]
    frame = pd.DataFrame({"age": np.arange(20, 80), "sex": ["male", "female"] * 30})
    groups = group_frame(frame, ("age", "sex"), CREDIT)
    assert groups["sex"].tolist()[:2] == ["male", "female"]
    generic = group_frame(frame, ("age",), get_use_case("other"))
    assert generic["age"].nunique() == 3


CARD_TEMPLATE = IterationCard("credit", "v1", "Dana", "2026-01-01", "risk", 0, "bad risk", 0.5, ("age",))


def _card(version, parent=None):
    return replace(CARD_TEMPLATE, version=version, parent=parent)


def _feedback(entry_id, iteration, case_id, expected):
    """A stored "disagree" on a case, with the outcome the reviewer expected."""
    return Feedback(**asdict(make_draft(iteration=iteration, case_id=case_id, expected_outcome=expected)), id=entry_id)


def test_the_default_pair_is_the_picked_iteration_after_its_parent_or_the_one_before_it():
    cards = [_card("v1"), _card("v2", "v1"), _card("v3", "v1"), _card("v4", "gone")]
    assert default_pair(cards, "v3") == ("v1", "v3")  # its parent, not the one before it
    assert default_pair(cards, "v4") == ("v3", "v4")  # no parent among them: the one before
    assert default_pair(cards, "v1") == ("v2", "v1")  # the oldest: compared with the next
    assert default_pair(cards, "v9") == ("v3", "v4")  # not among them (retired): the newest
    assert default_pair(cards[2:], "v3") == ("v4", "v3")


def test_the_flagged_fixes_read_only_the_feedback_on_the_old_iteration(scored):
    new = scored["v3"]
    case = new.case_table().index[0]
    decided = new.outcomes([case])[case]
    other = "negative" if decided == "positive" else "positive"
    entries = [
        _feedback(1, "v2", case, decided),
        _feedback(2, "v3", new.case_table().index[1], other),  # on the new iteration: not flagged on v2
    ]
    report = check_flagged_fixed(entries, "v2", new)
    assert (report.fixed, report.flagged) == (1, 1)
    assert check_flagged_fixed(entries, "v1", new).flagged == 0
