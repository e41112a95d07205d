"""Helpers shared by the tests (import them; fixtures live in conftest.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from demo_models.metrics.catalogue import criterion_specs
from demo_models.vocabulary import CREDIT
from feedback.goals import Criterion
from feedback.records import FeedbackDraft

BUILTIN_VERSIONS = ("v1", "v2", "v3")
CRITERION_SPECS = criterion_specs(CREDIT)  # what a credit criterion may measure, from the metric catalogue


def pdftotext(pdf: bytes, *options: str) -> str:
    """The PDF's text as poppler's pdftotext extracts it (e.g. "-layout", "-bbox"); skips the test without it."""
    import pytest

    if shutil.which("pdftotext") is None:
        if os.environ.get("INVOLVE_TEST_TOOLS_REQUIRED"):  # .ci/run installs it: a skip there would hide a failure
            pytest.fail("pdftotext (poppler-utils) is not installed")
        pytest.skip("pdftotext (poppler-utils) is not installed")
    done = subprocess.run(["pdftotext", *options, "-", "-"], input=pdf, capture_output=True, check=True)
    return done.stdout.decode("utf-8")


def make_draft(**changes) -> FeedbackDraft:
    """A valid feedback draft on credit/v3, with any field changed."""
    values = dict(
        use_case="credit",
        iteration="v3",
        case_id="A0012",
        score=0.83,
        threshold=0.4,
        decision="decline",
        reasons_shown=("Loan duration: 48 months", "Checking account: low balance"),
        reviewer_name="Ann Example",
        reviewer_role="risk",
        verdict="disagree",
        expected_outcome="negative",
        categories=("wrong prediction",),
        severity="high",
        explanation_rating=2,
        comment="Duration weighs too much.",
        app_version="0.1.0",
    )
    values.update(changes)
    return FeedbackDraft(**values)


def make_criterion(**changes) -> Criterion:
    """A valid success criterion (recall >= 0.8) for credit, with any field changed."""
    values = dict(
        use_case="credit",
        key="",
        metric="recall",
        comparator=">=",
        target=0.8,
        owner="Risk team",
        agreed_on=date(2026, 11, 1),
        author_name="Ann",
    )
    values.update(changes)
    return Criterion(**values)


def sign_off_for_promotion(store, version: str, use_case: str = "credit", versions=BUILTIN_VERSIONS) -> None:
    """Record the risk and compliance sign-offs the built-in use cases need before `version` goes live."""
    from feedback.access import Actor
    from feedback.signoff import ScorecardLine, Snapshot
    from feedback.store.signoff import sign_off

    snapshot = Snapshot(0.4, (ScorecardLine("Recall >= 0.5", "Risk team", 0.61, True),))
    for actor in (Actor("Rita Risk", "risk"), Actor("Cora Compliance", "compliance")):
        sign_off(
            store,
            use_case,
            list(versions),
            version,
            actor,
            "Checked.",
            snapshot,
            required_signoffs=("risk", "compliance"),
        )


def approvals_data(n: int = 1200, seed: int = 7) -> pd.DataFrame:
    """A seeded loan-approval set whose positive class is the good outcome (approved = 1): a
    categorical region, 10 % missing incomes, an imbalanced target."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["north", "south"], n, p=[0.7, 0.3])
    income = rng.normal(50, 15, n) - np.where(group == "south", 8, 0)
    income[rng.random(n) < 0.1] = np.nan  # missing values
    tenure = rng.integers(0, 20, n).astype(float)
    logit = 0.08 * (np.nan_to_num(income, nan=45) - 45) + 0.1 * (tenure - 8) - 0.8  # imbalanced target
    approved = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    frame = pd.DataFrame({"region": group, "income": income, "tenure": tenure, "approved": approved})
    frame.index = [f"P{i:04d}" for i in range(n)]
    return frame


def fit_approvals_model(frame: pd.DataFrame):
    """Logistic regression behind one-hot encoding and imputation, fitted on `frame`."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    prep = ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["region"]),
            ("num", SimpleImputer(), ["income", "tenure"]),
        ]
    )
    return make_pipeline(prep, LogisticRegression(max_iter=500)).fit(frame.drop(columns="approved"), frame["approved"])


def register_approvals(root: Path) -> None:
    """Register the brought "loans" use case (approved: the positive and the favourable decision, region
    protected) as loans/v1 in the registry at `root`, from `approvals_data` and `fit_approvals_model`."""
    from demo_models.iterations.registry import register_iteration

    frame = approvals_data()
    register_iteration(
        fit_approvals_model(frame),
        frame.iloc[:600],
        use_case="loans",
        version="v1",
        target="approved",
        author="Test",
        positive_class="approved",
        threshold=0.4,
        favourable="positive",
        protected_attributes=["region"],
        registry_dir=root,
    )


def planted_approvals(n: int = 1200, seed: int = 3) -> pd.DataFrame:
    """`approvals_data` with two planted associations: savings follows income (Spearman ~1), the branch
    follows the region (5 % of branches missing); tenure stays independent of both."""
    rng = np.random.default_rng(seed)
    frame = approvals_data(n)
    frame["savings"] = frame["income"] * 0.5 + rng.normal(0, 0.5, len(frame))
    frame["branch"] = frame["region"].map({"north": "N-office", "south": "S-office"}).astype(object)
    frame.loc[frame.index[rng.random(len(frame)) < 0.05], "branch"] = np.nan
    return frame[["region", "branch", "income", "tenure", "savings", "approved"]]


def fit_planted_model(frame: pd.DataFrame, strength: float = 1.0):
    """Logistic regression (inverse regularisation `strength`) behind one-hot encoding and imputation, on
    `planted_approvals`."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    prep = ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["region", "branch"]),
            ("num", SimpleImputer(), ["income", "tenure", "savings"]),
        ]
    )
    model = make_pipeline(prep, LogisticRegression(C=strength, max_iter=500))
    return model.fit(frame.drop(columns="approved"), frame["approved"])


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on at the moment."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process_group(proc, timeout: float = 15) -> None:
    """SIGTERM a server started with start_new_session=True (its whole group), SIGKILL if it lingers."""
    import os
    import signal
    import subprocess

    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


#: Text an attacker (or an unlucky paste) could put anywhere a person or a data file writes.
HOSTILE_LINK = "[Session expired – log in again](https://evil.example)"
HOSTILE_IMAGE = "![x](https://evil.example/p.png)"
HOSTILE_HTML = "<img src=x onerror=alert(1)>"
HOSTILE = (HOSTILE_LINK, HOSTILE_IMAGE, HOSTILE_HTML, "**bold**", ":red[x]", "$x^2$", "\u202egnp.exe")


def copy_registry_with_hostile_card(registry_dir, destination, notes: str, author: str):
    """A copy of the built-in registry whose credit v3 card has the given notes and author (every use case
    is copied: with one missing, each app run would start training it in the background, and a test
    module's worth of those trainings outlive their tests and load the machine)."""
    import json
    import shutil

    for use_case in ("credit", "fraud"):
        shutil.copytree(registry_dir / use_case, destination / use_case)
    card_file = destination / "credit" / "v3" / "card.json"
    card_file.write_text(json.dumps({**json.loads(card_file.read_text()), "notes": notes, "author": author}))
    return destination


def snapshot_tree(root: Path) -> dict[str, bytes | None]:
    """Every folder and file under root, with each file's bytes."""
    if not root.exists():
        return {"<no registry folder>": None}
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))}


def hold_round(store, scored, agreed: int, cases: int, clarity: tuple[int, ...] = (), close: bool = True):
    """A round of `scored` (credit) on its first `cases` cases, one reviewer (Ann, risk) each: `agreed` blind
    decisions equal to the model's, the rest the other one; the clarity ratings given in turn (none if empty);
    closed by its creator Dee unless `close` is False. The round."""
    from feedback.access import Actor, demo_subject
    from feedback.rounds import Reviewer, ReviewRound, RoundCase, Verdict
    from feedback.store.rounds import close_round, create_round, save_own_decision, save_verdict

    ann, dee = Actor("Ann", "risk"), Actor("Dee", "data scientist")
    ids = list(scored.scores.index[:cases])
    draft = ReviewRound(
        use_case="credit",
        iteration=scored.card.version,
        name="Monotone check",
        purpose="Do the reasons make sense?",
        due_date=date.today(),
        reviewers=(Reviewer(demo_subject("Ann"), "Ann", "risk"),),
        cases_per_reviewer=cases,
        overlap=1,
        seed=1,
        created_by_subject=demo_subject("Dee"),
        created_by_name="Dee",
    )
    round_, _ = create_round(
        store, draft, [RoundCase(0, c, "random", "drawn") for c in ids], dee, known_iterations={scored.card.version}
    )
    model = scored.decisions()
    other = {scored.use_case.positive_decision: scored.use_case.negative_decision}
    other[scored.use_case.negative_decision] = scored.use_case.positive_decision
    decisions = (scored.use_case.negative_decision, scored.use_case.positive_decision)
    for i, case in enumerate(ids):
        own = model[case] if i < agreed else other[model[case]]
        save_own_decision(store, round_.id, case, ann, own, 4, decisions=decisions)
        rating = clarity[i % len(clarity)] if clarity else None
        save_verdict(store, round_.id, case, ann, Verdict("agree" if i < agreed else "disagree", clarity=rating))
    return close_round(store, round_.id, dee) if close else round_


def wait_until(condition: Callable[[], bool], seconds: float = 60.0) -> bool:
    """Whether `condition()` became true within `seconds` (looked at every 0.2 s): for work another process does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def deliver_with_two_workers(store, channels, batch: int, names=("a", "b"), **options) -> dict:
    """Two delivery workers released at once, one on `store` and one on a second connection to its database,
    each delivering all it can claim: their DeliveryReports by name."""
    from feedback.store.database import FeedbackStore
    from feedback.store.delivery import deliver_due

    second = FeedbackStore(store.engine.url.render_as_string(hide_password=False))
    reports, start = {}, threading.Barrier(2)

    def work(s, name):
        start.wait()
        reports[name] = deliver_due(s, channels, name, batch=batch, **options)

    try:
        workers = [threading.Thread(target=work, args=pair) for pair in zip((store, second), names)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
    finally:
        second.engine.dispose()
    return reports
