"""`involve notices USECASE VERSION --out notices.zip`: the decision notices of an iteration's declined evaluation
cases, one PDF each and a CSV of them, in a ZIP."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from demo_models import settings
from demo_models.iterations.registry import RegistryError, load_iteration

log = logging.getLogger("involve.notices")


def add_notices_parser(commands: argparse._SubParsersAction) -> None:
    """Add `notices` to the command line."""
    notices = commands.add_parser(
        "notices", help="write a ZIP of the decision notices (PDF) of every declined evaluation case, with a CSV"
    )
    notices.add_argument("use_case")
    notices.add_argument("version")
    notices.add_argument("--out", type=Path, required=True, help="the ZIP file to write")
    notices.add_argument("--registry", type=Path, default=None)
    notices.add_argument("--db", default=None, help="store URL (default: INVOLVE_DB_URL or the SQLite file)")


def run_notices(args: argparse.Namespace) -> int:
    """Write the notices' ZIP in the use case's current template, logging progress, and record it in the audit log
    of generated documents; 0 when written, 1 with a message when refused."""
    from demo_models.iterations.scoring import ScoredIteration
    from demo_models.presentation.notice_batch import write_notice_batch
    from demo_models.presentation.notice_documents import current_wording, record_batch
    from demo_models.presentation.notices import NoticeError
    from feedback.store.database import FeedbackStore, StoreError

    log.setLevel(logging.INFO)
    out: Path = args.out
    if out.is_dir():
        print(f"No notices written: {out} is a folder; give a file name such as notices.zip.", file=sys.stderr)
        return 1
    if not out.parent.is_dir():
        print(f"No notices written: the folder {out.parent} does not exist.", file=sys.stderr)
        return 1
    try:
        scored = ScoredIteration(load_iteration(args.use_case, args.version, args.registry or settings.registry_dir()))
    except RegistryError as err:
        print(f"No notices written: {err}", file=sys.stderr)
        return 1
    try:  # the template in force and the audit log are in the store
        store = FeedbackStore(args.db or settings.db_url())
        wording = current_wording(store, scored.card.use_case)
    except StoreError as err:
        print(f"No notices written: the store (template and audit log) is unavailable: {err}", file=sys.stderr)
        return 1
    step = 10

    def progress(done: int, total: int) -> None:
        if done == total or done % step == 0:
            log.info("notices: %d of %d", done, total)

    try:
        batch = write_notice_batch(scored, out, progress=progress, wording=wording)
    except OSError as err:
        print(f"No notices written: cannot write {out} ({err.strerror or err}).", file=sys.stderr)
        return 1
    except NoticeError as err:
        print(f"No notices written: {err}", file=sys.stderr)
        return 1
    try:
        record_batch(store, scored, batch, wording)
    except StoreError as err:
        out.unlink(missing_ok=True)  # a batch not in the audit log is not handed out
        print(f"No notices written: the audit log could not record the batch: {err}", file=sys.stderr)
        return 1
    decided = scored.use_case.past(scored.use_case.unfavourable_decision)
    print(
        f"Wrote {batch.path}: {batch.notices} notices, one per {decided} evaluation case, and notices.csv "
        f"(template v{wording.version}; recorded in the audit log of generated documents)."
    )
    if batch.with_missing:
        print(f"{batch.with_missing} of them leave out a reason that has no standard statement (see notices.csv).")
    return 0
