"""Shared fixtures: a fresh database per test on SQLite and, where asked, on PostgreSQL.

PostgreSQL tests get a database of their own on TEST_POSTGRES_URL's server (by default the
one this machine runs on 127.0.0.1:5432). Where no server answers, they are skipped with the
reason, except under CI, where that is a failure.

A migrated database is a copy of one migrated once per session (a PostgreSQL template, a
SQLite file): running the migrations costs ~0.5 s, and most tests want a migrated database.
On PostgreSQL each process copies the template once and, after each test, puts its copy back
as the template was under a new name (tests/support/postgres_copies.py: ending its
connections, renaming it and emptying the tables the test wrote cost less than dropping it
and copying the template again); a copy a test changed more deeply is dropped instead. An
empty database is created for its test and dropped afterwards.
tests/backend/test_migrations.py runs the migrations from an empty database every time.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import backend.assistant  # noqa: F401  (subscribes its reports to events, as every door does)
import tasks.dispatch  # noqa: F401  (registers the job runner, as every door does)
from backend import config, db
from backend.metrics import record
from tests.support.databases import copy_sqlite_template
from tests.support.phone_world import world  # noqa: F401  (the phone and SMS tests' fixture)
from tests.support.postgres_copies import PostgresCopies
from tests.support.prism import prism, prism_twilio  # noqa: F401  (mock vendor APIs, tests/support/prism.py)

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["sqlite", "postgresql"]


#: Test files that share something no two processes may use at once, by the group they run in
#: under pytest-xdist (`make test` runs two workers): the browser tests' in-process Reflex app
#: (built into .web-tests/, which a second build on the other worker would delete under it),
#: the whole product that tests/support/running_product.py builds into .web-product/, and the
#: cluster's processes. They are one group, so only one front end is built or driven at a
#: time. The first prefix that matches wins. Every other file is a group of its own, so a
#: module's fixtures are set up once. `pytest_xdist_make_scheduler` below hands out whole
#: groups.
SHARED_GROUPS = {
    "tests/web/": "front-end",
    "tests/test_cluster.py": "front-end",
}


#: Groups whose first test also waits for a production build of the front end (Vite, under a
#: minute on a quiet machine; several on a loaded one): 600 s a test instead of pyproject's 300.
BUILDING_GROUPS = {"front-end"}
#: The longest group, started first so that no worker is left with it at the end (`make test`
#: passes --no-loadscope-reorder, so xdist keeps this order).
LONGEST_FIRST = ["front-end"]


def group_of(nodeid: str) -> str:
    """The group a test runs in: its SHARED_GROUPS group, else its file."""
    path = nodeid.split("::")[0]
    return next((g for prefix, g in SHARED_GROUPS.items() if path.startswith(prefix)), path)


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """Whole groups to a worker, one group at a time.

    Not `--dist loadgroup` with `xdist_group` marks: those marks, added here at collection,
    never reached the scheduler (the test ids had no `@group`), so each test was scheduled on
    its own and the browser tests ran on both workers, one worker's build of .web-tests/
    deleting the pages the other was serving (sign-ins that ended on the login page, 500s
    "StaticFiles directory ... does not exist").
    """
    from xdist.scheduler import LoadScopeScheduling

    class ByGroup(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid)

    return ByGroup(config, log)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    groups = {}
    for item in items:
        group = group_of(item.nodeid)
        if group in BUILDING_GROUPS and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(600))
        groups[item] = group
    rank = {group: index for index, group in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(groups[item], len(rank)))  # stable: else as collected


@pytest.fixture(autouse=True)
def _environment_restored() -> Iterator[None]:
    """Put the environment back as it was before each test, after every other fixture's
    teardown (autouse: set up first, torn down last).

    Two patches undone in the wrong order leak: a test's `monkeypatch.setenv` records the value
    a fixture's own patch had put there, and restores it after that fixture already cleaned
    up. That once left a stopped LLM server's URL configured for the browser tests that ran
    later in the same process.
    """
    saved = _own_environment()
    yield
    now = _own_environment()
    if now == saved:
        return
    for name in now.keys() - saved.keys():
        del os.environ[name]
    os.environ.update(saved)
    config.reload_settings()


@pytest.fixture(autouse=True)
def _call_metrics_forgotten() -> Iterator[None]:
    """Calls of objects a test made and did not write are forgotten when it ends: the process's
    flusher would otherwise write them into whatever database the next test uses."""
    yield
    record.discard()


def _own_environment() -> dict[str, str]:
    """os.environ without the variable pytest itself sets and removes around each phase."""
    return {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}


def _postgres_reachable() -> str | None:
    """None if the PostgreSQL server answers, else why not."""
    try:
        engine = create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure means "not here"
        return f"PostgreSQL at {POSTGRES_ADMIN_URL} unreachable: {exc.__class__.__name__}"


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The admin URL of a PostgreSQL server that answers."""
    reason = _postgres_reachable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return POSTGRES_ADMIN_URL


def _create_database(admin_url: str, name: str) -> str:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _drop_database(admin_url: str, name: str) -> None:
    db._engine_for.cache_clear()
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_template(postgres_server: str) -> Iterator[str]:
    """A database migrated once per session; tests that want a migrated one get a copy."""
    name = f"dobj_template_{uuid.uuid4().hex[:12]}"
    url = _create_database(postgres_server, name)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", url)
        config.reload_settings()
        db.upgrade_database()
        db.get_engine().dispose()  # a template must have no open connections
    config.reload_settings()
    try:
        yield name
    finally:
        _drop_database(postgres_server, name)


@pytest.fixture(scope="session")
def postgres_copies(postgres_server: str, postgres_template: str) -> Iterator[PostgresCopies]:
    """This process's migrated database, put back as the template was after each test
    (tests/support/postgres_copies.py); each xdist worker has its own."""
    copies = PostgresCopies(postgres_server, postgres_template)
    try:
        yield copies
    finally:
        copies.close()


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest, postgres_server: str) -> Iterator[str]:
    """A PostgreSQL database for one test, by a name of its own: equal to the migrated template
    if the test asked for a migrated one (see `PostgresCopies`), else fresh and empty."""
    if "migrated_db" in request.fixturenames:
        copies = request.getfixturevalue("postgres_copies")
        url = copies.take()
        try:
            yield url
        finally:
            db._engine_for.cache_clear()
            copies.give_back(url)
        return
    name = f"dobj_test_{uuid.uuid4().hex[:12]}"
    url = _create_database(postgres_server, name)
    try:
        yield url
    finally:
        _drop_database(postgres_server, name)


def _use_settings(monkeypatch: pytest.MonkeyPatch, data_dir: Path, database_url: str) -> None:
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("REDIS_URL", raising=False)
    config.reload_settings()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, data_dir: Path) -> str:
    """An empty database URL, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{data_dir / 'app.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def empty_db(monkeypatch: pytest.MonkeyPatch, data_dir: Path, database_url: str) -> str:
    """Settings pointed at an empty database (no schema yet) and a fresh data folder."""
    _use_settings(monkeypatch, data_dir, database_url)
    yield database_url
    db._engine_for.cache_clear()
    config.reload_settings()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per session; `copy_sqlite_template` gives a test its copy."""
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "app.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATA_DIR", str(folder))
        patch.setenv("DATABASE_URL", f"sqlite:///{path}")
        config.reload_settings()
        db.upgrade_database()
        db.get_engine().dispose()
        db._engine_for.cache_clear()
    config.reload_settings()
    # Everything in the one file (WAL checkpointed), so a plain copy is the whole database.
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return path


@pytest.fixture
def migrated_db(request: pytest.FixtureRequest, empty_db: str) -> str:
    """Settings pointed at a database brought to the newest migration (PostgreSQL: a copy of
    the session's template database, see `postgres_url`; SQLite: of `sqlite_template`)."""
    url = make_url(empty_db)
    if url.get_backend_name() == "sqlite":
        copy_sqlite_template(request.getfixturevalue("sqlite_template"), Path(url.database))
    return empty_db


@pytest.fixture
def sqlite_db(monkeypatch: pytest.MonkeyPatch, data_dir: Path, sqlite_template: Path) -> str:
    """A migrated SQLite database only, for tests where the backend doesn't matter."""
    url = f"sqlite:///{data_dir / 'app.db'}"
    _use_settings(monkeypatch, data_dir, url)
    copy_sqlite_template(sqlite_template, data_dir / "app.db")
    yield url
    db._engine_for.cache_clear()
    config.reload_settings()
