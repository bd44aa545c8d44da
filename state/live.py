"""Keep a page's data fresh while its tab shows it.

A live state says what it shows (`_live_query` returns a blocking function that reads it,
`_live_apply` stores the result) and which tables that reads (`live_tables`). Its
`start_live` event, in the page's on_load after the login check, runs a loop for the tab:

- Without Redis, nothing outside the web process can reach the tab, so the loop re-reads
  every LIVE_POLL_SECONDS (0.5 s): a read of a few indexed rows, which meets "progress within
  a second" whichever process wrote it.
- With REFLEX_REDIS_URL, the loop registers the tab (see `state.push`), and the process
  that commits a change (a Celery worker, the web app) pushes the fresh data itself. The
  loop then only renews the registration and re-reads every LIVE_PUSH_FALLBACK_SECONDS, for
  writers that cannot push (the CLI).

The loop ends when the tab goes to another page, when `start_live` is started again (a
newer loop takes over), when the tab disconnects, or after `live_max_seconds`.
`refresh_live` reads once, now (after a filter changed, say).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from functools import partial
from typing import Any, ClassVar

import reflex as rx
from sqlalchemy.exc import SQLAlchemyError

from backend.access.audit import Actor
from backend.config import get_settings
from state import push
from state.auth import AuthState, actor_or_anonymous
from state.wording import database_unreachable, describe_error

logger = logging.getLogger(__name__)


def tables_of(*models: type) -> frozenset[str]:
    """The table names of SQLModel classes, for `live_tables`."""
    return frozenset(model.__table__.name for model in models)


def _tab_connected(token: str) -> bool:
    """False when this backend knows the tab's socket is gone (True when it cannot tell)."""
    try:
        from reflex.utils.prerequisites import get_and_validate_app

        namespace = get_and_validate_app().app.event_namespace
    except Exception:  # no app to ask (unit tests): assume connected
        return True
    if namespace is None:
        return True
    return token in namespace.token_to_sid


class LiveMixin(rx.State, mixin=True):
    """A loop per tab that keeps the state's data fresh; see the module docstring."""

    #: The tables `_live_query` reads: a commit to one of them is pushed to the tab.
    live_tables: ClassVar[frozenset[str]] = frozenset()
    live_max_seconds: ClassVar[float] = 3600.0
    live_error: str = ""
    _live_loop: int = 0
    # The tab's session token, so that `_live_query` (also run by a push, outside any event)
    # can read as the tab's person: see `_viewer`.
    _viewer_token: str = ""

    def _viewer(self) -> Callable[[], Actor]:
        """A blocking function giving the tab's person as an Actor, read from the database
        when called (so a demoted admin sees only their own at the next refresh); read
        models decide what that person may see."""
        token = self._viewer_token
        return partial(actor_or_anonymous, token)

    def _live_query(self) -> Callable[[], Any]:
        """A blocking function that reads what the page shows (filters captured from state)."""
        raise NotImplementedError

    def _live_apply(self, data: Any) -> None:
        """Store what `_live_query`'s function returned."""
        raise NotImplementedError

    async def _read_and_apply(self, loop_id: int | None = None) -> None:
        """One refresh; skipped if `loop_id` is given and a newer loop took over."""
        async with self:
            query = self._live_query()
        try:
            data = await asyncio.to_thread(query)
        except Exception as exc:  # shown on the page; the loop goes on
            logger.warning("live refresh of %s failed: %s", type(self).__name__, exc)
            async with self:
                self.live_error = (
                    database_unreachable(exc)
                    if isinstance(exc, SQLAlchemyError | OSError)
                    else f"Could not refresh: {describe_error(exc)}."
                )
            return
        async with self:
            if loop_id is None or self._live_loop == loop_id:
                self.live_error = ""
                self._live_apply(data)

    @rx.event(background=True)
    async def refresh_live(self):
        await self._read_and_apply()

    @rx.event(background=True)
    async def start_live(self):
        async with self:
            auth = await self.get_state(AuthState)
            # on_load's login check may not have run yet: read the cookie here too.
            if not auth.signed_in and await auth.current_user() is None:
                return
            self._viewer_token = auth.session_token
            self._live_loop += 1
            loop_id = self._live_loop
            path = self.router.page.path
            token = self.router.session.client_token
        settings = get_settings()
        pushed = push.enabled() and bool(self.live_tables)
        interval = settings.live_push_fallback_seconds if pushed else settings.live_poll_seconds
        name = self.get_full_name()
        deadline = time.monotonic() + self.live_max_seconds
        try:
            while time.monotonic() < deadline and _tab_connected(token):
                async with self:
                    if self._live_loop != loop_id or self.router.page.path != path:
                        return
                if pushed:
                    # Renewed every round; outlives a round so that it never lapses between.
                    ttl = 2 * interval + 5
                    await asyncio.to_thread(push.register, token, name, self.live_tables, ttl)
                await self._read_and_apply(loop_id)
                await asyncio.sleep(interval)
        finally:
            if pushed:
                await self._unregister_unless_replaced(token, name, loop_id)

    async def _unregister_unless_replaced(self, token: str, name: str, loop_id: int) -> None:
        try:
            async with self:
                replaced = self._live_loop != loop_id
            if not replaced:
                await asyncio.to_thread(push.unregister, token, name)
        except Exception as exc:  # the registration expires on its own
            logger.warning("could not unregister tab %s from pushes: %s", token, exc)
