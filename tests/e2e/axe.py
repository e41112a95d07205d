"""axe-core in the browser journeys: fetched from the npm registry once, injected into a page, run on all of it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from playwright.sync_api import Page

AXE_VERSION = os.environ.get("INVOLVE_AXE_VERSION", "4.14.1")
AXE_DIR = Path(os.environ.get("INVOLVE_AXE_DIR") or Path(__file__).resolve().parents[2] / "test-artifacts" / "axe-core")
BLOCKING = ("serious", "critical")  # axe's impact levels that fail the audit
RULE_SETS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
MAX_HEIGHT = 20_000  # px: the tallest viewport the audit opens to see a page whole


class AxeUnavailable(RuntimeError):
    """axe-core cannot be installed here (no npm, or no registry)."""


def axe_script(directory: Path = AXE_DIR, version: str = AXE_VERSION) -> str:
    """The text of axe.min.js, installed with `npm install --prefix <directory> axe-core@<version>` if missing."""
    script = directory / "node_modules" / "axe-core" / "axe.min.js"
    package = directory / "node_modules" / "axe-core" / "package.json"
    if not script.exists() or f'"version": "{version}"' not in package.read_text():
        npm = shutil.which("npm")
        if npm is None:
            raise AxeUnavailable("npm is not installed (apt-get install npm; .ci/run does it)")
        directory.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [npm, "install", "--prefix", str(directory), "--no-save", "--no-audit", "--no-fund", f"axe-core@{version}"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0 or not script.exists():
            raise AxeUnavailable(f"npm install axe-core@{version} failed: {done.stderr.strip()[-500:]}")
    return script.read_text()


def _overflow(page: Page) -> int:
    """How many pixels of the main area and the sidebar are hidden below the window (Streamlit scrolls inside them)."""
    return page.evaluate(
        """() => Math.max(0, ...['stMain', 'stSidebarContent'].map(id => {
            const el = document.querySelector(`[data-testid=${id}]`);
            return el ? el.scrollHeight - el.clientHeight : 0;
        }))"""
    )


def show_whole_page(page: Page, settle_ms: int = 800) -> int:
    """Grow the window until nothing is left to scroll (charts and tables render in the visible part only);
    returns the height used."""
    for _ in range(6):
        hidden = _overflow(page)
        if hidden <= 1:
            break
        size = page.viewport_size
        page.set_viewport_size({"width": size["width"], "height": min(size["height"] + hidden + 40, MAX_HEIGHT)})
        page.wait_for_timeout(settle_ms)
    return page.viewport_size["height"]


def wait_for_charts(page: Page, timeout: float = 60_000) -> None:
    """Wait until every Plotly chart on the page has drawn (they load after the script run)."""
    charts = page.get_by_test_id("stPlotlyChart")
    for n in range(charts.count()):
        charts.nth(n).locator(".main-svg").first.wait_for(timeout=timeout)


def run_axe(page: Page, script: str) -> list[dict]:
    """Every violation axe-core finds on the whole document (WCAG 2.1 A and AA and best practices)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=script)
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        RULE_SETS,
    )
    return result["violations"]


def blocking(violations: list[dict]) -> list[dict]:
    """The violations that fail the audit: serious or critical, and headings out of order (WCAG 1.3.1)."""
    return [v for v in violations if v["impact"] in BLOCKING or v["id"] == "heading-order"]


def describe(violations: list[dict], limit: int = 3) -> str:
    """A readable summary of violations: rule, impact, help, and a few offending elements."""
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({len(v['nodes'])} elements)")
        for node in v["nodes"][:limit]:
            lines.append(f"    {node['html'][:160]}  — {(node.get('failureSummary') or '').splitlines()[-1:]}")
    return "\n".join(lines)
