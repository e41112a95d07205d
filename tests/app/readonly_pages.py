"""Run every page in AppTest and print what it showed, as JSON (run by test_readonly_store.py in a
separate process, as an unprivileged user, so that file modes apply: tests run as root).

    python -m tests.app.readonly_pages [--feedback]
"""

from __future__ import annotations

import json
import sys
import time

from pages._ui.navigation import PAGES
from tests.app.apptest import open_app, select_row


def _shown(at) -> dict:
    return {
        "warnings": [w.value for w in at.warning],
        "errors": [e.value for e in at.error],
        "exceptions": [str(e.value) for e in at.exception],
    }


def run_pages() -> dict:
    """Each page once (Home first), with its server time."""
    results = {}
    for script, label, _icon in PAGES:
        at = open_app()
        if script != "app.py":
            at.switch_page(script)
        started = time.perf_counter()
        at.run()
        results[label] = {"seconds": time.perf_counter() - started, **_shown(at)}
    return results


def submit_feedback() -> dict:
    """Send feedback on the first case of Explore; what the page said and what the form kept."""
    at = open_app("pages/1_Explore.py")
    select_row(at, "cases", 0)
    at.radio(key="fb_verdict_0").set_value("disagree")
    at.text_area(key="fb_comment_0").input("kept after a refusal")
    at.form_submit_button[0].click().run()
    return {**_shown(at), "comment": at.text_area(key="fb_comment_0").value}


if __name__ == "__main__":
    out = {"pages": run_pages()}
    if "--feedback" in sys.argv:
        out["feedback"] = submit_feedback()
    print("RESULT " + json.dumps(out))
