"""A notification journey in headless Chromium: a reviewer subscribes and gives feedback, a data scientist triages
it as fixed in v3, `involve notify --deliver --once` e-mails the reviewer through a real local SMTP server, and the
link in the e-mail opens the case on v3. Its own server and store, so the session server's store is not touched."""

import os
import re
import shutil
import subprocess
import sys
import uuid
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import APP_DIR, start_streamlit
from tests.e2e.st_e2e import goto_app, say_who, select_dataframe_row, wait_for_app_run
from tests.helpers import free_port, stop_process_group
from tests.notify_receivers import SmtpReceiver

REVIEWER_ADDRESS = "rhea.reviewer@example.com"


@pytest.fixture
def notifying_server(tmp_path, registry_dir):
    """The app over a copy of the session registry and a fresh store, sending e-mail to a local SMTP receiver."""
    smtp = SmtpReceiver()
    smtp.start()
    registry = tmp_path / "registry"
    shutil.copytree(registry_dir, registry)
    port, db = free_port(), tmp_path / "feedback.sqlite3"
    url = f"http://127.0.0.1:{port}"
    notify_env = {"INVOLVE_NOTIFY_EMAIL_URL": smtp.url, "INVOLVE_APP_URL": url}
    proc = start_streamlit(tmp_path, registry, f"sqlite:///{db}", port, **notify_env)
    env = {  # what start_streamlit gives the server: the worker reads the same store and channels
        **os.environ,
        "INVOLVE_DATA_DIR": str(tmp_path),
        "INVOLVE_REGISTRY_DIR": str(registry),
        "INVOLVE_DB_URL": f"sqlite:///{db}",
        "INVOLVE_DEMO_HISTORY": "0",
        **notify_env,
    }
    try:
        yield SimpleNamespace(url=url, smtp=smtp, env=env, log=tmp_path / f"server-{port}.log")
    finally:
        stop_process_group(proc, timeout=10)
        smtp.stop()


def _deliver_once(env: dict[str, str]) -> str:
    """Run `involve notify --deliver --once` (the module behind the console script) and return what it printed."""
    done = subprocess.run(
        [sys.executable, "-m", "demo_models.service.cli", "notify", "--deliver", "--once"],
        cwd=APP_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _triage(page, status: str, fixed_in: str | None = None, note: str = "") -> None:
    """Apply a status to the entries selected in the Inbox through its triage form."""
    form = page.get_by_test_id("stForm").filter(has_text="New status")
    form.get_by_test_id("stSelectbox").filter(has_text="New status").click()
    page.get_by_role("option", name=status, exact=True).click()
    if fixed_in:
        form.get_by_test_id("stSelectbox").filter(has_text="Fixed in iteration").click()
        page.get_by_role("option", name=fixed_in, exact=True).click()
    form.get_by_role("textbox", name="Note").fill(note)
    form.get_by_role("button", name="Apply").click()
    wait_for_app_run(page)
    expect(page.get_by_test_id("stAlertContentSuccess").filter(has_text=f"1 entry now {status}")).to_be_visible()


def _go_to(page, link_name: str) -> None:
    page.get_by_test_id("stSidebar").get_by_role("link", name=link_name).click()
    wait_for_app_run(page)


def test_a_fix_reaches_the_reviewer_by_e_mail_and_its_link_opens_the_case(page, notifying_server, screenshot):
    server = notifying_server
    page.route(re.compile(rf"^(?!{re.escape(server.url)})"), lambda route: route.abort())
    page.set_default_timeout(30_000)
    sidebar = page.get_by_test_id("stSidebar")

    goto_app(page, server.url)
    say_who(page, "Rhea Reviewer", "risk")
    _go_to(page, "Notices")
    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Save my subscription"))
    form.get_by_role("textbox", name="Your e-mail address").fill(REVIEWER_ADDRESS)
    form.get_by_role("button", name="Save my subscription").click()
    wait_for_app_run(page)
    expect(page.get_by_test_id("stAlertContentSuccess").filter(has_text="Subscription saved.")).to_be_visible()
    expect(form.get_by_role("textbox", name="Your e-mail address")).to_have_value(REVIEWER_ADDRESS)
    screenshot(page, "subscribed")

    _go_to(page, "Explore")
    sidebar.get_by_test_id("stSelectbox").filter(has_text="Iteration").click()
    page.get_by_role("option", name=re.compile(r"^v2 ·")).click()
    wait_for_app_run(page)
    expect(sidebar.get_by_role("combobox", name="Iteration")).to_have_value(re.compile(r"^v2 · "))
    select_dataframe_row(page, 0)
    heading = page.get_by_role("heading", name="Applicant A")
    expect(heading).to_be_visible()
    case_id = heading.inner_text().split()[-1]
    comment = f"e2e-notify {uuid.uuid4().hex[:8]}: duration weighs too much"
    form = page.get_by_test_id("stForm").filter(has_text="Your feedback on")
    form.get_by_text("disagree", exact=True).click()
    form.get_by_text("an applicant who repays", exact=True).click()
    form.get_by_role("textbox", name="Comment").fill(comment)
    form.get_by_role("button", name="Submit feedback").click()
    wait_for_app_run(page)
    expect(page.get_by_test_id("stAlertContentSuccess").filter(has_text=f"on {case_id} (v2) saved")).to_be_visible()
    screenshot(page, "feedback")

    say_who(page, "Dana Scientist", "data scientist")
    _go_to(page, "Inbox")
    page.get_by_label("Search the comments").fill(comment)
    page.get_by_label("Search the comments").press("Enter")
    wait_for_app_run(page)
    expect(page.get_by_role("heading", name="1 entry")).to_be_visible()
    select_dataframe_row(page, 0)
    expect(page.get_by_role("heading", name=f"on {case_id} (v2)")).to_be_visible()
    _triage(page, "accepted")  # the team agrees first; only an accepted entry can be fixed
    expect(page.get_by_role("heading", name="Triage 1 selected")).to_be_visible()
    _triage(page, "fixed", "v3", note="v3 weighs the loan duration less")
    screenshot(page, "triaged")
    assert server.smtp.messages == []  # nothing is sent until the worker runs

    printed = _deliver_once(server.env)
    assert printed.strip().startswith("2 sent,"), printed  # one e-mail per status change: accepted, then fixed
    bodies = server.smtp.bodies_to(REVIEWER_ADDRESS)
    assert len(server.smtp.messages) == len(bodies) == 2
    links = {body: re.findall(r"https?://\S+", body) for body in bodies}
    case_link = f"{server.url}/Explore?use_case=credit&iteration={{}}&case={case_id}"
    fixed = [body for body in bodies if links[body] == [case_link.format("v3")]]
    assert len(fixed) == 1, bodies  # exactly one e-mail carries the link to the case on v3
    assert "Fixed in v3: the team marked what you said about " + case_id in fixed[0]
    assert "v3 weighs the loan duration less" in fixed[0]
    accepted = [body for body in bodies if body is not fixed[0]]
    assert links[accepted[0]] == [case_link.format("v2")]  # accepted: the case as it was judged, on v2
    subjects = sorted(str(m["Subject"]) for m in server.smtp.messages)
    assert subjects == [f"Your feedback #1 on {case_id} was accepted", f"Your feedback #1 on {case_id} was fixed in v3"]
    link = links[fixed[0]][0]
    assert _deliver_once(server.env).strip().startswith("0 sent,")  # each message is sent once
    assert len(server.smtp.messages) == 2

    goto_app(page, links[accepted[0]][0])  # the earlier e-mail's link: the same case, on the iteration judged
    expect(page.get_by_role("heading", name=f"Applicant {case_id}")).to_be_visible()
    expect(sidebar.get_by_role("combobox", name="Iteration")).to_have_value(re.compile(r"^v2 · "))
    screenshot(page, "accepted-link-opened")

    goto_app(page, link)  # the reviewer clicks the link: a new session, the case and the iteration from the link
    expect(page.get_by_role("heading", name="Explore predictions")).to_be_visible()
    expect(page.get_by_role("heading", name=f"Applicant {case_id}")).to_be_visible()
    expect(sidebar.get_by_role("combobox", name="Iteration")).to_have_value(re.compile(r"^v3 · "))
    expect(sidebar.get_by_text(re.compile(r"This page shows Credit risk · v3 "))).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    screenshot(page, "link-opened")
