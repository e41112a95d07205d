"""8 processes writing 500 feedback entries each into one store: nothing lost, nothing doubled."""

import multiprocessing

from feedback.store.database import FeedbackStore
from feedback.store.records import add_feedback, list_feedback
from tests.helpers import make_draft

PROCESSES, WRITES = 8, 500


def _writer(url: str, worker: int) -> None:
    store = FeedbackStore(url)
    for i in range(WRITES):
        add_feedback(store, make_draft(case_id=f"P{worker}-{i}"), {"v3"})
    store.engine.dispose()


def test_eight_processes_lose_and_double_nothing(store):
    url = store.engine.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_writer, args=(url, n)) for n in range(PROCESSES)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert [w.exitcode for w in workers] == [0] * PROCESSES
    entries = list_feedback(store, "credit")
    assert len(entries) == PROCESSES * WRITES
    assert len({e.case_id for e in entries}) == PROCESSES * WRITES
    assert len({e.uid for e in entries}) == PROCESSES * WRITES


# --- read-decide-write under a lock: two processes triage the same entries in opposite ways ---

ENTRIES = 200


def _triager(url: str, to_status: str, start, results) -> None:
    from feedback.access import Actor
    from feedback.store.triage import triage_feedback
    from feedback.triage import TriageError

    store = FeedbackStore(url)
    actor = Actor(f"Process {to_status}", "admin")
    won, lost = 0, []
    start.wait()
    for entry in range(1, ENTRIES + 1):
        try:
            triage_feedback(store, [entry], to_status, actor, "decided", seen={entry: "new"})
            won += 1
        except TriageError as err:
            lost.append(str(err))
    store.engine.dispose()
    results.put((to_status, won, lost))


def test_two_processes_triaging_the_same_entries_leave_a_valid_log(store):
    from feedback.store.triage import triage_history
    from feedback.triage import TRIAGE_TRANSITIONS

    for i in range(ENTRIES):
        add_feedback(store, make_draft(case_id=f"T{i}"), {"v3"})
    url = store.engine.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("fork")
    start, results = context.Event(), context.Queue()
    workers = [context.Process(target=_triager, args=(url, s, start, results)) for s in ("accepted", "rejected")]
    for worker in workers:
        worker.start()
    start.set()
    outcome = {status: (won, lost) for status, won, lost in (results.get(timeout=300) for _ in workers)}
    for worker in workers:
        worker.join(timeout=60)
    assert [w.exitcode for w in workers] == [0, 0]
    assert sum(won for won, _ in outcome.values()) == ENTRIES  # each entry decided exactly once
    for won, lost in outcome.values():
        assert len(lost) == ENTRIES - won and all("meanwhile" in message for message in lost)
    final = {e.id: e.triage_status for e in list_feedback(store, "credit")}
    for entry in range(1, ENTRIES + 1):
        log = triage_history(store, entry)
        status = "new"
        for event in log:  # a valid sequence of transitions from "new"
            assert event["from_status"] == status and event["to_status"] in TRIAGE_TRANSITIONS[status]
            status = event["to_status"]
        assert len(log) == 1 and final[entry] == status  # the final state is the last logged
