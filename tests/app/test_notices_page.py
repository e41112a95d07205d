"""AppTest of the notice board (pages/11_Notices.py) and the banner every page shows."""

from feedback.access import Actor
from feedback.notifications import ROLE_DEFAULTS, Channels
from feedback.store.announcements import list_announcements
from feedback.store.database import FeedbackStore
from feedback.store.delivery import deliver_due
from feedback.store.lifecycle import change_lifecycle
from feedback.store.notifications import delivery_log, save_subscription, subscription_of
from feedback.store.notify_events import expand_fanouts
from feedback.store.records import add_feedback
from feedback.store.triage import triage_feedback
from tests.app.apptest import open_app, tables_with
from tests.helpers import make_draft, sign_off_for_promotion
from tests.notify_receivers import WebhookReceiver

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


def _submit(at, label: str):
    return next(b for b in at.form_submit_button if b.label == label).click().run()


def _hook(monkeypatch, status=200):
    hook = WebhookReceiver()
    hook.status = status
    monkeypatch.setenv("INVOLVE_NOTIFY_URLS_CREDIT", hook.url + "?token=s3cret")
    return hook


def test_a_person_subscribes_and_sees_the_channels_without_secrets(app_env, monkeypatch):
    hook = _hook(monkeypatch)
    try:
        at = open_app(PAGE, user=ANN)
        [channels] = tables_with(at, "Address (secrets hidden)")
        assert list(channels["Channel"]) == ["team:credit"] and "s3cret" not in channels.iloc[0, 1]
        at.text_input(key="sub_address").input("not an address")
        _submit(at, "Save my subscription")
        assert "is not an e-mail address" in at.error[0].value
        at.text_input(key="sub_address").input("Ann@Example.com")
        at.multiselect(key="sub_use_cases").select("credit")
        _submit(at, "Save my subscription")
        assert not at.exception
        saved = subscription_of(FeedbackStore(f"sqlite:///{app_env}"), "demo:ann example")
        assert (saved.address, saved.use_cases) == ("ann@example.com", ("credit",))
        assert open_app(PAGE, user=ANN).text_input(key="sub_address").value == "ann@example.com"  # a new session
    finally:
        hook.close()


def test_a_test_message_reaches_the_team_channel_and_is_logged(app_env, monkeypatch):
    hook = _hook(monkeypatch)
    try:
        at = open_app(PAGE, user=ANN)
        at.selectbox(key="test_target").select("team:credit")
        _submit(at, "Send a test message")
        assert not at.exception and "Sent to team:credit." in at.success[0].value.replace("\\", "")
        assert hook.titles() == ["Involve test message"]
        [log] = tables_with(at.run(), "Attempts")
        assert list(log["Status"]) == ["sent"] and list(log["Attempts"]) == [1]
    finally:
        hook.close()


def test_a_dead_message_shows_for_an_admin_only(app_env, monkeypatch):
    hook = _hook(monkeypatch, status=500)
    try:
        _promote(app_env)
        store = FeedbackStore(f"sqlite:///{app_env}")
        # the two sign-offs and the promotion each reach the team channel
        assert deliver_due(store, Channels(None, {"credit": (hook.url,)}, max_attempts=1)).dead == 3
        admin = open_app(PAGE, user=("Ada Admin", "admin"))
        [log] = tables_with(admin, "Attempts")
        assert list(log["Status"]) == ["dead"] * 3 and "500" in log["Last error"].iloc[0]
        assert "could not be delivered after every attempt" in admin.warning[0].value
        assert tables_with(open_app(PAGE, user=BOB), "Attempts") == []
    finally:
        hook.close()


def test_a_feedback_link_opens_the_case_on_the_fixing_iteration(app_env):
    store = FeedbackStore(f"sqlite:///{app_env}")
    entry = add_feedback(store, make_draft(iteration="v2", reviewer_subject="email:ann@bank.example"), ["v2", "v3"])
    ds = Actor("Dana", "data scientist", "https://login.example|dana")
    triage_feedback(store, [entry.id], "accepted", ds)
    triage_feedback(store, [entry.id], "fixed", ds, fixed_in="v3", known_iterations=["v3"])
    link = delivery_log(store)[0].link
    page, _, query = link.partition("?")
    params = dict(pair.split("=") for pair in query.split("&"))
    at = open_app(f"pages/1_{page.strip('/')}.py", **params)
    assert not at.exception
    assert at.header[0].value == "Applicant A0012"
    assert at.query_params["iteration"] in (["v3"], "v3") and at.session_state["iteration"] == "v3"


def test_a_compliance_user_sees_the_role_defaults_and_chooses_a_weekly_digest(app_env):
    cora = ("Cora Compliance", "compliance")
    at = open_app(PAGE, user=cora)
    assert not at.exception
    assert list(at.multiselect(key="sub_events").value) == list(ROLE_DEFAULTS["compliance"])  # without choosing
    assert at.radio(key="sub_cadence").value == "immediate"
    at.text_input(key="sub_address").input("cora@example.com")
    at.multiselect(key="sub_events").unselect("lifecycle change")
    at.radio(key="sub_cadence").set_value("weekly")
    _submit(at, "Save my subscription")
    assert not at.exception and not at.error
    saved = subscription_of(FeedbackStore(f"sqlite:///{app_env}"), "demo:cora compliance")
    assert (saved.address, saved.cadence, saved.role) == ("cora@example.com", "weekly", "compliance")
    assert "lifecycle change" not in saved.events and "sign-off requested" in saved.events
    again = open_app(PAGE, user=cora)  # a new session shows her choice, not the defaults
    assert again.radio(key="sub_cadence").value == "weekly"
    assert list(again.multiselect(key="sub_events").value) == list(saved.events)


def test_asking_for_the_missing_signoffs_queues_a_message_for_the_compliance_person(app_env):
    store = FeedbackStore(f"sqlite:///{app_env}")
    cora = Actor("Cora Compliance", "compliance", "demo:cora compliance")
    save_subscription(store, cora, "cora@example.com", [], ["sign-off requested"], ["credit", "fraud"])
    at = open_app("pages/5_Sign_off.py", user=("Dana", "data scientist"))
    assert not at.exception
    at.text_input(key="signoff_request_note").input("Age bands <b>checked</b>")
    _submit(at, "Ask for the missing sign-offs")
    assert not at.exception and not at.error
    assert [m for m in delivery_log(store) if m.event == "sign-off requested"] == []  # one fan-out row, so far
    assert expand_fanouts(store) == 1  # the worker's first step
    asked = [m for m in delivery_log(store) if m.event == "sign-off requested"]
    assert [m.recipient for m in asked] == ["cora@example.com"]
    assert "Age bands <b>checked</b>" in asked[0].body and asked[0].link.startswith("/Sign_off?use_case=credit")
