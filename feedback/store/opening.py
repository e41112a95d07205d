"""How the store is reached without ever hanging a page: read-only opening and bounded lock waits.

A read-only store (a read-only folder or file, or INVOLVE_STORE_READONLY=1) is opened with SQLite's
`mode=ro` URI, or `immutable=1` when even its -wal/-shm files cannot be created. Every wait for a
lock is bounded by INVOLVE_STORE_WAIT seconds.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

try:
    import fcntl
except ImportError:  # not on Windows: SQLite's busy timeout alone then
    fcntl = None

log = logging.getLogger(__name__)
DEFAULT_WAIT_SECONDS = 3.0
_POLL_FIRST, _POLL_MAX = 0.001, 0.02  # seconds between tries of a busy file lock


class LockTimeout(Exception):
    """The file lock was still held by another process at the deadline."""


class LockForbidden(Exception):
    """The lock file cannot be opened (a read-only folder)."""


def store_wait() -> float:
    """Seconds a write may wait for the store's locks (INVOLVE_STORE_WAIT, default 3)."""
    try:
        return max(float(os.environ.get("INVOLVE_STORE_WAIT", DEFAULT_WAIT_SECONDS)), 0.0)
    except ValueError:
        return DEFAULT_WAIT_SECONDS


def read_only_requested() -> bool:
    """Whether the deployment says the store is read-only (INVOLVE_STORE_READONLY=1)."""
    return os.environ.get("INVOLVE_STORE_READONLY", "").strip().lower() in {"1", "true", "yes", "on"}


def why_not_writable(database: Path) -> str | None:
    """Why a SQLite file (and its folder, for the -wal, -shm and lock files) cannot be written, or None."""
    folder = database.parent
    if database.exists() and not os.access(database, os.W_OK):
        return f"the file {database} is read-only"
    if folder.exists() and not os.access(folder, os.W_OK):
        return f"the folder {folder} is read-only"
    return None


def read_only_connector(database: Path):
    """A function opening `database` read-only (`mode=ro`; `immutable=1` when SQLite cannot even
    create the -shm file a WAL database needs, in a read-only folder), and whether it is immutable."""

    def opener(query: str):
        uri = f"file:{quote(str(database))}?{query}"
        return lambda: sqlite3.connect(uri, uri=True, check_same_thread=False)

    try:
        probe = opener("mode=ro")()
        try:
            probe.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            probe.close()
        return opener("mode=ro"), False
    except sqlite3.OperationalError as err:
        log.info("store %s cannot be opened with mode=ro (%s); opening it immutable", database, err)
        return opener("immutable=1"), True


def remaining(deadline: float) -> float:
    """Seconds left until `deadline` (time.monotonic), never negative."""
    return max(deadline - time.monotonic(), 0.0)


@contextmanager
def file_lock(path: Path, deadline: float) -> Iterator[None]:
    """Hold an OS file lock, trying until `deadline` (LockTimeout then; LockForbidden when the file
    cannot be opened). Tries are 1 ms apart at first, so a released lock is taken at once."""
    if fcntl is None:
        yield
        return
    try:
        try:
            handle = open(path, "a+b")
        except PermissionError:
            handle = open(path, "rb")  # a lock works on a file opened for reading too
    except OSError as err:
        raise LockForbidden(f"{path}: {err.strerror}") from err
    with handle:
        pause = _POLL_FIRST
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockTimeout(f"{path} is held by another process") from None
                time.sleep(min(pause, remaining(deadline)))
                pause = min(pause * 2, _POLL_MAX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    os.sched_yield()  # let a waiter take the lock before this process asks again
