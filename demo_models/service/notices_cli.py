"""`involve notices USECASE VERSION --out notices.zip [--from DAY --to DAY]`: the decision notices of an iteration's
declined evaluation cases (or, with a window, of the declines it made in the use case's connected decision log),
one PDF each and a CSV of them, in a ZIP."""

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
    notices.add_argument(
        "--from", dest="start", default=None, help="first day (YYYY-MM-DD) of a window of the connected decision log"
    )
    notices.add_argument("--to", dest="end", default=None, help="last day (YYYY-MM-DD) of that window")
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
    window = getattr(args, "start", None), getattr(args, "end", None)
    if any(window) and not all(window):
        print("No notices written: a window of the decision log needs both --from and --to.", file=sys.stderr)
        return 1
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
    declines = None
    if all(window):
        declines = _window_declines(scored, *window)
        if declines is None:
            return 1
    step = 10

    def progress(done: int, total: int) -> None:
        if done == total or done % step == 0:
            log.info("notices: %d of %d", done, total)

    try:
        if declines is None:
            batch = write_notice_batch(scored, out, progress=progress, wording=wording)
        else:
            from demo_models.monitoring.log_notices import write_window_batch

            batch = write_window_batch(scored, declines, out, progress=progress, wording=wording)
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
    what = f"{decided} evaluation case" if declines is None else _window_words(scored, declines)
    print(
        f"Wrote {batch.path}: {batch.notices} notices, one per {what}, and notices.csv "
        f"(template v{wording.version}; recorded in the audit log of generated documents)."
    )
    if declines is not None and declines.not_repeated:
        print(
            f"{len(declines.not_repeated)} logged {scored.use_case.unfavourable_decision} decision(s) are not "
            f"{decided} by {scored.card.version}'s own score at its threshold and have no notice: "
            f"{', '.join(declines.not_repeated[:10])}{' …' if len(declines.not_repeated) > 10 else ''}"
        )
    if batch.with_missing:
        print(f"{batch.with_missing} of them leave out a reason that has no standard statement (see notices.csv).")
    return 0


def _window_declines(scored, start: str, end: str):
    """The declines of the window in the use case's decision log, or None after printing why there are none."""
    from demo_models.monitoring.log_notices import WindowError, parse_window, read_window_declines
    from demo_models.monitoring.sources import load_source

    try:
        first, last = parse_window(start, end)
        source = load_source(scored.card.use_case)
        if source is None:
            raise WindowError(
                f"The use case '{scored.card.use_case}' has no decision log connected (`involve monitor connect "
                f"{scored.card.use_case} …`); without --from and --to the batch covers the evaluation cases."
            )
        return read_window_declines(source, scored, first, last)
    except (WindowError, OSError, KeyError, ValueError) as err:  # a sources file that cannot be read too
        print(f"No notices written: {err}", file=sys.stderr)
        return None


def _window_words(scored, declines) -> str:
    from demo_models.monitoring.log_notices import window_name

    use_case = scored.use_case
    return (
        f"{use_case.words.case} {scored.card.version} {use_case.past(use_case.unfavourable_decision)} in the decision "
        f"log from {window_name(declines.start, declines.end)} (of its {declines.window_decisions:,} decisions there)"
    )
