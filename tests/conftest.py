"""Shared fixtures: one registry of built-in iterations per test session, a fresh store per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from demo_models.builtin import ensure_builtin_iterations
from demo_models.registry import load_iteration
from demo_models.scoring import ScoredIteration
from feedback.store import FeedbackStore
from tests.helpers import BUILTIN_VERSIONS



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
    return db


@pytest.fixture
def store(tmp_path) -> FeedbackStore:
    """A fresh SQLite feedback store."""
    return FeedbackStore(f"sqlite:///{tmp_path / 'store.sqlite3'}")
