"""The feedback store: SQLAlchemy over SQLite (default) or PostgreSQL, one connection per operation.

The engine, its connections and transactions, locks, and the helpers every topic's store module
uses (`insert_record`, `utc_row`); the SQL of each topic is in its own module of `feedback.store`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, create_engine, event, insert
from sqlalchemy.engine import RootTransaction, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from feedback.store.opening import (
    LockForbidden,
    LockTimeout,
    file_lock,
    read_only_connector,
    read_only_requested,
    remaining,
    store_wait,
    why_not_writable,
)
from feedback.store.schema import LATEST_VERSION, MIGRATIONS, SCHEMA, ensure_schema_table, read_version

log = logging.getLogger(__name__)
SQLITE_LOCK_RETRIES = 3
READ_ONLY_MESSAGE = "This store is read-only: nothing you do here is saved."
BUSY_MESSAGE = "The store is busy (another process is writing); nothing was saved — try again."
BUSY_PATIENCE_SECONDS = 0.05  # an ordinary write holds the lock a few ms: longer than this is "busy"
_LOCK_ERRORS = ("database is locked", "lock timeout", "canceling statement due to statement timeout")


class StoreError(RuntimeError):
    """The store cannot be opened, read or written; the message is meant for the user."""


class StoreReadOnly(StoreError):
    """A write to a store opened read-only; nothing was written."""


class StoreBusy(StoreError):
    """A write waited its bound (INVOLVE_STORE_WAIT) for another writer; nothing was written."""


def _describe(err: SQLAlchemyError, where: str) -> str:
    text = str(getattr(err, "orig", None) or err)
    if "file is not a database" in text or "file is encrypted" in text:
        return f"The feedback store at {where} is not a database file. Move it aside or point INVOLVE_DB_URL elsewhere."
    if any(marker in text for marker in _LOCK_ERRORS):
        return BUSY_MESSAGE
    if "unable to open database file" in text:
        return f"The feedback store at {where} cannot be opened (check the folder and its permissions)."
    if "readonly" in text:
        return f"{READ_ONLY_MESSAGE} (The feedback store at {where} cannot be written.)"
    return f"The feedback store at {where} failed: {text.splitlines()[0] if text else type(err).__name__}"


class FeedbackStore:
    """A store of feedback records in a versioned schema; every transaction opens and closes its own connection.

    Opening never writes unless the schema must be upgraded. A read-only store (its file or folder
    read-only, or `read_only` / INVOLVE_STORE_READONLY=1) is read with SQLite's `mode=ro` and every
    write is refused with StoreReadOnly; `read_only_reason` says why.
    """

    def __init__(self, url: str, read_only: bool | None = None) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError as err:
            raise StoreError(f"The store URL {url!r} is not a valid database URL.") from err
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        self.location = parsed.database if self.is_sqlite else parsed.render_as_string(hide_password=True)
        self.read_only = read_only_requested() if read_only is None else read_only
        self.read_only_reason = "the deployment opened it read-only (INVOLVE_STORE_READONLY)" if self.read_only else ""
        self._lock_path = None
        options: dict[str, Any] = {}
        if (
            self.is_sqlite
            and parsed.database
            and parsed.database != ":memory:"
            and not parsed.database.startswith("file:")
        ):
            database = Path(parsed.database)
            why = why_not_writable(database)
            if why is None and not self.read_only:
                try:
                    database.parent.mkdir(parents=True, exist_ok=True)
                except OSError as err:
                    why = f"its folder cannot be created ({err.strerror})"
            if why is not None and not self.read_only:
                self.read_only, self.read_only_reason = True, why
            if self.read_only:
                if not database.is_file():
                    raise StoreError(
                        f"There is no feedback store at {database}, and it cannot be created: {self.read_only_reason}."
                    )
                connect, immutable = read_only_connector(database)
                options = {"creator": connect}
                if immutable:
                    self.read_only_reason += " (opened as immutable: changes made elsewhere show after a restart)"
            else:
                self._lock_path = Path(f"{database}.writers.lock")
        try:
            self.engine = create_engine(parsed, pool_pre_ping=not self.is_sqlite, **options)
        except (SQLAlchemyError, ImportError) as err:
            raise StoreError(f"The store at {self.location} cannot be used: {err}") from err
        if self.is_sqlite:
            event.listen(self.engine, "connect", self._on_sqlite_connect)
            event.listen(self.engine, "begin", self._on_sqlite_begin)
        self._migrate()

    @staticmethod
    def _on_sqlite_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # let the "begin" hook issue BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(store_wait() * 1000)}")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @staticmethod
    def _on_sqlite_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("write") else "BEGIN")

    def _begin(self, write: bool, deadline: float) -> tuple[Connection, RootTransaction]:
        """A connection in a transaction whose lock waits end at `deadline`; on SQLite "database is
        locked" is retried with backoff until then, on PostgreSQL the transaction sets its lock_timeout."""
        for attempt in range(SQLITE_LOCK_RETRIES + 1):
            conn = self.engine.connect()
            conn.info["write"] = write
            wait_ms = max(int(remaining(deadline) * 1000), 1)
            try:
                if self.is_sqlite:  # on the driver's connection: no SQLAlchemy autobegin
                    conn.connection.dbapi_connection.execute(f"PRAGMA busy_timeout = {wait_ms}")
                trans = conn.begin()
                if not self.is_sqlite:  # bounds every lock wait, a reader's behind a migration's too
                    conn.exec_driver_sql(f"SET LOCAL lock_timeout = {wait_ms}")
                return conn, trans
            except OperationalError as err:
                conn.close()
                if "database is locked" not in str(err):
                    raise
                if attempt == SQLITE_LOCK_RETRIES or remaining(deadline) <= 0:
                    raise StoreBusy(BUSY_MESSAGE) from err
                log.warning("feedback store locked; retry %d of %d", attempt + 1, SQLITE_LOCK_RETRIES)
                time.sleep(min(0.05 * 2**attempt, remaining(deadline)))
        raise AssertionError("unreachable")

    @contextmanager
    def _writer_queue(self, write: bool, deadline: float) -> Iterator[None]:
        """SQLite writers wait their turn on an OS file lock next to the database, until `deadline`.

        SQLite's own busy handler polls with sleeps of up to 100 ms, which made the slowest writes
        under contention slow; the database's own locking still applies underneath.
        """
        if not (write and self.is_sqlite and self._lock_path):
            yield
            return
        try:
            with file_lock(self._lock_path, deadline):
                yield
        except LockTimeout as err:
            log.info("store writers' lock still busy at the deadline: %s", err)
            raise StoreBusy(BUSY_MESSAGE) from err
        except LockForbidden as err:
            raise StoreReadOnly(f"{READ_ONLY_MESSAGE} (Its lock file {self._lock_path} cannot be opened.)") from err

    @contextmanager
    def transaction(self, write: bool = False, wait: float | None = None) -> Iterator[Connection]:
        """One connection and transaction; SQLite writes take the write lock up front (BEGIN IMMEDIATE).

        A write waits at most `wait` seconds (INVOLVE_STORE_WAIT by default) for other writers
        (StoreBusy then) and is refused at once on a read-only store (StoreReadOnly).
        """
        if write and self.read_only:
            raise StoreReadOnly(READ_ONLY_MESSAGE)
        deadline = time.monotonic() + (store_wait() if wait is None else wait)
        try:
            with self._writer_queue(write, deadline):
                conn, trans = self._begin(write, deadline)
                try:
                    yield conn
                    trans.commit()
                except BaseException:
                    trans.rollback()
                    raise
                finally:
                    conn.close()
        except SQLAlchemyError as err:
            log.warning("store operation failed: %s", err)
            busy = any(marker in str(getattr(err, "orig", None) or err) for marker in _LOCK_ERRORS)
            raise (StoreBusy if busy else StoreError)(_describe(err, self.location)) from err

    def is_busy(self, patience: float = BUSY_PATIENCE_SECONDS) -> bool:
        """Whether another process has held the store's write lock for longer than an ordinary write
        takes (asked with a wait of `patience`; SQLite only: PostgreSQL readers never wait for writers)."""
        if self.read_only or not self.is_sqlite:
            return False
        try:
            with self.transaction(write=True, wait=patience):
                pass
        except StoreBusy:
            return True
        except StoreError:
            return False
        return False

    def _migrate(self) -> None:
        """Upgrade the schema if it is older than this app's; a current store is opened without a write."""
        with self.transaction() as conn:
            current = read_version(conn)
        if current > LATEST_VERSION:
            raise StoreError(
                f"The feedback store at {self.location} has schema version {current}, newer than "
                f"this app understands ({LATEST_VERSION}). Upgrade Involve; the store was not touched."
            )
        if current == LATEST_VERSION:
            return
        if self.read_only:
            raise StoreError(
                f"The feedback store at {self.location} has schema version {current}, older than this app's "
                f"({LATEST_VERSION}), and it cannot be upgraded because {self.read_only_reason}. Open it once "
                "with write access (the upgrade keeps every row); nothing was changed."
            )
        if self.is_sqlite:  # a persistent property of the file, set outside a transaction
            with self.engine.connect() as conn:
                conn.connection.dbapi_connection.execute("PRAGMA journal_mode = WAL")
        with self.transaction(write=True) as conn:
            ensure_schema_table(conn)
            current = read_version(conn)  # another process may have upgraded it meanwhile
            for migration in MIGRATIONS:
                if migration.version > current:
                    migration.apply(conn)
                    conn.execute(
                        insert(SCHEMA).values(
                            version=migration.version,
                            description=migration.description,
                            applied_at=datetime.now(timezone.utc),
                        )
                    )
                    log.info("store migrated to schema %s (%s)", migration.version, migration.description)

    def probe_write(self) -> None:
        """Check that the store accepts a write (StoreError if not); the write is rolled back."""

        class _Probe(Exception):
            pass

        try:
            with self.transaction(write=True) as conn:
                conn.execute(SCHEMA.update().where(SCHEMA.c.version == -1).values(description="probe"))
                conn.exec_driver_sql("CREATE TABLE involve_health_probe (x INTEGER)")
                raise _Probe
        except _Probe:
            return

    def schema_version(self) -> int:
        """The store's schema version."""
        with self.transaction() as conn:
            return read_version(conn)

    def lock_table(self, conn: Connection, table: Table) -> None:
        """In a write transaction: make other writers of an append-only log wait until this one ends
        (PostgreSQL; on SQLite a write transaction holds the database's write lock already)."""
        if not self.is_sqlite:
            conn.exec_driver_sql(f"LOCK TABLE {table.name} IN EXCLUSIVE MODE")


def insert_record(conn: Connection, table: Table, record: Any, now: datetime | None = None, **columns: Any) -> Any:
    """Insert a record dataclass (its fields but id and created_at; `columns` override how some are
    stored) stamped with `now` (default: this moment); the record with its new id and time."""
    now = now or datetime.now(timezone.utc)
    values = {k: v for k, v in record.__dict__.items() if k not in ("id", "created_at")} | columns
    new_id = conn.execute(insert(table).values(**values, created_at=now).returning(table.c.id)).scalar_one()
    return replace(record, id=new_id, created_at=now)


def utc_row(data: dict) -> dict:
    """The row with its created_at marked as UTC (SQLite returns naive datetimes)."""
    created = data.get("created_at")
    if created is not None:
        aware = created.replace(tzinfo=timezone.utc) if created.tzinfo is None else created
        data["created_at"] = aware.astimezone(timezone.utc)
    return data
