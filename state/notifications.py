"""State of the Notifications page: every message sent, newest first, live, filtered by
status and channel."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import reflex as rx

from backend.enums import Channel, NotificationStatus
from backend.models import Notification
from backend.read_models.notifications import NotificationRow, read_notifications
from state.live import LiveMixin, tables_of

ALL = "all"
ROW_LIMIT = 200


def _chosen(value: str) -> str | None:
    return None if value == ALL else value


class NotificationsState(LiveMixin, rx.State):
    live_tables: ClassVar[frozenset[str]] = tables_of(Notification)
    rows: list[NotificationRow] = []
    loaded: bool = False
    status: str = ALL
    channel: str = ALL
    status_choices: list[str] = [ALL, *(str(s) for s in NotificationStatus)]
    channel_choices: list[str] = [ALL, *(str(c) for c in Channel)]

    def _live_query(self) -> Callable[[], list[NotificationRow]]:
        viewer, status, channel = self._viewer(), _chosen(self.status), _chosen(self.channel)
        return lambda: read_notifications(viewer(), status, channel, ROW_LIMIT)

    def _live_apply(self, data: list[NotificationRow]) -> None:
        if data != self.rows:  # unchanged rows are not sent to the browser again
            self.rows = data
        self.loaded = True

    @rx.event
    def set_status_filter(self, value: str):
        self.status = value
        self.loaded = False
        return NotificationsState.refresh_live

    @rx.event
    def set_channel_filter(self, value: str):
        self.channel = value
        self.loaded = False
        return NotificationsState.refresh_live
