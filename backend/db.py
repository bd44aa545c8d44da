"""Database engine, sessions and the migrations entry point."""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, create_engine

from backend.config import PROJECT_ROOT, get_settings

ALEMBIC_INI = PROJECT_ROOT / "alembic.ini"

P = ParamSpec("P")
T = TypeVar("T")

logger = logging.getLogger(__name__)


def _on_sqlite_connect(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class _SQLiteForkGuard:
    """Forks happen only while no other thread of this process uses an SQLite connection, and
    the child inherits none.

    SQLite keeps its file locks in per-process memory. A child forked while another thread of
    its parent holds a write transaction believes that lock is still taken by a connection of
    its own, and every write it tries waits out the busy timeout and fails with "database is
    locked", for as long as it lives (a Celery pool process forked to replace a lost one while
    the sweeper thread was recording that loss never started a job). Before a fork this waits,
    up to the busy timeout, for the other threads' connections to come back to their pools,
    holds off new ones until the fork is done, and closes the pooled connections.
    """

    WAIT_SECONDS = 10.0

    def __init__(self) -> None:
        self._condition = threading.Condition()
        # Each checked-out connection (its pool record) -> the thread that checked it out. By
        # record, not by thread: a connection may come back from another thread (the GC).
        self._out: dict[int, int] = {}
        self._engines: weakref.WeakSet[Engine] = weakref.WeakSet()  # dropped with the cache
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(
                before=self._before_fork,
                after_in_parent=self._after_fork,
                after_in_child=self._after_fork_in_child,
            )

    def watch(self, engine: Engine) -> None:
        event.listen(engine, "checkout", self._checked_out)
        event.listen(engine, "checkin", self._checked_in)
        with self._condition:
            self._engines.add(engine)

    def _checked_out(self, _dbapi: object, record: object, _proxy: object) -> None:
        with self._condition:
            self._out[id(record)] = threading.get_ident()

    def _checked_in(self, _dbapi: object, record: object) -> None:
        with self._condition:
            self._out.pop(id(record), None)
            self._condition.notify_all()

    def _others_busy(self) -> bool:
        me = threading.get_ident()
        return any(thread != me for thread in self._out.values())

    def _before_fork(self) -> None:
        # Held until the fork is done, so no thread checks a connection out meanwhile.
        self._condition.acquire()
        if not self._condition.wait_for(lambda: not self._others_busy(), self.WAIT_SECONDS):
            logger.warning(
                "forking while another thread holds an SQLite connection; "
                "the child must not use the database"
            )
        for engine in list(self._engines):
            engine.pool.dispose()  # closes the connections in the pool, not checked-out ones

    def _after_fork(self) -> None:
        self._condition.release()

    def _after_fork_in_child(self) -> None:
        self._out = {}  # the other threads are not in the child
        self._condition.release()


_FORK_GUARD = _SQLiteForkGuard()


#: A process's pool settings: (DB_POOL_SIZE, DB_MAX_OVERFLOW, DB_POOL_TIMEOUT).
PoolSizes = tuple[int, int, float]


def pool_sizes() -> PoolSizes:
    """The pool settings of this process (the connection budget in backend/config.py)."""
    settings = get_settings()
    return settings.db_pool_size, settings.db_max_overflow, settings.db_pool_timeout


@lru_cache(maxsize=8)
def _engine_for(url: str) -> Engine:
    """The engine for `url`; on PostgreSQL its pool is held to the settings' sizes when it is
    made (one engine per URL and process: clear this cache after changing them)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _on_sqlite_connect)
        _FORK_GUARD.watch(engine)
        return engine
    if parsed.get_backend_name() != "postgresql":
        return create_engine(url, pool_pre_ping=True)
    size, overflow, timeout = pool_sizes()
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=size,
        max_overflow=overflow,
        pool_timeout=timeout,
        # A bounded connect, so a health check against a vanished server answers instead of
        # hanging.
        connect_args={"connect_timeout": 5},
    )


def get_engine() -> Engine:
    """The engine for the configured DATABASE_URL (one per URL, per process)."""
    return _engine_for(get_settings().resolved_database_url)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back when it raises."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def _alembic_config(url: str) -> Config:
    config = Config(str(ALEMBIC_INI))
    # Leave the host's logging alone (the app, a worker or the CLI may be calling).
    config.attributes["skip_logging"] = True
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    # ConfigParser treats % as interpolation; URLs may hold percent-escapes.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str | None:
    """The newest migration the code ships."""
    script = ScriptDirectory.from_config(_alembic_config(get_settings().resolved_database_url))
    return script.get_current_head()


def current_revision() -> str | None:
    """The migration the database is at (None for an empty database)."""
    with get_engine().connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade_database() -> bool:
    """Bring the schema to the newest migration. Returns True if anything was applied."""
    if current_revision() == head_revision():
        return False
    command.upgrade(_alembic_config(get_settings().resolved_database_url), "head")
    return True


def database_status() -> dict[str, object]:
    """Whether the database answers and whether its schema is current (for /api/health)."""
    url = make_url(get_settings().resolved_database_url)
    status: dict[str, object] = {"backend": url.get_backend_name()}
    try:
        with get_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
        current, head = current_revision(), head_revision()
        status.update(ok=True, revision=current, up_to_date=current == head)
    except Exception as exc:  # health reports any failure as data
        status.update(ok=False, error=f"{type(exc).__name__}: {exc}")
    return status


#: What SQLAlchemy raises when the database can't serve now, rather than because the request is
#: wrong: no pooled connection within DB_POOL_TIMEOUT (`TimeoutError`), or an operational
#: failure of the server or the connection to it (too many clients, connection refused or
#: closed, the server restarting; SQLite's "database is locked").
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
    sa_exc.DisconnectionError,
)


def database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database can't serve now (`DATABASE_UNAVAILABLE`, or psycopg's
    own OperationalError where it reaches us unwrapped)."""
    if isinstance(exc, DATABASE_UNAVAILABLE):
        return True
    try:
        import psycopg
    except ImportError:  # PostgreSQL's driver is optional on a SQLite-only install
        return False
    return isinstance(exc, psycopg.OperationalError)


def innermost_transaction(session: Session) -> SessionTransaction | None:
    """The transaction a write happens in now: the open savepoint, else the transaction."""
    return session.get_nested_transaction() or session.get_transaction()


def within(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    """Whether `transaction` is `outer` or a savepoint inside it.

    For what a write leaves to do after the commit (a job to publish, a file to keep): a
    rolled-back savepoint takes its own, never the enclosing transaction's. Note that SQLAlchemy
    calls `after_commit` and `after_rollback` for savepoints too; `after_commit` hooks check
    `session.in_nested_transaction()`, rollbacks go through `after_soft_rollback` and this.
    """
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


def own_transaction(inner: Callable[Concatenate[Session, P], T]) -> Callable[P, T]:
    """The write action `inner(session, ...)` as doors call it: in its own transaction.

    The one convention for writes (Zulip's `do_*` actions): every public write action opens
    its own `session_scope()`, so a door (page state, CLI command, HTTP route, webhook, job)
    passes an actor and arguments, never a Session, and never commits. Each action is written
    once as `<name>_in(session, ...)`, which works inside the caller's transaction and never
    commits; a backend service that composes several actions in one transaction calls those
    `_in` forms, and the module publishes `<name> = own_transaction(<name>_in)` for doors.
    The returned rows are detached (`expire_on_commit=False`): their columns stay readable.
    """

    def action(*args: P.args, **kwargs: P.kwargs) -> T:
        with session_scope() as session:
            return inner(session, *args, **kwargs)

    action.__name__ = action.__qualname__ = inner.__name__.removesuffix("_in")
    action.__module__ = inner.__module__
    action.__doc__ = inner.__doc__
    return action
