"""Dialogs in Chromium: fields as wide as the dialog, code in a monospace field that doesn't
wrap, the buttons in view however tall the form or its error, and open only when asked."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import screenshot

pytestmark = pytest.mark.browser

LONG_LINE = "def f():\n    return " + " + ".join(str(n) for n in range(80)) + "\n"


def _url(harness, path: str) -> str:
    return harness.frontend_url.rstrip("/") + path


def test_the_new_object_dialog_fits_the_screen(admin_page: Page, harness) -> None:
    page = admin_page
    page.set_viewport_size({"width": 1024, "height": 560})  # shorter than the whole form
    page.goto(_url(harness, "/objects"))
    page.click("#new-object-button")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    width = dialog.locator(".dialog-body").bounding_box()["width"]
    for field in ("#new-slug", "#new-name", "#new-description", "#new-kind", "#new-main"):
        box = page.locator(field).bounding_box()
        assert box is not None and box["width"] > 0.9 * width, field

    code = page.locator("#new-main")
    page.fill("#new-slug", "Bad Slug!")
    page.fill("#new-name", "Greeter")
    code.fill(LONG_LINE)
    assert "mono" in code.evaluate("e => getComputedStyle(e).fontFamily").lower()
    assert code.evaluate("e => e.scrollWidth > e.clientWidth"), "a long line scrolls, not wraps"

    page.click("#new-submit")
    expect(page.locator("#new-error")).to_contain_text("must be lowercase")
    # The error and the buttons stay on screen; the fields scroll above them.
    expect(page.locator("#new-error")).to_be_in_viewport()
    expect(page.locator("#new-submit")).to_be_in_viewport()
    box = dialog.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 560
    screenshot(page, "dialog-new-object")


def test_a_dialog_opens_only_when_asked(admin_page: Page, harness) -> None:
    page = admin_page
    page.goto(_url(harness, "/objects"))
    page.click("#new-object-button")
    expect(page.get_by_role("dialog")).to_be_visible()
    page.reload()  # left open before a reload: not brought back, empty
    expect(page.locator("#objects-empty")).to_be_visible()
    expect(page.get_by_role("dialog")).to_have_count(0)

    page.click("#scratch-button")
    expect(page.get_by_role("dialog")).to_contain_text("Create from scratch")
    expect(page.get_by_role("dialog").get_by_role("button", name="Cancel")).to_be_visible()
    page.keyboard.press("Escape")
    page.click("#new-object-button")
    expect(page.get_by_role("dialog")).to_contain_text("New object")
    # Away and back, without a reload: still closed.
    page.goto(_url(harness, "/tasks"))
    page.locator("#sidebar").get_by_role("link", name="Objects", exact=True).click()
    expect(page.locator("#objects-empty")).to_be_visible()
    expect(page.get_by_role("dialog")).to_have_count(0)
