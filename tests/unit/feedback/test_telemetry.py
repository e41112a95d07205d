import pytest

from feedback.store.telemetry import flush_events, record_event, usage_frame
from feedback.telemetry import event_counts, explanation_latency, views_by_page_and_role


def test_usage_is_recorded_and_summarised(store):
    record_event(store, "credit", "Home", "risk", "page view", "v3")
    record_event(store, "credit", "Explore", "risk", "page view", "v3")
    record_event(store, "credit", "Explore", "business user", "page view", "v3")
    for ms in (2.0, 4.0, 100.0):
        record_event(store, "credit", "Explore", "risk", "explanation viewed", "v3", ms)
    record_event(store, "credit", "Explore", "risk", "feedback submitted", "v3")
    record_event(store, "fraud", "Home", "risk", "page view", "v1")
    assert flush_events()
    usage = usage_frame(store, "credit")
    assert event_counts(usage) == {"page view": 3, "explanation viewed": 3, "feedback submitted": 1}
    views = views_by_page_and_role(usage)
    assert views.loc["Explore"].to_dict() == {"business user": 1, "risk": 1}
    p50, p95 = explanation_latency(usage)
    assert p50 == 4.0 and p95 == pytest.approx(90.4)
    with pytest.raises(ValueError, match="Unknown usage event"):
        record_event(store, "credit", "Home", "risk", "clicked")


def test_no_usage_yet(store):
    usage = usage_frame(store, "credit")
    assert event_counts(usage) == {"page view": 0, "explanation viewed": 0, "feedback submitted": 0}
    assert explanation_latency(usage) is None and views_by_page_and_role(usage).empty
