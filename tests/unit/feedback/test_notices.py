"""The notice board: lifecycle changes announce themselves, team notices, per-person dismissal, outages."""

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy.exc import DBAPIError

from feedback.access import AccessError, Actor
from feedback.announcements import (
    DEGRADED,
    DEPRECATION,
    LIVE,
    NOTICE,
    RETIREMENT,
    Announcement,
    AnnouncementError,
    banner_announcements,
    person_key,
)
from feedback.signoff import ScorecardLine, Snapshot
from feedback.store.announcements import dismiss, dismissed_items, list_announcements, post_notice, record_health
from feedback.store.lifecycle import change_lifecycle
from feedback.store.signoff import sign_off
from tests.helpers import BUILTIN_VERSIONS

VERSIONS = list(BUILTIN_VERSIONS)
DS = Actor("Dana Scientist", "data scientist")
SOON = date.today() + timedelta(days=30)


def _promote(store, version, **details):
    snapshot = Snapshot(0.4, (ScorecardLine("Recall >= 0.5", "Risk", 0.6, True),))
    for actor in (Actor("Rita", "risk"), Actor("Cora", "compliance")):
        sign_off(store, "credit", VERSIONS, version, actor, "ok", snapshot, required_signoffs=("risk", "compliance"))
    return change_lifecycle(
        store,
        "credit",
        VERSIONS,
        version,
        "live",
        DS,
        "meets the goals",
        migration_note="Short loans are declined less often.",
        required_signoffs=("risk", "compliance"),
        **details,
    )


def test_a_promotion_announces_the_new_live_iteration_with_its_migration_note(store):
    _promote(store, "v2")
    [notice] = list_announcements(store, "credit")
    assert (notice.kind, notice.title, notice.iteration, notice.source) == (LIVE, "v2 is live", "v2", "lifecycle")
    assert notice.body == "What changes for you: Short loans are declined less often."
    assert (notice.author_name, notice.author_role, notice.use_case) == ("Dana Scientist", "data scientist", "credit")


def test_demoting_announces_the_planned_retirement_with_date_and_replacement(store):
    _promote(store, "v2")
    _promote(store, "v3", demote_current=True, sunset_date=SOON)
    newest, deprecation, _ = list_announcements(store, "credit")
    assert newest.kind == LIVE and newest.iteration == "v3"
    assert (deprecation.kind, deprecation.iteration, deprecation.effective_date, deprecation.replacement) == (
        DEPRECATION,
        "v2",
        SOON,
        "v3",
    )
    assert deprecation.title == f"v2 will be retired on {SOON:%Y-%m-%d}"
    change_lifecycle(store, "credit", VERSIONS, "v2", "retired", DS, "sunset reached", required_signoffs=())
    assert list_announcements(store, "credit")[0].kind == RETIREMENT


def test_restoring_a_candidate_announces_nothing_and_use_cases_stay_apart(store):
    change_lifecycle(store, "credit", VERSIONS, "v1", "retired", DS, "old", required_signoffs=())
    change_lifecycle(store, "credit", VERSIONS, "v1", "candidate", DS, "baseline for the audit", required_signoffs=())
    assert [n.kind for n in list_announcements(store, "credit")] == [RETIREMENT]
    assert list_announcements(store, "fraud") == []


def test_dismissing_hides_a_notice_for_that_person_only(store):
    _promote(store, "v2")
    notices = list_announcements(store, "credit")
    ann, bob = person_key("Ann Example"), person_key("Bob", "bob@bank.example")
    dismiss(store, ann, [notices[0].item])
    dismiss(store, ann, [notices[0].item])  # twice is harmless
    assert banner_announcements(notices, dismissed_items(store, ann)) == []
    assert banner_announcements(notices, dismissed_items(store, bob)) == notices
    assert banner_announcements(notices, dismissed_items(store, person_key("ANN EXAMPLE "))) == []
    with pytest.raises(ValueError, match="named person"):
        dismiss(store, "", [notices[0].item])


def test_a_team_notice_is_posted_for_everyone_and_shown_until_its_date(store):
    notice = Announcement(
        NOTICE,
        "Maintenance on Saturday",
        "The app is read-only 8-10 am.",
        "",
        "",
        show_until=date.today() + timedelta(days=2),
    )
    saved = post_notice(store, notice, Actor("Rita Risk", "risk"), VERSIONS)
    assert (saved.author_name, saved.source, saved.use_case) == ("Rita Risk", "team", None)
    assert list_announcements(store, "fraud") == [saved]
    assert banner_announcements([saved], set(), today=date.today() + timedelta(days=3)) == []
    assert banner_announcements([saved], set()) == [saved]


@pytest.mark.parametrize(
    ("notice", "message"),
    [
        (Announcement(LIVE, "v9 live", "x", "", ""), "The team can post"),
        (Announcement(NOTICE, " ", "x", "", ""), "Title is required"),
        (Announcement(NOTICE, "t", "", "", ""), "Text is required"),
        (Announcement(NOTICE, "t", "x", "", "", show_until=date.today() - timedelta(days=1)), "in the past"),
        (Announcement(DEPRECATION, "t", "x", "", "", use_case="credit"), "names the iteration"),
        (Announcement(DEPRECATION, "t", "x", "", "", use_case="credit", iteration="v1"), "needs its date"),
        (
            Announcement(
                DEPRECATION, "t", "x", "", "", use_case="credit", iteration="v1", effective_date=SOON, replacement="v1"
            ),
            "not another iteration",
        ),
        (Announcement(NOTICE, "t", "x" * 2001, "", ""), "the limit is 2,000"),
    ],
)
def test_a_bad_notice_is_refused_and_nothing_is_posted(store, notice, message):
    with pytest.raises(AnnouncementError, match=message):
        post_notice(store, notice, DS, VERSIONS)
    assert list_announcements(store) == []


def test_a_planned_retirement_by_hand_keeps_its_date_and_replacement(store):
    notice = Announcement(
        DEPRECATION,
        "v1 goes away",
        "Use v3.",
        "",
        "",
        use_case="credit",
        iteration="v1",
        effective_date=SOON,
        replacement="v3",
    )
    saved = post_notice(store, notice, DS, VERSIONS)
    assert (saved.effective_date, saved.replacement) == (SOON, "v3")


def test_only_team_roles_post_notices(store):
    with pytest.raises(AccessError, match="A business user cannot post notices"):
        post_notice(store, Announcement(NOTICE, "t", "x", "", ""), Actor("Bo", "business user"))


def test_health_notices_open_and_close_an_outage_once(store):
    assert record_health(store, []) is None
    outage = record_health(store, [("store", "read-only")])
    assert (outage.kind, outage.body, outage.source) == (DEGRADED, "store: read-only", "health")
    assert record_health(store, [("store", "read-only")]) is None  # still the same outage
    changed = record_health(store, [("credit/v3", "cannot load")])
    assert changed.body == "credit/v3: cannot load"
    restored = record_health(store, [])
    assert (restored.kind, restored.title) == (NOTICE, "Service restored")
    assert record_health(store, []) is None
    assert len(list_announcements(store, "credit")) == 3


def test_announcements_cannot_be_edited_or_deleted(store):
    post_notice(store, Announcement(NOTICE, "t", "x", "", ""), DS)
    for statement in ("UPDATE announcements SET title = 'edited'", "DELETE FROM announcements"):
        with pytest.raises(DBAPIError, match="append-only"):
            with store.engine.begin() as conn:
                conn.exec_driver_sql(statement)


def test_an_ended_outage_leaves_the_banner_and_its_end_shows_for_the_day(store):
    team = post_notice(store, Announcement(NOTICE, "t", "x", "", ""), DS)
    outage = record_health(store, [("store", "read-only")])
    assert banner_announcements(list_announcements(store), set()) == [outage, team]
    restored = record_health(store, [])
    assert banner_announcements(list_announcements(store), set()) == [restored, team]
    assert banner_announcements(list_announcements(store), set(), today=date.today() + timedelta(days=1)) == [team]


def test_only_the_latest_monitoring_alert_of_a_use_case_is_on_the_banner():
    from feedback.announcements import monitoring_alert

    alerts = [
        replace(monitoring_alert(use_case, "v1", f"Drift in 2025-0{i}: Channel", "PSI 0.4"), id=10 + i * 2 + k)
        for i in (7, 8)
        for k, use_case in enumerate(("fraud", "credit"))
    ][::-1]  # newest first, as listed
    shown = banner_announcements(alerts, dismissed=set())
    assert [(n.use_case, n.title) for n in shown] == [
        ("credit", "Drift in 2025-08: Channel"),
        ("fraud", "Drift in 2025-08: Channel"),
    ]
    after_dismissal = banner_announcements(alerts, dismissed={shown[0].item})
    assert ("credit", "Drift in 2025-07: Channel") in [(n.use_case, n.title) for n in after_dismissal]
