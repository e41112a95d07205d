"""Monitoring alerts: exactly the months and columns past the act band, the goals missed (measured, or
estimated before the outcomes are in), each posted once on the notice board, even by two at once."""

import threading

from demo_models.metrics.drift import BANDS
from demo_models.monitoring.alerts import find_alerts
from demo_models.monitoring.log_summary import summarise_log
from demo_models.monitoring.sources import Source
from demo_models.vocabulary import get_use_case
from feedback.store.announcements import list_announcements, record_alerts
from tests.helpers import make_criterion
from tests.unit.monitoring.conftest import LOG_MAPPING

THRESHOLD = 0.3


def _summary(folder):
    return summarise_log(Source("parquet", str(folder), LOG_MAPPING), THRESHOLD)


def test_drift_alerts_are_the_cells_past_the_act_band(partitioned_log):
    summary = _summary(partitioned_log[0])
    alerts = find_alerts(summary, get_use_case("credit"), "v2", [])
    psi = summary.aggregates.psi
    later = psi.drop(index=summary.aggregates.reference)
    expected = {(month, column) for month, row in later.iterrows() for column, v in row.items() if v > BANDS[1][0]}
    assert len(expected) >= 2  # the planted drift: the test can fail
    names = {"p_default": "the score", "income": "Income", "dependants": "Dependants", "region": "Region"}
    assert {a.title for a in alerts} == {f"Drift in {m}: {names[c]}" for m, c in expected}
    assert all(a.source == "monitoring" and a.use_case == "credit" and a.iteration == "v2" for a in alerts)


def test_a_missed_goal_is_judged_measured_then_estimated(partitioned_log):
    summary = _summary(partitioned_log[0])
    unreachable = make_criterion(metric="recall", target=0.999)
    alerts = [a for a in find_alerts(summary, get_use_case("credit"), "v2", [unreachable]) if "goal" in a.title]
    months = list(summary.performance.realised.index)
    assert [a.title.split(":")[0] for a in alerts] == [f"Below goal in {m}" for m in months]
    labelled = summary.performance.realised["labelled"] > 0
    for alert, has_labels in zip(alerts, labelled):
        assert ("measured" if has_labels else "estimated") in alert.body
    met = make_criterion(metric="recall", target=0.01)
    by_group = make_criterion(metric="recall", target=0.999, attribute="region")
    assert not [a for a in find_alerts(summary, get_use_case("credit"), "v2", [met, by_group]) if "goal" in a.title]


def test_each_alert_is_posted_once(store, partitioned_log):
    alerts = find_alerts(_summary(partitioned_log[0]), get_use_case("credit"), "v2", [])
    posted = record_alerts(store, alerts)
    assert len(posted) == len(alerts) and record_alerts(store, alerts) == []
    assert len(record_alerts(store, alerts[:1])) == 0


def test_two_posting_at_once_post_each_alert_once(store, partitioned_log):
    alerts = find_alerts(_summary(partitioned_log[0]), get_use_case("credit"), "v2", [])
    results, start = [], threading.Barrier(2)

    def post():
        start.wait()
        results.append(record_alerts(store, alerts))

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(len(r) for r in results) == [0, len(alerts)]
    titles = [n.title for n in list_announcements(store, "credit") if n.source == "monitoring"]
    assert sorted(titles) == sorted(a.title for a in alerts)
