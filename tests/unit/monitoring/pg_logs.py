"""A decision log loaded into a throw-away schema of the INVOLVE_TEST_PG_URL server (skips without one), and
the source reading it, with the password-free URL given through `${INVOLVE_TEST_LOG_URL}` as a team would."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import pytest

from demo_models.monitoring.sources import Source

PG_URL_VARIABLE = "INVOLVE_TEST_PG_URL"
_TYPES = {"f": "double precision", "i": "bigint", "u": "bigint", "b": "boolean", "M": "timestamp"}


def pg_url() -> str:
    """The test server's URL (skips the test without one, or when it does not answer)."""
    url = os.environ.get(PG_URL_VARIABLE, "")
    if not url:
        pytest.skip(f"{PG_URL_VARIABLE} is not set")
    return url


def _connect(url: str):
    import psycopg
    from sqlalchemy.engine import make_url

    parts = make_url(url)
    try:
        return psycopg.connect(
            host=parts.host,
            port=parts.port or 5432,
            user=parts.username,
            password=parts.password,
            dbname=parts.database,
            autocommit=True,
            connect_timeout=5,
        )
    except psycopg.OperationalError as error:
        pytest.skip(f"the PostgreSQL test server does not answer: {error}")


@contextmanager
def pg_log(frame: pd.DataFrame, name: str = "decisions") -> Iterator[str]:
    """Load the frame into a new schema (COPY) and yield 'schema.name'; the schema is dropped afterwards."""
    url = pg_url()
    schema = f"log_{uuid.uuid4().hex[:10]}"
    columns = ", ".join(f'"{c}" {_TYPES.get(frame[c].dtype.kind, "text")}' for c in frame.columns)
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False, na_rep="", date_format="%Y-%m-%d %H:%M:%S.%f")
    with _connect(url) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
        connection.execute(f'CREATE TABLE "{schema}"."{name}" ({columns})')
        with connection.cursor().copy(f'COPY "{schema}"."{name}" FROM STDIN WITH (FORMAT csv, NULL \'\')') as copy:
            copy.write(buffer.getvalue())
    try:
        yield f"{schema}.{name}"
    finally:
        with _connect(url) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


def sql_source(monkeypatch, relation: str, mapping: dict, reference: tuple[str, ...] = ()) -> Source:
    """The SQL source of the test server's log, its URL read from the environment as `${INVOLVE_TEST_LOG_URL}`."""
    monkeypatch.setenv("INVOLVE_TEST_LOG_URL", pg_url())
    return Source("sql", "${INVOLVE_TEST_LOG_URL}", dict(mapping), reference, relation)
