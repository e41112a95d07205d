"""The built-in credit iterations, trained deterministically and registered through the public call."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from demo_models import settings
from demo_models.data import CREDIT_TARGET, split_credit
from demo_models.registry import RegistryError, iteration_dir, register_iteration

log = logging.getLogger(__name__)

CREDIT_CATEGORICAL = ["job", "housing", "saving_accounts", "checking_account", "purpose"]
CREDIT_NUMERIC = ["credit_amount", "duration"]
CREDIT_PROTECTED = ("sex", "age")
CREDIT_THRESHOLD = 0.4
AUTHOR = "Involve demo team"


def _one_hot() -> OneHotEncoder:
    return OneHotEncoder(handle_unknown="ignore", sparse_output=False)


def build_logistic_baseline() -> Pipeline:
    """v1: logistic regression on every column, protected attributes included (naive)."""
    prep = ColumnTransformer(
        [
            ("cat", _one_hot(), ["sex", *CREDIT_CATEGORICAL]),
            ("num", StandardScaler(), [*CREDIT_NUMERIC, "age"]),
        ]
    )
    return Pipeline([("prep", prep), ("clf", LogisticRegression(max_iter=1000))])


def build_boosted() -> Pipeline:
    """v2 / v3: LightGBM on the application without protected attributes (v3 adds constraints)."""
    from lightgbm import LGBMClassifier  # imported here: ~1.7 s that a warm start never needs

    prep = ColumnTransformer(
        [("cat", _one_hot(), CREDIT_CATEGORICAL), ("num", "passthrough", CREDIT_NUMERIC)]
    )
    clf = LGBMClassifier(
        n_estimators=300,
        learning_rate=0.02,
        max_depth=3,
        num_leaves=7,
        min_child_samples=20,
        subsample=0.8,
        subsample_freq=1,
        colsample_bytree=0.8,
        reg_lambda=1.0,
        random_state=0,
        deterministic=True,
        n_jobs=1,
        verbose=-1,
    )
    return Pipeline([("prep", prep), ("clf", clf)])


@dataclass(frozen=True)
class BuiltinSpec:
    """One built-in iteration: its version, lineage, model factory and notes."""

    version: str
    parent: str | None
    build: Callable[[], Pipeline]
    uses_protected: bool
    monotone: bool
    notes: str


CREDIT_ITERATIONS = (
    BuiltinSpec(
        "v1",
        None,
        build_logistic_baseline,
        uses_protected=True,
        monotone=False,
        notes="Baseline: logistic regression on every column of the application, sex and age "
        "included. Quick to build, easy to read, but it lets protected attributes drive decisions.",
    ),
    BuiltinSpec(
        "v2",
        "v1",
        build_boosted,
        uses_protected=False,
        monotone=False,
        notes="Gradient-boosted trees (LightGBM, 300 shallow trees) without sex and age. "
        "Captures interactions the baseline misses; protected attributes are no longer inputs "
        "(they are kept to check fairness).",
    ),
    BuiltinSpec(
        "v3",
        "v2",
        build_boosted,
        uses_protected=False,
        monotone=True,
        notes="Answers the feedback that v2's explanations sometimes made no sense (a longer loan "
        "or a larger amount lowering the risk): the same LightGBM model with monotonic "
        "constraints, so a longer duration or a higher amount never lowers the risk.",
    ),
)


def fit_builtin(spec: BuiltinSpec) -> Pipeline:
    """Train one built-in credit iteration on the fixed training split (deterministic)."""
    train = split_credit().train
    columns = CREDIT_CATEGORICAL + CREDIT_NUMERIC + (list(CREDIT_PROTECTED) if spec.uses_protected else [])
    X, y = train[columns], train[CREDIT_TARGET]
    model = spec.build()
    if spec.monotone:
        names = model.named_steps["prep"].fit(X).get_feature_names_out()
        constraints = [1 if n in {f"num__{c}" for c in CREDIT_NUMERIC} else 0 for n in names]
        model.set_params(clf__monotone_constraints=constraints)
    return model.fit(X, y)


def ensure_builtin_iterations(registry_dir: Path | None = None) -> list[str]:
    """Train and register the built-in credit iterations that are missing; their versions."""
    root = Path(registry_dir or settings.registry_dir())
    evaluation = split_credit().eval
    added = []
    for spec in CREDIT_ITERATIONS:
        if iteration_dir("credit", spec.version, root).exists():
            continue
        model = fit_builtin(spec)
        try:
            register_iteration(
                model,
                evaluation,
                use_case="credit",
                version=spec.version,
                target=CREDIT_TARGET,
                positive_label=1,
                positive_class="default",
                threshold=CREDIT_THRESHOLD,
                protected_attributes=CREDIT_PROTECTED,
                parent=spec.parent,
                author=AUTHOR,
                notes=spec.notes,
                registry_dir=root,
            )
        except RegistryError:
            if not iteration_dir("credit", spec.version, root).exists():
                raise
            log.info("credit/%s was registered by another process meanwhile", spec.version)
            continue
        added.append(spec.version)
    return added
