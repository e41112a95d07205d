"""Benchmark: registration and explain-one-case latency per model family, against the raw SHAP call.

Per family of `demo_models/examples/zoo.py` (fitted on 5,000 seeded cases, 100 trees of depth 6
unless said otherwise), on --rows evaluation cases (default 10,000): the time to register through
`register_iteration` (all checks, SHAP of every case, files), the library's own SHAP call on the
same encoded rows in one batch (shap.TreeExplainer / LinearExplainer for scikit-learn, the native
call for LightGBM, XGBoost and CatBoost) and their ratio (target: within 3x), and the p50 / p95
latency of `explain_case` (score + grouped SHAP + reason codes, as Explore shows a case: from the
SHAP stored at registration when that case's is stored) over --cases cases (target: p95 within 15 ms
for every tree family), how many of those cases were read from the store, and the p50 / p95 of
`explain_raw` on the same rows (always computed live, as What-if does for an edited case).

    .venv/bin/python bench/families.py [--rows 10000 --cases 200 --family xgboost --family catboost]
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from demo_models.examples.zoo import FAMILIES, TARGET, booster_frame, fit_family, make_zoo_data
from demo_models.iterations.registry import load_iteration, register_iteration
from demo_models.iterations.scoring import ScoredIteration

TARGET_RATIO, TARGET_P95_MS = 3.0, 15.0


def _raw_shap(family: str, scored: ScoredIteration):
    """A function running the library's own SHAP call on all evaluation rows, already encoded."""
    import shap

    clf = scored.explainer.estimator
    encoded = scored.explainer.transform(scored.features)
    if family.startswith("lightgbm"):
        return lambda: clf.booster_.predict(encoded, pred_contrib=True)
    if family.startswith("xgboost"):
        import xgboost

        booster = clf.booster if family == "xgboost booster" else clf.get_booster()
        booster.set_param({"nthread": 0})
        names = booster.feature_names
        return lambda: booster.predict(
            xgboost.DMatrix(encoded, missing=np.nan, feature_names=names), pred_contribs=True
        )
    if family == "catboost":
        from catboost import Pool

        return lambda: clf.get_feature_importance(
            Pool(encoded, cat_features=clf.get_cat_feature_indices()), type="ShapValues"
        )
    if family == "logistic regression":
        explainer = shap.LinearExplainer(clf, shap.maskers.Independent(encoded, max_samples=len(encoded)))
        return lambda: explainer.shap_values(encoded)
    explainer = shap.TreeExplainer(clf)
    return lambda: explainer.shap_values(encoded, check_additivity=False)


def _measure(
    family: str, rows: int, cases: int, trees: int, depth: int | None, root: Path, repeats: int
) -> dict[str, float]:
    train, evaluation = make_zoo_data(5000, seed=1), make_zoo_data(rows, seed=2)
    if family.endswith("booster"):
        train, evaluation = booster_frame(train), booster_frame(evaluation)
    evaluation = evaluation.reindex(columns=train.columns, fill_value=0.0)
    model = fit_family(family, train, trees=trees, depth=depth)
    version = family.replace(" ", "-")
    registrations = []
    for _ in range(repeats):
        start = time.perf_counter()
        register_iteration(
            model,
            evaluation,
            use_case="zoo",
            version=version,
            target=TARGET,
            author="bench",
            registry_dir=root,
            replace=True,
        )
        registrations.append(time.perf_counter() - start)
    registration = float(np.median(registrations))
    scored = ScoredIteration(load_iteration("zoo", version, root))
    raw = _raw_shap(family, scored)
    raws = []
    for _ in range(repeats):
        start = time.perf_counter()
        raw()
        raws.append(time.perf_counter() - start)
    raw_seconds = float(np.median(raws))
    ids = list(scored.scores.index[:cases])
    scored.explain_case(ids[0])  # warm-up
    times, live = [], []
    for case_id in ids:
        start = time.perf_counter()
        scored.explain_case(case_id)
        times.append((time.perf_counter() - start) * 1000)
    for case_id in ids:
        row = scored.features.loc[[case_id]]
        start = time.perf_counter()
        scored.explain_raw(row)
        live.append((time.perf_counter() - start) * 1000)
    return {
        "live p50 ms": float(np.percentile(live, 50)),
        "live p95 ms": float(np.percentile(live, 95)),
        "stored of shown": sum(c in scored._stored_shap() for c in ids),
        "registration s": registration,
        "raw SHAP s": raw_seconds,
        "ratio": registration / raw_seconds,
        "p50 ms": float(np.percentile(times, 50)),
        "p95 ms": float(np.percentile(times, 95)),
        "stored rows": scored.card.shap_rows,
    }


def _warm_up(root: Path) -> None:
    """One small untimed registration, so no family's timing pays the modules a registration imports."""
    train = make_zoo_data(500, seed=3)
    model = fit_family("logistic regression", train, trees=1, depth=None)
    register_iteration(
        model, train, use_case="zoo", version="warm-up", target=TARGET, author="bench", registry_dir=root
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--trees", type=int, default=100)
    parser.add_argument("--depth", type=int, default=6, help="tree depth (0: unlimited, forests and single trees)")
    parser.add_argument("--family", action="append", choices=FAMILIES, help="repeat; default every family")
    parser.add_argument("--repeats", type=int, default=3, help="registrations and raw calls per family (median)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    warnings.filterwarnings("ignore")
    import shap  # noqa: F401  (imports are not part of any timing)
    import skops.io  # noqa: F401

    print(f"{args.rows} evaluation cases, {args.trees} trees, depth {args.depth or 'unlimited'}")
    print(
        f"{'family':<24}{'register s':>11}{'raw SHAP s':>11}{'ratio':>7}{'p50 ms':>8}{'p95 ms':>8}{'SHAP rows':>10}"
        f"{'from store':>11}{'live p50':>9}{'live p95':>9}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        _warm_up(Path(tmp))
        for family in args.family or FAMILIES:
            m = _measure(family, args.rows, args.cases, args.trees, args.depth or None, Path(tmp), args.repeats)
            verdict = "" if m["ratio"] <= TARGET_RATIO else "  ratio over target"
            verdict += "" if m["p95 ms"] <= TARGET_P95_MS or family == "logistic regression" else "  p95 over target"
            print(
                f"{family:<24}{m['registration s']:>11.2f}{m['raw SHAP s']:>11.3f}{m['ratio']:>7.1f}"
                f"{m['p50 ms']:>8.2f}{m['p95 ms']:>8.2f}{m['stored rows']:>10}{m['stored of shown']:>11}"
                f"{m['live p50 ms']:>9.2f}{m['live p95 ms']:>9.2f}{verdict}"
            )


if __name__ == "__main__":
    main()
