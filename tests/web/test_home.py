"""The start page (the dashboard) in Chromium: the login it needs, object counts, a database
that is down, and the API mounted next to the pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from backend import config, db
from backend.access import audit
from backend.objects.store import create_object_in
from tests.web.conftest import ADMIN, make_user, sign_in

pytestmark = pytest.mark.browser

MAIN_PY = 'def hello(name: str) -> str:\n    """Greet someone."""\n    return f"hello {name}"\n'


def test_home_needs_a_login(harness, app_db: Path, home: Page) -> None:
    home.goto(harness.frontend_url)
    expect(home).to_have_url(re.compile(r"/login/?$"))
    expect(home.locator("#login-form")).to_be_visible()
    assert home.console_errors == []


def test_home_counts_objects_from_the_database(admin_page: Page) -> None:
    expect(admin_page.locator("#count-objects .stat-value")).to_have_text("0")
    with db.session_scope() as session:
        for slug, kind in (("weather-report", "endpoint"), ("add-numbers", "library")):
            create_object_in(
                session,
                slug=slug,
                name=slug.replace("-", " ").capitalize(),
                files={"main.py": MAIN_PY},
                kind=kind,
                actor=audit.SYSTEM,
            )
    # Live: the counts follow the database without a reload.
    expect(admin_page.locator("#count-objects .stat-value")).to_have_text("2")
    expect(admin_page.locator("#count-draft .stat-value")).to_have_text("2")
    expect(admin_page.locator("#count-deployed .stat-value")).to_have_text("0")
    assert admin_page.console_errors == []  # type: ignore[attr-defined]


def test_home_says_when_the_database_is_unreachable(
    harness, app_db: Path, home: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_id = make_user(ADMIN)
    sign_in(home, harness, user_id)
    # Nothing listens on port 1: the connection is refused at once.
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/nothing")
    config.reload_settings()
    try:
        home.reload()
        error = home.locator("#auth-error")
        expect(error).to_be_visible()
        expect(error).to_contain_text("The database is unreachable")
        expect(home).to_have_url(re.compile(r"/login/?$"))
    finally:
        db._engine_for.cache_clear()
        monkeypatch.undo()
        config.reload_settings()


def test_api_health_is_served_by_the_reflex_backend(harness, app_db: Path, page: Page) -> None:
    """The Starlette API is mounted around Reflex (rx.App(api_transformer=...)); asked from
    the browser (which also keeps this test with the other Chromium tests, so pytest does not
    start the harness a second time for it)."""
    from reflex.config import get_config

    response = page.request.get(f"{get_config().api_url}/api/health", timeout=10_000)

    assert response.status == 200
    body = response.json()
    assert body["database"]["ok"] is True
    assert body["database"]["revision"] == db.head_revision()
    assert body["broker"] == {
        "url_kind": "embedded",
        "url": f"sqla+sqlite:///{app_db / 'broker.sqlite'}",
        "ok": True,
    }
