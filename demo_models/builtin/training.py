"""The built-in iterations (credit, fraud), trained deterministically and registered through the public call."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from demo_models import settings
from demo_models.builtin.fraud_stream import FEATURES as FRAUD_FEATURES
from demo_models.builtin.fraud_stream import FRAUD_TARGET, make_transactions
from demo_models.builtin.german_credit import CREDIT_TARGET
from demo_models.iterations.registry import RegistryError, iteration_dir, register_iteration
from demo_models.vocabulary import USE_CASES

if TYPE_CHECKING:  # scikit-learn is imported only when something has to be trained
    from sklearn.pipeline import Pipeline

log = logging.getLogger(__name__)

CREDIT_CATEGORICAL = ["job", "housing", "saving_accounts", "checking_account", "purpose"]
CREDIT_NUMERIC = ["credit_amount", "duration"]
CREDIT_PROTECTED = ("sex", "age")
CREDIT_THRESHOLD = 0.4
AUTHOR = "Involve demo team"


def _one_hot():
    from sklearn.preprocessing import OneHotEncoder

    return OneHotEncoder(handle_unknown="ignore", sparse_output=False)


def build_logistic_baseline() -> Pipeline:
    """v1: logistic regression on every column, protected attributes included (naive)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

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
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    prep = ColumnTransformer([("cat", _one_hot(), CREDIT_CATEGORICAL), ("num", "passthrough", CREDIT_NUMERIC)])
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


FRAUD_TRAIN_ROWS, FRAUD_TRAIN_SEED = 60_000, 11
FRAUD_EVAL_ROWS, FRAUD_EVAL_SEED = 20_000, 12
FRAUD_THRESHOLD = 0.05


@dataclass(frozen=True)
class FraudSpec:
    """One built-in fraud iteration: the months it learns from, lineage, notes."""

    version: str
    parent: str | None
    months: tuple[str, ...]
    notes: str


FRAUD_ITERATIONS = (
    FraudSpec(
        "v1",
        None,
        tuple(f"2025-{m:02d}" for m in range(1, 7)),
        "LightGBM trained on January to June, before the in-app wallet existed. Catches the classic "
        "patterns (abroad, far from home, bursts of transactions, electronics and travel at night).",
    ),
    FraudSpec(
        "v2",
        "v1",
        tuple(f"2025-{m:02d}" for m in range(1, 10)),
        "Retrained on January to September, after the drift: learns the card-not-present fraud that "
        "arrived with the in-app wallet in July (large night-time purchases on new cards).",
    ),
)


def build_fraud_model() -> Pipeline:
    """LightGBM on the transaction inputs (categories one-hot encoded)."""
    from lightgbm import LGBMClassifier
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    prep = ColumnTransformer(
        [
            ("cat", _one_hot(), ["merchant_category", "channel"]),
            ("num", "passthrough", ["amount", "hour", "distance_km", "card_age_months", "country_match", "txn_24h"]),
        ]
    )
    clf = LGBMClassifier(
        n_estimators=200,
        learning_rate=0.05,
        max_depth=5,
        num_leaves=15,
        min_child_samples=30,
        subsample=0.8,
        subsample_freq=1,
        colsample_bytree=0.9,
        random_state=0,
        deterministic=True,
        n_jobs=2,
        verbose=-1,
    )
    return Pipeline([("prep", prep), ("clf", clf)])


def fit_fraud(spec: FraudSpec) -> Pipeline:
    """Train one built-in fraud iteration on its months of the seeded training stream."""
    stream = make_transactions(FRAUD_TRAIN_ROWS, seed=FRAUD_TRAIN_SEED)
    train = stream[stream["month"].isin(spec.months)]
    return build_fraud_model().fit(train[FRAUD_FEATURES], train[FRAUD_TARGET])


def fit_builtin(spec: BuiltinSpec) -> Pipeline:
    """Train one built-in credit iteration on the fixed training split (deterministic)."""
    from demo_models.builtin.german_credit import split_credit

    train = split_credit().train
    columns = CREDIT_CATEGORICAL + CREDIT_NUMERIC + (list(CREDIT_PROTECTED) if spec.uses_protected else [])
    X, y = train[columns], train[CREDIT_TARGET]
    model = spec.build()
    if spec.monotone:
        names = model.named_steps["prep"].fit(X).get_feature_names_out()
        constraints = [1 if n in {f"num__{c}" for c in CREDIT_NUMERIC} else 0 for n in names]
        model.set_params(clf__monotone_constraints=constraints)
    return model.fit(X, y)


def _register_once(root: Path, use_case: str, version: str, train, **arguments) -> bool:
    """Train (lazily) and register one built-in iteration unless it exists; whether it was added."""
    if iteration_dir(use_case, version, root).exists():
        return False
    try:
        register_iteration(
            train(),
            use_case=use_case,
            version=version,
            author=AUTHOR,
            registry_dir=root,
            favourable=USE_CASES[use_case].favourable,
            **arguments,
        )
    except RegistryError:
        if not iteration_dir(use_case, version, root).exists():
            raise
        log.info("%s/%s was registered by another process meanwhile", use_case, version)
        return False
    return True


def ensure_builtin_iterations(
    registry_dir: Path | None = None, on_step: Callable[[str, int], None] | None = None
) -> list[str]:
    """Train and register the built-in iterations (credit, fraud) that are missing; "use case/version".

    `on_step(step, done)` is told before each one is trained ("training credit v2", iterations done).
    """
    root = Path(registry_dir or settings.registry_dir())
    added = []

    def step(use_case: str, version: str) -> None:
        if on_step is not None:
            on_step(f"training {use_case} {version}", len(added))

    for spec in CREDIT_ITERATIONS:
        if iteration_dir("credit", spec.version, root).exists():
            continue
        from demo_models.builtin.german_credit import split_credit

        step("credit", spec.version)
        if _register_once(
            root,
            "credit",
            spec.version,
            lambda spec=spec: fit_builtin(spec),
            eval_data=split_credit().eval,
            target=CREDIT_TARGET,
            positive_label=1,
            positive_class="default",
            threshold=CREDIT_THRESHOLD,
            protected_attributes=CREDIT_PROTECTED,
            parent=spec.parent,
            notes=spec.notes,
        ):
            added.append(f"credit/{spec.version}")
    fraud_eval = None
    for spec in FRAUD_ITERATIONS:
        if iteration_dir("fraud", spec.version, root).exists():
            continue
        step("fraud", spec.version)
        if fraud_eval is None:
            fraud_eval = make_transactions(FRAUD_EVAL_ROWS, seed=FRAUD_EVAL_SEED)
        if _register_once(
            root,
            "fraud",
            spec.version,
            lambda spec=spec: fit_fraud(spec),
            eval_data=fraud_eval,
            target=FRAUD_TARGET,
            positive_label=1,
            positive_class="fraud",
            threshold=FRAUD_THRESHOLD,
            protected_attributes=("customer_age_band",),
            parent=spec.parent,
            notes=spec.notes,
            extra={"reference_months": list(spec.months)},
        ):
            added.append(f"fraud/{spec.version}")
    return added
