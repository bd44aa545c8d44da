"""The object page's smaller promises, in Chromium: the header tells the live version from
the latest, whitespace changes show in the diff, the tabs fit a phone, and a dialog left open
does not come back after a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from backend import audit, db
from backend.objects.deploy import deploy
from backend.objects.store import create_object, edit_object
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

MAIN_PY = 'def hello(name: str) -> str:\n    """Greet someone."""\n    return f"hello {name}"\n'
TESTS = 'from main import hello\n\n\ndef test_hello():\n    assert hello("A") == "hello A"\n'
FAILING = 'from main import hello\n\n\ndef test_hello():\n    assert hello("A") == "bye"\n'
#: The same code with trailing spaces on two lines: "+2 -2", and nothing else changed.
TRAILING = MAIN_PY.replace("str:\n", "str:  \n").replace('}"\n', '}"   \n')
TABS = ["code", "versions", "modify", "deploy", "console", "http"]


def _url(harness, path: str) -> str:
    return harness.frontend_url.rstrip("/") + path


def _greeter(*later: dict[str, str]) -> None:
    """greeter v1 (with passing tests), then one version per files in `later`."""
    with db.session_scope() as session:
        create_object(
            session,
            slug="greeter",
            name="Greeter",
            files={"main.py": MAIN_PY, "test_main.py": TESTS},
            actor=audit.SYSTEM,
        )
    for files in later:
        with db.session_scope() as session:
            edit_object(session, "greeter", files=files, actor=audit.SYSTEM)


def test_after_a_failed_deploy_the_header_shows_live_and_latest_apart(
    admin_page: Page, harness
) -> None:
    _greeter()
    deploy("greeter", actor=audit.SYSTEM)
    with db.session_scope() as session:
        edit_object(
            session,
            "greeter",
            files={"main.py": MAIN_PY, "test_main.py": FAILING},
            actor=audit.SYSTEM,
        )
    deploy("greeter", actor=audit.SYSTEM)  # v2's tests fail; v1 keeps serving
    page = admin_page
    page.goto(_url(harness, "/objects/greeter"))
    expect(page.locator("#object-version")).to_have_text("live v1 · latest v2, its deploy failed")
    expect(page.locator("#object-status")).to_have_text("deployed")
    screenshot(page, "object-header-failed-deploy")


def test_a_whitespace_only_change_is_highlighted_in_the_diff(admin_page: Page, harness) -> None:
    _greeter({"main.py": TRAILING, "test_main.py": TESTS})
    page = admin_page
    page.goto(_url(harness, "/objects/greeter"))
    page.click("#tab-versions")
    diff = page.locator("#version-diff")
    changed = diff.locator(".diff-file")
    expect(changed).to_have_count(1)
    expect(changed).to_contain_text("+2 -2")
    expect(changed.locator(".diff-whitespace-only")).to_have_text("whitespace only")
    # Monaco marks the changed characters (it hides trailing-whitespace changes by default).
    marks = diff.locator(".monaco-diff-editor .char-insert, .monaco-diff-editor .line-insert")
    expect(marks.first).to_be_attached()
    screenshot(page, "object-whitespace-diff")


def test_the_tabs_fit_a_phone(admin_page: Page, harness) -> None:
    _greeter()
    page = admin_page
    page.set_viewport_size({"width": 420, "height": 900})
    page.goto(_url(harness, "/objects/greeter"))
    expect(page.locator("#object-page")).to_be_visible()
    for key in TABS:
        tab = page.locator(f"#tab-{key}")
        expect(tab).to_be_visible()
        box = tab.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 420, key
        # Not clipped inside its trigger either ("Co" for Console).
        assert tab.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), key
    page.click("#tab-console")
    expect(page.locator("#tab-console")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tabpanel")).to_be_visible()
    screenshot(page, "object-phone")


def test_a_confirmation_left_open_does_not_come_back(admin_page: Page, harness) -> None:
    _greeter({"main.py": TRAILING, "test_main.py": TESTS})
    page = admin_page
    page.goto(_url(harness, "/objects/greeter"))
    page.click("#tab-versions")
    page.locator("#version-row-1 .restore-button").click()
    expect(page.get_by_role("alertdialog")).to_contain_text("Restore v1?")
    page.reload()
    expect(page.locator("#object-page")).to_be_visible()
    expect(page.get_by_role("alertdialog")).to_have_count(0)
    page.click("#tab-versions")
    expect(page.locator("#versions-table .version-row")).to_have_count(2)
    expect(page.get_by_role("alertdialog")).to_have_count(0)
