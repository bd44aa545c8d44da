"""State of one monitor's page: its form, state, check code and history, live; the same
buttons as its row on the Monitors page."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import ClassVar

import reflex as rx

from app import routes
from backend.access.audit import Actor
from backend.read_models.monitors import MonitorDetail, MonitorRow, read_monitor_detail
from state import monitor_actions as actions
from state.live import LiveMixin
from state.monitors import LIVE_TABLES, ROW, MonitorRowActions


def monitor_id_from_path(path: str) -> int:
    """`/monitors/12` -> 12; 0 when the last part is not a number."""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return int(last) if last.isdigit() else 0


def _nothing() -> MonitorDetail:
    row = MonitorRow(0, "", "", "", "", "", False, 0, "", 0, "", "", "", "")
    return MonitorDetail(row, "", "", [], 0, "", "", 0, 0, "", [])


def _read(monitor_id: int, viewer: Callable[[], Actor]) -> MonitorDetail | None:
    return read_monitor_detail(monitor_id, viewer()) if monitor_id else None


class MonitorPageState(MonitorRowActions, LiveMixin, rx.State):
    live_tables: ClassVar[frozenset[str]] = LIVE_TABLES
    shown_id: int = 0
    detail: MonitorDetail = _nothing()
    found: bool = False
    loaded: bool = False

    def _live_query(self) -> Callable[[], MonitorDetail | None]:
        self.shown_id = monitor_id_from_path(self.router.url.path)
        return partial(_read, self.shown_id, self._viewer())

    def _live_apply(self, data: MonitorDetail | None) -> None:
        self.found = data is not None
        if data is not None and data != self.detail:
            self.detail = data
        self.loaded = True

    @rx.event
    def reset_page(self) -> None:
        self.loaded, self.found, self.action_error = False, False, ""

    @rx.event
    async def delete_here(self):
        """Delete the monitor shown, then go back to the list."""
        ROW.begin(self)
        yield
        gone = await ROW.run(self, actions.delete, self.shown_id)
        if gone is None:
            return
        yield rx.toast.success(f"Monitor {gone} deleted.")
        yield rx.redirect(routes.MONITORS)
