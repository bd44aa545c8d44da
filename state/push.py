"""Push fresh data into open tabs when the rows behind them change (needs REFLEX_REDIS_URL).

Without Redis only the web process knows its tabs, so live pages poll (see `state.live`).
With Redis, any process can change a tab's state through `app.modify_state`, and Reflex
relays the delta to whichever backend process holds the tab's socket. So:

1. A live page registers its tab in a Redis hash: which state it shows and which tables
   that state reads (`register`, renewed by the page's loop, expiring on its own).
2. Every process that writes (the web app's backend workers, each Celery pool process)
   hears from `backend.changes` which tables a commit touched, and re-reads the data of
   each registered tab that reads one of them, inside `app.modify_state`: the state's own
   `_live_query` / `_live_apply`, so a push and a poll show the same thing.

Bursts of commits are merged: while one push runs, later changes wait and go as one.
Celery pool processes push from a thread of their own with one event loop for the life of
the process (the app's Redis client stays bound to the loop it first ran on); the web app
pushes on its own running loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import reflex as rx

from backend import changes

logger = logging.getLogger(__name__)

WATCHERS_KEY = "durable-objects:live-watchers"


@functools.cache
def _redis() -> Any:
    from reflex.utils.prerequisites import get_redis_sync

    return get_redis_sync()


def enabled() -> bool:
    """Whether pushes can reach tabs: Reflex keeps its state in Redis (REFLEX_REDIS_URL)."""
    return _redis() is not None


# --- the registry of watching tabs ---------------------------------------------------------


def _field(token: str, state_name: str) -> str:
    return f"{token}|{state_name}"


def register(token: str, state_name: str, tables: Iterable[str], ttl: float) -> None:
    """Note that tab `token` shows state `state_name`, which reads `tables`, for `ttl` s."""
    value = json.dumps({"tables": sorted(tables), "until": time.time() + ttl})
    _redis().hset(WATCHERS_KEY, _field(token, state_name), value)


def unregister(token: str, state_name: str) -> None:
    """The tab no longer shows the state (left the page, closed, replaced by a newer loop)."""
    _redis().hdel(WATCHERS_KEY, _field(token, state_name))


def watchers(tables: Iterable[str]) -> list[tuple[str, str]]:
    """(token, state name) of the registered tabs reading any of `tables`; drops the expired."""
    wanted, now = set(tables), time.time()
    found, expired = [], []
    for field, value in _redis().hgetall(WATCHERS_KEY).items():
        field = field.decode() if isinstance(field, bytes) else field
        entry = json.loads(value)
        if entry["until"] < now:
            expired.append(field)
        elif wanted.intersection(entry["tables"]):
            token, _, state_name = field.partition("|")
            found.append((token, state_name))
    if expired:
        _redis().hdel(WATCHERS_KEY, *expired)
    return found


# --- pushing ----------------------------------------------------------------------------------


#: While Redis is away, say so at most this often (each commit would try to push).
UNREACHABLE_SAID_EVERY_SECONDS = 30.0
_unreachable_said_at: float | None = None


def _say_unreachable(exc: Exception) -> None:
    global _unreachable_said_at
    now = time.monotonic()
    if _unreachable_said_at is None or now - _unreachable_said_at >= UNREACHABLE_SAID_EVERY_SECONDS:
        _unreachable_said_at = now
        logger.warning(
            "live pages: Redis does not answer (%s); no pushes until it is back, open pages "
            "re-read on their own meanwhile",
            exc,
        )


async def push(app: rx.App, tables: frozenset[str]) -> int:
    """Refresh every registered tab that reads one of `tables`; how many were refreshed.

    Redis away (restarting, say): nothing is pushed, one line says so now and then, and
    the pages keep re-reading on their own (LIVE_PUSH_FALLBACK_SECONDS).
    """
    from redis.exceptions import RedisError

    try:
        watching = await asyncio.to_thread(watchers, tables)
    except RedisError as exc:
        _say_unreachable(exc)
        return 0
    pushed = 0
    for token, state_name in watching:
        try:
            # Outside an event, the state classes are known only inside the app's contexts.
            with app.set_contexts():
                cls = rx.State.get_class_substate(state_name)
                async with app.modify_state(rx.BaseStateToken(ident=token, cls=cls)) as root:
                    state = await root.get_state(cls)
                    query = state._live_query()  # type: ignore[attr-defined]
                    state._live_apply(await asyncio.to_thread(query))  # type: ignore[attr-defined]
            pushed += 1
        except Exception:
            # One tab's failure (a renamed state after a deploy, a database hiccup) must not
            # keep the others stale; its own loop re-reads later anyway.
            logger.exception("could not push %s to tab %s", state_name, token)
    return pushed


class _Pending:
    """Tables changed since the last push, added from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tables: set[str] = set()

    def add(self, tables: frozenset[str]) -> bool:
        """Add `tables`; True when nothing was pending (the caller must schedule a push)."""
        with self._lock:
            first = not self._tables
            self._tables |= tables
            return first

    def take(self) -> frozenset[str]:
        with self._lock:
            taken, self._tables = frozenset(self._tables), set()
            return taken


class LoopPusher:
    """Pushes on a running event loop (the web app's): commits in any of its threads count."""

    def __init__(self, app: rx.App, loop: asyncio.AbstractEventLoop) -> None:
        self._app, self._loop, self._pending = app, loop, _Pending()

    def __call__(self, tables: frozenset[str]) -> None:
        if self._pending.add(tables) and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._loop.create_task, self._flush())

    async def _flush(self) -> None:
        tables = self._pending.take()
        if tables:
            await push(self._app, tables)


class ThreadPusher:
    """Pushes from a thread of its own, with one event loop for the process's life (for
    Celery pool processes, whose jobs are synchronous). The app is imported in that thread,
    after the fork, so its Redis clients belong to this process and this loop."""

    def __init__(self, load_app: Callable[[], rx.App]) -> None:
        self._load_app = load_app
        self._pending = _Pending()
        self._wake = threading.Event()
        self._pid = 0
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the thread in this process (again after a fork: threads don't survive it)."""
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            threading.Thread(target=self._run, name="live-push", daemon=True).start()

    def __call__(self, tables: frozenset[str]) -> None:
        self.start()
        self._pending.add(tables)
        self._wake.set()

    def _run(self) -> None:
        with asyncio.Runner() as runner:
            try:
                app = self._load_app()
            except Exception:
                logger.exception("live pages won't get pushes from this process: no app")
                changes.unlisten(self)
                return
            while True:
                self._wake.wait()
                self._wake.clear()
                tables = self._pending.take()
                if not tables:
                    continue
                try:
                    runner.run(push(app, tables))
                except Exception:
                    logger.exception("pushing changes of %s failed", sorted(tables))


def load_project_app() -> rx.App:
    """The project's Reflex app, imported the way `reflex run` does (rxconfig in the cwd)."""
    from reflex.utils.prerequisites import get_and_validate_app

    return get_and_validate_app().app


def start_in_worker() -> ThreadPusher | None:
    """In a Celery pool process: push this process's commits to tabs (None without Redis)."""
    if not enabled():
        return None
    pusher = ThreadPusher(load_project_app)
    pusher.start()  # import the app now, before the first job needs a push
    changes.listen(pusher)
    return pusher


@contextlib.asynccontextmanager
async def web_app_pushes(app: rx.App) -> AsyncIterator[None]:
    """Lifespan task of the web app: push its own commits to tabs while it runs."""
    if not enabled():
        yield
        return
    pusher = LoopPusher(app, asyncio.get_running_loop())
    changes.listen(pusher)
    logger.info("live pages: changes are pushed through Redis")
    try:
        yield
    finally:
        changes.unlisten(pusher)
