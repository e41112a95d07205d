"""Names: full-match version names, text-direction controls refused in names and shown in display,
the report checks its names, a feature mismatch is a refusal, a removal is credited to who removed."""

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression

from demo_models.iterations.registry import RegistryError, load_iteration, register_iteration
from demo_models.service.cli import main
from feedback.access import AccessError, Actor, check_actor
from feedback.goals import GoalError
from feedback.records import FeedbackError, neutralise_bidi, validate_draft
from feedback.store.goals import criteria_history, current_criteria, remove_criterion, save_criterion
from pages._ui.text import escape_markdown
from tests.helpers import CRITERION_SPECS, make_criterion, make_draft

RLO = "\u202e"


def _toy(tmp_path, eval_columns=("x", "y")):
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"x": rng.normal(size=60), "y": rng.normal(size=60)})
    target = (frame["x"] > 0).astype(int)
    model = LogisticRegression().fit(frame.to_numpy(), target)  # fitted without column names
    data = pd.DataFrame({c: rng.normal(size=60) for c in eval_columns})
    data["target"] = target
    return model, data


@pytest.mark.parametrize("version", ["v1\n", "v1\nv2", " v1", "v1/../x", f"v1{RLO}"])
def test_a_version_name_must_match_in_full(tmp_path, version):
    model, data = _toy(tmp_path)
    with pytest.raises(RegistryError, match="name .* is not valid"):
        register_iteration(
            model, data, use_case="toy", version=version, target="target", author="A", registry_dir=tmp_path
        )
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("name", [f"Ann {RLO}nimda", "Ann\u2066x\u2069", "Ann\u200f"])
def test_text_direction_controls_are_refused_in_names(name):
    with pytest.raises(AccessError, match="text-direction"):
        check_actor(Actor(name, "admin"), "triage feedback")
    with pytest.raises(FeedbackError, match="text-direction"):
        validate_draft(make_draft(reviewer_name=name), {"v3"})
    with pytest.raises(FeedbackError, match="text-direction"):
        validate_draft(make_draft(case_id=f"A1{RLO}"), {"v3"})


def test_comments_keep_them_and_display_shows_them_inert():
    assert validate_draft(make_draft(comment=f"see {RLO}txt.exe"), {"v3"}).comment == f"see {RLO}txt.exe"
    assert neutralise_bidi(f"see {RLO}exe.txt") == "see [U+202E]exe.txt"
    shown = escape_markdown(f"a{RLO}b\u2067c")
    assert RLO not in shown and "\u2067" not in shown and shown == r"a\[U+202E\]b\[U+2067\]c"


def test_the_report_refuses_a_name_that_is_a_path(registry_dir, tmp_path, capsys):
    out = tmp_path / "r.html"
    status = main(
        [
            "report",
            "credit",
            "../credit/v1",
            "--out",
            str(out),
            "--registry",
            str(registry_dir),
            "--db",
            f"sqlite:///{tmp_path / 's.sqlite3'}",
        ]
    )
    assert status == 1 and not out.exists()
    assert "No report: The version name '../credit/v1' is not valid" in capsys.readouterr().err
    with pytest.raises(RegistryError, match="use case name '..' is not valid"):
        load_iteration("..", "credit", registry_dir)


@pytest.mark.parametrize(("columns", "message"), [(("x", "y", "z"), "fitted on 2 inputs; the data has 3")])
def test_register_with_mismatched_features_says_not_registered(tmp_path, capsys, columns, message):
    model, data = _toy(tmp_path, columns)
    sio.dump(model, tmp_path / "model.skops")
    data.to_csv(tmp_path / "eval.csv", index=False)
    status = main(
        [
            "register",
            str(tmp_path / "model.skops"),
            str(tmp_path / "eval.csv"),
            "--use-case",
            "toy",
            "--version",
            "v1",
            "--target",
            "target",
            "--author",
            "A",
            "--registry",
            str(tmp_path / "reg"),
        ]
    )
    err = capsys.readouterr().err
    assert status == 1 and err.startswith("Not registered: ") and message in err and "Traceback" not in err


def test_a_model_fitted_with_names_needs_those_columns(tmp_path):
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"x": rng.normal(size=60), "y": rng.normal(size=60)})
    model = LogisticRegression().fit(frame, (frame["x"] > 0).astype(int))
    data = frame.rename(columns={"y": "w"}).assign(target=(frame["x"] > 0).astype(int))
    with pytest.raises(RegistryError, match="lacks inputs the model was fitted on: y"):
        register_iteration(
            model, data, use_case="toy", version="v1", target="target", author="A", registry_dir=tmp_path
        )


def test_removing_a_criterion_is_credited_to_who_removes_it(sqlite_store):
    saved = save_criterion(sqlite_store, make_criterion(author_name="Ann"), specs=CRITERION_SPECS)
    for nobody in ("", "   "):
        with pytest.raises(GoalError, match="Say who you are"):
            remove_criterion(sqlite_store, saved, Actor(nobody, "business user"), specs=CRITERION_SPECS)
    assert len(current_criteria(sqlite_store, "credit")) == 1
    remove_criterion(sqlite_store, saved, Actor("Dee", "business user"), specs=CRITERION_SPECS)
    assert [c.author_name for c in criteria_history(sqlite_store, "credit")] == ["Ann", "Dee"]
    assert current_criteria(sqlite_store, "credit") == []
