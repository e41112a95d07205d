"""Benchmark: a review round on 1,000 of 10,000 cases, and its results with 10 reviewers × 200 answers.

Reports, per backend, the median server time of creating the round (validation, seeded assignment
of the 1,000 chosen cases to 10 reviewers × 200 cases with overlap 2, and the one transaction that
writes round, cases and assignments) and of what the results section reads and computes once closed
(completion, every answer, the round's cases, and `summarise_agreement` with its 1,000-sample
bootstrap), and of the adjudication queue and expectations (every answer read and each case classified as
agreed or queued, the adjudications read, and the iteration checked against the expectations kept when
the round closed). The cases are synthetic (ids and model decisions drawn with a seed): the store and the
figures, not the model, are measured here (the choice of cases by strategy, on the model's scores, is
`demo_models/reviews/selection.py`, not timed here). SQLite always; PostgreSQL too when INVOLVE_TEST_PG_URL
names a server (a database is created and dropped). Target: at most 1 s each.

    .venv/bin/python bench/review_rounds.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from demo_models.metrics.agreement import summarise_agreement
from demo_models.metrics.expectations import check_expectations
from feedback.access import Actor, demo_subject
from feedback.expectations import unanimous_expectations, view_cases
from feedback.rounds import Reviewer, ReviewRound, RoundCase, Verdict
from feedback.store.database import FeedbackStore
from feedback.store.expectations import close_round_keeping, list_adjudications, list_expectations
from feedback.store.rounds import (
    create_round,
    my_queue,
    read_answers,
    read_round_cases,
    round_completion,
    save_own_decision,
    save_verdict,
)

CASES, CHOSEN, REVIEWERS, ANSWERS, OVERLAP = 10_000, 1_000, 10, 200, 2
DECISIONS = ("approve", "decline")
TARGET_SECONDS = 1.0
CREATOR = Actor("Bench", "data scientist")


def _reviewers() -> tuple[Reviewer, ...]:
    return tuple(Reviewer(demo_subject(f"Reviewer {i}"), f"Reviewer {i}", "risk") for i in range(REVIEWERS))


def _create(store: FeedbackStore, seed: int) -> tuple[float, int]:
    picked = np.random.default_rng(seed).choice(CASES, CHOSEN, replace=False)
    cases = [RoundCase(0, f"C{i:05d}", "random", "random sample of the approve cases") for i in picked]
    draft = ReviewRound(
        "credit",
        "v3",
        "Bench round",
        "Timing",
        date.today() + timedelta(days=7),
        _reviewers(),
        ANSWERS,
        OVERLAP,
        seed,
        "",
        "",
    )
    t0 = time.perf_counter()
    round_, assignment = create_round(store, draft, cases, CREATOR, known_iterations={"v3"})
    elapsed = time.perf_counter() - t0
    assert not assignment.unassigned and sum(map(len, assignment.by_reviewer.values())) == CHOSEN * OVERLAP
    return elapsed, round_.id


def _answer(store: FeedbackStore, round_id: int, rng: np.random.Generator, model: pd.Series) -> None:
    for person in _reviewers():
        actor = Actor(person.name, person.role)
        for item in my_queue(store, round_id, actor)[:ANSWERS]:
            own = DECISIONS[int(rng.random() < 0.3)]
            save_own_decision(store, round_id, item.case_id, actor, own, 3, decisions=DECISIONS)
            save_verdict(store, round_id, item.case_id, actor, Verdict("agree", clarity=int(rng.integers(1, 6))))

    def keep(closed, answers):
        return unanimous_expectations(closed, view_cases(answers, model.to_dict(), DECISIONS))

    close_round_keeping(store, round_id, CREATOR, keep)


def _adjudication(store: FeedbackStore, round_id: int, model: pd.Series) -> float:
    t0 = time.perf_counter()
    answers = read_answers(store, round_id, CREATOR)
    queued = [v for v in view_cases(answers, model.to_dict(), DECISIONS) if v.outcome == "adjudicate"]
    list_adjudications(store, round_id)
    check = check_expectations("v3", list_expectations(store, "credit"), model)
    elapsed = time.perf_counter() - t0
    assert queued and check.checked and not check.broken  # unanimous cases are the model's decisions
    return elapsed


def _results(store: FeedbackStore, round_id: int, model: pd.Series) -> float:
    t0 = time.perf_counter()
    completion = round_completion(store, round_id)
    answers = read_answers(store, round_id, CREATOR)
    chosen = read_round_cases(store, round_id)
    ids = [c.case_id for c in chosen]
    cases = pd.DataFrame({"strategy": [c.strategy for c in chosen]}, index=pd.Index(ids, name="case_id"))
    cases["decision"] = model.reindex(ids).to_numpy()
    frame = pd.DataFrame(
        {
            "case_id": [a.case_id for a in answers],
            "reviewer": [a.reviewer_name for a in answers],
            "own_decision": [a.own_decision for a in answers],
            "verdict": [a.verdict for a in answers],
            "clarity": [a.clarity for a in answers],
        }
    )
    summary = summarise_agreement(frame, cases)
    elapsed = time.perf_counter() - t0
    assert len(answers) == REVIEWERS * ANSWERS and sum(c["answered"] for c in completion) == REVIEWERS * ANSWERS
    assert summary.with_model.trials == REVIEWERS * ANSWERS
    return elapsed


def _bench(url: str, runs: int) -> tuple[float, float, float]:
    rng = np.random.default_rng(0)
    model = pd.Series(
        np.where(rng.random(CASES) < 0.3, "decline", "approve"), index=[f"C{i:05d}" for i in range(CASES)]
    )
    store = FeedbackStore(url)
    created, read, adjudicated = [], [], []
    for run in range(runs):
        seconds, round_id = _create(store, seed=run)
        created.append(seconds)
        _answer(store, round_id, rng, model)
        read.append(_results(store, round_id, model))
        adjudicated.append(_adjudication(store, round_id, model))
    store.engine.dispose()
    return statistics.median(created), statistics.median(read), statistics.median(adjudicated)


def _report(backend: str, created: float, read: float, adjudicated: float) -> None:
    for what, seconds in (
        ("create a round, 1,000 cases", created),
        ("results, 10 × 200 answers", read),
        ("adjudication queue, expectations", adjudicated),
    ):
        verdict = "meets" if seconds <= TARGET_SECONDS else "MISSES"
        print(f"{backend:10} {what:32} median {seconds * 1000:7.0f} ms  ({verdict} the {TARGET_SECONDS:.0f} s target)")


def main() -> None:
    """Run the benchmark on SQLite, and on PostgreSQL when INVOLVE_TEST_PG_URL is set."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as folder:
        _report("SQLite", *_bench(f"sqlite:///{Path(folder) / 'bench.sqlite3'}", runs))
    admin_url = os.environ.get("INVOLVE_TEST_PG_URL")
    if admin_url:
        name = f"involve_bench_{uuid.uuid4().hex[:12]}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            _report("PostgreSQL", *_bench(make_url(admin_url).set(database=name).render_as_string(False), runs))
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()


if __name__ == "__main__":
    main()
