"""`Command`: what a person asked for, in one shape for every channel (web, SMS, voice).

Every field is always present: the ones an intent doesn't use are null or [], so
`model_dump(mode="json")` has one stable shape the processor (and the LLM) can rely on.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from backend.enums import EventName, Intent, Metric, ObjectKind, QuerySubject
from backend.llm.lenient import Answer, Score

FilterOp = Literal["==", "!=", ">", ">=", "<", "<=", "contains", "endswith"]
MetricOp = Literal[">", ">=", "<", "<=", "=="]
NotifyChannel = Literal["voice", "sms", "email", "slack", "github"]


class Filter(BaseModel):
    """A condition on an event's payload: `amount > 500`, `email endswith "@gmail.com"`."""

    field: str = Field(description="Payload field, e.g. is_admin, amount, email.")
    op: FilterOp
    value: bool | int | float | str


class Command(Answer):
    """One understood command. Which fields matter depends on `intent`:

    monitor: event + filters, or metric + op + value (+ window_minutes); channel; a metric on
    an object's calls (object.errors, object.error_rate, object.latency) names the object in
    target (null: any object).
    create: name, description, kind. modify: target, instruction.
    deploy, rollback: target, version. status: target (null: the person's latest request).
    approve, reject: modification_id or target; reject also reason. query: subject.
    pause_monitor, resume_monitor, silence_monitor, delete_monitor, stop_monitor: the
    person's own monitor by `monitor_id`, or by what it watches (`target`, the person's
    words, with `event` and `channel` where they name them); silence_monitor's length is
    `window_minutes`.
    """

    intent: Intent
    confidence: Score = Field(description="How sure the parser is, 0 to 1.")
    text: str = Field(default="", description="The cleaned utterance.")
    # monitor
    event: EventName | None = Field(default=None, description="Event to watch for.")
    filters: list[Filter] = Field(default_factory=list)
    metric: Metric | None = Field(default=None, description="Metric to watch instead of an event.")
    op: MetricOp | None = Field(default=None, description="Comparison of the metric.")
    value: int | float | None = Field(default=None, description="Threshold of the metric.")
    window_minutes: int | None = Field(
        default=None, description="Time window of the metric, e.g. 60 for 'in the last hour'."
    )
    channel: NotifyChannel | None = Field(
        default=None, description="How to notify; null when the person didn't say."
    )
    # create
    name: str | None = Field(default=None, description="Short name of the new object.")
    description: str | None = Field(default=None, description="What the new object should do.")
    kind: ObjectKind | None = None
    # modify, deploy, rollback, status, approve, health; an object metric's object
    target: str | None = Field(
        default=None, description="The person's words for the object, without articles."
    )
    instruction: str | None = Field(default=None, description="The change asked for.")
    version: int | None = Field(default=None, description="Version number to deploy or roll to.")
    # approve, reject
    modification_id: int | None = None
    reason: str | None = Field(default=None, description="Why a change is rejected.")
    # query
    subject: QuerySubject | None = None
    # managing a monitor
    monitor_id: int | None = Field(default=None, description="The monitor's number.")


#: What a reading of each intent must hold to be run: groups of fields, one of each group
#: set. The rest the processor fills in or asks for (a modify's instruction is its text; an
#: approve without a number is the change awaiting approval).
NEEDS: dict[Intent, tuple[tuple[str, ...], ...]] = {
    Intent.MONITOR: (("event", "metric"),),
    Intent.CREATE: (("name", "description"),),
    Intent.MODIFY: (("target",),),
    Intent.DEPLOY: (("target",),),
    Intent.ROLLBACK: (("target",),),
    Intent.QUERY: (("subject",),),
}


def missing(command: Command) -> list[str]:
    """What `command` lacks for its intent ("name or description"); [] when it is complete.

    A metric monitor also needs its comparison and threshold.
    """
    lacks = [
        " or ".join(group)
        for group in NEEDS.get(Intent(command.intent), ())
        if all(getattr(command, name) in (None, "") for name in group)
    ]
    if command.intent == Intent.MONITOR and command.metric is not None:
        # "when any object starts failing" has no number: the settings' failing rate is it.
        needed = ("op",) if command.metric == Metric.OBJECT_ERROR_RATE else ("op", "value")
        lacks += [name for name in needed if getattr(command, name) is None]
    return lacks
