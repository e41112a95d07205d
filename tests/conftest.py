"""Shared fixtures: one registry of built-in iterations per test session, a fresh store per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from demo_models.builtin.training import ensure_builtin_iterations
from demo_models.iterations.registry import load_iteration
from demo_models.iterations.scoring import ScoredIteration
from feedback.store.database import FeedbackStore
from tests.helpers import BUILTIN_VERSIONS
from tests.mlflow_server import mlflow_models, mlflow_server  # noqa: F401  (session fixtures: a real MLflow server)


@pytest.fixture(scope="session")
def registry_dir(tmp_path_factory) -> Path:
    """A registry holding the three built-in credit iterations (built once per session)."""
    root = tmp_path_factory.mktemp("registry")
    ensure_builtin_iterations(root)
    return root


@pytest.fixture(scope="session")
def scored(registry_dir) -> dict[str, ScoredIteration]:
    """Every built-in iteration, loaded and scored."""
    return {v: ScoredIteration(load_iteration("credit", v, registry_dir)) for v in BUILTIN_VERSIONS}


@pytest.fixture
def app_env(tmp_path, monkeypatch, registry_dir) -> Path:
    """Point the app at the session registry and at a fresh SQLite store; returns the store file."""
    db = tmp_path / "feedback.sqlite3"
    monkeypatch.setenv("INVOLVE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("INVOLVE_REGISTRY_DIR", str(registry_dir))
    monkeypatch.setenv("INVOLVE_DB_URL", f"sqlite:///{db}")
    monkeypatch.setenv("INVOLVE_MONITOR_ROWS", "20000")
    monkeypatch.setenv("INVOLVE_HEALTH_EVERY", "0")  # off, but in tests/app/test_health.py
    monkeypatch.setenv("INVOLVE_DEMO_HISTORY", "0")  # fresh stores stay empty, but in tests/*/test_demo_history.py
    return db


PG_URL_VARIABLE = "INVOLVE_TEST_PG_URL"


@contextmanager
def _postgres_store() -> Iterator[FeedbackStore]:
    """A fresh store in a throw-away database on the INVOLVE_TEST_PG_URL server (skips without one)."""
    admin_url = os.environ.get(PG_URL_VARIABLE)
    if not admin_url:
        pytest.skip(
            f"no PostgreSQL server: set {PG_URL_VARIABLE} (e.g. "
            "postgresql+psycopg://postgres@127.0.0.1:5433/postgres); .ci/run starts one"
        )
    name = f"involve_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    store = FeedbackStore(make_url(admin_url).set(database=name).render_as_string(hide_password=False))
    try:
        yield store
    finally:
        store.engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path) -> FeedbackStore:
    """A fresh feedback store: SQLite, and PostgreSQL when INVOLVE_TEST_PG_URL names a server."""
    if request.param == "sqlite":
        yield FeedbackStore(f"sqlite:///{tmp_path / 'store.sqlite3'}")
        return
    with _postgres_store() as pg:
        yield pg


@pytest.fixture
def postgres_store() -> FeedbackStore:
    """A fresh PostgreSQL feedback store (skipped without INVOLVE_TEST_PG_URL), beside a SQLite one."""
    with _postgres_store() as pg:
        yield pg


@pytest.fixture
def sqlite_store(tmp_path) -> FeedbackStore:
    """A fresh SQLite feedback store, for what is specific to SQLite (WAL, locks, files)."""
    return FeedbackStore(f"sqlite:///{tmp_path / 'store.sqlite3'}")
