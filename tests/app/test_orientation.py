"""The first visit gets a short orientation, until the person says they have it."""

from feedback.store.announcements import dismissed_items
from feedback.store.database import FeedbackStore
from tests.app.apptest import open_app

WELCOME = "Welcome to Involve — a one-minute orientation"


def _welcomed(at) -> bool:
    return any(e.label == WELCOME for e in at.expander)


def test_the_orientation_shows_until_got_it_for_that_person(app_env):
    at = open_app("pages/1_Explore.py", user=("Ann Example", "business user"), first_visit=True)
    assert not at.exception and _welcomed(at)
    text = next(e for e in at.expander if e.label == WELCOME).markdown[0].value
    assert "Explore" in text and "feedback" in text.lower()
    at.button(key="orientation_done").click().run()
    assert not _welcomed(at)
    at.switch_page("pages/6_Goals.py").run()
    assert not _welcomed(at)
    assert dismissed_items(FeedbackStore(f"sqlite:///{app_env}"), "demo:ann example") == {"orientation"}
    assert not _welcomed(open_app(user=("Ann Example", "business user"), first_visit=True))  # a new session
    assert _welcomed(open_app(user=("Bob Builder", "risk"), first_visit=True))  # another person


def test_an_anonymous_visitor_sees_it_until_got_it_in_this_session(app_env):
    at = open_app(user=("", "business user"), first_visit=True)
    assert _welcomed(at)
    at.button(key="orientation_done").click().run()
    assert not _welcomed(at)
    assert _welcomed(open_app(user=("", "business user"), first_visit=True))
