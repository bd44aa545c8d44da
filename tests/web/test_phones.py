"""Phones in Chromium: a number verified by the code sent by SMS and a PIN set on the
settings page, which also shows Twilio's webhook URLs; the calls-and-messages page, live."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from backend import db
from backend.models import Interaction, User
from backend.urls import SMS_PATH, public_url
from tests.backend.accounts.test_phones import latest_code

pytestmark = pytest.mark.browser


def _open(page: Page, harness, path: str) -> None:
    page.goto(harness.frontend_url.rstrip("/") + path)
    expect(page.locator("#nav-user-name").first).not_to_be_empty()


def test_verify_a_number_by_code_and_set_a_pin(admin_page: Page, harness) -> None:
    page = admin_page
    _open(page, harness, "/settings")
    expect(page.locator(".webhook-url")).to_have_count(3)
    expect(page.locator("#settings-webhooks")).to_contain_text(public_url(SMS_PATH))
    expect(page.locator("#phone-status")).to_have_text("not verified")

    page.fill("#verify_phone", "+1 555 123 0001")
    page.click("#phone-code-save")
    expect(page.locator("#phone-number")).to_have_text("+15551230001")
    code = latest_code(page.user["id"])  # type: ignore[attr-defined]
    page.fill("#code", "000000" if code != "000000" else "111111")
    page.click("#phone-verify-save")
    expect(page.locator("#phone-error")).to_contain_text("Wrong code: 4 tries left")
    page.fill("#code", code)
    page.click("#phone-verify-save")
    expect(page.locator("#phone-status")).to_have_text("verified")
    expect(page.locator("#phone-verify-form")).to_have_count(0)

    page.fill("#pin", "2468")
    page.fill("#pin_repeat", "2469")
    page.click("#pin-save")
    expect(page.locator("#pin-error")).to_have_text("The PIN and its repetition differ.")
    page.fill("#pin", "2468")
    page.fill("#pin_repeat", "2468")
    page.click("#pin-save")
    expect(page.locator("#pin-status")).to_have_text("set")
    with db.session_scope() as session:
        user = session.exec(select(User).where(User.email == "ada@example.com")).one()
        assert user.phone_verified and user.pin_hash and "2468" not in user.pin_hash

    page.fill("#timezone", "Mars/Olympus")
    page.fill("#quiet_start", "22:00")
    page.fill("#quiet_end", "07:00")
    page.click("#quiet-save")
    expect(page.locator("#quiet-error")).to_contain_text("Unknown time zone 'Mars/Olympus'")
    page.fill("#timezone", "Europe/Paris")
    page.click("#quiet-save")
    expect(page.get_by_text("Quiet hours: 22:00 to 07:00 (Europe/Paris).")).to_be_visible()
    expect(page.locator("#quiet-error")).to_have_count(0)
    with db.session_scope() as session:
        user = session.exec(select(User).where(User.email == "ada@example.com")).one()
        assert (user.timezone, user.quiet_start, user.quiet_end) == (
            "Europe/Paris",
            "22:00",
            "07:00",
        )
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_calls_and_messages_appear_live(admin_page: Page, harness) -> None:
    page = admin_page
    page.locator("[data-nav='Calls and messages']").first.click()
    expect(page.locator("#interactions-empty")).to_contain_text("webhook URLs")
    with db.session_scope() as session:
        session.add(Interaction(channel="sms", phone="+15550000000", transcript="status"))
        session.flush()
        session.add(
            Interaction(
                channel="voice",
                phone="+15551230001",
                user_id=page.user["id"],  # type: ignore[attr-defined]
                transcript="deploy the calculator",
                confidence=0.91,
                command={"intent": "deploy"},
                outcome="confirmed",
                reply="Deployed version 2.",
                provider_sid="CA0123456789",
            )
        )
    rows = page.locator("#conversations .conversation")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("deploy the calculator")
    expect(rows.first).to_contain_text("Ada Admin")
    expect(rows.first).to_contain_text("0.91")
    expect(rows.first).to_contain_text("CA0123456789")
    assert page.console_errors == []  # type: ignore[attr-defined]
