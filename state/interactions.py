"""State of the interactions page: every call turn and message, newest first, live."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import ClassVar

import reflex as rx

from backend.models import Interaction
from backend.read_models.interactions import InteractionRow, read_interactions
from state.live import LiveMixin, tables_of

ROW_LIMIT = 200


class InteractionsState(LiveMixin, rx.State):
    live_tables: ClassVar[frozenset[str]] = tables_of(Interaction)
    rows: list[InteractionRow] = []
    loaded: bool = False

    def _live_query(self) -> Callable[[], list[InteractionRow]]:
        return partial(read_interactions, ROW_LIMIT)

    def _live_apply(self, data: list[InteractionRow]) -> None:
        if data != self.rows:  # unchanged rows are not sent to the browser again
            self.rows = data
        self.loaded = True
