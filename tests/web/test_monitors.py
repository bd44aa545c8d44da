"""Monitors and notifications in Chromium: a monitor from a sentence, previewed then saved
(and refused the second time), paused, its history and code shown, deleted after a
confirmation; monitors from the form; a notification listed and filtered."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from backend import db
from backend.models import Event, MonitorFiring, Notification, utcnow
from tests.web.conftest import screenshot

pytestmark = pytest.mark.browser


def _go(page: Page, harness, path: str) -> None:
    page.goto(harness.frontend_url.rstrip("/") + path)
    expect(page.locator("#page-title")).to_be_visible()


def test_monitors_from_a_sentence_and_a_form_paused_and_deleted(admin_page: Page, harness) -> None:
    page = admin_page
    page.locator("#sidebar").get_by_role("link", name="Monitors", exact=True).click()
    expect(page.locator("#monitors-empty")).to_contain_text(
        "No monitors yet. Try: call me when a new user signs up"
    )

    page.fill("#monitor-sentence", "text me when a new user signs up")
    page.click("#monitor-preview-button")
    preview = page.locator("#monitor-preview")
    expect(preview).to_contain_text("OK, I'll text you when a new user signs up.")
    expect(preview).to_contain_text("user.created")
    expect(page.locator("#preview-channel")).to_have_text("sms")
    page.click("#monitor-save")

    row = page.locator("#monitors-table .monitor-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("a new user signs up")
    expect(row.locator(".monitor-state")).to_have_text("armed")
    expect(preview).to_have_count(0)
    screenshot(page, "monitors")

    # The same again, in other words: refused, naming the monitor there (issue 21).
    page.fill("#monitor-sentence", "um text me whenever a new user signs up")
    page.click("#monitor-preview-button")
    expect(preview).to_contain_text("OK, I'll text you when a new user signs up.")
    page.click("#monitor-save")
    expect(page.locator("#monitor-preview-error")).to_contain_text(
        "You already have that (monitor 1)"
    )
    expect(row).to_have_count(1)

    row.locator(".monitor-pause").click()
    expect(row.locator(".monitor-state")).to_have_text("paused")
    expect(row.locator(".monitor-resume")).to_be_visible()

    with db.session_scope() as session:
        firing = MonitorFiring(monitor_id=1, count=2, summary="2 new users")
        session.add(firing)
        session.flush()
        session.add(
            Notification(
                monitor_id=1,
                firing_id=firing.id,
                channel="sms",
                target="+15551230001",
                status="delivered",
                attempts=1,
                provider_id="SM42",
            )
        )
    expect(row).to_contain_text("(2 events)")  # live
    row.locator(".monitor-watches a").click()
    expect(page.locator("#monitor-code")).to_contain_text("def ")
    expect(page.locator("#monitor-check-link")).to_have_attribute("href", "/objects/monitor-1")
    expect(page.locator("#monitor-state")).to_have_text("paused")
    history = page.locator("#monitor-history .firing")
    expect(history).to_contain_text("2 new users")
    expect(history.locator(".delivery-row")).to_contain_text("SM42")
    expect(history.locator(".delivery-status")).to_have_text("delivered")
    screenshot(page, "monitor")

    page.locator(".monitor-delete").click()
    expect(page.get_by_role("alertdialog")).to_contain_text("Delete monitor 1?")
    page.click("#monitor-delete-confirm")
    expect(page.locator("#monitors-empty")).to_be_visible()

    # From the form: an event with a filter, then a metric (refused until it has a value).
    page.click("#monitor-add-filter")
    page.get_by_role("textbox", name="Filter field").fill("is_admin")
    page.get_by_role("textbox", name="Filter value").fill("true")
    page.get_by_role("combobox", name="Channel").click()
    page.get_by_role("option", name="voice").click()
    page.click("#monitor-create")
    expect(row).to_contain_text("an admin signs up")
    expect(row).to_contain_text("voice")
    page.get_by_role("combobox", name="Watch").click()
    page.get_by_role("option", name="metric").click()
    page.click("#monitor-create")  # no value yet: the backend says what is missing
    expect(page.locator("#monitor-create-error")).to_contain_text("must be a number")
    page.get_by_role("spinbutton", name="Value").fill("1000")
    page.click("#monitor-create")
    expect(row).to_have_count(2)
    expect(row.nth(1)).to_contain_text("the number of users is more than 1,000")


def test_the_notifications_page_lists_and_filters(admin_page: Page, harness) -> None:
    page = admin_page
    _go(page, harness, "/notifications")
    expect(page.locator("#notifications-empty")).to_be_visible()
    with db.session_scope() as session:
        session.add(
            Notification(
                channel="sms",
                target="+15551230001",
                purpose="alert",
                status="failed",
                attempts=3,
                error="unreachable number",
                provider_id="SM123",
            )
        )
    rows = page.locator("#notifications-table .notification-row")
    expect(rows).to_have_count(1)  # live: appears without a reload
    expect(rows.first).to_contain_text("unreachable number")
    expect(rows.first.locator(".notification-status")).to_have_text("failed")
    screenshot(page, "notifications")

    page.get_by_role("combobox", name="Status").click()
    page.get_by_role("option", name="delivered").click()
    expect(page.locator("#notifications-empty")).to_be_visible()
    page.get_by_role("combobox", name="Status").click()
    page.get_by_role("option", name="failed").click()
    expect(rows).to_have_count(1)
    page.get_by_role("combobox", name="Channel").click()
    page.get_by_role("option", name="voice").click()
    expect(page.locator("#notifications-empty")).to_be_visible()


def test_an_event_given_up_on_is_shown_under_the_monitors(admin_page: Page, harness) -> None:
    page = admin_page
    _go(page, harness, "/monitors")
    expect(page.locator("#failed-events")).to_have_count(0)  # none: no section
    with db.session_scope() as session:
        session.add(
            Event(
                name="payment.failed",
                payload={"customer": "poison"},
                source="api:shop",
                dispatched_at=utcnow(),
                dispatch_tries=3,
                dispatch_error="DataError: refused: a poisoned row",
            )
        )
    row = page.locator("#failed-events-table .failed-event-row")
    expect(row).to_have_count(1)  # live: appears without a reload
    expect(row).to_contain_text("payment.failed")
    expect(row.locator(".event-error")).to_have_text("DataError: refused: a poisoned row")
    expect(row.locator(".event-status")).to_have_text("failed")
