import sqlite3
import threading
from datetime import timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback.records import (
    CATEGORIES,
    EXPECTED_OUTCOMES,
    MAX_COMMENT_CHARS,
    ROLES,
    SEVERITIES,
    VERDICTS,
    FeedbackError,
    validate_draft,
)
from feedback.store.database import FeedbackStore, StoreError
from feedback.store.lifecycle import lifecycle_statuses
from feedback.store.records import add_feedback, count_by_case, count_feedback, list_feedback
from feedback.store.schema import LATEST_VERSION, MIGRATIONS
from tests.helpers import make_draft

KNOWN = {"v1", "v2", "v3"}


def _rows(path):
    return sqlite3.connect(path).execute("SELECT count(*) FROM feedback").fetchone()[0]


def _count(store) -> int:
    with store.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM feedback").scalar()


def test_feedback_round_trips_with_what_was_shown(store):
    saved = add_feedback(store, make_draft(comment="  Duration weighs too much.  "), KNOWN)
    assert saved.id == 1 and saved.triage_status == "new" and saved.comment == "Duration weighs too much."
    [read] = list_feedback(store, "credit", "v3", "A0012")
    assert read == saved
    assert read.created_at.tzinfo == timezone.utc
    assert read.reasons_shown == ("Loan duration: 48 months", "Checking account: low balance")
    assert read.categories == ("wrong prediction",) and read.explanation_rating == 2


def test_counts_by_iteration_and_case(store):
    for iteration, case in [("v1", "A1"), ("v3", "A1"), ("v3", "A1"), ("v3", "A2")]:
        add_feedback(store, make_draft(iteration=iteration, case_id=case), KNOWN)
    assert count_feedback(store, "credit") == {"v1": 1, "v3": 3}
    assert count_feedback(store, "credit", "v3") == {"v3": 3}
    assert count_by_case(store, "credit", "v3") == {"A1": 2, "A2": 1}
    assert [f.case_id for f in list_feedback(store, "credit", "v3")] == ["A2", "A1", "A1"]  # newest first
    assert list_feedback(store, "fraud") == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (dict(iteration="v9"), "not a known iteration"),
        (dict(verdict=""), "Verdict: choose one of agree, disagree, unsure \\(got nothing\\)"),
        (dict(reviewer_name="   "), "Your name is required"),
        (dict(reviewer_role="boss"), "Role"),
        (dict(comment="x" * 100_000), "100,000 characters long; the limit is 2,000"),
        (dict(comment="bell\x07"), "control characters"),
        (dict(categories=("nonsense",)), "Category"),
        (dict(explanation_rating=6), "1 to 5 stars"),
        (dict(score=float("nan")), "Score must be a probability"),
        (dict(expected_outcome="maybe"), "Expected outcome"),
        (dict(reasons_shown=tuple(f"r{i}" for i in range(11))), "At most 10 reasons"),
    ],
)
def test_invalid_feedback_is_refused_and_nothing_is_written(store, change, message):
    with pytest.raises(FeedbackError, match=message):
        add_feedback(store, make_draft(**change), KNOWN)
    assert _count(store) == 0


def test_comment_at_the_limit_and_multiline_unicode_is_kept(store):
    comment = ("Zürich 日本 🙂\nline two\t" * 200)[: MAX_COMMENT_CHARS - 1] + "!"
    saved = add_feedback(store, make_draft(comment=comment), KNOWN)
    assert list_feedback(store, "credit")[0].comment == saved.comment == comment.strip()


def _choice_or_noise(options):
    return st.one_of(st.sampled_from(options), st.text(max_size=30))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    comment=st.text(max_size=2100),
    name=st.text(max_size=120),
    role=_choice_or_noise(ROLES),
    verdict=_choice_or_noise(VERDICTS),
    categories=st.lists(_choice_or_noise(CATEGORIES), max_size=4),
    severity=_choice_or_noise(SEVERITIES),
    rating=st.one_of(st.none(), st.integers(-2, 8)),
    expected=st.one_of(st.none(), _choice_or_noise(EXPECTED_OUTCOMES)),
    score=st.one_of(st.floats(0, 1), st.floats(allow_nan=True, allow_infinity=True)),
)
def test_any_input_is_stored_identically_or_refused_clearly(
    store, comment, name, role, verdict, categories, severity, rating, expected, score
):
    draft = make_draft(
        comment=comment,
        reviewer_name=name,
        reviewer_role=role,
        verdict=verdict,
        categories=tuple(categories),
        severity=severity,
        explanation_rating=rating,
        expected_outcome=expected,
        score=score,
    )
    try:
        clean = validate_draft(draft, KNOWN)
    except FeedbackError as err:
        assert str(err) and "Traceback" not in str(err)
        with pytest.raises(FeedbackError):
            add_feedback(store, draft, KNOWN)
        return
    saved = add_feedback(store, draft, KNOWN)
    read = next(f for f in list_feedback(store, "credit") if f.id == saved.id)
    for field in (
        "comment",
        "reviewer_name",
        "reviewer_role",
        "verdict",
        "categories",
        "severity",
        "explanation_rating",
        "expected_outcome",
        "score",
    ):
        assert getattr(read, field) == getattr(clean, field), field


def test_a_file_that_is_not_a_database_is_a_clear_error_and_is_left_alone(tmp_path):
    path = tmp_path / "notes.sqlite3"
    path.write_bytes(b"these are my notes, not a database" * 200)
    with pytest.raises(StoreError, match="not a database file"):
        FeedbackStore(f"sqlite:///{path}")
    assert path.read_bytes() == b"these are my notes, not a database" * 200


def test_a_store_from_a_newer_app_is_refused_untouched(tmp_path):
    path = tmp_path / "new.sqlite3"
    FeedbackStore(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO involve_schema (version, description, applied_at) VALUES (?, ?, ?)",
            (LATEST_VERSION + 1, "from the future", "2030-01-01 00:00:00"),
        )
    with pytest.raises(StoreError, match="newer than this app understands"):
        FeedbackStore(f"sqlite:///{path}")


def test_opening_twice_migrates_once(tmp_path):
    url = f"sqlite:///{tmp_path / 's.sqlite3'}"
    assert FeedbackStore(url).schema_version() == LATEST_VERSION
    assert FeedbackStore(url).schema_version() == LATEST_VERSION
    versions = sqlite3.connect(tmp_path / "s.sqlite3").execute("SELECT version FROM involve_schema").fetchall()
    assert versions == [(m.version,) for m in MIGRATIONS]


def test_a_store_from_the_previous_schema_is_upgraded_with_every_row_kept(tmp_path, monkeypatch):
    path = tmp_path / "old.sqlite3"
    monkeypatch.setattr("feedback.store.database.MIGRATIONS", MIGRATIONS[:1])
    monkeypatch.setattr("feedback.store.database.LATEST_VERSION", 1)
    old = FeedbackStore(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:  # rows as the schema-1 app wrote them
        for i in range(5):
            conn.execute(
                "INSERT INTO feedback (created_at, use_case, iteration, case_id, score, threshold, decision, "
                "reasons_shown, reviewer_name, reviewer_role, verdict, expected_outcome, categories, severity, "
                "explanation_rating, comment, triage_status, app_version) "
                "VALUES ('2026-11-01 10:00:00', 'credit', 'v3', ?, 0.8, 0.4, 'decline', '[]', 'Ann', 'risk', "
                "'disagree', NULL, '[]', 'high', 2, 'old comment', 'new', '0.0.9')",
                (f"A{i}",),
            )
    before = sqlite3.connect(path).execute("SELECT * FROM feedback ORDER BY id").fetchall()
    assert old.schema_version() == 1
    monkeypatch.undo()
    upgraded = FeedbackStore(f"sqlite:///{path}")
    assert upgraded.schema_version() == LATEST_VERSION == 17
    assert len({row[0] for row in sqlite3.connect(path).execute("SELECT uid FROM feedback")}) == 5
    after = sqlite3.connect(path).execute("SELECT * FROM feedback ORDER BY id").fetchall()
    assert [row[: len(before[0])] for row in after] == before  # every old value kept, new columns added
    assert lifecycle_statuses(upgraded, "credit", ["v1"]) == {"v1": "candidate"}
    assert [f.comment for f in list_feedback(upgraded, "credit")] == ["old comment"] * 5


def test_sqlite_store_uses_wal_and_a_busy_timeout(sqlite_store):
    with sqlite_store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        # bounded by INVOLVE_STORE_WAIT (3 s by default): what is left of it when the last transaction began
        assert 2000 < conn.exec_driver_sql("PRAGMA busy_timeout").scalar() <= 3000


def test_a_locked_database_is_reported_and_nothing_is_half_written(tmp_path, monkeypatch):
    monkeypatch.setenv("INVOLVE_STORE_WAIT", "0.1")
    path = tmp_path / "locked.sqlite3"
    store = FeedbackStore(f"sqlite:///{path}")
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError, match="busy"):
            add_feedback(store, make_draft(), KNOWN)
    finally:
        blocker.execute("ROLLBACK")
    assert _rows(path) == 0
    add_feedback(store, make_draft(), KNOWN)
    assert _rows(path) == 1


def test_a_briefly_locked_database_is_retried_and_the_write_succeeds(tmp_path, monkeypatch):
    monkeypatch.setenv("INVOLVE_STORE_WAIT", "2")
    path = tmp_path / "busy.sqlite3"
    store = FeedbackStore(f"sqlite:///{path}")
    blocker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.15, lambda: blocker.execute("ROLLBACK"))
    release.start()
    add_feedback(store, make_draft(), KNOWN)
    release.join()
    assert _rows(path) == 1


def test_concurrent_writers_from_threads_lose_nothing(store):
    def write(n):
        for i in range(25):
            add_feedback(store, make_draft(case_id=f"T{n}-{i}"), KNOWN)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _count(store) == 100
    assert len({f.case_id for f in list_feedback(store, "credit")}) == 100


def test_an_invalid_url_is_a_clear_error():
    with pytest.raises(StoreError, match="not a valid database URL"):
        FeedbackStore("this is not a url")
