"""An admin added on the command line gets into the web app: the link `users add` prints
opens a page to set a password and signs them in; a used or expired link says so."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

import cli.main as cli
from backend import config

pytestmark = pytest.mark.browser


def _link(harness, out: str) -> str:
    """The printed link, pointed at the running test app instead of PUBLIC_BASE_URL."""
    url = re.search(r"\S+/invite\?token=\S+", out).group(0)
    return harness.frontend_url.rstrip("/") + url[url.index("/invite") :]


def test_the_link_users_add_prints_sets_a_password_and_signs_in(
    harness, app_db: Path, home: Page, capsys
) -> None:
    page = home
    args = ["users", "add", "--name", "Cy Admin", "--email", "cy@example.com", "--admin"]
    assert cli.main(args) == 0
    link = _link(harness, capsys.readouterr().out)

    page.goto(link)
    expect(page.locator("#invite-form")).to_contain_text("Set password and log in")
    expect(page.locator("body")).to_contain_text("cy@example.com")
    page.fill("input[name=password]", "correct horse 1")
    page.fill("input[name=again]", "correct horse 2")
    page.click("#invite-submit")
    expect(page.locator("#invite-error")).to_contain_text("The two passwords differ.")
    page.fill("input[name=again]", "correct horse 1")
    page.click("#invite-submit")
    expect(page.locator("#nav-user-name").first).to_have_text("Cy Admin")

    # Once only: the same link now says it was used, and how to get in.
    page.goto(link)
    expect(page.locator("#invite-refused")).to_contain_text(
        "This invitation link was already used: a password has been set for cy@example.com"
    )
    # And the password works on the login page.
    page.context.clear_cookies()
    page.goto(harness.frontend_url.rstrip("/") + "/login")
    page.fill("input[name=email]", "cy@example.com")
    page.fill("input[name=password]", "correct horse 1")
    page.click("#login-submit")
    expect(page.locator("#nav-user-name").first).to_have_text("Cy Admin")
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_an_expired_or_mangled_link_says_so(
    harness, app_db: Path, home: Page, capsys, monkeypatch
) -> None:
    page = home
    monkeypatch.setenv("INVITE_TTL_HOURS", "0.0000001")  # expired before it is opened
    config.reload_settings()
    assert cli.main(["users", "add", "--name", "Dee", "--email", "dee@example.com"]) == 0
    monkeypatch.delenv("INVITE_TTL_HOURS")
    config.reload_settings()
    link = _link(harness, capsys.readouterr().out)

    page.goto(link)
    expect(page.locator("#invite-refused")).to_contain_text("This invitation link expired on ")
    expect(page.locator("#invite-refused")).to_contain_text("ask an admin for a new one")
    expect(page.locator("#invite-form")).to_have_count(0)
    page.goto(link[:-4])
    expect(page.locator("#invite-refused")).to_contain_text(
        "This link is not a valid invitation: check that it was copied whole."
    )
    assert page.console_errors == []  # type: ignore[attr-defined]
