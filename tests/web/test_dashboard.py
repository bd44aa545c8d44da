"""The dashboard and the other signed-in pages in Chromium: counts, live progress, tables."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from backend import db
from backend.access import audit
from backend.background import jobs
from backend.objects.store import create_object_in
from tests.web.conftest import screenshot

pytestmark = pytest.mark.browser

MAIN_PY = 'def hello(name: str) -> str:\n    """Greet someone."""\n    return f"hello {name}"\n'


def _go(page: Page, harness, path: str) -> None:
    page.goto(harness.frontend_url.rstrip("/") + path)


def _no_error_shown(page: Page) -> None:
    expect(page.locator("[role=alert]")).to_have_count(0)
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_dashboard_counts_and_a_moving_progress_bar(admin_page: Page, harness) -> None:
    page = admin_page
    with db.session_scope() as session:
        create_object_in(
            session, slug="weather", name="Weather", files={"main.py": MAIN_PY}, actor=audit.SYSTEM
        )
        task_id = jobs.create_task(session, "test.progress").id
    jobs.mark_running(task_id)
    jobs.report_progress(task_id, 10, "starting")

    card = page.locator(f"#running-task-{task_id}")
    expect(card).to_be_visible()
    expect(card.locator(".task-progress")).to_have_attribute("data-progress", "10")
    expect(page.locator("#count-objects .stat-value")).to_have_text("1")
    expect(page.locator("#count-draft .stat-value")).to_have_text("1")
    expect(page.locator("#count-running .stat-value")).to_have_text("1")
    # Every action is an event: the object's creation is the newest, the admin's sign-up too.
    expect(page.locator("#events-table .event-name").first).to_have_text("object.created")
    expect(page.locator("#events-table")).to_contain_text("user.created")

    # Moves without a reload (how fast: bench/live_latency.py).
    jobs.report_progress(task_id, 60, "more than half")
    expect(card.locator(".task-progress")).to_have_attribute("data-progress", "60")
    expect(card).to_contain_text("more than half")
    expect(card.locator("[role=progressbar]")).to_have_attribute("aria-valuenow", "60")
    screenshot(page, "dashboard")

    jobs.mark_succeeded(task_id, {"ok": True})
    expect(card).to_have_count(0)
    expect(page.locator("#tasks-empty")).to_be_visible()
    _no_error_shown(page)


def test_tasks_page_lists_and_filters_live(admin_page: Page, harness) -> None:
    page = admin_page
    with db.session_scope() as session:
        done = jobs.create_task(session, "test.done").id
        running = jobs.create_task(session, "test.running").id
    jobs.mark_succeeded(done, {})
    jobs.mark_running(running)
    _go(page, harness, "/tasks")
    rows = page.locator("#tasks-table .task-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("test.running")  # newest first

    with db.session_scope() as session:
        newest = jobs.create_task(session, "test.newest").id
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("test.newest")
    jobs.report_progress(running, 42)
    expect(page.locator(f"#task-{running} .task-progress")).to_have_attribute("data-progress", "42")
    screenshot(page, "tasks")

    page.locator("#tasks-filter").click()
    page.get_by_role("option", name="succeeded").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("test.done")
    assert newest
    _no_error_shown(page)


def test_events_and_audit_pages(admin_page: Page, harness) -> None:
    page = admin_page
    _go(page, harness, "/events")
    expect(page.locator("#events-table .event-row")).to_have_count(1)
    expect(page.locator("#events-table")).to_contain_text("user.created")
    screenshot(page, "events")

    _go(page, harness, "/audit")
    expect(page.locator("#audit-table .audit-row").first).to_contain_text("user.created")
    expect(page.locator("#audit-table")).to_contain_text(page.user["email"])  # type: ignore[attr-defined]
    screenshot(page, "audit")
    _no_error_shown(page)


def test_settings_shows_features_and_saves_the_profile(admin_page: Page, harness) -> None:
    page = admin_page
    _go(page, harness, "/settings")
    expect(page.locator("#profile-role")).to_have_text("admin")
    expect(page.locator("#settings-features .feature-row")).to_have_count(5)
    expect(page.locator("#settings-features")).to_contain_text("OPENAI_API_KEY")
    expect(page.locator("#sandbox-tier")).not_to_be_empty()
    expect(page.locator("#settings-limits")).to_contain_text("Factuality threshold")
    screenshot(page, "settings")

    page.fill("#name", "Ada Lovelace")
    page.fill("#phone", "+44 20 7946 0000")
    page.locator("#profile-save").click()
    expect(page.locator("#nav-user-name").first).to_have_text("Ada Lovelace")
    # The phone section reads the saved number again, without a reload.
    expect(page.locator("#phone-number")).to_have_text("+442079460000")
    expect(page.locator("#phone-status")).to_have_text("not verified")
    page.reload()
    expect(page.locator("#phone")).to_have_value("+442079460000")
    expect(page.locator("#name")).to_have_value("Ada Lovelace")

    page.fill("#phone", "12")
    page.locator("#profile-save").click()
    expect(page.locator("#profile-error")).to_contain_text("E.164")


def test_member_sees_member_role(member_page: Page, harness) -> None:
    page = member_page
    expect(page.locator("#nav-user-role").first).to_have_text("member")
    _go(page, harness, "/settings")
    expect(page.locator("#profile-role")).to_have_text("member")
    expect(page).to_have_url(re.compile(r"/settings/?$"))
    _no_error_shown(page)


def test_layout_on_a_phone(admin_page: Page, harness) -> None:
    page = admin_page
    page.set_viewport_size({"width": 390, "height": 800})
    expect(page.locator("#top-bar")).to_be_visible()
    expect(page.locator("#sidebar")).not_to_be_visible()
    page.locator("#menu-button").click()
    expect(page.locator("#drawer-nav")).to_be_visible()
    page.wait_for_timeout(500)  # let the drawer finish sliding in before the screenshot
    screenshot(page, "dashboard-phone")
    page.locator("#drawer-nav").get_by_text("Tasks").click()
    expect(page).to_have_url(re.compile(r"/tasks/?$"))
