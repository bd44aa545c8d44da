"""Which tables a committed transaction changed, told to whoever asked to hear it.

Live pages need to know when the rows behind them changed, whichever code changed them (a
job's progress, a pipeline's attempt, an event). Rather than every writer naming what it
touched, SQLAlchemy's session events collect the tables each transaction wrote, through
the unit of work (added, changed, deleted objects) and through ORM-enabled bulk statements
(`session.execute(update(Task)...)`), and after the commit the listeners get their names.

Nothing is collected until the first `listen()`; a process that never listens (the CLI, the
tests that don't need it) pays nothing. Listeners run in the committing thread, after the
data is durable, and must be quick: hand the work to another thread or loop. An exception in
one is logged and does not reach the code that committed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction

logger = logging.getLogger(__name__)

Listener = Callable[[frozenset[str]], None]

_INFO_KEY = "changed_tables"
_listeners: list[Listener] = []
_lock = threading.Lock()
_installed = False


def listen(listener: Listener) -> None:
    """Call `listener(tables)` after every commit that wrote to `tables` (in any session)."""
    global _installed
    with _lock:
        if listener not in _listeners:
            _listeners.append(listener)
        if not _installed:
            event.listen(Session, "after_flush", _after_flush)
            event.listen(Session, "do_orm_execute", _on_execute)
            event.listen(Session, "after_commit", _after_commit)
            event.listen(Session, "after_transaction_end", _after_transaction_end)
            _installed = True


def unlisten(listener: Listener) -> None:
    """Stop calling `listener` (unknown listeners are ignored)."""
    with _lock:
        if listener in _listeners:
            _listeners.remove(listener)


def _note(session: Session, tables: set[str]) -> None:
    if tables:
        session.info.setdefault(_INFO_KEY, set()).update(tables)


def _after_flush(session: Session, _context: UOWTransaction) -> None:
    touched = (*session.new, *session.dirty, *session.deleted)
    _note(session, {obj.__table__.name for obj in touched if hasattr(obj, "__table__")})


def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    mapper = state.bind_mapper
    if mapper is not None and mapper.local_table is not None:
        _note(state.session, {mapper.local_table.name})


def _after_commit(session: Session) -> None:
    # SQLAlchemy calls this when a savepoint is released too (each subscriber of an action
    # runs in one): the outer transaction is still open, so its rows are not visible yet. Its
    # tables are told once, when the outermost transaction commits.
    if session.in_nested_transaction():
        return
    tables = frozenset(session.info.pop(_INFO_KEY, ()))
    if not tables:
        return
    with _lock:
        listeners = list(_listeners)
    for listener in listeners:
        try:
            listener(tables)
        except Exception:
            logger.exception("a change listener failed for %s", sorted(tables))


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended without a commit (rolled back, or the session closed):
    # its writes are gone, so are the notes. A savepoint's end keeps them.
    if transaction.parent is None:
        session.info.pop(_INFO_KEY, None)
