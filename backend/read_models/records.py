"""Records: one record in full (a person, an object, a version, a deployment, a modification,
a task, an event, an event source), as the CLI's --json prints it and the HTTP API answers it.

So both (and a text message later) say the same facts in the same words. A record is a
dataclass; `as_json()` is its JSON object. A field marked `extra` is only there when the
reader asked for it (None otherwise: left out of the JSON); a field marked `text_only`
serves the door's text (a diff to render) and is never in the JSON.

`<thing>_record(row)` builds one from a row already loaded (inside backend);
`read_<thing>(...)` opens its own session and is what doors call.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from backend.accounts import users
from backend.background import jobs
from backend.db import session_scope
from backend.events import reported, sources
from backend.models import (
    Deployment,
    DurableObject,
    Evaluation,
    Event,
    EventSource,
    Modification,
    ObjectVersion,
    Task,
    User,
)
from backend.objects import store
from backend.objects.diff import FileDiff
from backend.objects.schema import function_signature

#: Field metadata: only in the JSON when the reader asked for it (None: left out).
EXTRA = {"extra": True}
#: Field metadata: for the door's text only, never in the JSON.
TEXT_ONLY = {"text_only": True}


@dataclasses.dataclass
class Record:
    """The JSON of a record: its fields, nested records as objects, extras only when set."""

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.metadata.get("text_only"):
                continue
            if field.metadata.get("extra") and value is None:
                continue
            out[field.name] = _json(value)
        return out


def _json(value: Any) -> Any:
    if isinstance(value, Record):
        return value.as_json()
    if isinstance(value, list):
        return [_json(item) for item in value]
    if isinstance(value, dict):
        return {key: _json(item) for key, item in value.items()}
    return value


def _when(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def parse_status(syntax_error: str | None) -> str:
    """How every door says whether a version's code parses: "parses", or "does not parse:
    main.py line 1: expected ':'" (such a version can't be deployed)."""
    return f"does not parse: {syntax_error}" if syntax_error else "parses"


# --- people ----------------------------------------------------------------------------------


@dataclasses.dataclass
class UserRecord(Record):
    """A person: never a password or PIN hash, only whether a PIN is set."""

    id: int | None
    name: str
    email: str
    phone: str | None
    phone_verified: bool
    has_pin: bool
    sms_opted_out: bool
    is_admin: bool
    preferred_channel: str
    code_sent_to: str | None = dataclasses.field(default=None, metadata=EXTRA)


def user_record(user: User) -> UserRecord:
    return UserRecord(
        id=user.id,
        name=user.name,
        email=user.email,
        phone=user.phone,
        phone_verified=bool(user.phone and user.phone_verified),
        has_pin=bool(user.pin_hash),
        sms_opted_out=user.sms_opted_out,
        is_admin=user.is_admin,
        preferred_channel=user.preferred_channel,
    )


def read_user(email: str) -> UserRecord:
    """The person with this email, or `NotFound`."""
    with session_scope() as session:
        return user_record(users.get_user_by_email(session, email))


def read_users() -> list[UserRecord]:
    with session_scope() as session:
        return [user_record(user) for user in users.list_users(session)]


# --- objects, versions, deployments ------------------------------------------------------------


@dataclasses.dataclass
class VersionRecord(Record):
    number: int
    author: str
    message: str
    intent: str
    files: list[str]
    api: list[str]
    parses: bool
    syntax_error: str | None
    code: str
    created_at: str | None
    file_contents: dict[str, str] | None = dataclasses.field(default=None, metadata=EXTRA)
    api_schema: dict[str, Any] | None = dataclasses.field(default=None, metadata=EXTRA)


def version_record(version: ObjectVersion, *, with_files: bool = False) -> VersionRecord:
    return VersionRecord(
        number=version.number,
        author=version.author,
        message=version.message,
        intent=version.intent,
        files=sorted(version.files),
        api=[function_signature(f) for f in version.api_schema.get("functions", [])],
        parses=not version.syntax_error,
        syntax_error=version.syntax_error,
        code=parse_status(version.syntax_error),
        created_at=_when(version.created_at),
        file_contents=dict(version.files) if with_files else None,
        api_schema=version.api_schema if with_files else None,
    )


@dataclasses.dataclass
class ObjectRecord(Record):
    """An object summary; with `version` when one of its versions was asked for, with `code`
    (whether its current version parses) in a listing."""

    slug: str
    name: str
    description: str
    kind: str
    status: str
    current_version: int | None
    deployed_version: int | None
    owner_id: int | None
    is_public: bool
    auto_apply: bool
    auto_rollback: bool
    limits: dict[str, Any]
    created_at: str | None
    updated_at: str | None
    code: str | None = dataclasses.field(default=None, metadata=EXTRA)
    version: VersionRecord | None = dataclasses.field(default=None, metadata=EXTRA)


def object_record(obj: DurableObject) -> ObjectRecord:
    return ObjectRecord(
        slug=obj.slug,
        name=obj.name,
        description=obj.description,
        kind=obj.kind,
        status=obj.status,
        current_version=obj.current_version,
        deployed_version=obj.deployed_version,
        owner_id=obj.owner_id,
        is_public=obj.is_public,
        auto_apply=obj.auto_apply,
        auto_rollback=obj.auto_rollback,
        limits=dict(obj.limits),
        created_at=_when(obj.created_at),
        updated_at=_when(obj.updated_at),
    )


def read_object(
    slug: str, *, version: int | None = None, with_version: bool = False, with_files: bool = False
) -> ObjectRecord:
    """The object; with `with_version` (or a `version` number) that version too (default:
    the current one), with its files' contents under `with_files`."""
    with session_scope() as session:
        record = object_record(store.get_object(session, slug))
        if with_version or version is not None:
            found = store.get_version(session, slug, version)
            record.version = version_record(found, with_files=with_files)
        return record


def read_objects(*, with_code: bool = False) -> list[ObjectRecord]:
    """Every object, ordered by slug; with `with_code`, whether each one's code parses."""
    with session_scope() as session:
        broken = store.current_syntax_errors(session) if with_code else {}
        records = []
        for obj in store.list_objects(session):
            record = object_record(obj)
            if with_code:
                record.code = parse_status(broken.get(obj.id or 0))
            records.append(record)
        return records


def read_version(slug: str, number: int | None = None) -> VersionRecord:
    """Version `number` of the object (default: the current one), with its files."""
    with session_scope() as session:
        return version_record(store.get_version(session, slug, number), with_files=True)


def read_versions(slug: str) -> list[VersionRecord]:
    with session_scope() as session:
        return [version_record(v) for v in store.list_versions(session, slug)]


def read_diff(slug: str, a: int, b: int) -> list[FileDiff]:
    """What changed from version `a` to version `b`, file by file."""
    with session_scope() as session:
        return store.diff_versions(session, slug, a, b)


@dataclasses.dataclass
class DeploymentRecord(Record):
    id: int | None
    status: str
    logs: str
    deployed_by: str
    created_at: str | None


def deployment_record(deployment: Deployment) -> DeploymentRecord:
    return DeploymentRecord(
        id=deployment.id,
        status=deployment.status,
        logs=deployment.logs,
        deployed_by=deployment.deployed_by,
        created_at=_when(deployment.created_at),
    )


# --- jobs ------------------------------------------------------------------------------------


@dataclasses.dataclass
class TaskRecord(Record):
    id: int | None
    kind: str
    status: str
    progress: int
    message: str | None
    result: Any
    error: str | None
    redeliveries: int
    created_at: str | None
    started_at: str | None
    finished_at: str | None


def task_record(task: Task) -> TaskRecord:
    return TaskRecord(
        id=task.id,
        kind=task.kind,
        status=task.status,
        progress=task.progress,
        message=task.message,
        result=task.result,
        error=task.error,
        redeliveries=task.redeliveries,
        created_at=_when(task.created_at),
        started_at=_when(task.started_at),
        finished_at=_when(task.finished_at),
    )


def read_task(task_id: int) -> TaskRecord:
    """The job with this id, or `NotFound`."""
    with session_scope() as session:
        return task_record(jobs.get_task(session, task_id))


# --- modifications ---------------------------------------------------------------------------


@dataclasses.dataclass
class AttemptRecord(Record):
    """One scored attempt of a modification."""

    attempt: int
    verdict: str
    overall_score: float
    scores: dict[str, float]
    feedback: str


def attempt_record(evaluation: Evaluation) -> AttemptRecord:
    return AttemptRecord(
        attempt=evaluation.attempt,
        verdict=evaluation.verdict,
        overall_score=evaluation.overall_score,
        scores={
            "preference": evaluation.preference_score,
            "constraints": evaluation.constraints_score,
            "factuality": evaluation.factuality_score,
        },
        feedback=evaluation.feedback,
    )


@dataclasses.dataclass
class ModificationRecord(Record):
    """A requested change; with its scored attempts (`evaluations`) and proposed change
    (`proposed`, for the text) when read in full; with what approving it asked for."""

    id: int | None
    kind: str
    slug: str
    status: str
    prompt: str
    attempts: int
    plan: dict[str, Any] | None
    proposed_files: list[str]
    error: str | None
    rejection_reason: str | None
    cost_usd: float
    budget_usd: float | None
    task_id: int | None
    created_at: str | None
    evaluations: list[AttemptRecord] | None = dataclasses.field(default=None, metadata=EXTRA)
    deployment: DeploymentRecord | None = dataclasses.field(default=None, metadata=EXTRA)
    proposed: list[FileDiff] = dataclasses.field(default_factory=list, metadata=TEXT_ONLY)


def modification_record(modification: Modification) -> ModificationRecord:
    return ModificationRecord(
        id=modification.id,
        kind=modification.kind,
        slug=modification.slug,
        status=modification.status,
        prompt=modification.prompt,
        attempts=modification.attempts,
        plan=modification.plan,
        proposed_files=sorted(modification.proposed_files or {}),
        error=modification.error,
        rejection_reason=modification.rejection_reason,
        cost_usd=round(modification.cost_usd, 6),
        budget_usd=modification.budget_usd,
        task_id=modification.task_id,
        created_at=_when(modification.created_at),
    )


def read_modification(modification_id: int, *, in_full: bool = False) -> ModificationRecord:
    """The modification, or `NotFound`; `in_full`: with its attempts and proposed change."""
    from backend.pipeline import modifications  # the pipeline's models and LLM: when asked

    with session_scope() as session:
        modification = modifications.get_modification(session, modification_id)
        record = modification_record(modification)
        if in_full:
            found = modifications.evaluations_of(session, modification_id)
            record.evaluations = [attempt_record(e) for e in found]
            if modification.proposed_files:
                record.proposed = modifications.proposed_diff(session, modification)
        return record


def read_modifications(
    *, status: str | None = None, slug: str | None = None
) -> list[ModificationRecord]:
    """Newest first."""
    from backend.pipeline import modifications  # the pipeline's models and LLM: when asked

    with session_scope() as session:
        found = modifications.list_modifications(session, status=status, slug=slug)
        return [modification_record(m) for m in found]


# --- events and their sources ----------------------------------------------------------------


@dataclasses.dataclass
class EventSourceRecord(Record):
    """A source of events: never its key's hash, only the key's first characters."""

    id: int | None
    name: str
    prefix: str
    created_at: str | None
    last_used_at: str | None
    revoked_at: str | None


def event_source_record(source: EventSource) -> EventSourceRecord:
    return EventSourceRecord(
        id=source.id,
        name=source.name,
        prefix=source.prefix,
        created_at=_when(source.created_at),
        last_used_at=_when(source.last_used_at),
        revoked_at=_when(source.revoked_at),
    )


def read_event_sources() -> list[EventSourceRecord]:
    """Every source, newest first, revoked ones included."""
    with session_scope() as session:
        return [event_source_record(s) for s in sources.list_sources(session)]


def event_status(event: Event) -> str:
    """Where the dispatcher is with an event: pending (not yet handed to the monitors),
    retrying (its dispatch failed, it will be tried again), dispatched, or failed (given up
    after EVENT_DISPATCH_MAX_TRIES; `dispatch_error` says why)."""
    if event.dispatched_at is None:
        return "retrying" if event.dispatch_tries else "pending"
    return "failed" if event.dispatch_error is not None else "dispatched"


@dataclasses.dataclass
class EventRecord(Record):
    id: int | None
    name: str
    source: str
    payload: Any
    idempotency_key: str | None
    created_at: str | None
    dispatched_at: str | None
    status: str
    dispatch_tries: int
    error: str | None


def event_record(event: Event) -> EventRecord:
    return EventRecord(
        id=event.id,
        name=event.name,
        source=event.source,
        payload=event.payload,
        idempotency_key=event.idempotency_key,
        created_at=_when(event.created_at),
        dispatched_at=_when(event.dispatched_at),
        status=event_status(event),
        dispatch_tries=event.dispatch_tries,
        error=event.dispatch_error,
    )


def read_events(
    *, name: str | None = None, limit: int = 50, only_failed: bool = False
) -> list[EventRecord]:
    """The latest events, newest first (see `reported.list_events`)."""
    with session_scope() as session:
        found = reported.list_events(session, name=name, limit=limit, only_failed=only_failed)
        return [event_record(e) for e in found]
