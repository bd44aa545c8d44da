"""The code editor as a person types in it: Python's indentation, the code's problems shown
as it is typed, and versions that don't parse said to be so wherever they appear."""

from __future__ import annotations

import ast
import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from backend import db
from backend.access.audit import SYSTEM
from backend.enums import JobKind
from backend.objects.store import create_object_in, get_version
from tests.web.conftest import screenshot
from tests.web.test_objects import (
    MAIN_PY,
    SLOW,
    _make_object,
    _no_error_on_page,
    _run_latest_job,
    _url,
)

pytestmark = pytest.mark.browser

TOAST = "[data-sonner-toast]"


def _open_editor_at_the_end(page: Page, harness) -> None:
    """The greeter object's main.py in the editor, the cursor on its empty last line."""
    _make_object()
    page.goto(_url(harness, "/objects/greeter"))
    lines = page.locator("#code-editor .view-lines")
    expect(lines).to_contain_text("def hello")
    # Checked as soon as it is shown, before anyone types.
    expect(page.locator("#editor-problems")).to_contain_text("No problems found.")
    lines.click()
    page.keyboard.press("Control+End")


def _saved_main(slug: str = "greeter") -> str:
    with db.session_scope() as session:
        return get_version(session, slug).files["main.py"]


def test_typing_python_indents_after_a_colon_and_dedents_where_a_block_ends(
    admin_page: Page, harness
) -> None:
    page = admin_page
    _open_editor_at_the_end(page, harness)
    # Typed key by key, as a person would, never an indent: Enter after a colon goes one level
    # (4 spaces) in, `else:` moves back to its `if`, Enter after pass or return goes one
    # level out, and blank lines keep that. Monaco closes the brackets itself.
    page.keyboard.type("\ndef f(x):\ny = 0\nif x:\ny = 1\nelse:\npass\nreturn y\n\n\nY = f(1)\n")
    expect(page.locator("#code-editor .view-lines")).to_contain_text("Y = f(1)")
    page.fill("#save-message", "Add f")
    page.click("#save-version")
    expect(page.locator("#object-version")).to_contain_text("v2")

    saved = _saved_main()
    ast.parse(saved)
    assert saved == MAIN_PY + (
        "\ndef f(x):\n"
        "    y = 0\n"
        "    if x:\n"
        "        y = 1\n"
        "    else:\n"
        "        pass\n"
        "    return y\n"
        "\n"
        "\n"
        "Y = f(1)\n"
    )
    # Let its evaluation run to the end, so the page stops following it.
    _run_latest_job(JobKind.VERSION_EVALUATE).join(timeout=120)
    expect(page.locator("#save-evaluation")).to_be_visible(timeout=SLOW)
    _no_error_on_page(page)


def test_problems_are_marked_and_listed_as_they_are_typed(admin_page: Page, harness) -> None:
    page = admin_page
    _open_editor_at_the_end(page, harness)
    problems = page.locator("#editor-problems")
    page.keyboard.type("\ndef g(y)\n")
    expect(problems).to_contain_text("Error: line 5: expected ':'")
    expect(page.locator("#code-editor .squiggly-error").first).to_be_attached()
    expect(page.locator("#editor-problems[role=status]")).to_be_attached()
    screenshot(page, "object-code-syntax-error")

    # Fixed where it was typed: the marker goes.
    page.keyboard.press("ArrowUp")
    page.keyboard.press("End")
    page.keyboard.type(":\nreturn y")
    expect(problems).to_contain_text("No problems found.")
    expect(page.locator("#code-editor .squiggly-error")).to_have_count(0)

    # A ruff finding, as the evaluator reports it (ruff reports none while the code doesn't
    # parse).
    page.keyboard.press("Control+Home")
    page.keyboard.type("import os\n")
    expect(problems).to_contain_text("Warning: line 1: F401 `os` imported but unused")
    expect(page.locator("#code-editor .squiggly-warning").first).to_be_attached()
    screenshot(page, "object-code-problems")

    # Saved broken anyway: it is stored, and said not to parse wherever the version shows.
    page.keyboard.press("Control+End")
    page.keyboard.type("x = = 1")
    expect(problems).to_contain_text("Error: line 8: invalid syntax")
    error = "main.py line 8: invalid syntax"
    page.keyboard.press("Control+s")
    expect(page.locator(TOAST).filter(has_text="v2, but it does not parse")).to_contain_text(error)
    expect(page.locator("#object-parse-error")).to_contain_text(error)
    expect(problems).to_contain_text("Error: line 8: invalid syntax")  # v2's own check
    page.click("#tab-versions")
    expect(page.locator("#version-row-2")).to_contain_text(f"does not parse{error}")
    expect(page.locator("#version-row-1")).to_contain_text("hello(name: str) -> str")
    expect(page.locator("#version-row-1 .does-not-parse")).to_have_count(0)
    _no_error_on_page(page)


def test_an_object_created_with_a_syntax_error_says_so(admin_page: Page, harness) -> None:
    page = admin_page
    page.goto(_url(harness, "/objects"))
    page.click("#new-object-button")
    page.fill("#new-slug", "area")
    page.fill("#new-name", "Area")
    page.fill("#new-main", "def area(width: float) -> float\n    return width\n")
    page.click("#new-submit")
    expect(page).to_have_url(_url(harness, "/objects/area"))
    error = "main.py line 1: expected ':'"
    expect(page.locator(TOAST).filter(has_text="Created area v1")).to_contain_text(
        f"but it does not parse: {error}"
    )
    expect(page.locator("#object-parse-error")).to_contain_text(error)
    expect(page.locator("#editor-problems")).to_contain_text("Error: line 1: expected ':'")
    page.goto(_url(harness, "/objects"))
    badge = page.locator("#object-row-area .does-not-parse")
    expect(badge).to_have_text("does not parse")
    expect(badge).to_have_attribute("title", error)
    _no_error_on_page(page)


#: An object whose words start like Python's (`password` like `pass`, `returns` like
#: `return`): Monaco's word suggestions pop up while those keywords are typed.
CHECKER_PY = (
    'def check(password: str) -> bool:\n    """Whether the password passes; returns it."""\n'
    "    return len(password) > 8\n"
)


@contextlib.contextmanager
def _busy_cpus() -> Iterator[None]:
    """Every CPU of the machine busy with a spinning process, as on a loaded machine."""
    spinners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"])
        for _ in range(os.cpu_count() or 2)
    ]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def test_typing_on_a_busy_machine_loses_no_character(admin_page: Page, harness) -> None:
    page = admin_page
    with db.session_scope() as session:
        create_object_in(
            session, slug="checker", name="Checker", files={"main.py": CHECKER_PY}, actor=SYSTEM
        )
    page.goto(_url(harness, "/objects/checker"))
    lines = page.locator("#code-editor .view-lines")
    expect(lines).to_contain_text("def check")
    lines.click()
    page.keyboard.press("Control+End")
    with _busy_cpus():
        # `pass`, Enter, `return y` once saved "passreturn y"; saved at once with Ctrl+S, as
        # people do, without waiting for anything.
        page.keyboard.type("\ndef f(y):\nif y:\npass\nreturn y\n\n\nPASSWORD = f(1)\n")
        page.keyboard.press("Control+s")
        expect(page.locator("#object-version")).to_contain_text("v2", timeout=SLOW)
    assert _saved_main("checker") == CHECKER_PY + (
        "\ndef f(y):\n    if y:\n        pass\n    return y\n\n\nPASSWORD = f(1)\n"
    )
    _run_latest_job(JobKind.VERSION_EVALUATE).join(timeout=120)
    expect(page.locator("#save-evaluation")).to_be_visible(timeout=SLOW)
    _no_error_on_page(page)
