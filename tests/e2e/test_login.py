"""The login path end to end: st.login against a real OpenID Connect provider on 127.0.0.1 (npm's
oidc-provider), the app configured as the README documents (`[auth]` in .streamlit/secrets.toml)."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import uuid
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import APP_DIR, _free_port, _wait_ready
from tests.e2e.oidc_provider import ProviderUnavailable, install_provider, start_provider
from tests.e2e.st_e2e import select_dataframe_row, wait_for_app_run, wait_for_plotly
from tests.helpers import stop_process_group

ACCOUNTS = {  # account id (the provider's `sub`) -> the claims it gives
    "rita": {"name": "Rita Risk", "email": "rita@bank.example", "email_verified": True},
    "bea": {"name": "Bea Business", "email": "bea@bank.example", "email_verified": True},
    "uma": {"name": "Uma Unverified", "email": "uma@bank.example", "email_verified": False},
}
ROLES = '{"rita@bank.example": "risk", "uma@bank.example": "admin"}'  # INVOLVE_ROLES: by verified e-mail


@pytest.fixture(scope="module")
def login_app(tmp_path_factory, registry_dir):
    """The provider and the app with login configured, each on its own free loopback port."""
    try:
        directory = install_provider()
    except ProviderUnavailable as err:
        pytest.skip(str(err))
    work = tmp_path_factory.mktemp("login")
    app_port, idp_port = _free_port(), _free_port()
    url, issuer = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{idp_port}"
    secret = uuid.uuid4().hex
    provider = start_provider(
        idp_port,
        {
            "client_id": "involve",
            "client_secret": secret,
            "redirect_uri": f"{url}/oauth2callback",
            "accounts": ACCOUNTS,
        },
        work,
        directory,
    )
    settings = work / ".streamlit"
    settings.mkdir()
    shutil.copyfile(APP_DIR / ".streamlit" / "config.toml", settings / "config.toml")
    (settings / "secrets.toml").write_text(  # the [auth] section as the README documents it
        "[auth]\n"
        f'redirect_uri = "{url}/oauth2callback"\n'
        f'cookie_secret = "{uuid.uuid4().hex}"\n'
        'client_id = "involve"\n'
        f'client_secret = "{secret}"\n'
        f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n'
    )
    db, log = work / "feedback.sqlite3", work / "server.log"
    env = {
        **os.environ,
        "INVOLVE_DATA_DIR": str(work),
        "INVOLVE_REGISTRY_DIR": str(registry_dir),
        "INVOLVE_DB_URL": f"sqlite:///{db}",
        "INVOLVE_DEMO_HISTORY": "0",
        "INVOLVE_MONITOR_ROWS": "50000",
        "INVOLVE_ROLES": ROLES,
        "PYTHONPATH": str(APP_DIR),
    }  # background processes import this checkout
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP_DIR / "app.py"),
        "--server.headless",
        "true",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(app_port),
        "--server.scriptHealthCheckEnabled",
        "true",
    ]
    with open(log, "wb") as out:  # run from the temp folder: its .streamlit/ holds the secrets
        app = subprocess.Popen(command, cwd=work, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        _wait_ready(url, app, log)
        yield SimpleNamespace(url=url, issuer=issuer, db=db, log=log)
    finally:
        stop_process_group(app)
        stop_process_group(provider)


def _context_page(browser, login_app):
    context = browser.new_context(viewport={"width": 1400, "height": 1400})
    page = context.new_page()
    allowed = f"^(?!({re.escape(login_app.url)}|{re.escape(login_app.issuer)}))"
    page.route(re.compile(allowed), lambda route: route.abort())  # only the app and the provider
    page.set_default_timeout(30_000)
    return context, page


def _log_in(page, login_app, account: str) -> None:
    """Open the app, be asked to log in, sign in at the provider (its login form and consent), come back."""
    page.goto(login_app.url)
    wait_for_app_run(page)
    expect(page.get_by_text("Log in to use Involve.")).to_be_visible()
    page.get_by_test_id("stSidebar").get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(rf"^{re.escape(login_app.issuer)}/interaction/"))
    page.locator("input[name=login]").fill(account)
    page.locator("input[name=password]").fill("any password")
    page.locator("form button[type=submit]").first.click()
    page.get_by_role("button", name="Continue").click()  # consent to share e-mail and profile
    page.wait_for_url(re.compile(rf"^{re.escape(login_app.url)}/"))
    wait_for_app_run(page)
    got_it = page.get_by_role("button", name="Got it")
    if got_it.count():
        got_it.click()
        wait_for_app_run(page)


def _open(page, login_app, link: str) -> None:
    page.get_by_test_id("stSidebar").get_by_role("link", name=link).click()
    wait_for_app_run(page)


def test_people_log_in_through_a_real_provider_and_act_within_their_roles(browser, login_app, screenshot):
    rita_context, rita = _context_page(browser, login_app)
    bea_context, bea = _context_page(browser, login_app)
    try:
        _log_in(rita, login_app, "rita")
        sidebar = rita.get_by_test_id("stSidebar")
        expect(
            sidebar.get_by_text("Signed in as Rita Risk (risk): mapped from your verified e-mail rita@bank.example.")
        ).to_be_visible()
        expect(rita.get_by_text("Demo mode")).to_have_count(0)
        screenshot(rita, "risk-signed-in")

        _log_in(bea, login_app, "bea")  # a second person, in another browser context, at the same time
        expect(
            bea.get_by_test_id("stSidebar").get_by_text(
                "Signed in as Bea Business (business user): your e-mail is not in the role mapping."
            )
        ).to_be_visible()

        # the risk officer signs v3 off: a sign-off is the risk role's to give
        _open(rita, login_app, "Sign-off")
        form = rita.get_by_test_id("stForm").filter(has=rita.get_by_role("button", name="Sign off v3 as risk"))
        form.get_by_role("textbox", name="Comment").fill("Scorecard and fairness gaps checked")
        form.get_by_role("button", name="Sign off v3 as risk").click()
        wait_for_app_run(rita)
        expect(rita.get_by_test_id("stAlertContentSuccess").filter(has_text="v3 signed off as risk.")).to_be_visible()

        # the business user gives feedback on a case ...
        _open(bea, login_app, "Explore")
        select_dataframe_row(bea, 0)
        heading = bea.get_by_role("heading", name="Applicant A")
        case_id = heading.inner_text().split()[-1]
        wait_for_plotly(bea)
        comment = f"login e2e {uuid.uuid4().hex[:8]}"
        form = bea.get_by_test_id("stForm").filter(has_text="Your feedback on")
        form.get_by_text("disagree", exact=True).click()
        form.get_by_role("textbox", name="Comment").fill(comment)
        form.get_by_role("button", name="Submit feedback").click()
        wait_for_app_run(bea)
        expect(bea.get_by_test_id("stAlertContentSuccess").filter(has_text=f"on {case_id} (v3) saved")).to_be_visible()

        # ... and is refused triage and import in the Inbox
        _open(bea, login_app, "Inbox")
        bea.get_by_label("Search the comments").fill(comment)
        bea.get_by_label("Search the comments").press("Enter")
        wait_for_app_run(bea)
        select_dataframe_row(bea, 0)
        bea.get_by_test_id("stSelectbox").filter(has_text="New status").click()
        bea.get_by_role("option", name="accepted", exact=True).click()
        bea.get_by_test_id("stForm").filter(has_text="New status").get_by_role("button", name="Apply").click()
        wait_for_app_run(bea)
        expect(
            bea.get_by_test_id("stAlertContentError").filter(
                has_text="Not changed — A business user cannot triage feedback; ask: admin, data scientist."
            )
        ).to_be_visible()
        expect(bea.get_by_text("Importing feedback from another store is for: admin, data scientist.")).to_be_visible()
        expect(bea.get_by_test_id("stFileUploader")).to_have_count(0)
        screenshot(bea, "business-user-refused-triage")

        with sqlite3.connect(login_app.db) as conn:  # the records carry the login's subject beside the name
            assert conn.execute("SELECT signer_name, signer_role, signer_subject FROM signoffs").fetchall() == [
                ("Rita Risk", "risk", f"{login_app.issuer}|rita")
            ]
            assert conn.execute(
                "SELECT reviewer_name, reviewer_role, reviewer_subject, triage_status FROM feedback WHERE comment = ?",
                (comment,),
            ).fetchall() == [("Bea Business", "business user", f"{login_app.issuer}|bea", "new")]
            assert conn.execute("SELECT count(*) FROM triage_events").fetchone() == (0,)

        # logging out ends the session at the provider too: the next visit asks to log in again
        bea.get_by_test_id("stSidebar").get_by_role("button", name="Log out").click()
        bea.get_by_role("button", name="Yes, sign me out").click()
        bea.wait_for_url(re.compile(rf"^{re.escape(login_app.url)}/"))
        wait_for_app_run(bea)
        expect(bea.get_by_text("Log in to use Involve.")).to_be_visible()
        screenshot(bea, "logged-out")
        bea.get_by_test_id("stSidebar").get_by_role("button", name="Log in").click()
        expect(bea.locator("input[name=login]")).to_be_visible()  # the provider asks again
        rita.reload()
        wait_for_app_run(rita)
        expect(
            rita.get_by_test_id("stSidebar").get_by_text("Signed in as Rita Risk (risk)", exact=False)
        ).to_be_visible()
    finally:
        rita_context.close()
        bea_context.close()


def test_an_unverified_email_gets_no_mapped_role(browser, login_app, screenshot):
    context, page = _context_page(browser, login_app)
    try:
        _log_in(page, login_app, "uma")  # mapped to admin, but the provider has not verified the e-mail
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar.get_by_text("Signed in as Uma Unverified (business user)", exact=False)).to_be_visible()
        expect(
            sidebar.get_by_test_id("stAlertContentWarning").filter(
                has_text="No mapped role: the login provider has not verified uma@bank.example, so its mapped role "
                "(admin) "
                "is not given."
            )
        ).to_be_visible()
        screenshot(page, "unverified")
        page.get_by_test_id("stSidebar").get_by_role("link", name="Inbox").click()  # a slow page on a busy machine:
        expect(page.get_by_text("Importing feedback from another store is for: admin, data scientist.")).to_be_visible(
            timeout=90_000
        )  # wait on the text itself, longer than one script run's 30 s
    finally:
        context.close()
