"""The glossary: a term for every metric the code knows, complete texts, and worked examples whose numbers
equal scikit-learn, fairlearn and scipy computed here on the same data."""

import re

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equalized_odds_difference,
)
from scipy.stats import chi2_contingency, ks_2samp
from sklearn.metrics import accuracy_score, confusion_matrix, precision_score, recall_score, roc_auc_score

from demo_models.formats import format_number
from demo_models.iterations.registry import load_iteration
from demo_models.iterations.scoring import ScoredIteration
from demo_models.metrics.catalogue import CATALOGUE, METRICS, canonical_key, criterion_specs
from demo_models.metrics.costs import case_costs
from demo_models.metrics.fairness import GAP_METRICS, bootstrap_gaps
from demo_models.metrics.performance import METRIC_KEYS, metric_labels
from demo_models.presentation.glossary import GLOSSARY, find_term, phrase_glossary, search_terms
from demo_models.presentation.worked_examples import worked_example, worked_examples
from demo_models.vocabulary import CREDIT, FRAUD, get_use_case

USE_CASES = [CREDIT, FRAUD, get_use_case("churn", "churn")]
TERMS = {t.key: t for t in GLOSSARY}


def example(key: str, scored: ScoredIteration, costs=None, currency: str = "") -> str:
    text = worked_example(TERMS[key], scored, costs, currency)
    assert text, key
    return text


@pytest.fixture(scope="module")
def fraud(registry_dir) -> ScoredIteration:
    return ScoredIteration(load_iteration("fraud", "v2", registry_dir))


# --- coverage of the metrics the code knows ------------------------------------------------------------


@pytest.mark.parametrize("use_case", USE_CASES, ids=lambda u: u.name)
def test_every_catalogue_metric_has_a_term_found_by_its_label_and_its_keys(use_case):
    keyed = {t.metric_key: t.key for t in GLOSSARY if t.metric_key}
    assert set(keyed) == set(METRICS)  # one term per catalogue entry, and no term for a metric it does not hold
    for metric in CATALOGUE:
        assert find_term(metric.label(use_case), use_case).key == keyed[metric.key], metric.label(use_case)
        for key in (metric.key, *metric.aliases):
            assert find_term(key, use_case).key == keyed[metric.key], key
    labels = metric_labels(use_case)
    for key in METRIC_KEYS:
        assert find_term(labels[key], use_case).key == keyed[key], labels[key]
    for key, spec in criterion_specs(use_case).items():
        assert find_term(spec.label, use_case).key == keyed[canonical_key(key)], spec.label
        assert find_term(f"{spec.label} — {spec.explanation}", use_case).key == keyed[canonical_key(key)]  # Goals
    for key, label in GAP_METRICS.items():
        assert find_term(label, use_case).key == keyed[key], label


def test_every_term_is_complete_and_speaks_the_use_cases_words():
    assert len(TERMS) == len(GLOSSARY)
    for use_case in USE_CASES:
        terms = phrase_glossary(use_case)
        assert len({t.name for t in terms}) == len(terms)
        for term in terms:
            for text in (term.name, term.meaning, term.formula, term.good):
                assert text.strip() and "{" not in text and "}" not in text, (term.key, text)
            for pattern in term.patterns:
                re.compile(pattern)
    credit = {t.key: t for t in phrase_glossary(CREDIT)}
    assert credit["negative_rate"].name == "Approve rate (favourable rate)"
    assert "applicants whose actual outcome was “default”" in credit["recall"].meaning
    assert {t.key: t for t in phrase_glossary(FRAUD)}["positive_rate"].name == "Flag rate"


@pytest.mark.parametrize(
    ("label", "use_case", "key"),
    [
        ("Defaulters caught (recall)", CREDIT, "recall"),
        ("“survived” cases caught (recall)", get_use_case("titanic", "survived"), "recall"),
        ("Precision of flags as survived", get_use_case("titanic", "survived"), "precision"),
        ("Precision of declines", CREDIT, "precision"),
        ("Approve rate", CREDIT, "negative_rate"),
        ("Pass rate", FRAUD, "negative_rate"),
        ("Flag rate", FRAUD, "positive_rate"),
        ("Fraudulent transactions caught (TPR)", FRAUD, "recall"),
        ("fraud rate among passed", FRAUD, "outcome_rate_among_favourable"),
        ("Probability of default, now", CREDIT, "score"),
        ("P(fraud)", FRAUD, "score"),
        ("v2 score", CREDIT, "score"),
        ("declined", CREDIT, "confusion"),
        ("approve → decline", CREDIT, "flips"),
        ("Flagged cases v3 now decides as the reviewers expected", CREDIT, "fixes"),
        ("Expected cost per 1,000 cases, current threshold", CREDIT, "expected_cost"),
        ("… at the cost-optimal threshold", CREDIT, "expected_cost"),
        ("Cost-optimal threshold", CREDIT, "cost_optimal_threshold"),
        ("Columns to act on (PSI > 0.25)", FRAUD, "psi_band"),
        ("Score drift (PSI)", FRAUD, "score_drift"),
        ("Score + explanation, p95", FRAUD, "latency"),
        ("Page views (90 days)", FRAUD, "usage"),
        ("positive_rate", FRAUD, "positive_rate"),
        ("actual positive rate", FRAUD, "base_rate"),
    ],
)
def test_find_term_knows_the_wording_of_the_pages(label, use_case, key):
    assert find_term(label, use_case).key == key


@pytest.mark.parametrize(
    "label", ["Evaluation cases", "Iterations", "cases", "Credit amount", "Loan duration", "Case", "Owner"]
)
def test_find_term_does_not_claim_what_is_not_a_metric(label):
    assert find_term(label, CREDIT) is None


def test_search_finds_names_first_then_meanings():
    found = [t.name for t in search_terms("precision", CREDIT)]
    assert found[0] == "Precision" and "PSI (population stability index)" not in found
    assert [t.key for t in search_terms("approve rate", CREDIT)][0] == "negative_rate"
    assert [t.key for t in search_terms("  ", CREDIT)] == [t.key for t in GLOSSARY]
    assert search_terms("no such word", CREDIT) == []
    assert "psi" in [t.key for t in search_terms("drift", FRAUD)]


def test_a_term_without_a_worked_example_says_why(scored, fraud):
    for it in (scored["v2"], fraud):
        for key, text in worked_examples(list(GLOSSARY), it).items():
            assert text or TERMS[key].no_example, key


# --- worked examples: the same numbers as the libraries --------------------------------------------------


def test_confusion_matrix_examples_equal_scikit_learn(scored):
    it = scored["v2"]
    y, s = it.iteration.labels, it.scores.to_numpy()
    declined = (s >= it.threshold).astype(int)
    tn, fp, fn, tp = confusion_matrix(y, declined).ravel()
    assert f"precision = {tp} / {tp + fp} = {precision_score(y, declined):.1%}" in example("precision", it)
    assert f"recall = {tp} / {tp + fn} = {recall_score(y, declined):.1%}" in example("recall", it)
    assert f"accuracy = {tp + tn} / {len(y)} = {accuracy_score(y, declined):.1%}" in example("accuracy", it)
    assert f"decline rate = {tp + fp} / {len(y)} = {declined.mean():.1%}" in example("positive_rate", it)
    assert f"approve rate = {tn + fn} / {len(y)} = {1 - declined.mean():.1%}" in example("negative_rate", it)
    assert f"ROC AUC = {roc_auc_score(y, s):.3f}" in example("roc_auc", it)
    assert f"= {fp / (fp + tn):.1%}" in example("false_positive_rate", it)
    assert f"= {tn / (fp + tn):.1%}" in example("true_negative_rate", it)
    assert f"= {fn / (fn + tp):.1%}" in example("false_negative_rate", it)
    assert f"{fn} / {tn + fn} = {fn / (tn + fn):.1%}" in example("outcome_rate_among_favourable", it)
    assert f"TP = {tp} " in example("confusion", it) and f"TN = {tn} " in example("confusion", it)
    assert f"{y.sum()} / 300 = {y.mean():.1%}" in example("base_rate", it)
    assert "On v2 at threshold 40.0%" in example("precision", it)


def test_fraud_examples_use_the_fraud_words_and_numbers(fraud):
    y, s = fraud.iteration.labels, fraud.scores.to_numpy()
    flagged = (s >= fraud.threshold).astype(int)
    text = example("precision", fraud)
    assert "transactions were flagged" in text and f"{precision_score(y, flagged):.1%}" in text
    assert f"flag rate = {flagged.sum():,} / 20,000" in example("positive_rate", fraud)


def test_fairness_examples_equal_fairlearn(scored):
    it = scored["v2"]
    y, sex = it.iteration.labels, it.features["sex"]
    declined = (it.scores >= it.threshold).to_numpy().astype(int)
    approved = 1 - declined
    ratio = demographic_parity_ratio(y, approved, sensitive_features=sex)
    rates = pd.Series(approved).groupby(sex.to_numpy()).mean()
    text = example("dp_ratio", it)
    assert f"ratio = {rates.min():.1%} / {rates.max():.1%} = {ratio:.3f}" in text and "by sex" in text
    assert f"= {demographic_parity_difference(y, approved, sensitive_features=sex):.3f}" in example("dp_difference", it)
    assert f"= {equal_opportunity_difference(1 - y, approved, sensitive_features=sex):.3f}" in example(
        "equal_opportunity_difference", it
    )
    assert f"= {equalized_odds_difference(y, declined, sensitive_features=sex):.3f}" in example(
        "equalized_odds_difference", it
    )
    assert f"is {ratio:.3f}, so the four-fifths screen {'passes' if ratio >= 0.8 else 'fails'}" in example(
        "four_fifths", it
    )
    low, high = map(float, re.search(r"95% interval (\d\.\d+) – (\d\.\d+)", example("interval", it)).groups())
    assert low <= round(ratio, 3) <= high
    chance = bootstrap_gaps(it, "sex").loc["dp_ratio", "chance"]
    assert f"{chance:.1%} of 500 random regroupings" in example("chance", it)


def test_explanation_examples_equal_the_model(scored):
    it = scored["v2"]
    case = it.scores.index[it.scores >= it.threshold][0]  # the first declined applicant
    p = float(it.iteration.model.predict_proba(it.features.loc[[case]])[0, 1])
    assert f"applicant {case} scores {p:.1%}" in example("score", it)
    assert f"= {np.log(p / (1 - p)):+.2f}." in example("log_odds", it)
    explanation = it.explain_case(case)
    total = explanation.base_value + explanation.contributions.sum()
    assert total == pytest.approx(np.log(p / (1 - p)), abs=1e-6)
    assert f"to {total:+.2f} log-odds" in example("shap", it)
    assert all(r.text in example("reason_codes", it) for r in explanation.reasons)
    top = it.iteration.shap_values.abs().mean().sort_values(ascending=False)
    assert f"{it.use_case.label(top.index[0])} {top.iloc[0]:.2f}" in example("global_importance", it)


def test_cost_examples_equal_the_costs_counted_case_by_case(scored):
    it = scored["v2"]
    y, s = it.iteration.labels.astype(bool), it.scores.to_numpy()
    costs = case_costs(it.features, 100, 500, "credit_amount", 0.5)
    declined = s >= it.threshold
    wrong = 100 * int((declined & ~y).sum())
    missed = float((500 + 0.5 * it.features["credit_amount"].to_numpy(float))[~declined & y].sum())
    assert f"cost {wrong:,.0f} DM" in example("cost_fp", it, costs, "DM")
    assert f"cost {missed:,.0f} DM" in example("cost_fn", it, costs, "DM")
    assert f"= {wrong + missed:,.0f} DM over 300 applicants: {(wrong + missed) / 300:,.2f} DM per case" in example(
        "expected_cost", it, costs, "DM"
    )
    totals = [
        100 * ((s >= t) & ~y).sum() + (500 + 0.5 * it.features["credit_amount"].to_numpy(float))[(s < t) & y].sum()
        for t in np.append(np.unique(s), 1.01)
    ]
    assert f"at {min(totals) / 300 * 1000:,.0f} DM per 1,000 cases" in example(
        "cost_optimal_threshold", it, costs, "DM"
    )
    assert worked_example(TERMS["cost_fp"], it) is None  # no cost matrix, no example


def _psi(reference: pd.Series, current: pd.Series) -> float:
    """PSI by its definition: deciles of the reference for numbers, categories otherwise; shares floored at 1e-4."""
    if pd.api.types.is_numeric_dtype(reference) and reference.nunique() > 12:
        edges = np.unique(np.quantile(reference, np.linspace(0, 1, 11)))
        edges[0], edges[-1] = -np.inf, np.inf
        ref, cur = np.histogram(reference, edges)[0], np.histogram(current, edges)[0]
    else:
        levels = sorted(set(reference.astype(str)) | set(current.astype(str)))
        ref = reference.astype(str).value_counts().reindex(levels, fill_value=0).to_numpy()
        cur = current.astype(str).value_counts().reindex(levels, fill_value=0).to_numpy()
    ref, cur = np.maximum(ref / ref.sum(), 1e-4), np.maximum(cur / cur.sum(), 1e-4)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def test_drift_examples_equal_scipy_and_the_psi_definition(fraud):
    features = fraud.features
    reference = features[features["month"].isin(fraud.card.extra["reference_months"])]
    current = features[features["month"] == "2025-12"]
    columns = [c for c in fraud.card.features if c != "month"]
    numeric = [c for c in columns if pd.api.types.is_numeric_dtype(reference[c]) and reference[c].nunique() > 12]
    psis = {c: _psi(reference[c], current[c]) for c in columns}
    top = max(psis, key=psis.get)
    assert f"{fraud.use_case.label(top)} changed most, PSI = {psis[top]:.3f}" in example("psi", fraud)
    ks = {c: ks_2samp(reference[c], current[c]).statistic for c in numeric}
    column = max(ks, key=ks.get)
    assert f"{fraud.use_case.label(column)}: Kolmogorov-Smirnov statistic = {format_number(ks[column])}" in example(
        "ks_statistic", fraud
    )
    chi = {
        c: chi2_contingency(
            pd.crosstab(
                np.r_[np.zeros(len(reference)), np.ones(len(current))],
                np.r_[reference[c].astype(str), current[c].astype(str)],
            )
        )[0]
        for c in columns
        if c not in numeric
    }
    column = max(chi, key=chi.get)
    assert f"{fraud.use_case.label(column)}: chi-square statistic = {format_number(chi[column])}" in example(
        "chi_square", fraud
    )
    scores = fraud.scores
    score_psi = _psi(scores[reference.index].reset_index(drop=True), scores[current.index].reset_index(drop=True))
    assert f"PSI of the scores = {score_psi:.3f}" in example("score_drift", fraud)
    assert "2025-12 against 2025-01…2025-09" in example("psi_band", fraud)


def test_drift_examples_need_time_and_say_so(scored):
    assert worked_example(TERMS["psi"], scored["v2"]) is None
    assert "month" in TERMS["psi"].no_example
