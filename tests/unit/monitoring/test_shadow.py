"""Shadow comparison (demo_models/monitoring/shadow.py): the flips, the flips by group, the errors and their cost
equal a brute-force re-score in pandas of the same sampled rows, on a brought use case whose favourable decision
is the positive one and on the built-in fraud log (v1's traffic re-scored with v2); undefined stays undefined."""

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from demo_models.iterations.registry import load_iteration, register_iteration
from demo_models.iterations.scoring import ScoredIteration
from demo_models.monitoring.builtin_log import ensure_fraud_log
from demo_models.monitoring.log_importance import importance_by_month
from demo_models.monitoring.shadow import (
    SAMPLE_SEED,
    TO_FAVOURABLE,
    TO_UNFAVOURABLE,
    ShadowError,
    as_evaluated,
    default_candidate,
    draw_sample,
    served_iteration,
    served_versions,
    shadow_compare,
)
from demo_models.monitoring.shadow_tables import flip_label, flips_sentence, outcome_table
from demo_models.monitoring.sources import Source
from feedback.goals import CostMatrix
from tests.helpers import approvals_data, fit_approvals_model, register_approvals
from tests.unit.monitoring.pg_logs import pg_log, sql_source

MAPPING = {
    "timestamp": "ts",
    "case_id": "loan_id",
    "inputs": ["region", "income", "tenure"],
    "score": "p_approved",
    "version": "model",
    "label": "repaid",
}
COSTS = CostMatrix("loans", 100.0, 20.0, "Test", false_negative_column="income", false_negative_fraction=0.5)


@pytest.fixture(scope="module")
def loans(tmp_path_factory):
    """loans/v1 (approved: the positive and favourable decision, threshold 0.4) and loans/v2 (fitted on other
    rows, threshold 0.55), and a Parquet log of 3,000 decisions over six months, 90 % served by v1."""
    root = tmp_path_factory.mktemp("loans-registry")
    register_approvals(root)
    frame = approvals_data(1200, seed=8)
    register_iteration(
        fit_approvals_model(frame.iloc[:900]),
        frame.iloc[900:],
        use_case="loans",
        version="v2",
        target="approved",
        author="Test",
        positive_class="approved",
        threshold=0.55,
        favourable="positive",
        protected_attributes=["region"],
        parent="v1",
        registry_dir=root,
    )
    v1, v2 = (ScoredIteration(load_iteration("loans", v, root)) for v in ("v1", "v2"))
    rng = np.random.default_rng(4)
    log = approvals_data(3000, seed=11).reset_index(names="loan_id")
    log["ts"] = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 181 * 86_400, len(log)), unit="s")
    log["p_approved"] = v1.iteration.model.predict_proba(log[["region", "income", "tenure"]])[:, 1]
    log["model"] = np.where(rng.random(len(log)) < 0.9, "v1", "v0")
    june = log["ts"] >= "2025-06-01"
    log["repaid"] = log["approved"].astype(float).where(~june)  # June's outcomes are not known yet
    folder = tmp_path_factory.mktemp("loans-log") / "log"
    log.drop(columns="approved").assign(month=log["ts"].dt.strftime("%Y-%m")).to_parquet(
        folder, partition_cols=["month"]
    )
    return Source("parquet", str(folder), dict(MAPPING)), v1, v2, log


def _brute_force(shadow, rows, served, candidate, favourable_positive, costs=None):
    """Flips, flips by region, errors and cost recomputed row by row in plain pandas / Python."""
    new = candidate.iteration.model.predict_proba(rows[list(candidate.card.features)])[
        :, candidate.explainer.positive_index
    ]
    old_fav = (rows["score"] >= served.threshold) == favourable_positive
    new_fav = (pd.Series(new) >= candidate.card.threshold) == favourable_positive
    flips = {TO_UNFAVOURABLE: int((old_fav & ~new_fav).sum()), TO_FAVOURABLE: int((~old_fav & new_fav).sum())}
    labelled = rows["label"].notna()
    out = {}
    for who, scores, threshold in (
        ("served", rows["score"], served.threshold),
        ("candidate", pd.Series(new), candidate.card.threshold),
    ):
        errors, cost = 0, 0.0
        for i in np.flatnonzero(labelled.to_numpy()):
            positive, actual = scores.iloc[i] >= threshold, rows["label"].iloc[i] == 1
            errors += int(positive != actual)
            if costs is not None and positive and not actual:
                cost += costs.false_positive_cost
            if costs is not None and actual and not positive:
                income = rows["income"].iloc[i]
                cost += costs.false_negative_cost + costs.false_negative_fraction * (0 if np.isnan(income) else income)
        out[who] = (errors, cost)
    return flips, out, int(labelled.sum()), old_fav, new_fav


def test_flips_equal_a_brute_force_rescore_of_the_same_rows_favourable_positive(loans):
    source, v1, v2, log = loans
    shadow = shadow_compare(source, v1.card, v2, "2025-03", 300, 5, COSTS)
    rows = shadow.sample.rows.rename(columns={"p_approved": "score", "repaid": "label"})
    month = log[(log["ts"].dt.strftime("%Y-%m") == "2025-03") & (log["model"] == "v1")]
    assert shadow.sample.window_decisions == len(month) and shadow.size == 300 < len(month)
    assert set(rows["loan_id"]) <= set(month["loan_id"]) and rows["loan_id"].is_unique  # v1's March only
    flips, out, labelled, old_fav, new_fav = _brute_force(shadow, rows, v1.card, v2, True, COSTS)
    assert flips[TO_UNFAVOURABLE] > 0 and flips[TO_FAVOURABLE] >= 0
    for way, count in flips.items():
        assert shadow.flips.loc[way, "flips"] == count
        low, high = proportion_confint(count, 300, alpha=0.05, method="wilson")
        assert shadow.flips.loc[way, ["share", "low", "high"]].tolist() == pytest.approx([count / 300, low, high])
    # approved → declined: the favourable decision is "approve", the positive one
    assert flip_label(TO_UNFAVOURABLE, v2.use_case).startswith(v2.use_case.past(v2.use_case.positive_decision))
    by_region = pd.crosstab(rows["region"], [old_fav & ~new_fav]).reindex(columns=[True], fill_value=0)[True]
    table = shadow.by_group["region"]
    assert table[TO_UNFAVOURABLE].to_dict() == by_region.to_dict()
    assert table["cases"].to_dict() == rows["region"].value_counts().to_dict()
    served_errors, served_cost = out["served"]
    candidate_errors, candidate_cost = out["candidate"]
    assert shadow.outcomes.loc["served", "labelled"] == labelled == 300
    assert shadow.outcomes.loc["served", "errors"] == served_errors
    assert shadow.outcomes.loc["candidate", "errors"] == candidate_errors
    assert shadow.outcomes.loc["served", "cost"] == pytest.approx(served_cost)
    assert shadow.outcomes.loc["candidate", "cost"] == pytest.approx(candidate_cost)
    assert shadow.cost_change == pytest.approx((candidate_cost - served_cost) / 300 * 1000)
    assert shadow.error_change == pytest.approx((candidate_errors - served_errors) / 300)


def test_the_sample_is_drawn_by_the_engine_repeatably(loans):
    source, v1, _, log = loans
    first = draw_sample(source, "2025-02", 200, 17, "v1")
    again = draw_sample(source, "2025-02", 200, 17, "v1")
    other = draw_sample(source, "2025-02", 200, 18, "v1")
    assert first.rows["loan_id"].tolist() == again.rows["loan_id"].tolist()
    assert first.rows["loan_id"].tolist() != other.rows["loan_id"].tolist()
    assert first.rows["ts"].is_monotonic_increasing and (first.rows["model"] == "v1").all()
    everything = draw_sample(source, "2025-02", 100_000, 17, None)
    assert len(everything.rows) == everything.window_decisions == (log["ts"].dt.strftime("%Y-%m") == "2025-02").sum()
    versions = served_versions(source, "2025-02")
    assert versions.index[0] == "v1" and versions.sum() == everything.window_decisions
    assert served_iteration([v1.card], versions, fallback=None).version == "v1"


def test_undefined_stays_undefined_and_bad_input_is_a_sentence(loans):
    source, v1, v2, _ = loans
    june = shadow_compare(source, v1.card, v2, "2025-06", 200, 1, COSTS)  # no outcome known yet
    assert june.outcomes.loc["served", "labelled"] == 0 and np.isnan(june.error_change) and np.isnan(june.cost_change)
    assert june.why_no_errors == "no outcome of the sampled decisions is known yet"
    shown = outcome_table(june, v2.use_case)
    assert (shown.loc["errors"].iloc[:2] == "—").all() and shown.loc["cost per 1,000 decisions", "change"] == "—"
    assert june.flips["flips"].sum() > 0  # flips need no outcome
    no_costs = shadow_compare(source, v1.card, v2, "2025-03", 200, 1, None)
    assert np.isnan(no_costs.cost_change) and "no cost matrix" in no_costs.why_no_costs
    assert not np.isnan(no_costs.error_change)
    unlabelled = Source(source.kind, source.path, {k: v for k, v in MAPPING.items() if k != "label"})
    assert "'label'" in shadow_compare(unlabelled, v1.card, v2, "2025-03", 50).why_no_errors
    with pytest.raises(
        ShadowError, match=r"no decisions in the month 2026-01 \(its months run from 2025-01 to 2025-06\)"
    ):
        shadow_compare(source, v1.card, v2, "2026-01", 50)
    with pytest.raises(ShadowError, match="v1 served these decisions"):
        shadow_compare(source, v1.card, v1, "2025-03", 50)
    with pytest.raises(ShadowError, match="between 1 and"):
        shadow_compare(source, v1.card, v2, "2025-03", 0)
    with pytest.raises(ShadowError, match="does not exist"):
        shadow_compare(Source("parquet", source.path + "-nowhere", MAPPING), v1.card, v2, "2025-03", 50)


def test_a_log_without_the_candidates_inputs_is_a_sentence(loans, tmp_path):
    source, v1, v2, log = loans
    log.drop(columns=["tenure", "approved"]).to_parquet(tmp_path / "log.parquet")
    mapping = {**MAPPING, "inputs": ["region", "income"]}
    with pytest.raises(ShadowError, match="The log has no column for v2's input"):
        shadow_compare(Source("parquet", str(tmp_path / "log.parquet"), mapping), v1.card, v2, "2025-03", 50)


def test_the_default_candidate_is_the_one_awaiting_sign_off_else_the_child_of_the_served_one(loans):
    _, v1, v2, _ = loans
    cards = [v1.card, v2.card]
    assert default_candidate(cards, {"v1": "live", "v2": "candidate"}, "v1") == "v2"
    assert default_candidate(cards, {"v1": "deprecated", "v2": "live"}, "v1") == "v2"  # the child (fraud's demo)
    assert default_candidate(cards, {"v1": "live", "v2": "retired"}, "v1") is None
    assert default_candidate(cards, {"v1": "live", "v2": "live"}, "v2") == "v1"


def test_fraud_v1_traffic_shadowed_with_v2(registry_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("INVOLVE_DATA_DIR", str(tmp_path))
    v1, v2 = (ScoredIteration(load_iteration("fraud", v, registry_dir)) for v in ("v1", "v2"))
    source = ensure_fraud_log(v1, 24_000)
    shadow = shadow_compare(source, v1.card, v2, "2025-07", 1500, 17)
    assert shadow.sample.served_by == "v1" and shadow.size == 1500 < shadow.sample.window_decisions
    rows = shadow.sample.rows.rename(columns={"is_fraud": "label"})
    flips, out, labelled, old_fav, new_fav = _brute_force(shadow, rows, v1.card, v2, False)
    assert shadow.flips["flips"].to_dict() == flips and sum(flips.values()) > 0
    assert labelled == 1500  # July's chargebacks are all in by the log's date
    assert [shadow.outcomes.loc[w, "errors"] for w in ("served", "candidate")] == [out[w][0] for w in out]
    ages = shadow.by_group["customer_age_band"]
    assert ages["cases"].sum() == 1500 and ages[TO_FAVOURABLE].sum() == flips[TO_FAVOURABLE]
    assert flips_sentence(shadow, v2.use_case).startswith(
        f"v2 would have decided {sum(flips.values()):,} of 1,500 transactions differently from v1"
    )
    assert flip_label(TO_UNFAVOURABLE, v2.use_case) == "passed → flagged"  # passing is favourable for fraud


def test_logged_decisions_that_differ_from_the_threshold_are_noted(registry_dir, tmp_path, monkeypatch):
    from dataclasses import replace

    monkeypatch.setenv("INVOLVE_DATA_DIR", str(tmp_path))
    v1, v2 = (ScoredIteration(load_iteration("fraud", v, registry_dir)) for v in ("v1", "v2"))
    source = ensure_fraud_log(v1, 12_000)
    assert shadow_compare(source, v1.card, v2, "2025-03", 400).notes == ()  # logged at v1's threshold
    moved = replace(v1.card, threshold=0.2)  # an agreed threshold saved after the log was written
    shadow = shadow_compare(source, moved, v2, "2025-03", 400)
    logged = shadow.sample.rows["decision"] == v1.use_case.positive_decision
    differ = int((logged != (shadow.sample.rows["score"] >= 0.2)).sum())
    assert differ > 0 and shadow.notes[0].startswith(f"{differ:,} logged decision(s) differ from the logged score")


def test_a_sql_log_is_sampled_by_its_database_and_compared_the_same_way(loans, monkeypatch):
    """The same log as a PostgreSQL table: the database draws the seeded sample (repeatably, another set for
    another seed, the served version's decisions of the month only), and every figure equals the brute-force
    re-score of the rows it drew."""
    _, v1, v2, log = loans
    with pg_log(log.drop(columns="approved")) as relation:
        source = sql_source(monkeypatch, relation, MAPPING)
        first, again = (draw_sample(source, "2025-03", 300, 5, "v1") for _ in range(2))
        other = draw_sample(source, "2025-03", 300, 6, "v1")
        month = log[(log["ts"].dt.strftime("%Y-%m") == "2025-03") & (log["model"] == "v1")]
        assert first.rows["loan_id"].tolist() == again.rows["loan_id"].tolist() != other.rows["loan_id"].tolist()
        assert len(first.rows) == 300 and set(first.rows["loan_id"]) <= set(month["loan_id"])
        assert first.window_decisions == len(month) and first.rows["ts"].is_monotonic_increasing
        versions = served_versions(source, "2025-03")
        assert versions.index[0] == "v1" and versions.sum() == (log["ts"].dt.strftime("%Y-%m") == "2025-03").sum()
        shadow = shadow_compare(source, v1.card, v2, "2025-03", 300, 5, COSTS)
        rows = shadow.sample.rows.rename(columns={"p_approved": "score", "repaid": "label"})
        assert rows["loan_id"].tolist() == first.rows["loan_id"].tolist()
        flips, out, labelled, _, _ = _brute_force(shadow, rows, v1.card, v2, True, COSTS)
        for way, count in flips.items():
            assert shadow.flips.loc[way, "flips"] == count
        assert shadow.outcomes.loc["served", "errors"] == out["served"][0] and labelled == 300
        assert shadow.outcomes.loc["candidate", "cost"] == pytest.approx(out["candidate"][1])
        with pytest.raises(ShadowError, match=r"no decisions served by v1 in the month 2024-12 \(its months run"):
            draw_sample(source, "2024-12", 300, 5, "v1")


def test_importance_by_month_explains_each_months_sample(loans, tmp_path):
    source, v1, v2, log = loans
    found = importance_by_month(source, v2, ["2025-02", "2025-06"], per_month=150)
    assert list(found.importance.index) == ["2025-02", "2025-06"] and found.explained.tolist() == [150, 150]
    for month in ("2025-02", "2025-06"):
        sample = draw_sample(source, month, 150, SAMPLE_SEED)  # the same seeded rows
        assert found.decisions[month] == (log["ts"].dt.strftime("%Y-%m") == month).sum() == sample.window_decisions
        rows = as_evaluated(sample.rows, v2.features)
        attribution = v2.explainer.explain(rows)
        np.testing.assert_allclose(found.importance.loc[month], np.abs(attribution.contributions).mean(axis=0))
        assert found.importance.loc[month].gt(0).all()  # every input moves some score
    log.drop(columns=["approved", "income"]).to_parquet(tmp_path / "no-income.parquet")
    without = Source("parquet", str(tmp_path / "no-income.parquet"), {**MAPPING, "inputs": ["region", "tenure"]})
    with pytest.raises(ShadowError, match=r"has no column for v2's input\(s\) income"):
        importance_by_month(without, v2, ["2025-02"])
