"""State of the object page's Health tab: the last hour of calls (`read_health`), read when the
tab opens and when asked again."""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx
from sqlalchemy.exc import SQLAlchemyError

from backend.errors import ProductError
from backend.read_models.object_health import HealthView, StatsRow, read_health
from state.wording import database_unreachable, sentence

#: One colour per version in the "by version" chart, the newest last (cycled).
VERSION_COLOURS = ("#8e4ec6", "#0090ff", "#12a594", "#f76b15", "#e54666", "#978365")


def _slug(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


class ObjectHealthState(rx.State):
    object_slug: str = ""
    loaded: bool = False
    reading: bool = False
    error: str = ""
    deployed: bool = False
    live_version: int = 0
    summary: StatsRow = StatsRow("", 0, 0, "-", "", "-", "-", "-", "")
    last_error_when: str = ""
    points: list[dict[str, Any]] = []
    versions: list[dict[str, str]] = []
    deploys: list[dict[str, str]] = []
    by_function: list[StatsRow] = []
    by_version: list[StatsRow] = []
    empty_note: str = ""

    def _show(self, view: HealthView) -> None:
        self.deployed, self.live_version = view.deployed, view.live_version
        self.summary, self.last_error_when = view.summary, view.last_error_when
        self.points, self.deploys = view.points, view.deploys
        self.versions = [
            {"key": key, "colour": VERSION_COLOURS[index % len(VERSION_COLOURS)]}
            for index, key in enumerate(view.versions)
        ]
        self.by_function, self.by_version = view.by_function, view.by_version
        self.empty_note = view.empty_note

    @rx.event
    async def load(self):
        """Read the object the page shows (from its URL)."""
        slug = _slug(self.router.url.path)
        if slug != self.object_slug:
            self.object_slug, self.loaded = slug, False
        self.reading, self.error = True, ""
        yield
        try:
            self._show(await asyncio.to_thread(read_health, slug))
        except ProductError as exc:
            self.error = sentence(exc)
        except SQLAlchemyError as exc:
            self.error = database_unreachable(exc)
        self.loaded, self.reading = True, False
