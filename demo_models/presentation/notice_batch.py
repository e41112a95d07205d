"""Batch notices: one PDF per declined (flagged) case of an iteration and a CSV of them, as a ZIP: its evaluation
cases, or any cases the caller explains (a decision log's window: monitoring/log_notices.py)."""

from __future__ import annotations

import csv
import io
import logging
import os
import tempfile
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from demo_models.iterations.scoring import CaseExplanation, ScoredIteration
from demo_models.presentation.notice_render import DEFAULT_WORDING, NoticeWording, notice_file_stem, render_notice_pdf
from demo_models.presentation.notices import build_notices, decline_reasons
from feedback.exchange import neutralise_cell

log = logging.getLogger(__name__)

CSV_NAME = "notices.csv"
CHUNK_NOTICES = 50  # notices built together (one counterfactual search for all) between progress reports
CSV_COLUMNS = ("case", "decision", "reason codes", "statements", "reasons without statement", "reference", "file")
DECIDED_COLUMN = "decided at"  # a decision log's batch: when the log says the decision was made


@dataclass(frozen=True)
class NoticeBatch:
    """What a batch wrote: the ZIP, how many notices, how many of them lack a statement for some reason, and the
    cases and references in it."""

    path: Path
    notices: int
    with_missing: int
    case_ids: tuple[str, ...] = ()
    references: tuple[str, ...] = ()


def declined_cases(scored: ScoredIteration) -> list[str]:
    """The evaluation cases the iteration gives the unfavourable decision, in case id order."""
    decisions = scored.decisions()
    return sorted(str(c) for c in decisions[decisions == scored.use_case.unfavourable_decision].index)


def write_notice_batch(
    scored: ScoredIteration,
    out: Path,
    issued: date | None = None,
    progress: Callable[[int, int], None] | None = None,
    wording: NoticeWording = DEFAULT_WORDING,
    cases: Sequence[str] | None = None,
    explain: Callable[[str], CaseExplanation] | None = None,
    decided: Mapping[str, str] | None = None,
) -> NoticeBatch:
    """Write `out`: a PDF per declined evaluation case in `wording` and notices.csv (case, decision, reason codes,
    statements, reference); written to a temporary file beside it first, so a failure leaves no half ZIP. OSError
    if unwritable; NoticeError if the template is refused or a case was not declined. `cases` with `explain` (key to
    explanation) and `decided` (key to when it was decided, a CSV column) replace the evaluation cases."""
    cases = declined_cases(scored) if cases is None else list(cases)
    explain = explain or scored.explain_case
    rows, used, with_missing = [], set(), 0
    folder = out.parent if str(out.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=".notices-", suffix=".zip", dir=folder)
    os.close(handle)
    try:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for first in range(0, len(cases), CHUNK_NOTICES):
                keys = cases[first : first + CHUNK_NOTICES]
                chunk = [explain(c) for c in keys]
                notices = build_notices(scored, chunk, issued, wording.statements)
                for done, (key, explanation, notice) in enumerate(zip(keys, chunk, notices), first + 1):
                    stem = notice_file_stem(notice.use_case, notice.version, notice.case_id)
                    if stem in used:  # two case ids that differ only in characters a file name cannot hold
                        stem = f"{stem}-{notice.reference}"
                    used.add(stem)
                    pdf = render_notice_pdf(notice, wording.text, wording.version, wording.statements_version)
                    archive.writestr(f"{stem}.pdf", pdf)
                    with_missing += bool(notice.missing)
                    rows.append(
                        [
                            notice.case_id,
                            notice.decision,
                            "; ".join(r.text for r in decline_reasons(scored, explanation)),
                            "; ".join(notice.statements),
                            "; ".join(r.label for r in notice.missing),
                            notice.reference,
                            f"{stem}.pdf",
                        ]
                        + ([decided.get(key, "")] if decided is not None else [])
                    )
                    if progress is not None:
                        progress(done, len(cases))
            archive.writestr(CSV_NAME, _csv(rows, decided is not None))
        os.replace(temporary, out)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    log.info("wrote %d notices to %s", len(cases), out)
    return NoticeBatch(out, len(cases), with_missing, tuple(r[0] for r in rows), tuple(r[5] for r in rows))


def _csv(rows: list[list[str]], with_decided: bool = False) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS + ((DECIDED_COLUMN,) if with_decided else ()))
    writer.writerows([[neutralise_cell(value) for value in row] for row in rows])
    return buffer.getvalue().encode("utf-8")
