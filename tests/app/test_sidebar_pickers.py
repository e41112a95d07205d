"""The sidebar pickers show, on every page, the use case and iteration the page uses.

A page switch hands the previous page's widget state to the next page (widget ids are per page):
the pickers once fell back to their first option on every second page while the page kept the
choice, so a reviewer could sign off believing they looked at another iteration.
"""

from __future__ import annotations

import re

import pytest

from pages._ui.navigation import PAGES
from tests.app.apptest import open_app


def _shown(at) -> tuple[str, str]:
    use_case = at.sidebar.selectbox(key="_pick_use_case").value
    iteration = at.sidebar.selectbox(key="_pick_iteration").value
    return use_case, iteration


@pytest.mark.parametrize("use_case, version", [("credit", "v2"), ("fraud", "v1")])
def test_every_page_twice_in_menu_order_shows_the_picked_iteration(app_env, use_case, version):
    at = open_app()
    at.sidebar.selectbox(key="_pick_use_case").select(use_case).run()
    at.sidebar.selectbox(key="_pick_iteration").select(version).run()
    assert _shown(at) == (use_case, version)
    for _ in range(2):
        for script, label, _icon in PAGES:
            at.switch_page(script).run()
            assert not at.exception, label
            assert _shown(at) == (use_case, version), label
            assert at.session_state["iteration"] == version, label


def test_choosing_the_first_option_after_a_page_switch_takes_effect(app_env):
    at = open_app()
    at.sidebar.selectbox(key="_pick_iteration").select("v3").run()
    at.switch_page("pages/1_Explore.py").run()
    at.switch_page("pages/2_What_if.py").run()
    assert _shown(at)[1] == "v3"
    at.sidebar.selectbox(key="_pick_iteration").select("v1").run()
    assert at.session_state["iteration"] == "v1"
    at.switch_page("pages/3_Compare.py").run()
    assert _shown(at)[1] == "v1"


def test_show_retired_toggle_persists_across_pages(app_env):
    at = open_app()
    at.sidebar.toggle(key="show_retired").set_value(True).run()
    for script in ("pages/1_Explore.py", "pages/3_Compare.py", "pages/4_Iterations.py"):
        at.switch_page(script).run()
        assert at.sidebar.toggle(key="show_retired").value is True, script


def test_sidebar_caption_names_what_the_page_uses(app_env):
    at = open_app()
    at.sidebar.selectbox(key="_pick_iteration").select("v1").run()
    at.switch_page("pages/9_Fairness.py").run()
    assert any(c.value.startswith("This page shows Credit risk · v1 (") for c in at.sidebar.caption)


def test_an_unknown_iteration_in_the_url_is_shown_as_text_not_markup(app_env):
    at = open_app(iteration="[log in again](http://evil.example)")
    message = at.error[0].value
    assert "There is no iteration" in message and re.search(r"(?<!\\)[\[\]]", message.split("iteration", 1)[1]) is None
    # brackets and the scheme's colon escaped, and a zero-width space keeps the text from being autolinked
    assert "\\[log in again\\](http\\:\u200b//evil.example)" in message
