"""A long registration shows one progress bar when asked (the command line), and nothing by default (a notebook)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from demo_models.explanations import attributions
from demo_models.iterations.registry import load_iteration, register_iteration


def _frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"income": rng.normal(50, 10, n), "debt": rng.normal(10, 3, n)})
    frame["bad"] = (frame["debt"] * 3 - frame["income"] + rng.normal(0, 5, n) > -20).astype(int)
    return frame


def test_one_bar_over_every_chunk_when_asked_and_silence_by_default(tmp_path, capsys):
    frame = _frame(5_000)  # three chunks of at most 2,000 cases
    model = LogisticRegression().fit(frame[["income", "debt"]], frame["bad"])
    options = {"target": "bad", "author": "Dana", "registry_dir": tmp_path, "use_case": "loans"}
    register_iteration(model, frame, version="quiet", **options)
    assert capsys.readouterr().err == ""
    register_iteration(model, frame, version="loud", progress=True, **options)
    err = capsys.readouterr().err
    assert err.count("| 0/5000 ") == 1 and "5000/5000" in err  # one bar, started once, run to the end
    assert "/2000" not in err and err.count("Explaining loans/loud:") >= 2
    assert attributions.EXPLAIN_CHUNK_ROWS == 2_000
    quiet, loud = (load_iteration("loans", v, tmp_path).shap_values for v in ("quiet", "loud"))
    pd.testing.assert_frame_equal(quiet, loud)
