"""The error heat map over two inputs, on a loan book the project did not build (the good outcome as the
positive class, missing values, a category): every cell's cases, errors, rate and cost equal a brute force,
and a cell with too few cases is undefined, never 0."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from demo_models.metrics.costs import CaseCosts
from demo_models.metrics.error_map import MISSING, OTHER, bin_input, error_heat_map
from demo_models.vocabulary import get_use_case

N = 2_500


def _loans(seed: int = 4):
    rng = np.random.default_rng(seed)
    features = pd.DataFrame(
        {
            "duration": rng.integers(6, 72, N).astype(float),
            "amount": rng.gamma(2.0, 4_000.0, N).round(),
            "purpose": rng.choice(["car", "education", "furniture", "boat"], N, p=[0.5, 0.2, 0.28, 0.02]),
        },
        index=pd.Index([f"L{i:05d}" for i in range(N)], name="case_id"),
    )
    features.loc[rng.random(N) < 0.08, "amount"] = np.nan
    repaid = (rng.random(N) < 0.8).astype(int)  # positive = repaid, the favourable outcome
    scores = np.where(repaid == 1, rng.uniform(0.3, 1.0, N), rng.uniform(0.0, 0.7, N))
    return SimpleNamespace(
        iteration=SimpleNamespace(labels=repaid),
        scores=pd.Series(scores, index=features.index),
        threshold=0.5,
        features=features,
        use_case=get_use_case("loans", "repaid", favourable="positive"),
        card=SimpleNamespace(version="v1", protected_attributes=()),
    )


def _brute_bins(values: pd.Series, bins: int) -> pd.Series:
    """Quantile bins by hand: (edge_k, edge_k+1], the first closed; missing apart; as bin numbers."""
    edges = np.unique(np.quantile(values.dropna().to_numpy(), np.linspace(0, 1, bins + 1)))
    out = []
    for v in values:
        if np.isnan(v):
            out.append(-1)
            continue
        out.append(next(k for k in range(len(edges) - 1) if v <= edges[k + 1] or k == len(edges) - 2))
    return pd.Series(out, index=values.index)


@pytest.mark.parametrize("kind", ["errors", "false_positives", "false_negatives"])
def test_every_cell_equals_a_brute_force(kind):
    it = _loans()
    fp = np.full(N, 100.0)
    fn = it.features["amount"].fillna(0).to_numpy() * 0.5 + 20
    heat = error_heat_map(it, "amount", "purpose", kind, CaseCosts(fp, fn), min_cases=10)
    labels = it.iteration.labels
    positive = it.scores.to_numpy() >= 0.5
    among = {"errors": np.ones(N, bool), "false_positives": labels == 0, "false_negatives": labels == 1}[kind]
    frame = it.features[among].assign(
        wrong=(positive != (labels == 1))[among], cost=np.where(labels == 1, fn, fp)[among]
    )
    frame["x"] = _brute_bins(frame["amount"], 5)
    cells = frame.groupby(["purpose", "x"])
    assert int(heat.cases.sum()) == len(frame) and int(heat.errors.sum()) == int(frame["wrong"].sum())
    table = heat.table()
    x_order = [b for b in heat.x_bins if b != MISSING]
    assert heat.x_bins[-1] == MISSING  # missing amounts kept, as a bin of their own, last
    for (purpose, x), part in cells:
        x_label = MISSING if x == -1 else x_order[x]
        row = table[(table["purpose"] == purpose) & (table["amount"] == x_label)].iloc[0]
        assert row["cases"] == len(part) and row["errors"] == int(part["wrong"].sum())
        if len(part) >= 10:
            assert row["error rate"] == pytest.approx(part["wrong"].mean())
            assert row["cost of errors"] == pytest.approx(part.loc[part["wrong"], "cost"].sum())
        else:  # too few cases: undefined, not 0
            assert np.isnan(row["error rate"]) and np.isnan(row["cost of errors"])
    assert len(table) == cells.ngroups
    assert np.isnan(heat.rate).any()  # "boat" is rare: some of its cells are too small
    assert heat.overall_rate == pytest.approx(frame["wrong"].mean())


def test_without_costs_no_cell_has_a_cost_and_numbers_bin_in_order():
    heat = error_heat_map(_loans(), "duration", "amount")
    assert np.isnan(heat.cost).all()
    assert heat.x_bins[0].startswith("6–") and heat.x_bins[-1].endswith("–71")
    assert heat.y_bins[-1] == MISSING


def test_a_category_beyond_the_most_frequent_is_other_values():
    values = pd.Series([f"p{i}" for i in range(12) for _ in range(30 - i)] + [None] * 5)
    binned = bin_input(values, "purpose", get_use_case("loans", "repaid"))
    assert list(binned.cat.categories) == [*(f"p{i}" for i in range(8)), OTHER, MISSING]  # most frequent first
    assert (binned == OTHER).sum() == sum(30 - i for i in range(8, 12)) and (binned == MISSING).sum() == 5


def test_unknown_or_repeated_inputs_are_a_message():
    with pytest.raises(ValueError, match="not an input"):
        error_heat_map(_loans(), "salary", "amount")
    with pytest.raises(ValueError, match="two different"):
        error_heat_map(_loans(), "amount", "amount")
    with pytest.raises(ValueError, match="not a kind of error"):
        error_heat_map(_loans(), "duration", "amount", kind="typos")


def test_bin_labels_never_use_scientific_notation():
    values = pd.Series(np.r_[np.linspace(250, 18_424, 99), 1.5e6], name="credit_amount")
    labels = list(bin_input(values, "credit_amount", get_use_case("credit")).cat.categories)
    assert labels[-1].endswith("–1,500,000 DM") and not any("e+" in label for label in labels)
    tiny = pd.Series(np.linspace(0.00001, 0.0002, 50))
    labels = list(bin_input(tiny, "x", get_use_case("credit")).cat.categories)
    assert labels[0].startswith("0.00001–") and not any("e-" in label for label in labels)
