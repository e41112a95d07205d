"""AppTest of the Iterations page (pages/4_Iterations.py): lifecycle changes and the timeline."""

from feedback.store.database import FeedbackStore
from feedback.store.lifecycle import change_lifecycle, lifecycle_statuses, list_lifecycle_events
from tests.app.apptest import open_app
from tests.helpers import sign_off_for_promotion

PAGE = "pages/4_Iterations.py"


def _promote(at, note="Fewer declines for short loans."):
    at.radio(key="lifecycle_action_v3").set_value("live").run()
    at.text_area(key="lifecycle_reason").input("meets the agreed goals")
    at.text_area(key="lifecycle_note").input(note)
    at.form_submit_button[0].click().run()
    return at


def test_promotion_waits_for_the_signoffs_the_use_case_needs(app_env):
    at = open_app(PAGE, user=("Dana", "data scientist"))
    at.radio(key="lifecycle_action_v3").set_value("live").run()
    assert "v3 still needs the sign-off of **risk, compliance**" in at.warning[0].value
    _promote(at)
    assert "v3 cannot go live without the sign-off of: risk, compliance" in at.error[0].value
    assert list_lifecycle_events(FeedbackStore(f"sqlite:///{app_env}"), "credit") == []


def test_promoting_records_the_change_and_announces_it_on_home(app_env):
    sign_off_for_promotion(FeedbackStore(f"sqlite:///{app_env}"), "v3")
    at = open_app(PAGE, user=("Dana", "data scientist"))
    at.radio(key="lifecycle_action_v3").set_value("live").run()
    assert at.success[0].value == "v3 is signed off by risk, compliance."
    _promote(at)
    assert not at.exception
    assert at.success[-1].value == "v3 is now live."
    log = at.dataframe[0].value
    assert log.iloc[0]["Change"] == "candidate → live" and log.iloc[0]["Who"] == "Dana (data scientist)"
    assert lifecycle_statuses(FeedbackStore(f"sqlite:///{app_env}"), "credit", ["v3"]) == {"v3": "live"}
    at.switch_page("app.py").run()
    home = [s.value.replace("\\", "") for s in at.success]
    assert any("v3 is live** since" in s and "Fewer declines for short loans" in s for s in home)
    assert at.dataframe[0].value.set_index("Version").loc["v3", "Status"] == "live"


def test_a_business_user_cannot_promote(app_env):
    at = _promote(open_app(PAGE, user=("Bo", "business user")))
    assert "A business user cannot change lifecycle" in at.error[0].value
    assert list_lifecycle_events(FeedbackStore(f"sqlite:///{app_env}"), "credit") == []


def test_a_promotion_without_migration_note_is_refused(app_env):
    at = _promote(open_app(PAGE), note="")
    assert "Migration note" in at.error[0].value


def test_retired_iterations_leave_the_picker_until_asked_for(app_env):
    at = open_app(PAGE)
    at.selectbox(key="lifecycle_version").select("v1").run()
    at.radio(key="lifecycle_action_v1").set_value("retired").run()
    at.text_area(key="lifecycle_reason").input("superseded by v3")
    at.form_submit_button[0].click().run()
    assert at.success[0].value == "v1 is now retired."
    picked = lambda: [o.split(" ")[0] for o in at.sidebar.selectbox(key="_pick_iteration").options]  # noqa: E731
    assert picked() == ["v2", "v3"]
    at.sidebar.toggle(key="show_retired").set_value(True).run()
    assert picked() == ["v1", "v2", "v3"]


def test_the_iteration_report_is_prepared_for_download(app_env):
    at = open_app(PAGE)
    at.button(key="report_prepare").click().run()
    assert not at.exception
    [download] = [d for d in at.get("download_button") if "Download the report of v3" in d.proto.label]
    assert download.proto.label.endswith("MB)")


def test_a_change_decided_on_a_stale_view_is_refused(app_env):
    from datetime import date, timedelta

    from feedback.access import Actor

    store = FeedbackStore(f"sqlite:///{app_env}")
    sign_off_for_promotion(store, "v3")
    at = open_app(PAGE, user=("Dana", "data scientist"))
    at.radio(key="lifecycle_action_v3").set_value("retired").run()  # Dana decides on v3 as a candidate
    versions, eve = ["v1", "v2", "v3"], Actor("Eve", "admin")
    change_lifecycle(
        store,
        "credit",
        versions,
        "v3",
        "live",
        eve,
        "go",
        required_signoffs=("risk", "compliance"),
        migration_note="New.",
    )
    change_lifecycle(
        store,
        "credit",
        versions,
        "v3",
        "deprecated",
        eve,
        "back",
        required_signoffs=("risk", "compliance"),
        sunset_date=date.today() + timedelta(days=9),
        replacement="v2",
    )
    at.text_area(key="lifecycle_reason").input("not needed")
    at.form_submit_button[0].click().run()  # "retire" is offered for a deprecated iteration too
    assert any("v3 was changed by Eve meanwhile (now deprecated, you saw candidate)" in e.value for e in at.error)
    assert lifecycle_statuses(store, "credit", ["v3"]) == {"v3": "deprecated"}


def test_the_dossier_is_offered_as_a_pdf_made_on_the_click(app_env, monkeypatch):
    import io

    import pypdf
    from streamlit.runtime.media_file_manager import MediaFileManager

    made = {}  # file name -> the callable the button runs on the click
    add_deferred = MediaFileManager.add_deferred

    def record(self, data_callable, mimetype, coordinates, file_name=None, **options):
        made[file_name] = data_callable
        return add_deferred(self, data_callable, mimetype, coordinates, file_name=file_name, **options)

    monkeypatch.setattr(MediaFileManager, "add_deferred", record)
    at = open_app(PAGE)
    assert not at.exception
    [download] = [d for d in at.get("download_button") if d.proto.label == "Dossier (PDF) of v3"]
    assert download.proto.deferred_file_id and download.proto.ignore_rerun  # written when clicked, no rerun
    pdf = made["involve-credit-v3-dossier.pdf"]()  # what the click runs
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    first = " ".join(reader.pages[0].extract_text().split())
    assert len(reader.pages) > 1 and "Credit risk — iteration v3" in first
    assert "Lifecycle status candidate" in first and "Ann Example (data scientist), Involve app" in first
