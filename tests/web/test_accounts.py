"""Accounts in Chromium: one account per email whatever its case, log-out ending the session
on the server, changing the password, wrong passwords refused; the console's wording; and
the API's answers through the running app."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from backend import config, db
from backend.access import audit
from backend.objects.store import create_object_in
from state.auth import SESSION_COOKIE
from tests.support.deploying import deploy_now
from tests.web.conftest import ADMIN, make_user, screenshot

pytestmark = pytest.mark.browser

SLOW = 90_000  # a deploy runs the object's tests in the sandbox
CONVERTER = '''from storage import get, put


def c_to_f(c: float) -> float:
    """Degrees Celsius in Fahrenheit; counts the conversions."""
    put("conversions", get("conversions", 0) + 1)
    return c * 9 / 5 + 32
'''


def _url(harness, path: str) -> str:
    return harness.frontend_url.rstrip("/") + path


def _at(harness, path: str) -> re.Pattern[str]:
    return re.compile(re.escape(_url(harness, path).rstrip("/")) + "/?$")


def _log_in(page: Page, email: str, password: str) -> None:
    expect(page.locator("#login-form")).to_be_visible()
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#login-submit")


def _cookie(page: Page) -> dict:
    return next(c for c in page.context.cookies() if c["name"] == SESSION_COOKIE)


def test_an_email_in_another_case_is_the_same_account(harness, app_db: Path, home: Page) -> None:
    make_user(ADMIN)
    home.goto(_url(harness, "/signup"))
    home.fill("#name", "Ada Again")
    home.fill("#email", ADMIN["email"].upper())
    home.fill("#password", "another password")
    home.click("#signup-submit")
    expect(home.locator("#auth-error")).to_have_text(
        "A user with email ada@example.com already exists."
    )
    home.goto(_url(harness, "/login"))
    _log_in(home, "Ada@Example.COM", ADMIN["password"])
    expect(home).to_have_url(_at(harness, "/"))
    expect(home.locator("#nav-user-name").first).to_have_text(ADMIN["name"])
    assert home.console_errors == []  # type: ignore[attr-defined]


def test_log_out_ends_the_session_on_the_server(admin_page: Page, harness) -> None:
    page = admin_page
    kept = _cookie(page)  # as a stolen cookie, or one a shared computer kept, would be
    page.locator("#logout-button").first.click()
    expect(page).to_have_url(_at(harness, "/login"))

    page.context.add_cookies([kept])
    page.goto(_url(harness, "/settings"))
    expect(page).to_have_url(_at(harness, "/login"))
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_change_password_on_the_settings_page(admin_page: Page, harness) -> None:
    page = admin_page
    elsewhere = _cookie(page)  # the same person signed in in another browser
    page.goto(_url(harness, "/settings"))
    form = page.locator("#password-form")
    expect(form).to_be_visible()

    def submit(current: str, new: str, again: str) -> None:
        page.fill("#current_password", current)
        page.fill("#new_password", new)
        page.fill("#repeat_password", again)
        page.click("#password-save")

    submit(ADMIN["password"], "a new password", "a new passwort")
    expect(page.locator("#password-error")).to_have_text(
        "The new password and its repetition differ."
    )
    submit("not my password", "a new password", "a new password")
    expect(page.locator("#password-error")).to_have_text("The current password is not right.")
    submit(ADMIN["password"], "a new password", "a new password")
    changed = "Password changed; your other sessions are logged out."
    expect(page.get_by_text(changed)).to_be_visible()
    expect(page.locator("#password-error")).to_have_count(0)
    expect(page.locator("#current_password")).to_have_value("")
    screenshot(page, "settings-password")

    # This tab stays signed in (a reload too); the other browser's session has ended.
    page.reload()
    expect(page.locator("#nav-user-name").first).to_have_text(ADMIN["name"])
    other = page.context.browser.new_context()
    try:
        stranger = other.new_page()
        other.add_cookies([elsewhere])
        stranger.goto(_url(harness, "/settings"))
        expect(stranger).to_have_url(_at(harness, "/login"))
    finally:
        other.close()

    page.locator("#logout-button").first.click()
    _log_in(page, ADMIN["email"], ADMIN["password"])
    expect(page.locator("#auth-error")).to_have_text("Wrong email or password.")
    _log_in(page, ADMIN["email"], "a new password")
    expect(page).to_have_url(_at(harness, "/"))
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_event_source_key_shown_once_then_revoked(admin_page: Page, harness) -> None:
    page = admin_page
    page.goto(_url(harness, "/settings"))
    card = page.locator("#settings-event-sources")
    expect(card.locator("#sources-empty")).to_be_visible()
    expect(card.locator("#events-curl")).to_contain_text("/api/events")
    page.fill("#source_name", "shop")
    page.click("#create-source")
    key = page.locator("#new-source-key")
    expect(key).to_have_text(re.compile(r"^dev_\S{40,}$"))
    expect(card).to_contain_text("it is not shown again")
    row = card.locator(".source-row", has_text="shop")
    expect(row).to_contain_text(key.inner_text()[:10])

    page.reload()  # the key is gone for good: only its first characters are listed
    expect(row).to_be_visible()
    expect(page.locator("#new-source-key")).to_have_count(0)
    row.locator(".revoke-source-button").click()
    expect(page.get_by_role("alertdialog")).to_contain_text("Revoke the key of shop?")
    page.click("#revoke-source-confirm")
    expect(row.locator(".source-revoked")).to_be_visible()
    screenshot(page, "settings-event-sources")
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_repeated_wrong_passwords_are_refused_with_a_message(
    harness, app_db: Path, home: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user(ADMIN)
    monkeypatch.setenv("SIGN_IN_SLOW_AFTER", "2")
    monkeypatch.setenv("SIGN_IN_LOCK_AFTER", "2")
    config.reload_settings()  # the app in this process reads the settings at every event
    home.goto(_url(harness, "/login"))
    for guess in ("guess one", "guess two"):
        _log_in(home, ADMIN["email"], guess)
        expect(home.locator("#auth-error")).to_have_text("Wrong email or password.")
    _log_in(home, ADMIN["email"], ADMIN["password"])
    expect(home.locator("#auth-error")).to_have_text(
        "Too many wrong passwords for this account: sign-in is refused for now; "
        "try again in 15 minutes."
    )
    expect(home).to_have_url(_at(harness, "/login"))
    screenshot(home, "login-refused")


def test_console_names_the_function_as_written(admin_page: Page, harness) -> None:
    with db.session_scope() as session:
        create_object_in(
            session,
            slug="temperature",
            name="Temperature",
            files={"main.py": CONVERTER},
            actor=audit.SYSTEM,
        )
    deploy_now("temperature", actor=audit.SYSTEM)
    page = admin_page
    page.goto(_url(harness, "/objects/temperature"))
    page.click("#tab-console")
    expect(page.locator("#storage-count")).to_have_text("0 keys")
    page.fill("#console-arguments", "{}")
    page.click("#console-call")
    expect(page.locator("#console-error")).to_have_text(
        "Function c_to_f() is missing required 'c'.", timeout=SLOW
    )
    page.fill("#console-arguments", '{"c": 100}')
    page.click("#console-call")
    expect(page.locator("#console-result")).to_have_text("212.0", timeout=SLOW)
    expect(page.locator("#storage-count")).to_have_text("1 key")
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_api_paths_answer_json_through_the_running_app(harness, app_db: Path, page: Page) -> None:
    """The API is mounted around Reflex: a path or method it doesn't serve must not fall
    through to the web app's HTML page."""
    from reflex.config import get_config

    api = get_config().api_url.rstrip("/")
    wrong_method = page.request.get(f"{api}/api/objects/anything/f", timeout=10_000)
    assert wrong_method.status == 405
    assert wrong_method.headers["allow"] == "POST"
    assert wrong_method.headers["content-type"] == "application/json"
    assert "does not answer GET" in wrong_method.json()["error"]
    unknown = page.request.get(f"{api}/api/no/such/route", timeout=10_000)
    assert (unknown.status, unknown.json()) == (404, {"error": "no API route /api/no/such/route"})
    stranger = page.request.post(f"{api}/api/objects/nope/f", data="{}", timeout=10_000)
    assert stranger.status == 404 and stranger.json()["error"] == "no object with slug 'nope'"
