"""The object page's Health tab and the dashboard's busiest and failing objects, in Chromium:
charts drawn from real calls (a deploy marked on the time axis), empty states that say what to
do, no console errors, and no serious accessibility problems."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from backend import db
from backend.access import audit
from backend.metrics import record
from backend.objects import runtime
from backend.objects.store import create_object_in, edit_object
from tests.support.deploying import deploy_now
from tests.web import accessibility
from tests.web.conftest import screenshot
from tests.web.test_objects import _no_error_on_page

pytestmark = pytest.mark.browser

MAIN_PY = '''
def hello(name: str) -> str:
    """Greet someone."""
    return f"hello {name}"


def fail(name: str) -> str:
    raise ValueError(f"no greeting for {name}")
'''
TESTS = 'from main import hello\n\n\ndef test_hello():\n    assert hello("A") == "hello A"\n'


def _url(harness, path: str) -> str:
    return harness.frontend_url.rstrip("/") + path


def _greeter() -> None:
    with db.session_scope() as session:
        create_object_in(
            session,
            slug="greeter",
            name="Greeter",
            files={"main.py": MAIN_PY, "test_main.py": TESTS},
            actor=audit.SYSTEM,
        )


def _calls(good: int, bad: int) -> None:
    for index in range(good):
        runtime.call_object("greeter", "hello", {"name": f"n{index}"}, check_access=False)
    for index in range(bad):
        with pytest.raises(runtime.ObjectFailed):
            runtime.call_object("greeter", "fail", {"name": f"n{index}"}, check_access=False)


def test_the_health_tab_charts_calls_errors_latency_and_deploys(admin_page: Page, harness):
    _greeter()
    assert deploy_now("greeter", actor=audit.SYSTEM).status == "live"
    _calls(good=4, bad=1)
    with db.session_scope() as session:
        edit_object(
            session,
            "greeter",
            files={"main.py": MAIN_PY + "\n# v2\n", "test_main.py": TESTS},
            actor=audit.SYSTEM,
        )
    assert deploy_now("greeter", actor=audit.SYSTEM).status == "live"
    _calls(good=3, bad=2)
    record.flush()

    page = admin_page
    page.goto(_url(harness, "/objects/greeter"))
    page.click("#tab-health")
    expect(page.locator("#health-calls .stat-value")).to_have_text("10")
    expect(page.locator("#health-errors .stat-value")).to_have_text("3")
    expect(page.locator("#health-error-rate .stat-value")).to_have_text("30.0%")
    calls = page.locator("#health-calls-chart")
    expect(calls.locator(".recharts-bar-rectangle").first).to_be_visible()
    # The deploys of v1 and v2 are dashed lines on the time axis (both in the last hour).
    expect(calls.locator(".recharts-reference-line")).to_have_count(2)
    expect(calls.locator(".recharts-label")).to_have_text(["v1", "v2"])
    latency = page.locator("#health-latency-chart")
    expect(latency.locator(".recharts-line")).to_have_count(3)
    versions = page.locator("#health-versions-chart")
    expect(versions.locator(".recharts-legend-item")).to_have_count(2)
    expect(versions.locator(".recharts-legend-wrapper")).to_contain_text("v1")
    expect(page.locator("#health-by-version")).to_contain_text("v2")
    expect(page.locator("#health-by-function")).to_contain_text("fail")
    expect(page.locator("#health-last-error")).to_contain_text("ValueError: no greeting for n1")
    _no_error_on_page(page)
    assert accessibility.violations(page) == []
    screenshot(page, "object-health")

    # The dashboard: busiest and failing objects, each linking to the object.
    page.goto(_url(harness, "/"))
    expect(page.locator("#busiest-table .health-row")).to_have_count(1)
    expect(page.locator("#busiest-table")).to_contain_text("Greeter")
    expect(page.locator("#failing-table")).to_contain_text("30.0%")
    expect(page.locator("#busiest-chart .recharts-bar-rectangle").first).to_be_visible()
    _no_error_on_page(page)
    assert accessibility.violations(page) == []
    screenshot(page, "dashboard-object-health")


def test_empty_states_say_what_to_do(admin_page: Page, harness):
    _greeter()
    page = admin_page
    page.goto(_url(harness, "/objects/greeter"))
    page.click("#tab-health")
    expect(page.locator("#health-empty")).to_contain_text("Not deployed yet")
    deploy_now("greeter", actor=audit.SYSTEM)
    page.click("#health-refresh")
    expect(page.locator("#health-empty")).to_contain_text("try the HTTP API tab")
    page.goto(_url(harness, "/"))
    expect(page.locator("#busiest-empty")).to_contain_text("try an object's HTTP API tab")
    expect(page.locator("#failing-empty")).to_be_visible()
    _no_error_on_page(page)
