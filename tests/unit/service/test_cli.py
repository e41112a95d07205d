import pickle

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression

from demo_models.iterations.registry import list_iterations, load_iteration
from demo_models.service.cli import main


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"x": rng.normal(size=80), "y": rng.normal(size=80)})
    frame["target"] = (frame["x"] + rng.normal(scale=0.5, size=80) > 0).astype(int)
    frame["id"] = [f"r{i}" for i in range(80)]
    model = LogisticRegression().fit(frame[["x", "y"]], frame["target"])
    sio.dump(model, tmp_path / "model.skops")
    frame.to_csv(tmp_path / "eval.csv", index=False)
    with open(tmp_path / "model.pkl", "wb") as f:
        pickle.dump(model, f)
    return tmp_path


def _register(files, *extra, model="model.skops", data="eval.csv"):
    return main(
        [
            "register",
            str(files / model),
            str(files / data),
            "--use-case",
            "toy",
            "--version",
            "v1",
            "--target",
            "target",
            "--author",
            "CLI user",
            "--case-id-column",
            "id",
            "--registry",
            str(files / "registry"),
            *extra,
        ]
    )


def test_register_from_files_and_list(files, capsys):
    assert _register(files, "--threshold", "0.3", "--notes", "from the shell") == 0
    assert "Registered toy/v1" in capsys.readouterr().out
    iteration = load_iteration("toy", "v1", files / "registry")
    assert iteration.card.threshold == 0.3 and iteration.card.notes == "from the shell"
    assert iteration.eval_data.index[0] == "r0"
    assert main(["list", "--registry", str(files / "registry")]) == 0
    assert "toy/v1\tLogisticRegression" in capsys.readouterr().out


def test_a_pickle_is_refused_without_being_opened(files, capsys):
    assert _register(files, model="model.pkl") == 1
    assert "never unpickles" in capsys.readouterr().err
    assert list_iterations(registry_dir=files / "registry") == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (dict(model="missing.skops"), "There is no model file"),
        (dict(data="missing.csv"), "There is no evaluation data file"),
        (dict(data="model.skops"), "must be a .csv or .parquet"),
    ],
)
def test_bad_files_are_refused_with_a_message(files, capsys, change, message):
    assert _register(files, **change) == 1
    assert message in capsys.readouterr().err


def test_a_non_binary_target_is_refused(files, capsys):
    frame = pd.read_csv(files / "eval.csv")
    frame["target"] = np.arange(len(frame)) % 3
    frame.to_csv(files / "three.csv", index=False)
    assert _register(files, data="three.csv") == 1
    assert "exactly two outcomes" in capsys.readouterr().err


def test_a_csv_with_its_index_written_is_refused_unless_the_index_is_named_the_case_id(files, capsys):
    frame = pd.read_csv(files / "eval.csv").drop(columns="id")
    frame.index = [f"r{i}" for i in range(len(frame))]
    frame.to_csv(files / "indexed.csv")  # index=True: a first column without a header
    arguments = [
        "register",
        str(files / "model.skops"),
        str(files / "indexed.csv"),
        "--use-case",
        "toy",
        "--version",
        "v1",
        "--target",
        "target",
        "--author",
        "CLI user",
        "--registry",
        str(files / "registry"),
    ]
    assert main(arguments) == 1
    err = capsys.readouterr().err
    assert "without a header ('Unnamed: 0')" in err and "--case-id-column 'Unnamed: 0'" in err and "index=False" in err
    assert list_iterations("toy", files / "registry") == []
    assert main([*arguments, "--case-id-column", "Unnamed: 0"]) == 0
    iteration = load_iteration("toy", "v1", files / "registry")
    assert iteration.eval_data.index[0] == "r0" and "Unnamed: 0" not in iteration.card.features


@pytest.mark.parametrize("suffix", [".ubj", ".json", ".cbm"])
def test_native_xgboost_and_catboost_files_register_from_the_command_line(files, capsys, suffix):
    frame = pd.read_csv(files / "eval.csv")
    if suffix == ".cbm":
        catboost = pytest.importorskip("catboost")
        model = catboost.CatBoostClassifier(iterations=10, depth=2, verbose=0, random_seed=0, allow_writing_files=False)
        model.fit(frame[["x", "y"]], frame["target"])
        model.save_model(str(files / "model.cbm"), format="cbm")
    else:
        xgb = pytest.importorskip("xgboost")
        booster = xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(frame[["x", "y"]], label=frame["target"]), 10)
        booster.save_model(files / f"model{suffix}")
    assert _register(files, model=f"model{suffix}") == 0
    assert "native" in capsys.readouterr().out
    iteration = load_iteration("toy", "v1", files / "registry")
    proba = iteration.model.predict_proba(iteration.features)[:, 1]
    from demo_models.iterations.scoring import ScoredIteration

    np.testing.assert_allclose(
        ScoredIteration(iteration).explainer.explain(iteration.features).scores, proba, atol=1e-6
    )


def test_a_damaged_native_file_is_refused_with_a_clear_message(files, capsys):
    pytest.importorskip("xgboost")
    (files / "model.ubj").write_bytes(b"not a model")
    assert _register(files, model="model.ubj") == 1
    assert "not a readable model file" in capsys.readouterr().err
