"""Without an LLM, in Chromium: asking for a change or a new object says up front that an
LLM is needed and which settings to set, with the request box disabled; Settings does not
claim the LLM judges are on."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from backend import db
from backend.access import audit
from backend.objects.store import create_object_in
from tests.web.conftest import screenshot

pytest_plugins = ["tests.support.llm_fixtures"]

pytestmark = pytest.mark.browser

MAIN_PY = 'def hello(name: str) -> str:\n    """Greet someone."""\n    return f"hello {name}"\n'
SETTINGS_NAMED = ("OPENAI_BASE_URL", "OPENAI_API_KEY")


def _url(harness, path: str) -> str:
    return harness.frontend_url.rstrip("/") + path


def _modify_tab(page: Page, harness) -> None:
    """greeter's Modify tab."""
    with db.session_scope() as session:
        create_object_in(
            session, slug="greeter", name="Greeter", files={"main.py": MAIN_PY}, actor=audit.SYSTEM
        )
    page.goto(_url(harness, "/objects/greeter"))
    page.click("#tab-modify")


def _says_an_llm_is_needed(notice, what: str) -> None:
    expect(notice).to_contain_text(f"{what} needs an LLM, and none is configured")
    for name in SETTINGS_NAMED:
        expect(notice).to_contain_text(name)


def test_the_modify_tab_says_an_llm_is_needed_before_anything_is_written(
    admin_page: Page, harness, no_llm
) -> None:
    page = admin_page
    _modify_tab(page, harness)
    _says_an_llm_is_needed(page.locator("#modify-llm-missing"), "Changing objects")
    expect(page.locator("#modify-prompt")).to_be_disabled()
    expect(page.locator("#modify-submit")).to_be_disabled()
    screenshot(page, "object-modify-no-llm")


def test_create_from_scratch_says_so_too(admin_page: Page, harness, no_llm) -> None:
    page = admin_page
    page.goto(_url(harness, "/objects"))
    page.click("#scratch-button")
    _says_an_llm_is_needed(page.locator("#scratch-llm-missing"), "Writing new objects")
    expect(page.locator("#scratch-requirements")).to_be_disabled()
    expect(page.locator("#scratch-submit")).to_be_disabled()


def test_settings_say_the_llm_judges_are_off(admin_page: Page, harness, no_llm) -> None:
    page = admin_page
    page.goto(_url(harness, "/settings"))
    limits = page.locator("#settings-limits")
    expect(limits).to_contain_text("LLM judges")
    expect(limits).to_contain_text("off: no LLM is configured")


def test_with_an_llm_the_request_box_is_open(admin_page: Page, harness, scripted_llm) -> None:
    page = admin_page
    _modify_tab(page, harness)
    expect(page.locator("#modify-prompt")).to_be_enabled()
    expect(page.locator("#modify-llm-missing")).to_have_count(0)
