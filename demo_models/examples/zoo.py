"""A model zoo: one seeded churn-like data set and every model family Involve explains natively.

The data has categorical columns and missing values. Each family is fitted the way a data
scientist would: a `ColumnTransformer` (imputation, one-hot encoding, scaling) before the
scikit-learn, LightGBM and XGBoost estimators; CatBoost gets its categories as they are; a raw
XGBoost `Booster` gets numbers and pandas dummies. Used by the tests and by `bench/families.py`;
XGBoost and CatBoost are imported only for their families.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

CATEGORICAL, NUMERIC, TARGET = ["plan", "region"], ["tenure", "fee"], "churned"
FAMILIES = (
    "logistic regression",
    "decision tree",
    "random forest",
    "extra trees",
    "gradient boosting",
    "hist gradient boosting",
    "lightgbm",
    "xgboost",
    "catboost",
    "xgboost booster",
    "lightgbm booster",
)


def make_zoo_data(rows: int = 240, seed: int = 13) -> pd.DataFrame:
    """Seeded cases: plan and region (categorical, plan 6 % missing), tenure, fee (10 % missing), churned."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "plan": rng.choice(["basic", "pro", "max"], rows),
            "region": rng.choice(["north", "south", "east", "west"], rows),
            "tenure": rng.integers(1, 60, rows),
            "fee": rng.normal(30, 10, rows).round(2),
        }
    )
    risk = (frame["tenure"] < 18) + 0.8 * (frame["plan"] == "basic") + 0.03 * (frame["fee"] - 30)
    frame.loc[rng.random(rows) < 0.1, "fee"] = np.nan
    frame.loc[rng.random(rows) < 0.06, "plan"] = None
    frame[TARGET] = ((risk + rng.normal(0, 0.6, rows)) > 0.9).astype(int)
    return frame


def booster_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns a raw XGBoost Booster is fed: numbers as they are, the plan as dummies, the target."""
    dummies = pd.get_dummies(frame["plan"], prefix="plan", dtype=float)
    return pd.concat([frame[NUMERIC].astype(float), dummies, frame[[TARGET]]], axis=1)


def make_encoder() -> ColumnTransformer:
    """The zoo's preprocessing: categorical inputs imputed and one-hot encoded, numbers imputed and scaled."""
    cat = make_pipeline(
        SimpleImputer(strategy="constant", fill_value="none"),
        OneHotEncoder(handle_unknown="ignore", sparse_output=False),
    )
    num = make_pipeline(SimpleImputer(), StandardScaler())
    return ColumnTransformer([("cat", cat, CATEGORICAL), ("num", num, NUMERIC)])


def _estimator(family: str, trees: int, depth: int | None) -> Any:
    from sklearn import ensemble, linear_model, tree

    if family == "logistic regression":
        return linear_model.LogisticRegression(max_iter=500)
    if family == "decision tree":
        return tree.DecisionTreeClassifier(max_depth=depth, random_state=0)
    if family in {"random forest", "extra trees"}:
        kind = ensemble.RandomForestClassifier if family == "random forest" else ensemble.ExtraTreesClassifier
        return kind(n_estimators=trees, max_depth=depth, random_state=0, n_jobs=1)
    if family == "gradient boosting":
        return ensemble.GradientBoostingClassifier(n_estimators=trees, max_depth=depth, random_state=0)
    if family == "hist gradient boosting":
        return ensemble.HistGradientBoostingClassifier(max_iter=trees, max_depth=depth, random_state=0)
    if family == "lightgbm":
        import lightgbm

        return lightgbm.LGBMClassifier(
            n_estimators=trees, max_depth=depth or -1, num_leaves=8, random_state=0, verbose=-1
        )
    if family == "xgboost":
        import xgboost

        return xgboost.XGBClassifier(n_estimators=trees, max_depth=depth, random_state=0)
    raise ValueError(f"Unknown model family {family!r}; known: {', '.join(FAMILIES)}.")


def fit_family(family: str, frame: pd.DataFrame, trees: int = 25, depth: int | None = 4) -> Any:
    """The family fitted on the frame (from `make_zoo_data`, or `booster_frame` for the raw Booster)."""
    X, y = frame.drop(columns=TARGET), frame[TARGET]
    if family == "catboost":
        from catboost import CatBoostClassifier

        prep = ColumnTransformer(
            [
                ("cat", SimpleImputer(strategy="constant", fill_value="none"), CATEGORICAL),
                ("num", "passthrough", NUMERIC),
            ]
        ).set_output(transform="pandas")
        clf = CatBoostClassifier(
            iterations=trees,
            depth=depth or 6,
            random_seed=0,
            verbose=0,
            allow_writing_files=False,
            cat_features=[f"cat__{c}" for c in CATEGORICAL],
        )
        return Pipeline([("prep", prep), ("clf", clf)]).fit(X, y)
    if family == "xgboost booster":
        import xgboost

        params = {"objective": "binary:logistic", "max_depth": depth or 6, "seed": 0}
        return xgboost.train(params, xgboost.DMatrix(X, label=y, missing=np.nan), num_boost_round=trees)
    if family == "lightgbm booster":
        import lightgbm

        params = {"objective": "binary", "max_depth": depth or -1, "num_leaves": 8, "seed": 0, "verbose": -1}
        return lightgbm.train(params, lightgbm.Dataset(X, label=y), num_boost_round=trees)
    return Pipeline([("prep", make_encoder()), ("clf", _estimator(family, trees, depth))]).fit(X, y)
