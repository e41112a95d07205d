"""8 processes writing 500 feedback entries each into one store: nothing lost, nothing doubled."""

import multiprocessing

from feedback.store import FeedbackStore
from tests.helpers import make_draft

PROCESSES, WRITES = 8, 500


def _writer(url: str, worker: int) -> None:
    store = FeedbackStore(url)
    for i in range(WRITES):
        store.add_feedback(make_draft(case_id=f"P{worker}-{i}"), {"v3"})
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
    entries = store.list_feedback("credit")
    assert len(entries) == PROCESSES * WRITES
    assert len({e.case_id for e in entries}) == PROCESSES * WRITES
    assert len({e.uid for e in entries}) == PROCESSES * WRITES
