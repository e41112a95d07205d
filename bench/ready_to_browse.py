"""Benchmark: ready to browse — a LightGBM model on 10,000 evaluation cases in Involve beside
explainerdashboard, on the same model and rows, in one run.

- Involve: `register_iteration` (every check, SHAP of every case, files), then the app's first Explore
  render of that iteration under AppTest (Home first, as a person arrives), each run in a fresh process.
- explainerdashboard: `ClassifierExplainer(model, X, y)` and `ExplainerDashboard(explainer)`, whose
  constructor precomputes what its tabs show (SHAP, interactions, importances), in its own virtual
  environment (--edvenv): explainerdashboard is not a dependency of Involve — it pins dash and its own
  stack — so it is installed beside the project only for this comparison:
      python3 -m venv /tmp/edvenv && /tmp/edvenv/bin/pip install explainerdashboard lightgbm pyarrow
- Both sides fit the same seeded LGBMClassifier (deterministic, same LightGBM version) on the same
  Parquet rows; the script checks that their predicted probabilities agree to 1e-12 before timing.

Imports are outside every timing. Medians over --runs; target: explainerdashboard / Involve >= 15x.

    .venv/bin/python bench/ready_to_browse.py --edvenv /tmp/edvenv [--rows 10000 --runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 15.0

# Run by both interpreters: the data and the model, identical on both sides.
FIT = """
import numpy as np, pandas as pd
from lightgbm import LGBMClassifier
def fit(folder):
    train, evaluation = pd.read_parquet(folder + "/train.parquet"), pd.read_parquet(folder + "/eval.parquet")
    model = LGBMClassifier(n_estimators=100, max_depth=6, random_state=0, n_jobs=2, deterministic=True,
                           force_row_wise=True, verbose=-1)
    model.fit(train.drop(columns="y"), train["y"])
    return model, evaluation
"""

EXPLAINERDASHBOARD = (
    FIT
    + """
import json, sys, time, warnings, logging
warnings.filterwarnings("ignore"); logging.disable(logging.WARNING)
from explainerdashboard import ClassifierExplainer, ExplainerDashboard
folder = sys.argv[1]
model, evaluation = fit(folder)
np.save(folder + "/ed_proba.npy", model.predict_proba(evaluation.drop(columns="y"))[:, 1])
start = time.perf_counter()
explainer = ClassifierExplainer(model, evaluation.drop(columns="y"), evaluation["y"])
ExplainerDashboard(explainer)
print(json.dumps({"ready_s": time.perf_counter() - start}))
"""
)

INVOLVE = (
    FIT
    + """
import json, os, sys, time, warnings
warnings.filterwarnings("ignore")
import shap, skops.io  # noqa: F401  (imports are outside the timing)
from streamlit.testing.v1 import AppTest
from demo_models.iterations.registry import register_iteration
folder, registry, app = sys.argv[1], sys.argv[2], sys.argv[3]
model, evaluation = fit(folder)
ed = np.load(folder + "/ed_proba.npy")
assert np.abs(model.predict_proba(evaluation.drop(columns="y"))[:, 1] - ed).max() <= 1e-12, "not the same model"
start = time.perf_counter()
register_iteration(model, evaluation, use_case="bench", version="v1", target="y", author="bench",
                   registry_dir=registry, replace=True)
registered = time.perf_counter() - start
at = AppTest.from_file(app, default_timeout=300)
at.query_params.update(use_case="bench", iteration="v1")
at.session_state["_dismissed_here"] = {"orientation"}
at.session_state["identity_name"], at.session_state["identity_role"] = ("Bench", "data scientist")
start = time.perf_counter()
at.run()
at.switch_page("pages/1_Explore.py").run()
shown = time.perf_counter() - start
assert not at.exception, at.exception
assert len(at.dataframe(key="cases").value) == len(evaluation)
print(json.dumps({"register_s": registered, "explore_s": shown, "ready_s": registered + shown}))
"""
)


def write_rows(folder: Path, rows: int) -> None:
    """5,000 training and `rows` evaluation cases of a seeded ten-input binary problem, as Parquet."""
    import pandas as pd
    from sklearn.datasets import make_classification

    x, y = make_classification(5000 + rows, 10, n_informative=6, random_state=0)
    frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(10)]).assign(y=y)
    frame.iloc[:5000].to_parquet(folder / "train.parquet")
    evaluation = frame.iloc[5000:].reset_index(drop=True)
    evaluation.index = [f"C{i:05d}" for i in range(len(evaluation))]
    evaluation.to_parquet(folder / "eval.parquet")


def _json_of(command: list[str], env: dict[str, str]) -> dict:
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{command[0]} failed:\n{done.stderr[-2000:]}")
    return json.loads(next(line for line in reversed(done.stdout.splitlines()) if line.startswith("{")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edvenv", type=Path, required=True, help="a venv with explainerdashboard and lightgbm")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ed_python = args.edvenv / "bin" / "python"
    if not ed_python.exists():
        raise SystemExit(f"No Python at {ed_python}: create the venv as this script's docstring says.")
    from demo_models.builtin.training import ensure_builtin_iterations

    with tempfile.TemporaryDirectory() as tmp:
        folder, registry = Path(tmp), Path(tmp) / "registry"
        write_rows(folder, args.rows)
        ensure_builtin_iterations(registry)  # untimed: the app finds the built-ins and trains nothing
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "INVOLVE_DATA_DIR": tmp,
            "INVOLVE_REGISTRY_DIR": str(registry),
            "INVOLVE_DB_URL": f"sqlite:///{tmp}/feedback.sqlite3",
            "INVOLVE_DEMO_HISTORY": "0",
            "INVOLVE_HEALTH_EVERY": "0",
        }
        print(f"load average {os.getloadavg()[0]:.1f}; {args.rows:,} evaluation cases; {args.runs} runs, medians")
        ed, involve = [], []
        for _ in range(args.runs):
            ed.append(_json_of([str(ed_python), "-c", EXPLAINERDASHBOARD, tmp], env))
            involve.append(_json_of([sys.executable, "-c", INVOLVE, tmp, str(registry), str(ROOT / "app.py")], env))
        ed_s = statistics.median(r["ready_s"] for r in ed)
        reg_s = statistics.median(r["register_s"] for r in involve)
        explore_s = statistics.median(r["explore_s"] for r in involve)
        ready_s = statistics.median(r["ready_s"] for r in involve)
        ratio = ed_s / ready_s
        print(f"explainerdashboard precompute      {ed_s:8.2f} s")
        print(f"Involve registration               {reg_s:8.2f} s")
        print(f"Involve first Explore render       {explore_s:8.2f} s (Home, then Explore)")
        print(f"Involve ready to browse            {ready_s:8.2f} s")
        print(
            f"ratio                              {ratio:8.1f}x  (target >= {TARGET_RATIO:.0f}x: "
            f"{'met' if ratio >= TARGET_RATIO else 'MISSED'})"
        )


if __name__ == "__main__":
    main()
