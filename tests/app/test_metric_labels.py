"""AppTest: every metric of the catalogue is shown under its one label on the pages that show it
(Compare's headline metrics, Fairness's gaps and comparison, the Goals picker and scorecard, Sign-off)."""

import pytest

from demo_models.metrics.catalogue import criterion_keys, criterion_specs, keys_of, labels_of
from demo_models.vocabulary import CREDIT, FRAUD, get_use_case
from tests.app.apptest import open_app
from tests.helpers import CRITERION_SPECS, make_criterion


@pytest.mark.parametrize("use_case", ["credit", "fraud"])
def test_compare_shows_each_headline_metric_under_its_label(app_env, use_case):
    at = open_app("pages/3_Compare.py", use_case=use_case)
    assert not at.exception
    expected = list(labels_of("performance", get_use_case(use_case)).values())
    assert list(at.dataframe[0].value.index) == expected  # "Decline rate" / "Flag rate", "Approve rate" / "Pass rate"


def test_fairness_shows_each_gap_under_its_label_in_every_table(app_env):
    at = open_app("pages/9_Fairness.py", iteration="v1")
    assert not at.exception
    labels = list(labels_of("fairness", CREDIT).values())
    assert labels[0] == "Disparate impact ratio"
    gaps, compared = at.dataframe[1].value, at.dataframe[-1].value
    assert list(gaps.index) == labels and list(compared.index) == labels
    assert "Demographic-parity ratio" not in str(at.main)  # the second name it had on this page


def test_goals_offers_each_criterion_metric_under_its_label(app_env):
    at = open_app("pages/6_Goals.py")
    assert not at.exception
    specs = criterion_specs(CREDIT)
    options = at.selectbox(key="criterion_metric_new").options
    assert options == [f"{specs[k].label} — {specs[k].explanation}" for k in criterion_keys()]
    assert (
        "Disparate impact ratio — lowest group approve rate divided by the highest"
        in options[criterion_keys().index("dp_ratio")]
    )


def test_fraud_labels_are_in_fraud_words(app_env):
    credit, fraud = labels_of("performance", CREDIT), labels_of("performance", FRAUD)
    assert (credit["positive_rate"], fraud["positive_rate"]) == ("Decline rate", "Flag rate")
    assert keys_of("fairness") == tuple(labels_of("fairness", FRAUD))


def test_a_criterion_saved_under_the_old_key_is_shown_under_the_one_label(app_env):
    from feedback.store.database import FeedbackStore
    from feedback.store.goals import save_criterion

    store = FeedbackStore(f"sqlite:///{app_env}")
    save_criterion(store, make_criterion(metric="disparate_impact_ratio", attribute="sex"), specs=CRITERION_SPECS)
    at = open_app("pages/6_Goals.py")
    assert not at.exception
    scorecard = at.dataframe[-1].value
    assert "Disparate impact ratio (sex) >= 0.8" in scorecard.index
    value = scorecard.loc["Disparate impact ratio (sex) >= 0.8"].iloc[-1]
    assert value.split(" · ")[0] in ("pass", "FAIL")  # judged: the old key still computes the ratio


def test_outcomes_shows_its_headline_tiles_under_their_labels(app_env):
    at = open_app("pages/7_Outcomes.py")
    assert not at.exception
    labels = labels_of("performance", CREDIT)
    expected = [labels[k] for k in ("negative_rate", "recall", "precision", "roc_auc")]
    assert [m.label for m in at.metric[:4]] == expected == ["Approve rate", "Recall", "Precision", "ROC AUC"]
