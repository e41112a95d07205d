"""The HTML report and the dossier show the iteration against the expectations reviewers agreed on: met of
checked and the broken cases, equal to a brute force over its decisions."""

from __future__ import annotations

import html
import re

import pytest

from demo_models.presentation.report_inputs import compose_dossier, compose_report
from demo_models.reviews.expectations import adjudication_queue, close_and_keep, record_adjudication
from feedback.access import Actor
from feedback.store.expectations import list_expectations
from tests.unit.presentation.test_dossier import _text
from tests.unit.reviews.test_expectations_of_iterations import DEE, _run_round


@pytest.mark.slow
def test_the_report_and_the_dossier_count_the_expectations_met_and_list_the_broken(registry_dir, sqlite_store, scored):
    empty = compose_report(registry_dir, sqlite_store, "credit", "v2")
    assert "<h2>Expectations from review rounds</h2>\n<p>v2: no expectation can be checked yet</p>" in empty

    v3 = scored["v3"]
    round_, cases = _run_round(sqlite_store, v3, "credit", "v3", {"v1", "v2", "v3"})
    close_and_keep(sqlite_store, round_.id, DEE, v3)
    queue = adjudication_queue(sqlite_store, round_.id, DEE, v3)
    for case in queue.waiting:  # both queued cases adjudicated against v3's decision
        other = next(d for d in ("approve", "decline") if d != v3.decisions()[case])
        record_adjudication(sqlite_store, queue, case, Actor("Cy", "compliance"), other, "Not as v3 decides", v3)

    for version in ("v1", "v3"):
        decisions = scored[version].decisions()
        expected = {e.case_id: e.expected_decision for e in list_expectations(sqlite_store, "credit")}
        broken = sorted(c for c, d in expected.items() if decisions[c] != d)
        document = compose_report(registry_dir, sqlite_store, "credit", version)
        assert (
            f"{version} meets <b>{len(expected) - len(broken)}</b> of <b>{len(expected)}</b> expectations" in document
        )
        section = document[document.index("<h2>Expectations from review rounds</h2>") :]
        listed = [html.unescape(c) for c in re.findall(r"<tr>\s*<th>([^<]+)</th>", section) if c != "case"]
        assert listed == broken
        if version == "v3":
            assert broken == sorted(queue.waiting) and len(expected) == 5
    text, _ = _text(compose_dossier(registry_dir, sqlite_store, "credit", "v3", "Cora (compliance)"))
    assert "v3 meets 3 of 5 expectations reviewers agreed on" in text and all(c in text for c in queue.waiting)
