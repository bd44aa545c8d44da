"""The home page in Chromium: the objects table, the empty state, the database error."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from backend import audit, config, db
from backend.objects.store import create_object

pytestmark = pytest.mark.browser

MAIN_PY = 'def hello(name: str) -> str:\n    """Greet someone."""\n    return f"hello {name}"\n'


def open_home(page: Page, url: str) -> None:
    page.goto(url)
    # The table, the empty state and the error all appear only once on_load's answer has
    # come back over the websocket: seeing one of them means the page is connected.
    expect(page.locator("#objects-table, #objects-empty, #objects-error")).to_be_visible()


def test_home_shows_the_empty_state_without_objects(harness, app_db: Path, home: Page) -> None:
    open_home(home, harness.frontend_url)

    empty = home.locator("#objects-empty")
    expect(empty).to_be_visible()
    expect(empty).to_contain_text("No durable objects yet")
    expect(home.locator("#objects-table")).to_have_count(0)
    expect(home.locator("#objects-error")).to_have_count(0)
    assert home.console_errors == []


def test_home_lists_objects_from_the_database(harness, app_db: Path, home: Page) -> None:
    with db.session_scope() as session:
        create_object(
            session,
            slug="weather-report",
            name="Weather report",
            files={"main.py": MAIN_PY},
            actor=audit.SYSTEM,
        )
        create_object(
            session,
            slug="add-numbers",
            name="Add numbers",
            files={"main.py": MAIN_PY},
            kind="library",
            actor=audit.SYSTEM,
        )

    open_home(home, harness.frontend_url)

    table = home.locator("#objects-table")
    expect(table).to_be_visible()
    expect(home.locator("#objects-empty")).to_have_count(0)
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(2)
    # Ordered by slug.
    expect(rows.nth(0).locator(".object-slug")).to_have_text("add-numbers")
    expect(rows.nth(0).locator(".object-name")).to_have_text("Add numbers")
    expect(rows.nth(0)).to_contain_text("library")
    expect(rows.nth(1).locator(".object-slug")).to_have_text("weather-report")
    expect(rows.nth(1).locator(".object-name")).to_have_text("Weather report")
    for row in (rows.nth(0), rows.nth(1)):
        expect(row).to_contain_text("draft")
        expect(row).to_contain_text("v1")
        expect(row).to_contain_text("UTC")
    expect(rows.nth(1)).to_contain_text("endpoint")
    assert home.console_errors == []


def test_home_says_when_the_database_is_unreachable(
    harness, home: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing listens on port 1: the connection is refused at once.
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/nothing")
    config.reload_settings()
    try:
        open_home(home, harness.frontend_url)

        error = home.locator("#objects-error")
        expect(error).to_be_visible()
        expect(error).to_contain_text("The database is unreachable")
        expect(home.locator("#objects-table")).to_have_count(0)
        expect(home.locator("#objects-empty")).to_have_count(0)
    finally:
        db._engine_for.cache_clear()
        monkeypatch.undo()
        config.reload_settings()


def test_api_health_is_served_by_the_reflex_backend(harness, app_db: Path) -> None:
    """The Starlette API is mounted around Reflex (rx.App(api_transformer=...))."""
    from reflex.config import get_config

    response = httpx.get(f"{get_config().api_url}/api/health", timeout=10)

    assert response.status_code == 200
    body = response.json()
    assert body["database"]["ok"] is True
    assert body["database"]["revision"] == db.head_revision()
    assert body["broker"] == {
        "url_kind": "embedded",
        "url": f"sqla+sqlite:///{app_db / 'broker.sqlite'}",
        "ok": True,
    }
