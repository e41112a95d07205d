"""AppTest of the notice board (pages/11_Notices.py) and the banner every page shows."""

from feedback.access import Actor
from feedback.store.announcements import list_announcements
from feedback.store.database import FeedbackStore
from feedback.store.lifecycle import change_lifecycle
from tests.app.apptest import open_app, tables_with
from tests.helpers import sign_off_for_promotion

PAGE = "pages/11_Notices.py"
ANN, BOB = ("Ann Example", "business user"), ("Bob Builder", "business user")


def _promote(db) -> None:
    store = FeedbackStore(f"sqlite:///{db}")
    sign_off_for_promotion(store, "v3")
    change_lifecycle(
        store,
        "credit",
        ["v1", "v2", "v3"],
        "v3",
        "live",
        Actor("Dana", "data scientist"),
        "goals met",
        migration_note="Long loans no longer look less risky.",
        required_signoffs=("risk", "compliance"),
    )


def _banner(at) -> list[str]:
    """The banner announcing v3 (Home has its own "live since" note besides)."""
    return [s.value.replace("\\", "") for s in at.success if "New iteration live ·" in s.value.replace("\\", "")]


def test_a_lifecycle_change_is_announced_and_dismissed_per_person(app_env):
    _promote(app_env)
    ann = open_app("pages/1_Explore.py", user=ANN)
    [banner] = _banner(ann)
    assert "What changes for you: Long loans no longer look less risky." in banner
    ann.button(key="dismiss_1").click().run()
    assert not ann.exception and _banner(ann) == []
    ann.switch_page("pages/7_Outcomes.py").run()
    assert _banner(ann) == []  # gone on every page for Ann
    assert len(_banner(open_app("pages/1_Explore.py", user=ANN))) == 0  # and in a new session
    bob = open_app("pages/1_Explore.py", user=BOB)
    assert len(_banner(bob)) == 1  # Bob still sees it
    bob.switch_page(PAGE).run()
    table = tables_with(bob, "Dismissed by you")[0]
    assert list(table["Title"]) == ["v3 is live"] and list(table["Dismissed by you"]) == [False]
    ann.switch_page(PAGE).run()
    assert list(tables_with(ann, "Dismissed by you")[0]["Dismissed by you"]) == [True]


def test_an_anonymous_person_dismisses_for_the_session(app_env):
    _promote(app_env)
    at = open_app(user=("", "business user"))
    assert len(_banner(at)) == 1
    at.button(key="dismiss_1").click().run()
    assert _banner(at) == []
    assert len(_banner(open_app(user=("", "business user")))) == 1


def test_the_team_posts_a_notice_for_every_use_case(app_env):
    at = open_app(PAGE, user=("Rita Risk", "risk"))
    at.text_input(key="notice_title").input("Maintenance on Saturday")
    at.text_area(key="notice_body").input("The app is read-only from 8 to 10 am.")
    [post] = [b for b in at.button if b.label == "Post"]
    post.click().run()
    assert not at.exception
    assert at.success[-1].value == "Posted: Maintenance on Saturday."
    [notice] = list_announcements(FeedbackStore(f"sqlite:///{app_env}"), "fraud")
    assert (notice.use_case, notice.author_name) == (None, "Rita Risk")
    fraud = open_app("pages/1_Explore.py", user=BOB, use_case="fraud")
    assert any("Maintenance on Saturday" in i.value for i in fraud.info)


def test_a_business_user_cannot_post_and_nothing_is_posted(app_env):
    at = open_app(PAGE, user=BOB)
    at.text_input(key="notice_title").input("Hello")
    at.text_area(key="notice_body").input("text")
    [post] = [b for b in at.button if b.label == "Post"]
    post.click().run()
    assert "A business user cannot post notices" in at.error[0].value
    assert list_announcements(FeedbackStore(f"sqlite:///{app_env}")) == []


def test_a_planned_retirement_by_hand_shows_its_date(app_env):
    at = open_app(PAGE)
    at.radio(key="notice_kind").set_value("planned retirement").run()
    at.selectbox(key="notice_iteration").select("v1")
    at.selectbox(key="notice_replacement").select("v3")
    at.text_input(key="notice_title").input("v1 goes away")
    at.text_area(key="notice_body").input("Use v3 from then on.")
    [post] = [b for b in at.button if b.label == "Post"]
    post.click().run()
    assert not at.exception
    row = tables_with(at, "Dismissed by you")[0].iloc[0]
    assert (row["Kind"], row["Iteration"], row["Replaced by"]) == ("planned retirement", "v1", "v3")
    assert row["Date"] != ""
    assert any("v1 goes away" in w.value for w in at.warning)  # the banner, in the retirement colour


def test_no_notice_yet(app_env):
    at = open_app(PAGE)
    assert not at.exception
    assert "No notice about Credit risk yet." in [c.value for c in at.caption]
