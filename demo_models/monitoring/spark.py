"""Apache Spark as the engine of a decision log: one Spark session per process — local mode by default,
the team's cluster when `INVOLVE_SPARK_MASTER` names one — wrapped as an ibis backend, so Monitoring's
expressions run on it unchanged and only their aggregates come back to the app."""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_MASTER = "local[2]"
DEFAULT_DRIVER_MEMORY = "4g"  # with Spark's own 1g, aggregating a 10M-decision log ran out of heap in local mode
_lock = threading.Lock()
_backend: Any = None


class SparkUnavailable(RuntimeError):
    """Spark cannot be started here; the message says why and what to do."""


def spark_master() -> str:
    """The Spark master URL Monitoring connects to (`INVOLVE_SPARK_MASTER`, default local mode on 2 cores)."""
    return os.environ.get("INVOLVE_SPARK_MASTER", "").strip() or DEFAULT_MASTER


def spark_driver_memory() -> str:
    """The Spark driver's heap (`INVOLVE_SPARK_DRIVER_MEMORY`, default 4g): in local mode it is the executors' too."""
    return os.environ.get("INVOLVE_SPARK_DRIVER_MEMORY", "").strip() or DEFAULT_DRIVER_MEMORY


def _start_session(master: str) -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError as err:
        raise SparkUnavailable(
            'The Spark engine needs PySpark: pip install -e ".[spark]" (and Java 17 on the machine).'
        ) from err
    builder = (
        SparkSession.builder.master(master)
        .appName("involve-monitoring")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.driver.memory", spark_driver_memory())  # read when the JVM starts, so set before it
    )
    if master.startswith("local"):  # nothing of a local session listens beyond the loopback address
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        builder = builder.config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1")
    try:
        session = builder.getOrCreate()
    except Exception as err:  # py4j / PySpark raise many types, e.g. when Java is missing
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise SparkUnavailable(f"Spark could not be started at {master}: {first}") from err
    session.sparkContext.setLogLevel("ERROR")
    return session


def spark_backend() -> Any:
    """The process's ibis backend on Spark, started on first use (about 10 s in local mode)."""
    global _backend
    with _lock:
        if _backend is None:
            import ibis

            logging.getLogger("py4j").setLevel(logging.WARNING)  # its connections' chatter, even at exit
            session = _start_session(spark_master())
            log.info("Spark session started at %s", spark_master())
            _backend = ibis.pyspark.connect(session)
        return _backend


def stop_spark() -> None:
    """Stop the process's Spark session, if one was started (tests, shutdown)."""
    global _backend
    with _lock:
        if _backend is not None:
            try:
                _backend._session.stop()
            finally:
                _backend = None
