"""A brought model whose evaluation cases have missing numbers and missing categories (for What-if)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from demo_models.examples.churn import CATEGORICAL, NUMERIC, make_churn
from demo_models.iterations.registry import register_iteration

USE_CASE = "retention"


def register_missing_model(registry_dir: Path, rows: int = 1500) -> None:
    """Register retention/v1: the churn data with ~8 % of fees and ~10 % of payment methods missing; the
    pipeline imputes a missing payment as its own category ("not given") and a missing fee by the median."""
    data = make_churn(rows)
    data.loc[np.random.default_rng(3).random(rows) < 0.10, "payment"] = np.nan
    train, evaluation = train_test_split(data, test_size=0.3, random_state=0, stratify=data["churned"])
    prep = ColumnTransformer(
        [
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value="not given"), OneHotEncoder(handle_unknown="ignore")
                ),
                CATEGORICAL,
            ),
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), NUMERIC),
        ]
    )
    model = Pipeline([("prep", prep), ("clf", LogisticRegression(max_iter=1000))])
    model.fit(train[CATEGORICAL + NUMERIC], train["churned"])
    register_iteration(
        model,
        version="v1",
        eval_data=evaluation,
        use_case=USE_CASE,
        target="churned",
        positive_label=1,
        positive_class="churn",
        threshold=0.35,
        protected_attributes=["age"],
        author="Test data scientist",
        registry_dir=registry_dir,
        replace=True,
        notes="Missing fees and payment methods are imputed.",
    )
