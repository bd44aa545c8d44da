"""State of the Monitors page: every monitor, live; a new one from a sentence (previewed,
then saved) or from a form; pause, resume, silence and delete per row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import reflex as rx

from backend.enums import EventName, Metric
from backend.models import Event, Monitor, MonitorFiring, Notification
from backend.monitoring.monitors import FILTER_OPS, METRIC_OPS, NOTIFY_CHANNELS
from backend.read_models.monitors import (
    FailedEventRow,
    MonitorRow,
    MonitorsPage,
    condition_lines,
    read_monitors_page,
)
from state import monitor_actions as actions
from state.live import LiveMixin, tables_of
from state.web_actor import Action

PREVIEW = Action(busy="previewing", error="preview_error")
SAVE = Action(busy="saving", error="preview_error")
CREATE = Action(busy="creating", error="create_error")
ROW = Action(busy="acting", error="action_error")

EVENTS = [str(e) for e in EventName]
METRICS = [str(m) for m in Metric]
CHANNELS = [actions.PREFERRED, *(str(c) for c in NOTIFY_CHANNELS)]
# Event: an event the dispatcher gives up on is shown under the monitors.
LIVE_TABLES = tables_of(Monitor, MonitorFiring, Notification, Event)
#: The form's inputs (by name) besides its filter rows.
FORM_FIELDS = ("event", "metric", "op", "value", "window", "channel")


class MonitorRowActions(rx.State, mixin=True):
    """Pause, resume, silence and delete one monitor (the list's rows and a monitor's page);
    after each, the page reads its data again (`refresh_live`)."""

    acting: bool = False
    action_error: str = ""

    async def _act(self, fn: Callable[..., int], *args: Any, done: str):
        ROW.begin(self)
        yield
        if await ROW.run(self, fn, *args) is None:
            return
        yield rx.toast.success(done)
        yield type(self).refresh_live

    @rx.event
    async def pause(self, monitor_id: int):
        async for step in self._act(
            actions.pause, monitor_id, done=f"Monitor {monitor_id} paused."
        ):
            yield step

    @rx.event
    async def resume(self, monitor_id: int):
        async for step in self._act(
            actions.resume, monitor_id, done=f"Monitor {monitor_id} resumed."
        ):
            yield step

    @rx.event
    async def silence(self, monitor_id: int, minutes: int):
        label = dict((m, label) for label, m in actions.SILENCES).get(minutes, f"{minutes} min")
        async for step in self._act(
            actions.silence, monitor_id, minutes, done=f"Monitor {monitor_id} silenced for {label}."
        ):
            yield step

    @rx.event
    async def delete(self, monitor_id: int):
        async for step in self._act(
            actions.delete, monitor_id, done=f"Monitor {monitor_id} deleted."
        ):
            yield step


class MonitorsState(MonitorRowActions, LiveMixin, rx.State):
    live_tables: ClassVar[frozenset[str]] = LIVE_TABLES
    rows: list[MonitorRow] = []
    failed_events: list[FailedEventRow] = []
    loaded: bool = False

    # --- from a sentence -----------------------------------------------------------------
    sentence: str = ""
    previewing: bool = False
    saving: bool = False
    preview_error: str = ""
    preview_confirmation: str = ""  # "" while there is no preview
    preview_event: str = ""
    preview_kind: str = ""
    preview_conditions: list[str] = []
    preview_channel: str = ""
    _preview_form: dict[str, Any] = {}

    # --- from a form (its inputs are read on submit; only what changes the form is here) ---
    form_kind: str = "event"
    filter_rows: list[int] = []  # one number per filter row, naming its inputs
    creating: bool = False
    create_error: str = ""

    event_choices: list[str] = EVENTS
    metric_choices: list[str] = METRICS
    channel_choices: list[str] = CHANNELS
    filter_ops: list[str] = list(FILTER_OPS)
    metric_ops: list[str] = list(METRIC_OPS)

    def _live_query(self) -> Callable[[], MonitorsPage]:
        viewer = self._viewer()
        return lambda: read_monitors_page(viewer=viewer())

    def _live_apply(self, data: MonitorsPage) -> None:
        if data.rows != self.rows:  # unchanged rows are not sent to the browser again
            self.rows = data.rows
        if data.failed_events != self.failed_events:
            self.failed_events = data.failed_events
        self.loaded = True

    @rx.event
    def set_sentence(self, text: str) -> None:
        self.sentence = text
        self._clear_preview()

    def _clear_preview(self) -> None:
        self.preview_confirmation = ""
        self._preview_form = {}

    @rx.event
    async def preview(self, form: dict):
        self.sentence = str(form.get("sentence", ""))
        PREVIEW.begin(self)
        self._clear_preview()
        yield
        found = await PREVIEW.run(self, actions.preview, self.sentence)
        if found is None:
            return
        self._preview_form = {k: v for k, v in found.items() if k != "confirmation"}
        self.preview_confirmation = found["confirmation"]
        self.preview_event = found["event"]
        self.preview_kind = found["condition"].get("kind", "event")
        self.preview_conditions = condition_lines(found["condition"])
        self.preview_channel = found["channel"]

    @rx.event
    async def save_preview(self):
        if not self._preview_form:
            self.preview_error = "Preview the sentence first."
            return
        SAVE.begin(self)
        yield
        monitor_id = await SAVE.run(self, actions.save, dict(self._preview_form))
        if monitor_id is None:
            return
        said = self.preview_confirmation
        self.sentence = ""
        self._clear_preview()
        yield rx.set_value("monitor-sentence", "")
        yield rx.toast.success(f"Monitor {monitor_id} saved. {said}")
        yield MonitorsState.refresh_live

    # --- the form ------------------------------------------------------------------------

    @rx.event
    def set_form_kind(self, kind: str) -> None:
        self.form_kind = "metric" if kind == "metric" else "event"

    @rx.event
    def add_filter(self) -> None:
        self.filter_rows = [*self.filter_rows, max(self.filter_rows, default=0) + 1]

    @rx.event
    def remove_filter(self, number: int) -> None:
        self.filter_rows = [n for n in self.filter_rows if n != number]

    @rx.event
    async def create(self, form: dict):
        CREATE.begin(self)
        yield
        fields = {
            **{key: str(form.get(key, "")) for key in FORM_FIELDS},
            "kind": self.form_kind,
            "filters": [
                {part: str(form.get(f"filter_{part}_{n}", "")) for part in ("field", "op", "value")}
                for n in self.filter_rows
            ],
        }
        said = await CREATE.run(self, actions.create_from_fields, fields)
        if said is None:
            return
        self.filter_rows = []
        yield rx.toast.success(f"Monitor saved. {said}")
        yield MonitorsState.refresh_live

    @rx.event
    def reset_page(self) -> None:
        """On load: nothing half-done is brought back."""
        self.sentence, self.preview_error, self.create_error, self.action_error = "", "", "", ""
        self._clear_preview()
        self.filter_rows = []
