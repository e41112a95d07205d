"""Where the model is wrong: error cohorts found by a shallow, readable tree over the original inputs,
each described in business words with its error rate (Wilson interval), cost and what reviewers said.

Three kinds, since they cost differently: every error (over all cases), false positives (the positive
decision given to a negative case, over the negative cases) and missed positives (over the positive cases).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from demo_models.metrics.calibration import wilson_interval
from demo_models.metrics.costs import CaseCosts
from demo_models.vocabulary import UseCase
from feedback.records import Feedback

if TYPE_CHECKING:
    from demo_models.iterations.evaluation import Evaluation

ERROR_KINDS = ("errors", "false_positives", "false_negatives")
COHORT_DEPTH = 3  # at most three conditions per cohort: readable
MIN_COHORT_SHARE = 0.02  # a cohort holds at least 2 % of the cases it is found among, and at least 20
MIN_COHORT_CASES = 20
FIT_SAMPLE = 20_000  # beyond this many cases the tree is fitted on a seeded sample; every count stays on all cases


@dataclass(frozen=True)
class ErrorCohort:
    """One cohort: its conditions in words, its cases and errors, the rate with its 95 % Wilson interval,
    the cost of its errors (NaN without costs) and the share of feedback on it that disagreed (NaN without)."""

    description: str
    cases: int
    errors: int
    rate: float
    low: float
    high: float
    cost: float
    feedback: int
    disagreed: float
    case_ids: tuple
    rule: tuple[tuple[str, str, object, bool], ...] = ()  # (input, "<=" / ">" / "==" / "!=", value, or missing)


@dataclass(frozen=True)
class ErrorCohorts:
    """The cohorts of one kind of error, worst rate first, and the rate over all the cases they split."""

    kind: str
    cases: int
    errors: int
    rate: float
    cohorts: tuple[ErrorCohort, ...]
    fitted_on: int = 0  # the cases the tree was fitted on: all of them, or a seeded sample of `FIT_SAMPLE`


def _encode(features: pd.DataFrame, use_case: UseCase) -> tuple[pd.DataFrame, dict[str, tuple[str, object]]]:
    """Numeric inputs as they are (missing kept), others — and numeric codes the use case names ("job" 0-3) —
    one column per value; and what each column means."""
    parts, meaning = [], {}
    for column in features.columns:
        values = features[column]
        coded = column in use_case.value_labels
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values) and not coded:
            parts.append(values.astype(float).rename(f"n:{column}"))
            meaning[f"n:{column}"] = (column, None)
            continue
        for i, value in enumerate(pd.unique(values.dropna())):
            name = f"c:{column}:{i}"
            parts.append((values == value).astype(float).rename(name))
            meaning[name] = (column, value)
    return pd.concat(parts, axis=1), meaning


def describe_rule(rule: tuple | list, use_case: UseCase) -> str:
    """A cohort's conditions in words; numeric bounds on one input merged ("Loan duration over 24.5 months")."""
    lows: dict[str, tuple[float, bool]] = {}
    highs: dict[str, tuple[float, bool]] = {}
    said: list[str] = []
    pinned = {column for column, op, _, _ in rule if op == "=="}  # "is A" says every "is not B" of its input
    for column, op, value, missing in rule:
        if op in ("<=", ">"):
            (highs if op == "<=" else lows)[column] = (value, missing)
        elif op == "!=" and column in pinned:
            continue
        else:
            verb = "is not" if op == "!=" else "is"
            said.append(f"{use_case.label(column)} {verb} “{use_case.describe_value(column, value)}”")
    for column in dict.fromkeys([*lows, *highs]):
        label = use_case.label(column)
        low, high = lows.get(column), highs.get(column)
        if low and high:
            text = (
                f"{label} over {use_case.describe_value(column, low[0])} and at most "
                f"{use_case.describe_value(column, high[0])}"
            )
        elif low:
            text = f"{label} over {use_case.describe_value(column, low[0])}"
        else:
            text = f"{label} at most {use_case.describe_value(column, high[0])}"
        if (low and low[1]) or (high and high[1]):
            text += " or missing"
        said.insert(0, text)
    return "; ".join(said) if said else "all cases"


def select_rule(features: pd.DataFrame, rule: tuple | list) -> pd.Index:
    """The case ids a cohort's rule selects among `features` (missing values where the rule says so)."""
    inside = pd.Series(True, index=features.index)
    for column, op, value, missing in rule:
        values = features[column]
        if op in ("<=", ">"):
            numbers = pd.to_numeric(values, errors="coerce")
            test = numbers <= value if op == "<=" else numbers > value
            inside &= test | (numbers.isna() & bool(missing))
        else:
            inside &= (values == value) if op == "==" else (values != value) | values.isna()
    return features.index[inside.to_numpy()]


def rule_to_text(rule: tuple | list) -> str:
    """A rule as compact JSON, for a link (Explore's `cohort` query parameter)."""
    plain = [[c, op, v.item() if isinstance(v, np.generic) else v, bool(m)] for c, op, v, m in rule]
    return json.dumps(plain, separators=(",", ":"), ensure_ascii=False)


def rule_from_text(text: str, features: pd.DataFrame) -> tuple:
    """A rule read back from a link, checked against the inputs; ValueError when it is not one."""
    try:
        raw = json.loads(text)
    except ValueError as err:
        raise ValueError("The cohort in the link cannot be read.") from err
    if not isinstance(raw, list) or not raw or len(raw) > 2 * COHORT_DEPTH:
        raise ValueError("The cohort in the link is not a list of conditions.")
    rule = []
    for item in raw:
        if not (isinstance(item, list) and len(item) == 4 and item[0] in features.columns):
            raise ValueError("A condition of the cohort in the link names no input of this iteration.")
        column, op, value, missing = item
        numeric = op in ("<=", ">")
        if op not in ("<=", ">", "==", "!=") or (numeric and not isinstance(value, (int, float))):
            raise ValueError("A condition of the cohort in the link is not one Involve writes.")
        rule.append((column, op, float(value) if numeric else value, bool(missing)))
    return tuple(rule)


def _rule(path: list[tuple[str, float, bool, bool]], meaning: dict) -> list[tuple[str, str, object, bool]]:
    """A path as conditions on the original inputs, a filter Explore or a test can apply."""
    rule = []
    for name, threshold, left, missing in path:
        column, value = meaning[name]
        if value is None:
            rule.append((column, "<=" if left else ">", threshold, missing))
        else:
            rule.append((column, "!=" if left else "==", value, False))
    return rule


def _leaf_paths(tree, encoded: pd.DataFrame) -> dict[int, list[tuple[str, float, bool, bool]]]:
    """Each leaf's path from the root: (column, threshold, went left, missing values went this way too)."""
    structure = tree.tree_
    has_missing = encoded.isna().any().to_numpy()
    missing_left = getattr(structure, "missing_go_to_left", np.zeros(structure.node_count, dtype=bool))
    paths: dict[int, list] = {}
    stack = [(0, [])]
    while stack:
        node, path = stack.pop()
        left, right = structure.children_left[node], structure.children_right[node]
        if left == right:  # a leaf
            paths[node] = path
            continue
        feature = int(structure.feature[node])
        name, threshold = encoded.columns[feature], float(structure.threshold[node])
        nan_left = bool(has_missing[feature] and missing_left[node])
        nan_right = bool(has_missing[feature] and not missing_left[node])
        stack.append((left, [*path, (name, threshold, True, nan_left)]))
        stack.append((right, [*path, (name, threshold, False, nan_right)]))
    return paths


def errors_of(
    scored: Evaluation, kind: str = "errors", costs: CaseCosts | None = None, threshold: float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(which cases the kind of error is counted among, whether each of those is wrong at `threshold` — the
    iteration's own by default —, the cost of each of those if wrong, NaN without costs)."""
    if kind not in ERROR_KINDS:
        raise ValueError(f"{kind!r} is not a kind of error: use one of {', '.join(ERROR_KINDS)}.")
    labels = np.asarray(scored.iteration.labels, dtype=int)
    positive = scored.scores.to_numpy() >= (scored.threshold if threshold is None else threshold)
    among = {"errors": np.ones(len(labels), bool), "false_positives": labels == 0, "false_negatives": labels == 1}[kind]
    cost_of = np.full(len(labels), np.nan)
    if costs is not None:
        cost_of = np.where(labels == 1, costs.false_negative, costs.false_positive).astype(float)
    return among, (positive != (labels == 1))[among], cost_of[among]


def find_error_cohorts(
    scored: Evaluation,
    kind: str = "errors",
    costs: CaseCosts | None = None,
    verdicts: pd.Series | None = None,
    depth: int = COHORT_DEPTH,
    threshold: float | None = None,
    protected: bool = False,
) -> ErrorCohorts:
    """The cohorts where the iteration errs at `threshold` (its own by default), of one kind (`ERROR_KINDS`),
    worst rate first. `verdicts`: feedback verdicts indexed by case id, one per record (`verdicts_of`). The tree
    never splits on a protected attribute unless `protected` asks for it (a fairness review)."""
    from sklearn.tree import DecisionTreeClassifier

    among, wrong, cost_of = errors_of(scored, kind, costs, threshold)
    features = scored.features.loc[among]
    if not protected:
        features = features.drop(columns=[c for c in scored.card.protected_attributes if c in features.columns])
    n, errors = len(wrong), int(wrong.sum())
    if n == 0:
        return ErrorCohorts(kind, 0, 0, float("nan"), ())
    encoded, meaning = _encode(features, scored.use_case)
    leaf_of = np.zeros(n, dtype=int)
    paths: dict[int, list] = {0: []}
    fit = np.arange(n)
    if n > FIT_SAMPLE:  # disclosed: the split is found on a seeded sample, the cohorts counted on every case
        fit = np.sort(np.random.default_rng(0).choice(n, FIT_SAMPLE, replace=False))
    if 0 < errors < n and encoded.shape[1]:
        tree = DecisionTreeClassifier(
            max_depth=depth,
            min_samples_leaf=max(MIN_COHORT_CASES, math.ceil(MIN_COHORT_SHARE * len(fit))),
            random_state=0,
        ).fit(encoded.iloc[fit], wrong[fit])
        leaf_of, paths = tree.apply(encoded), _leaf_paths(tree, encoded)
    ids = features.index.to_numpy()
    cohorts = []
    for leaf, path in paths.items():
        inside = leaf_of == leaf
        cases, wrong_here = int(inside.sum()), int(wrong[inside].sum())
        if not cases:
            continue
        said = verdicts[verdicts.index.isin(ids[inside])] if verdicts is not None else pd.Series(dtype=object)
        low, high = wilson_interval(wrong_here, cases)
        cohorts.append(
            ErrorCohort(
                description=describe_rule(_rule(path, meaning), scored.use_case),
                cases=cases,
                errors=wrong_here,
                rate=wrong_here / cases,
                low=low,
                high=high,
                cost=float(cost_of[inside & wrong].sum()) if costs is not None else float("nan"),
                feedback=len(said),
                disagreed=float((said == "disagree").mean()) if len(said) else float("nan"),
                case_ids=tuple(ids[inside]),
                rule=tuple(_rule(path, meaning)),
            )
        )
    cohorts.sort(key=lambda c: (-c.rate, -c.cases))
    return ErrorCohorts(kind, n, errors, errors / n, tuple(cohorts), len(fit))


def cohorts_table(found: ErrorCohorts) -> pd.DataFrame:
    """The cohorts as a table for a page or a report, worst rate first."""
    return pd.DataFrame(
        [
            {
                "cohort": c.description,
                "cases": c.cases,
                "errors": c.errors,
                "error rate": c.rate,
                "interval low": c.low,
                "interval high": c.high,
                "cost of errors": np.nan if c.cost is None else c.cost,  # undefined without a cost matrix
                "feedback": c.feedback,
                "feedback disagreeing": c.disagreed,
            }
            for c in found.cohorts
        ]
    )


def verdicts_of(entries: list[Feedback], version: str) -> pd.Series:
    """The verdicts of the feedback given on one iteration, indexed by case id (one per record)."""
    mine = [f for f in entries if f.iteration == version]
    return pd.Series([f.verdict for f in mine], index=[f.case_id for f in mine], dtype=object)


def describe_kind(kind: str, use_case: UseCase) -> str:
    """A kind of error in the use case's words, with the cases its rate is over."""
    words = use_case.words
    return {
        "errors": "Every error (of all cases)",
        "false_positives": f"Wrong “{use_case.positive_decision}” (of the {words.negative_cases})",
        "false_negatives": f"Missed {words.positive_cases} (of the {words.positive_cases})",
    }[kind]


def open_cohort_link(scored: Evaluation, text: str) -> tuple[pd.Index, str]:
    """The case ids and the description of the cohort a link names (Explore's `cohort` parameter);
    ValueError with a sentence when the link does not name one of this iteration's inputs."""
    rule = rule_from_text(text, scored.features)
    return select_rule(scored.features, rule), describe_rule(rule, scored.use_case)
