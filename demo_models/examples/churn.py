"""Bring your own model: a churn model trained outside Involve and registered with the public call.

A seeded synthetic telecom-churn dataset (categorical and numeric columns, missing values), two
scikit-learn pipelines with a ColumnTransformer (logistic regression, then gradient boosting), each
registered as an iteration of a new use case. Run it as a plain script:

    .venv/bin/python -m demo_models.examples.churn [--rows 4000] [--registry DIR]
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from demo_models.iterations.registry import register_iteration

CATEGORICAL = ["contract", "payment", "region"]
NUMERIC = ["tenure_months", "monthly_fee", "support_calls"]


def make_churn(rows: int = 4000, seed: int = 7) -> pd.DataFrame:
    """Customers with a `churned` target (1 = left), ~25 % churn, about 8 % of fees missing."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "contract": rng.choice(["monthly", "one year", "two years"], rows, p=[0.55, 0.25, 0.2]),
            "payment": rng.choice(["card", "transfer", "cash"], rows),
            "region": rng.choice(["north", "south", "east", "west"], rows),
            "tenure_months": rng.integers(1, 72, rows),
            "monthly_fee": rng.normal(55, 18, rows).clip(10, 140).round(2),
            "support_calls": rng.poisson(1.5, rows),
            "age": rng.integers(18, 85, rows),
        }
    )
    risk = (
        -1.6
        + 1.3 * (frame["contract"] == "monthly")
        - 0.03 * frame["tenure_months"]
        + 0.02 * (frame["monthly_fee"] - 55)
        + 0.45 * frame["support_calls"]
        + 0.4 * (frame["payment"] == "cash")
    )
    frame["churned"] = (rng.random(rows) < 1 / (1 + np.exp(-risk))).astype(int)
    frame.loc[rng.random(rows) < 0.08, "monthly_fee"] = np.nan
    frame.index = pd.Index([f"C{i + 1:05d}" for i in range(rows)], name="case_id")
    return frame


def _prep(scale: bool) -> ColumnTransformer:
    numeric = make_pipeline(SimpleImputer(strategy="median"), *([StandardScaler()] if scale else []))
    return ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL), ("num", numeric, NUMERIC)])


def main(rows: int = 4000, registry_dir: Path | None = None) -> None:
    """Train the two churn iterations and register them (replacing earlier runs of this example)."""
    data = make_churn(rows)
    train, evaluation = train_test_split(data, test_size=0.3, random_state=0, stratify=data["churned"])
    X, y = train[CATEGORICAL + NUMERIC], train["churned"]
    common = dict(
        eval_data=evaluation,
        use_case="churn",
        target="churned",
        positive_label=1,
        positive_class="churn",
        threshold=0.35,
        protected_attributes=["age"],
        author="Example data scientist",
        registry_dir=registry_dir,
        replace=True,
    )
    baseline = Pipeline([("prep", _prep(scale=True)), ("clf", LogisticRegression(max_iter=1000))]).fit(X, y)
    register_iteration(baseline, version="v1", notes="Logistic-regression baseline.", **common)
    boosted = Pipeline(
        [("prep", _prep(scale=False)), ("clf", HistGradientBoostingClassifier(max_iter=150, random_state=0))]
    ).fit(X, y)
    register_iteration(
        boosted,
        version="v2",
        parent="v1",
        notes="Gradient boosting: captures that support calls matter more for new customers.",
        **common,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4000)
    parser.add_argument("--registry", type=Path, default=None, help="registry folder (default: INVOLVE_REGISTRY_DIR)")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    main(arguments.rows, arguments.registry)
