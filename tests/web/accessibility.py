"""Accessibility checks with axe-core, run in the browser on the pages the tests visit.

axe-core's own script (an npm package, fetched by `make test` into .test-tools/) is added to
the page and run there; violations of impact "serious" or "critical" fail the test that
visited the page. Each page is checked as the test left it (what the test did shows there:
an open dialog, a filled form), then every other page the test navigated to is opened again and
checked once it has drawn, unless an earlier test of this session already checked that page on
its own: revisiting the dashboard after each of 60 tests cost about two minutes and found
nothing the first visit had not.
"""

from __future__ import annotations

import contextlib
from urllib.parse import urlsplit

from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from backend.config import PROJECT_ROOT

AXE = PROJECT_ROOT / ".test-tools" / "axe.min.js"
FAILING_IMPACTS = ("serious", "critical")
# Toasts are left out: they fade in and out, and axe measures the contrast of a half-faded
# toast (they use the theme's own colours, which the rest of the page is checked in).
_RUN = """async () => {
  const context = {exclude: [["[data-sonner-toaster]"]]};
  const result = await axe.run(context, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ") + " " + n.html.slice(0, 160)),
  }));
}"""


def violations(page: Page) -> list[str]:
    """The serious and critical axe-core violations of the page as it is now, one line each."""
    if not AXE.exists():
        raise FileNotFoundError(f"{AXE} is missing: run `make test` (it fetches axe-core)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate(_RUN)
    where = urlsplit(page.url).path
    return [
        f"{where}: {v['impact']} {v['id']}: {v['help']} ({'; '.join(v['nodes'])})"
        for v in found
        if v["impact"] in FAILING_IMPACTS
    ]


def _settled(page: Page) -> None:
    """Wait until the page has drawn what it loads (Reflex hydrates after the load event):
    on a condition, with a deadline a loaded machine meets, then one live-poll round.

    Network idle is a hint, not a condition: a page still fetching after 15 s is checked as
    it is then (it failed one teardown on a quiet machine, after the test had passed).
    """
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_load_state("networkidle")
    # Every page of the app has both; axe says so if one never gets them.
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(
            "() => document.documentElement.lang !== '' && document.title !== ''", timeout=60_000
        )
    page.wait_for_timeout(300)  # one live-poll round for pages that read on a timer


#: The paths this process has already opened again and checked (`check_visited`).
_revisited: set[str] = set()


def check_visited(page: Page, urls: list[str]) -> list[str]:
    """Check the page as it is once drawn, then every other page among `urls` that no test
    of this session has revisited yet (each once)."""
    _settled(page)
    problems = violations(page)
    seen = {urlsplit(page.url).path} | _revisited
    for url in urls:
        path = urlsplit(url).path
        if path in seen or not url.startswith("http"):
            continue
        seen.add(path)
        page.goto(url)
        _settled(page)
        found = violations(page)
        problems += found
        if not found:
            _revisited.add(path)
    return problems
