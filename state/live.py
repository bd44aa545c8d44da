"""Keep a page's data fresh while its tab shows it: a background loop re-reads the database
every `live_interval` seconds and pushes what changed.

Why polling: without Redis no other process can push into this backend's tabs, and a read of
a few indexed rows every half second meets "progress within a second" with the embedded
broker and with Redis alike. (A worker-side push through `app.modify_state` is possible with
REFLEX_REDIS_URL; it is not built yet.)

Use: subclass `LiveMixin` next to `rx.State`, implement `_live_query` (returns a blocking
function, run in a thread) and `_live_apply` (stores its result), and put `start_live` in the
page's on_load after the login check. The loop ends when the tab goes to another page, when
`start_live` is started again (a newer loop takes over), when the tab disconnects, or after
`live_max_seconds`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, ClassVar

import reflex as rx

from state.auth import AuthState

logger = logging.getLogger(__name__)


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
    """A polling loop per tab; see the module docstring."""

    live_interval: ClassVar[float] = 0.5
    live_max_seconds: ClassVar[float] = 3600.0
    live_error: str = ""
    _live_loop: int = 0

    def _live_query(self) -> Callable[[], Any]:
        """A blocking function that reads what the page shows (filters captured from state)."""
        raise NotImplementedError

    def _live_apply(self, data: Any) -> None:
        """Store what `_live_query`'s function returned."""
        raise NotImplementedError

    @rx.event(background=True)
    async def start_live(self):
        async with self:
            auth = await self.get_state(AuthState)
            # on_load's login check may not have run yet: read the cookie here too.
            if not auth.signed_in and await auth.current_user() is None:
                return
            self._live_loop += 1
            loop_id = self._live_loop
            path = self.router.page.path
            token = self.router.session.client_token
        deadline = time.monotonic() + self.live_max_seconds
        while time.monotonic() < deadline and _tab_connected(token):
            async with self:
                if self._live_loop != loop_id or self.router.page.path != path:
                    return
                query = self._live_query()
            try:
                data = await asyncio.to_thread(query)
            except Exception as exc:  # shown on the page; the loop goes on
                logger.warning("live refresh of %s failed: %s", type(self).__name__, exc)
                async with self:
                    self.live_error = f"Could not refresh: {type(exc).__name__}: {exc}"
            else:
                async with self:
                    if self._live_loop != loop_id:
                        return
                    self.live_error = ""
                    self._live_apply(data)
            await asyncio.sleep(self.live_interval)
