"""In a real browser, a link or an image put into the URL (?case=, ?iteration=) is shown as text:
no element links to the attacker's site and nothing is fetched from it."""

from urllib.parse import urlencode, urlparse

from playwright.sync_api import expect

from tests.e2e.st_e2e import goto_app

LINK = "[Session expired – log in again](https://evil.example)"
IMAGE = "![x](https://evil.example/p.png)"


def test_a_link_and_an_image_in_the_url_stay_text(app_page, streamlit_server, screenshot):
    page = app_page
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url) if "evil.example" in (urlparse(r.url).hostname or "") else None)
    for path, query in (("Explore", {"case": LINK}), ("Explore", {"case": IMAGE}), ("", {"iteration": LINK + IMAGE})):
        goto_app(page, f"{streamlit_server.url}/{path}?{urlencode(query)}", oriented=False)  # a rerun drops the echo
        alert = page.get_by_test_id("stAlertContentError").first
        expect(alert).to_contain_text(next(iter(query.values()))[:20])  # the value is echoed, as written
        expect(page.locator("a[href*='evil.example']")).to_have_count(0)
        expect(page.locator("img[src*='evil.example']")).to_have_count(0)
        screenshot(page, f"{path or 'Home'}-{next(iter(query))}")
    page.wait_for_timeout(500)  # an image would have been requested by now
    assert fetched == []
