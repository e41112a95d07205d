"""The first start, in a background process: train the built-in iterations that are missing, then
write the demo history into a fresh store, reporting each step to a status file in the registry.

The app starts it (once per server process) and renders at once: pages show what is registered
so far and say what is still being prepared. Processes sharing a registry take turns on a file
lock, so two servers starting together train each iteration once. `python -m demo_models.builtin.first_start
--registry DIR --db URL [--demo-history]` runs the same steps in the foreground.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

try:
    import fcntl
except ImportError:  # not on Windows: processes do not take turns there
    fcntl = None

from demo_models import settings

log = logging.getLogger(__name__)

STATUS_FILE, LOG_FILE, LOCK_FILE = ".first-start.json", ".first-start.log", ".first-start.lock"
DEMO_STEP = "writing the demo history"
#: The built-in iterations in the order they are trained ("use case/version"). `training` defines them
#: (a test checks that the two agree); they are named here so that a first start is recognised
#: without importing pandas or the model libraries.
BUILTIN_ITERATIONS = ("credit/v1", "credit/v2", "credit/v3", "fraud/v1", "fraud/v2")
NICENESS = 19  # the lowest CPU priority: the first page render (and every later one) goes first


class ReadOnlyRegistry(OSError):
    """Built-in iterations are missing and the registry folder cannot be written to train them."""


def missing_builtins(registry_dir: Path | None = None) -> list[str]:
    """The built-in iterations not registered yet, in the order they are trained ("use case/version")."""
    root = Path(registry_dir or settings.registry_dir())
    return [name for name in BUILTIN_ITERATIONS if not (root / name).exists()]


def registered_names(registry_dir: Path) -> tuple[str, ...]:
    """ "use case/version" of every iteration with a card in the registry, sorted (reads no card)."""
    root = Path(registry_dir)
    return tuple(
        sorted(
            f"{p.parent.parent.name}/{p.parent.name}"
            for p in root.glob("*/*/card.json")
            if not p.parent.name.startswith(".")
        )
    )


def why_not_writable(folder: Path) -> str | None:
    """Why `folder` (or, if it does not exist yet, its nearest existing parent) cannot be written, or None."""
    existing = Path(folder)
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    return None if os.access(existing, os.W_OK) else f"the folder {existing} is read-only"


@dataclass(frozen=True)
class Progress:
    """Where the preparation is: the current step, steps done of the total, and its state."""

    step: str
    done: int
    total: int
    state: str = "running"  # running, done or failed
    detail: str = ""

    @property
    def running(self) -> bool:
        """Whether it is still working."""
        return self.state == "running"


def _write_status(registry_dir: Path, progress: Progress) -> None:
    staging = registry_dir / f"{STATUS_FILE}.{os.getpid()}"
    staging.write_text(json.dumps(asdict(progress)), encoding="utf-8")
    staging.replace(registry_dir / STATUS_FILE)


def read_status(registry_dir: Path) -> Progress | None:
    """The last progress the preparation reported in this registry, if any."""
    try:
        return Progress(**json.loads((Path(registry_dir) / STATUS_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


@contextmanager
def _turn(registry_dir: Path) -> Iterator[None]:
    if fcntl is None:
        yield
        return
    with open(registry_dir / LOCK_FILE, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def wants_demo_history(db_url: str) -> bool:
    """Whether the store at `db_url` is fresh, so the demo history would be written into it."""
    from feedback.store.database import FeedbackStore, StoreError
    from feedback.store.fresh import is_fresh

    try:
        store = FeedbackStore(db_url)
        return not store.read_only and is_fresh(store)
    except StoreError as err:
        log.warning("no demo history: %s", err)
        return False


def prepare(registry_dir: Path, db_url: str, demo_history: bool) -> Progress:
    """Train the missing built-in iterations, then write the demo history into a fresh store;
    each step is reported to the status file. The final progress."""
    registry_dir = Path(registry_dir)
    registry_dir.mkdir(parents=True, exist_ok=True)
    with _turn(registry_dir):
        missing = missing_builtins(registry_dir)
        demo_history = demo_history and wants_demo_history(db_url)
        total = len(missing) + bool(demo_history)

        def report(step: str, done: int) -> None:
            _write_status(registry_dir, Progress(step, done, total))

        try:
            from demo_models.builtin.training import ensure_builtin_iterations  # trains: pandas, scikit-learn

            ensure_builtin_iterations(registry_dir, on_step=report)
            if demo_history:
                from demo_models.builtin.demo_history import seed_demo_history
                from feedback.store.database import FeedbackStore

                report(DEMO_STEP, len(missing))
                seed_demo_history(FeedbackStore(db_url), registry_dir)
        except Exception as err:  # reported to the pages, then raised for the log
            _write_status(registry_dir, Progress("failed", 0, total, "failed", f"{type(err).__name__}: {err}"))
            raise
        final = Progress("ready", total, total, "done")
        _write_status(registry_dir, final)
        return final


class FirstStart:
    """The background preparation started by this server process."""

    def __init__(self, registry_dir: Path, process: subprocess.Popen, demo_history: bool = False) -> None:
        self.registry_dir = Path(registry_dir)
        self.process = process
        self.demo_history = demo_history  # whether it writes the demo history after training, if the store is fresh

    def progress(self) -> Progress:
        """Its progress: running while the process runs; then done, or failed with the last log line."""
        code = self.process.poll()
        status = read_status(self.registry_dir)
        if code is None:
            return status if status is not None and status.running else Progress("starting", 0, 0)
        if code == 0:
            return Progress("ready", status.total if status else 0, status.total if status else 0, "done")
        if status is not None and status.state == "failed":
            return status
        try:
            lines = (self.registry_dir / LOG_FILE).read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except OSError:
            lines = []
        return Progress("failed", 0, 0, "failed", lines[-1] if lines else f"exit status {code}")


def low_priority(command: list[str]) -> list[str]:
    """`command` run at the lowest CPU priority (through `nice`, where the system has it)."""
    nice = shutil.which("nice")
    return [nice, "-n", str(NICENESS), *command] if nice else list(command)


def start_first_start(registry_dir: Path, db_url: str, demo_history: bool) -> FirstStart | None:
    """Start the preparation in a background process if anything is missing (None if not).

    ReadOnlyRegistry, naming what is missing, when built-in iterations are missing and the registry
    folder cannot be written (nothing is started, nothing is written). While built-in iterations are
    missing, the store is left to that process (it writes the demo history only into a fresh store):
    the first page shows without opening it.
    """
    registry_dir = Path(registry_dir)
    missing = missing_builtins(registry_dir)
    why = why_not_writable(registry_dir) if missing or demo_history else None
    if missing and why:
        raise ReadOnlyRegistry(
            f"The built-in iterations {', '.join(missing)} are missing and cannot be trained into the registry: {why}"
        )
    seed = demo_history and not why and (bool(missing) or wants_demo_history(db_url))
    if not missing and not seed:
        return None
    registry_dir.mkdir(parents=True, exist_ok=True)
    command = low_priority(
        [  # pages first: training waits for the CPU when people use the app
            sys.executable,
            "-m",
            "demo_models.builtin.first_start",
            "--registry",
            str(registry_dir),
            "--db",
            db_url,
            *(["--demo-history"] if seed else []),
        ]
    )
    path = os.pathsep.join(p for p in (str(settings.PROJECT_DIR), os.environ.get("PYTHONPATH", "")) if p)
    with open(registry_dir / LOG_FILE, "ab") as out:
        process = subprocess.Popen(
            command,
            cwd=settings.PROJECT_DIR,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": path},
            start_new_session=True,
        )
    log.info("first start: preparing in the background (process %s)", process.pid)
    return FirstStart(registry_dir, process, seed)


def main(argv: list[str] | None = None) -> int:
    """Command line: run the preparation in the foreground; exit status 0 when it is done."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", type=Path, default=None)
    parser.add_argument("--db", default=None)
    parser.add_argument("--demo-history", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=settings.log_level(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    prepare(args.registry or settings.registry_dir(), args.db or settings.db_url(), args.demo_history)
    return 0


if __name__ == "__main__":
    sys.exit(main())
