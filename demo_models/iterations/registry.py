"""The iteration registry: one safe on-disk format for every model version, built-in or brought.

Layout: ``<registry>/<use case>/<version>/`` holding ``card.json`` (what the iteration is),
``model.skops`` (the fitted pipeline, loaded with an explicit list of trusted types), for an
XGBoost or CatBoost estimator its data-only native file (see `demo_models.iterations.native`),
``eval.parquet`` (the evaluation cases, indexed by case id, with the target column) and
``shap.parquet``. Every check that can refuse runs before any SHAP is computed and before anything
is written; the files are then written to a staging folder and renamed into place, so a refused or
failed registration leaves nothing behind (no use-case folder either).
"""

from __future__ import annotations

import io
import json
import logging
import re
import shutil
import uuid
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from demo_models import settings

if TYPE_CHECKING:
    from feedback.hypotheses import HypothesisDraft
    from feedback.store.database import FeedbackStore

# demo_models.iterations.native imports scikit-learn (~2 s): it is imported only where a model is read or written

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
CARD_FILE, MODEL_FILE, EVAL_FILE, SHAP_FILE = "card.json", "model.skops", "eval.parquet", "shap.parquet"
SCORES_FILE = "scores.parquet"  # the evaluation cases' scores, so pages can judge an iteration without its model
JUDGED_FILE = "judged.json"  # its headline metrics and fairness gaps at the registered threshold
FAVOURABLE_CHOICES = ("negative", "positive")  # which decision is good for the case
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
#: Types outside skops' defaults that a registered model may contain, and nothing else
#: (tests/unit/iterations/test_model_zoo.py lists what each supported family's fitted pipeline contains).
TRUSTED_TYPES = frozenset(
    {
        "collections.OrderedDict",
        "demo_models.iterations.native.LightGBMBoosterClassifier",  # a raw LightGBM Booster, as a classifier
        "demo_models.iterations.native.NativeSlot",  # placeholder of an XGBoost / CatBoost estimator: names only
        "lightgbm.basic.Booster",
        "lightgbm.sklearn.LGBMClassifier",
        "numpy.dtype",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.tree._tree.Tree",  # RandomForest, ExtraTrees, GradientBoosting, DecisionTree
    }
)
TRUSTED_TYPE_LIST = sorted(TRUSTED_TYPES)  # as skops takes them


#: Modules of our own trusted types as older versions of Involve wrote them into model files (the
#: redesign of 2026-12 moved them); a file naming an old module is read as naming the new one.
MOVED_MODULES = {"demo_models.native": "demo_models.iterations.native"}


class RegistryError(ValueError):
    """An iteration that cannot be registered or loaded; the message says why, in plain words."""


@dataclass(frozen=True)
class IterationCard:
    """What an iteration is: identity, lineage, target meaning, protected attributes, threshold."""

    use_case: str
    version: str
    author: str
    created: str
    target: str
    positive_label: Any
    positive_class: str
    threshold: float
    features: tuple[str, ...]
    protected_attributes: tuple[str, ...] = ()
    parent: str | None = None
    notes: str = ""
    explainer: str = ""
    model_type: str = ""
    n_eval: int = 0
    scale: str = "log-odds"
    base_value: float = 0.0
    explain_ms: float = 0.0  # measured per case at registration
    shap_rows: int = 0  # evaluation cases whose SHAP is stored (all, or a disclosed sample)
    shap_rule: str = ""  # why those rows: "every case" or the deterministic sampling rule that applied
    format_version: int = FORMAT_VERSION
    favourable: str = "negative"  # the decision that is good for the case: "negative" or "positive"
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        """The card as pretty JSON."""
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> IterationCard:
        """Parse a card written by `to_json`."""
        data = json.loads(text)
        data["features"] = tuple(data["features"])
        data["protected_attributes"] = tuple(data.get("protected_attributes", ()))
        return cls(**data)


@dataclass(frozen=True)
class Iteration:
    """A loaded iteration: card, fitted model, evaluation cases (features + target), stored SHAP."""

    card: IterationCard
    model: Any
    eval_data: pd.DataFrame
    shap_values: pd.DataFrame  # per evaluation case (or a sample), per input column

    @property
    def features(self) -> pd.DataFrame:
        """The evaluation cases' input columns, indexed by case id."""
        return self.eval_data[list(self.card.features)]

    @property
    def labels(self) -> np.ndarray:
        """1 where the evaluation case's actual outcome is the positive class, else 0."""
        return (self.eval_data[self.card.target] == self.card.positive_label).to_numpy(int)


def _python_scalar(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def check_name(kind: str, value: str) -> None:
    """RegistryError unless the use case or version name is valid (names become folder names)."""
    if not isinstance(value, str) or not NAME_PATTERN.fullmatch(value):
        raise RegistryError(
            f"The {kind} name {value!r} is not valid: use 1-40 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit."
        )


def _check_features(model: Any, features: pd.DataFrame) -> None:
    """RegistryError if the evaluation data lacks inputs the model was fitted on (by name, or by count
    for a model fitted without column names)."""
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        missing = [str(n) for n in names if n not in features.columns]
        if missing:
            raise RegistryError(
                "The model cannot take this evaluation data: it lacks inputs the model was fitted on: "
                f"{', '.join(missing[:10])}."
            )
        return
    expected = getattr(model, "n_features_in_", None)
    if isinstance(expected, int) and expected > 0 and expected != features.shape[1]:  # CatBoost from .cbm says 0
        raise RegistryError(
            f"The model cannot take this evaluation data: it was fitted on {expected} inputs; the data has "
            f"{features.shape[1]} "
            f"besides the target ({', '.join(map(str, features.columns[:10]))})."
        )


def _prepare_eval_data(eval_data: pd.DataFrame, target: str, positive_label: Any) -> pd.DataFrame:
    if not isinstance(eval_data, pd.DataFrame) or eval_data.empty:
        raise RegistryError("The evaluation data must be a non-empty pandas DataFrame.")
    if target not in eval_data.columns:
        raise RegistryError(f"The target column {target!r} is not in the evaluation data.")
    values = set(eval_data[target].dropna().unique().tolist())
    if len(values) != 2 or eval_data[target].isna().any():
        raise RegistryError(
            f"The target column {target!r} must hold exactly two outcomes and no missing values; "
            f"it holds {sorted(map(str, values))[:5]}."
        )
    if positive_label not in values:
        raise RegistryError(
            f"The positive label {positive_label!r} does not occur in {target!r} (values: {sorted(map(str, values))})."
        )
    frame = eval_data.copy()
    if isinstance(frame.index, pd.RangeIndex):
        frame.index = pd.Index([f"case-{i + 1}" for i in range(len(frame))])
    frame.index = frame.index.astype(str)
    frame.index.name = "case_id"
    if frame.index.has_duplicates:
        raise RegistryError("The evaluation data's index (the case ids) must be unique.")
    return frame


def iteration_dir(use_case: str, version: str, registry_dir: Path | None = None) -> Path:
    """Folder of one iteration in the registry."""
    return Path(registry_dir or settings.registry_dir()) / use_case / version


def register_iteration(
    model: Any,
    eval_data: pd.DataFrame,
    *,
    use_case: str,
    version: str,
    target: str,
    author: str,
    positive_label: Any = 1,
    positive_class: str = "positive",
    threshold: float = 0.5,
    protected_attributes: tuple[str, ...] | list[str] = (),
    parent: str | None = None,
    notes: str = "",
    replace: bool = False,
    registry_dir: Path | None = None,
    extra: dict[str, Any] | None = None,
    favourable: str = "negative",
    progress: bool = False,
    hypothesis: HypothesisDraft | None = None,
    store: FeedbackStore | None = None,
) -> IterationCard:
    """Validate a fitted classifier with its evaluation data and store it as a new iteration.

    Refuses (RegistryError) anything Involve could not show honestly, before any SHAP; writes nothing then.
    progress=True draws one progress bar while the evaluation cases are explained (the command line's default).
    `hypothesis` (`feedback.hypotheses.HypothesisDraft`) states what the iteration tests, checked before
    anything is written and saved in `store` (default: the app's, `INVOLVE_DB_URL`) once it is registered.
    """
    check_name("use case", use_case)
    check_name("version", version)
    if not author or not str(author).strip():
        raise RegistryError("Say who registers the iteration (author).")
    from demo_models.iterations import native

    try:
        model = native.as_classifier(model)  # a raw XGBoost Booster becomes a classifier
    except ValueError as err:
        raise RegistryError(str(err)) from err
    if not hasattr(model, "predict_proba"):
        raise RegistryError("The model has no predict_proba: Involve needs a probabilistic classifier.")
    if not 0.0 < float(threshold) < 1.0:
        raise RegistryError(f"The threshold must lie strictly between 0 and 1, not {threshold}.")
    if favourable not in FAVOURABLE_CHOICES:
        raise RegistryError(
            f"favourable must be 'negative' (the decision below the threshold is the good one, e.g. approve "
            f"a loan) or 'positive' (e.g. hire, admit), not {favourable!r}."
        )
    frame = _prepare_eval_data(eval_data, target, positive_label)
    features = frame.drop(columns=target)
    missing = [c for c in protected_attributes if c not in frame.columns]
    if missing:
        raise RegistryError(f"Protected attributes not in the evaluation data: {missing}.")
    root = Path(registry_dir or settings.registry_dir())
    final = iteration_dir(use_case, version, root)
    if final.exists() and not replace:
        raise RegistryError(
            f"Iteration {use_case}/{version} already exists; choose a new version or pass replace=True."
        )
    if parent is not None and not (root / use_case / parent / CARD_FILE).exists():
        raise RegistryError(f"The parent iteration {use_case}/{parent} does not exist.")
    if hypothesis is not None:
        _check_hypothesis(hypothesis, use_case, version, parent, positive_class, favourable)
    from demo_models.vocabulary import USE_CASES

    others = {c.favourable for c in list_iterations(use_case, root) if c.version != version}
    if use_case in USE_CASES:
        others.add(USE_CASES[use_case].favourable)
    if others and others != {favourable}:
        raise RegistryError(
            f"The other iterations of {use_case} treat the {others.pop()} decision as favourable, not the "
            f"{favourable} one: which decision is good for a case belongs to the use case."
        )
    _check_features(model, features)
    files, loaded = serialize_model(model)  # refuses types that could not be loaded back safely
    _check_predicts(model, features)
    from demo_models.explanations.attributions import (
        CaseExplainer,
        ExplainError,
        explain_evaluation,
    )  # sklearn: ~1.5 s to import
    from demo_models.iterations.evaluation import Evaluation, judge_at_threshold, score_cases, scores_bytes

    files[EVAL_FILE] = _parquet_bytes(frame)
    stored = pd.read_parquet(io.BytesIO(files[EVAL_FILE]))  # the cases as pages read them
    try:
        explainer = CaseExplainer(model, features, positive_label=positive_label)
        try:  # the scores pages show: the model as loaded back, on the cases as read back
            scores = score_cases(loaded, stored[list(features.columns)], explainer.positive_index)
        except Exception as err:  # any estimator's own error
            raise ExplainError(f"The model cannot predict on the evaluation data: {err}") from err
        label = progress and f"Explaining {use_case}/{version}"
        explained = explain_evaluation(explainer, features, progress=label, scores=scores)
    except ExplainError as err:
        raise RegistryError(str(err)) from err

    card = IterationCard(
        use_case=use_case,
        version=version,
        author=str(author).strip(),
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        target=target,
        positive_label=_python_scalar(positive_label),
        positive_class=positive_class,
        threshold=float(threshold),
        features=tuple(features.columns),
        protected_attributes=tuple(protected_attributes),
        parent=parent,
        notes=notes.strip(),
        explainer=explainer.method,
        model_type=type(explainer.estimator).__name__,
        n_eval=len(frame),
        scale=explainer.scale,
        base_value=explained.base_value,
        explain_ms=round(explained.seconds_per_case * 1000, 3),
        shap_rows=len(explained.contributions),
        shap_rule=explained.sample_rule,
        favourable=favourable,
        extra=dict(extra or {}),
    )
    files[SHAP_FILE] = _parquet_bytes(explained.contributions)
    files[SCORES_FILE] = scores_bytes(scores)
    iteration = Iteration(card, None, stored, pd.DataFrame())
    files[JUDGED_FILE] = json.dumps(judge_at_threshold(Evaluation(iteration, scores))).encode("utf-8")
    files[CARD_FILE] = card.to_json().encode("utf-8")
    _write_atomically(root, final, files)
    log.info("registered iteration %s/%s (%s)", use_case, version, explainer.method)
    if hypothesis is not None:
        _save_hypothesis(hypothesis, card, store)
    return card


def _check_hypothesis(
    draft: HypothesisDraft, use_case: str, version: str, parent: str | None, positive_class: str, favourable: str
) -> None:
    """RegistryError, before anything is written, if the hypothesis would be refused."""
    from demo_models.metrics.catalogue import criterion_specs
    from demo_models.vocabulary import get_use_case
    from feedback.access import AccessError
    from feedback.hypotheses import HypothesisError, state_hypothesis

    specs = criterion_specs(get_use_case(use_case, positive_class, favourable))
    try:
        state_hypothesis(draft.stated_by, use_case, version, draft.statement, draft.claims, specs=specs, parent=parent)
    except (AccessError, HypothesisError) as err:
        raise RegistryError(f"The hypothesis cannot be stated: {err}") from err


def _save_hypothesis(draft: HypothesisDraft, card: IterationCard, store: FeedbackStore | None) -> None:
    """Save the hypothesis of a just registered iteration (RegistryError naming the way to state it again)."""
    from demo_models.iterations.hypotheses import record_hypothesis
    from feedback.access import AccessError
    from feedback.hypotheses import HypothesisError
    from feedback.store.database import FeedbackStore, StoreError

    try:
        record_hypothesis(
            store or FeedbackStore(settings.db_url()), card, draft.stated_by, draft.statement, draft.claims
        )
    except (AccessError, HypothesisError, StoreError) as err:
        raise RegistryError(
            f"{card.use_case}/{card.version} is registered, but its hypothesis was not saved ({err}); state it on "
            "the Iterations page."
        ) from err


def _check_predicts(model: Any, features: pd.DataFrame) -> None:
    try:
        proba = np.asarray(model.predict_proba(features.iloc[:5]), dtype=float)
    except Exception as err:  # any estimator's own error: the columns or their types do not fit
        raise RegistryError(f"The model cannot predict on the evaluation data: {err}") from err
    if proba.ndim != 2 or proba.shape[1] != 2:
        raise RegistryError(f"The model must be a binary classifier; predict_proba gives shape {proba.shape}.")


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    return buffer.getvalue()


def serialize_model(model: Any) -> tuple[dict[str, bytes], Any]:
    """The model's files (skops, plus a native XGBoost/CatBoost file) and the model as loaded back from
    them, which proves they load safely."""
    import skops.io as sio  # ~1.2 s to import: only where a model is read or written

    from demo_models.iterations import native

    try:
        skeleton, files = native.detach_native(model)
        files[MODEL_FILE] = sio.dumps(skeleton)
    except Exception as err:  # skops and the native libraries raise many types
        raise RegistryError(f"The model cannot be saved safely: {err}") from err
    return files, deserialize_model(files, MODEL_FILE)


def deserialize_model(files: dict[str, bytes], name: str = MODEL_FILE) -> Any:
    """Load a model from its files' bytes, refusing any type outside the trusted list."""
    import skops.io as sio

    from demo_models.iterations import native

    files = {**files, name: _with_moved_modules(files[name])}

    def read(file: str) -> bytes:
        if file not in (native.XGBOOST_FILE, native.CATBOOST_FILE) or file not in files:
            raise RegistryError(f"The model's native file {file!r} is missing.")
        return files[file]

    try:  # skops refuses, before constructing anything, a file holding a type outside the list
        skeleton = sio.loads(files[name], trusted=TRUSTED_TYPE_LIST)
    except Exception as err:  # skops raises many types; say which problem it is
        raise _load_refusal(files[name], name, err) from err
    try:
        return native.attach_native(skeleton, read)
    except RegistryError:
        raise
    except Exception as err:
        raise RegistryError(f"{name} cannot be loaded: {err}") from err


def _load_refusal(data: bytes, name: str, err: Exception) -> RegistryError:
    """Why skops would not load a model file: a corrupt file, untrusted types, or another error."""
    import skops.io as sio

    try:
        unknown = set(sio.get_untrusted_types(data=data)) - TRUSTED_TYPES
    except Exception as detail:  # not even its schema reads
        return RegistryError(f"{name} is not a readable skops model file ({detail}).")
    if unknown:
        return RegistryError(
            f"{name} contains types Involve does not trust: {sorted(unknown)}. Only scikit-learn, "
            "LightGBM, XGBoost and CatBoost models can be loaded."
        )
    return RegistryError(f"{name} cannot be loaded: {err}")


def _with_moved_modules(data: bytes) -> bytes:
    """A skops file's bytes with the modules in MOVED_MODULES renamed in its schema (unchanged if none)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = {info.filename: archive.read(info) for info in archive.infolist()}
    except (zipfile.BadZipFile, OSError):
        return data  # not readable: skops says so with its own message
    schema = members.get("schema.json", b"").decode("utf-8", errors="replace")
    old = [m for m in MOVED_MODULES if f'"__module__": "{m}"' in schema]
    if not old:
        return data
    for module in old:
        schema = schema.replace(f'"__module__": "{module}"', f'"__module__": "{MOVED_MODULES[module]}"')
    members["schema.json"] = schema.encode("utf-8")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for filename, content in members.items():
            archive.writestr(filename, content)
    return out.getvalue()


def _write_atomically(root: Path, final: Path, files: dict[str, bytes]) -> None:
    created = [p for p in (root, final.parent) if not p.exists()]
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = final.parent / f".staging-{final.name}-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        for name, data in files.items():
            (staging / name).write_bytes(data)
        if final.exists():
            trash = final.parent / f".trash-{final.name}-{uuid.uuid4().hex[:8]}"
            final.rename(trash)
            staging.rename(final)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            try:
                staging.rename(final)
            except OSError as err:  # another process registered the same version meanwhile
                raise RegistryError(f"Iteration {final.parent.name}/{final.name} already exists.") from err
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        for folder in reversed(created):  # the folders this call made, if still empty
            try:
                folder.rmdir()
            except OSError:
                pass
        raise


PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".sav", ".dill")


def load_model_file(path: Path) -> Any:
    """Load a skops model file (and any native file beside it), an XGBoost ``.ubj``/``.json`` Booster
    or a CatBoost ``.cbm`` model, refusing pickles and untrusted types."""
    from demo_models.iterations import native

    path = Path(path)
    if path.suffix.lower() in PICKLE_SUFFIXES:
        raise RegistryError(
            f"{path.name} looks like a pickle: Involve never unpickles a model file, since that can run "
            "any code. Save the model with skops.io.dump(model, 'model.skops') instead."
        )
    if not path.is_file():
        raise RegistryError(f"There is no model file {path}.")
    if path.suffix.lower() in native.NATIVE_SUFFIXES:
        try:
            return native.load_native_file(path)
        except Exception as err:  # the libraries raise their own error types on a bad file
            raise RegistryError(f"{path.name} is not a readable model file ({err}).") from err
    files = {path.name: path.read_bytes()}
    files.update(
        {
            n: (path.parent / n).read_bytes()
            for n in (native.XGBOOST_FILE, native.CATBOOST_FILE)
            if (path.parent / n).is_file()
        }
    )
    return deserialize_model(files, path.name)


def read_eval_file(path: Path, index_column: str | None = None) -> pd.DataFrame:
    """Evaluation cases from a .csv or .parquet file (case ids from index_column), refusing a written row index."""
    path = Path(path)
    if not path.is_file():
        raise RegistryError(f"There is no evaluation data file {path}.")
    try:
        if path.suffix.lower() == ".parquet":
            frame = pd.read_parquet(path)
        elif path.suffix.lower() == ".csv":
            frame = pd.read_csv(path)
        else:
            raise RegistryError(f"{path.name}: evaluation data must be a .csv or .parquet file.")
    except (ValueError, OSError, pd.errors.ParserError) as err:
        raise RegistryError(f"{path.name} cannot be read as evaluation data: {err}") from err
    unnamed = [str(c) for c in frame.columns if str(c).startswith("Unnamed: ") and c != index_column]
    if unnamed:
        raise RegistryError(
            f"{path.name} has {'a column' if len(unnamed) == 1 else 'columns'} without a header "
            f"({', '.join(map(repr, unnamed))}), "
            "usually the row index written by DataFrame.to_csv: it would become an input of the model. "
            f"Pass --case-id-column {unnamed[0]!r} if it holds the case ids, or write the file with index=False."
        )
    if index_column:
        if index_column not in frame.columns:
            raise RegistryError(f"The case id column {index_column!r} is not in {path.name}.")
        frame = frame.set_index(index_column)
    return frame


def list_iterations(use_case: str | None = None, registry_dir: Path | None = None) -> list[IterationCard]:
    """Cards of every registered iteration (of one use case if given), oldest first."""
    root = Path(registry_dir or settings.registry_dir())
    pattern = f"{use_case}/*/{CARD_FILE}" if use_case else f"*/*/{CARD_FILE}"
    cards = []
    for path in root.glob(pattern):
        if path.parent.name.startswith("."):
            continue
        try:
            cards.append(IterationCard.from_json(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError, KeyError) as err:
            log.warning("skipping unreadable iteration card %s: %s", path, err)
    return sorted(cards, key=lambda c: (c.use_case, c.created, c.version))


def list_use_cases(registry_dir: Path | None = None) -> list[str]:
    """Names of the use cases that have at least one iteration."""
    return sorted({card.use_case for card in list_iterations(registry_dir=registry_dir)})


def load_iteration(use_case: str, version: str, registry_dir: Path | None = None, with_model: bool = True) -> Iteration:
    """Load one iteration (its model only `with_model`); RegistryError with a clear message if it is
    unknown or unreadable."""
    check_name("use case", use_case)  # names become paths: "../x" must not reach outside the registry
    check_name("version", version)
    folder = iteration_dir(use_case, version, registry_dir)
    if not (folder / CARD_FILE).exists():
        raise RegistryError(f"There is no iteration {version!r} of the use case {use_case!r}.")
    try:
        card = IterationCard.from_json((folder / CARD_FILE).read_text(encoding="utf-8"))
        eval_data = pd.read_parquet(folder / EVAL_FILE)
        shap_values = pd.read_parquet(folder / SHAP_FILE)
    except (OSError, ValueError, TypeError, KeyError) as err:
        raise RegistryError(f"Iteration {use_case}/{version} is damaged: {err}") from err
    if card.format_version > FORMAT_VERSION:
        raise RegistryError(
            f"Iteration {use_case}/{version} was written by a newer Involve (format "
            f"{card.format_version}); upgrade the app to read it."
        )
    model = load_model_file(folder / MODEL_FILE) if with_model else None
    return Iteration(card=card, model=model, eval_data=eval_data, shap_values=shap_values)
