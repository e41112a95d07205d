"""Benchmark: the same registration on an idle machine and with every core busy stores the same SHAP rows.

Per family (default: random forest, LightGBM, and a model-agnostic naive Bayes pipeline),
the model is fitted once and registered twice through `register_iteration` on --rows evaluation
cases: first on the machine as it is, then while one CPU burner per core runs. Reported: each
registration's time, the rows stored, and whether the two stored the identical rows with identical
values (they must: the rows are chosen from the case count and the model's size, never the clock).

    .venv/bin/python bench/global_shap.py [--rows 10000 --family "random forest" --family lightgbm]
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import Pipeline

from demo_models.examples.zoo import TARGET, fit_family, make_encoder, make_zoo_data
from demo_models.iterations.registry import load_iteration, register_iteration

log = logging.getLogger("bench.global_shap")
DEFAULT_FAMILIES = ("random forest", "lightgbm", "naive bayes")


def _burn(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def _fit(family: str, train):
    if family == "naive bayes":
        X, y = train.drop(columns=TARGET), train[TARGET]
        return Pipeline([("prep", make_encoder()), ("clf", GaussianNB())]).fit(X, y)
    return fit_family(family, train, trees=100, depth=6)


def _register(model, evaluation, root: Path, version: str) -> tuple[float, object]:
    start = time.perf_counter()
    register_iteration(
        model,
        evaluation,
        use_case="bench",
        version=version,
        target=TARGET,
        positive_label=1,
        author="bench",
        registry_dir=root,
    )
    return time.perf_counter() - start, load_iteration("bench", version, registry_dir=root).shap_values


def measure(family: str, rows: int) -> dict[str, object]:
    """Register the family's model idle and busy; times, rows stored, identical or not."""
    model = _fit(family, make_zoo_data(5000, seed=1))
    evaluation = make_zoo_data(rows, seed=2)
    root = Path(tempfile.mkdtemp(prefix="involve-global-shap-"))
    idle_s, idle = _register(model, evaluation, root, "idle")
    burners = [
        multiprocessing.get_context("spawn").Process(target=_burn, args=(3600.0,)) for _ in range(os.cpu_count() or 2)
    ]
    for burner in burners:
        burner.start()
    try:
        time.sleep(1.0)
        load = os.getloadavg()[0]
        busy_s, busy = _register(model, evaluation, root, "busy")
    finally:
        for burner in burners:
            burner.terminate()
            burner.join()
    same_rows = idle.index.equals(busy.index)
    same_values = same_rows and np.array_equal(idle.to_numpy(), busy.to_numpy())
    return {
        "family": family,
        "idle s": idle_s,
        "busy s": busy_s,
        "load while busy": load,
        "rows idle": len(idle),
        "rows busy": len(busy),
        "identical": same_rows and same_values,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--family", action="append", help="a family of demo_models/examples/zoo.py, or 'naive bayes'")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    warnings.filterwarnings("ignore")
    print(f"{args.rows:,} evaluation cases, {os.cpu_count()} burners while busy")
    print(f"{'family':24s} {'idle s':>7s} {'busy s':>7s} {'load':>5s} {'rows idle':>9s} {'rows busy':>9s}  identical")
    for family in args.family or DEFAULT_FAMILIES:
        r = measure(family, args.rows)
        print(
            f"{family:24s} {r['idle s']:7.2f} {r['busy s']:7.2f} {r['load while busy']:5.1f} "
            f"{r['rows idle']:9,} {r['rows busy']:9,}  {'yes' if r['identical'] else 'NO'}"
        )


if __name__ == "__main__":
    main()
