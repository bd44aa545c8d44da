"""Sign up, log in, log out and the login guard, in Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from backend import db
from backend.models import Event, User
from tests.web.conftest import ADMIN, screenshot

pytestmark = pytest.mark.browser


def _url(harness, path: str) -> str:
    return harness.frontend_url.rstrip("/") + path


def _at(harness, path: str) -> re.Pattern[str]:
    """The URL of `path`, with or without the trailing slash the production build adds."""
    return re.compile(re.escape(_url(harness, path).rstrip("/")) + "/?$")


def _fill_signup(page: Page, name: str, email: str, password: str, phone: str = "") -> None:
    page.fill("#name", name)
    page.fill("#email", email)
    page.fill("#password", password)
    if phone:
        page.fill("#phone", phone)
    page.click("#signup-submit")


def test_signed_out_pages_redirect_to_login(harness, app_db: Path, home: Page) -> None:
    for path in ("/", "/tasks", "/events", "/audit", "/settings"):
        home.goto(_url(harness, path))
        expect(home).to_have_url(_at(harness, "/login"))
        expect(home.locator("#login-form")).to_be_visible()
    screenshot(home, "login")
    assert home.console_errors == []


def test_sign_up_first_user_is_admin_and_event_recorded(harness, app_db: Path, home: Page) -> None:
    home.goto(_url(harness, "/signup"))
    expect(home.locator("#signup-form")).to_be_visible()
    screenshot(home, "signup")
    _fill_signup(home, "Ada Admin", "ada@example.com", "correct horse 1", "+15551234567")

    expect(home).to_have_url(_at(harness, "/"))
    expect(home.locator("#nav-user-name").first).to_have_text("Ada Admin")
    expect(home.locator("#nav-user-role").first).to_have_text("admin")
    with db.session_scope() as session:
        user = session.exec(select(User)).one()
        assert user.is_admin and user.phone == "+15551234567"
        assert user.password_hash and "correct horse" not in user.password_hash
        created = session.exec(select(Event).where(Event.name == "user.created")).one()
        assert created.payload["is_admin"] is True

    # Still signed in after a reload (the session cookie).
    home.reload()
    expect(home.locator("#nav-user-name").first).to_have_text("Ada Admin")
    assert home.console_errors == []


def test_sign_up_refuses_a_short_password(harness, app_db: Path, home: Page) -> None:
    home.goto(_url(harness, "/signup"))
    expect(home.locator("#signup-form")).to_be_visible()
    # The browser's own minlength check would stop the form: remove it to reach the server.
    home.locator("#password").evaluate("el => el.removeAttribute('minlength')")
    _fill_signup(home, "Ada", "ada@example.com", "short")
    expect(home.locator("#auth-error")).to_contain_text("at least 8 characters")
    expect(home).to_have_url(_at(harness, "/signup"))


def test_log_out_then_log_in(admin_page: Page, harness) -> None:
    page = admin_page
    page.locator("#logout-button").first.click()
    expect(page).to_have_url(_at(harness, "/login"))
    page.goto(_url(harness, "/"))
    expect(page).to_have_url(_at(harness, "/login"))

    page.fill("#email", ADMIN["email"])
    page.fill("#password", ADMIN["password"])
    page.click("#login-submit")
    expect(page).to_have_url(_at(harness, "/"))
    expect(page.locator("#nav-user-name").first).to_have_text(ADMIN["name"])
    assert page.console_errors == []


def test_wrong_password_shows_the_error(admin_page: Page, harness) -> None:
    page = admin_page
    page.locator("#logout-button").first.click()
    expect(page.locator("#login-form")).to_be_visible()
    page.fill("#email", ADMIN["email"])
    page.fill("#password", "not the password")
    page.click("#login-submit")
    expect(page.locator("#auth-error")).to_have_text("Wrong email or password.")
    page.fill("#email", "nobody@example.com")
    page.click("#login-submit")
    expect(page.locator("#auth-error")).to_have_text("Wrong email or password.")
    expect(page).to_have_url(_at(harness, "/login"))
    screenshot(page, "login-error")
