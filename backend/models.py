"""SQLModel tables for the whole domain (see DESIGN.md, "The domain").

Statuses and kinds are stored as strings from `backend.enums`; timestamps are timezone-aware
UTC on every database (SQLite included, via `UTCDateTime`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from backend.enums import (
    Channel,
    DeploymentStatus,
    ModificationKind,
    ModificationStatus,
    NotificationStatus,
    ObjectKind,
    ObjectStatus,
    TaskStatus,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _created() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)


def _updated() -> Any:
    return Field(
        default_factory=utcnow,
        sa_type=UTCDateTime,
        nullable=False,
        sa_column_kwargs={"onupdate": utcnow},
    )


def _when() -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=True)


def _json(default: Any = dict) -> Any:
    return Field(default_factory=default, sa_type=sa.JSON, nullable=False)


def _text() -> Any:
    return Field(default="", sa_type=sa.Text, nullable=False)


class User(SQLModel, table=True):
    # Emails are stored lower-case (`users.normalise_email`), so the unique index on `email`
    # means one account per address whatever its case; the check keeps any other writer
    # (a script, an old version) from storing a second spelling beside it.
    __table_args__ = (sa.CheckConstraint("email = lower(email)", name="ck_user_email_lower"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    email: str = Field(max_length=320, unique=True, index=True)
    phone: str | None = Field(default=None, max_length=16, unique=True, index=True)
    is_admin: bool = Field(default=False)
    preferred_channel: str = Field(default=Channel.EMAIL, max_length=16)
    slack_id: str | None = Field(default=None, max_length=64)
    password_hash: str | None = Field(default=None, max_length=255)
    # Part of every session token: bumping it (log-out, a new password) ends the sessions
    # signed before (`backend.accounts.auth`).
    session_generation: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # Only a verified number is recognised when it calls or texts: numbers an admin adds
    # (CLI) count as verified; numbers a person enters are verified by a code sent by SMS.
    phone_verified: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    # The PIN that confirms, on the keypad or in a reply, changes asked for by phone or SMS.
    pin_hash: str | None = Field(default=None, max_length=255)
    # The number replied STOP: no SMS goes to it until it replies START.
    sms_opted_out: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    # Where the person lives (an IANA name), for quiet hours; during quiet hours ("22:00" to
    # "07:00", both empty for none) a call to them becomes an SMS.
    timezone: str = Field(default="UTC", max_length=64, sa_column_kwargs={"server_default": "UTC"})
    quiet_start: str = Field(default="", max_length=5, sa_column_kwargs={"server_default": ""})
    quiet_end: str = Field(default="", max_length=5, sa_column_kwargs={"server_default": ""})
    created_at: datetime = _created()
    updated_at: datetime = _updated()


class PhoneVerification(SQLModel, table=True):
    """A code sent by SMS to prove a person holds the number they entered."""

    __tablename__ = "phone_verification"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    phone: str = Field(max_length=16)
    code_hash: str = Field(max_length=128)
    attempts: int = Field(default=0)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    verified_at: datetime | None = _when()
    created_at: datetime = _created()


class SignInFailures(SQLModel, table=True):
    """Wrong passwords lately for one account or from one address
    (`backend.accounts.sign_in_limits`).

    `key` is "account:<email>" or "address:<ip>"; the count starts again once the last
    failure is older than SIGN_IN_LOCK_MINUTES, and an account's on a good sign-in.
    """

    __tablename__ = "sign_in_failures"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=400, unique=True, index=True)
    failures: int = Field(default=0)
    last_failure_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    locked_until: datetime | None = _when()


class DurableObject(SQLModel, table=True):
    __tablename__ = "durable_object"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=200)
    description: str = _text()
    kind: str = Field(default=ObjectKind.ENDPOINT, max_length=16)
    status: str = Field(default=ObjectStatus.DRAFT, max_length=16, index=True)
    current_version: int | None = Field(default=None)
    deployed_version: int | None = Field(default=None)
    owner_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    is_public: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    # The owner's choice: changes the evaluator accepts apply without waiting for a person.
    auto_apply: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    # The owner's choice: a recently deployed version failing noticeably more than the one
    # before it is rolled back by the system, without asking (`backend.monitoring.object_health`).
    auto_rollback: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    limits: dict[str, Any] = Field(
        default_factory=dict, sa_type=sa.JSON, sa_column_kwargs={"server_default": "{}"}
    )
    created_at: datetime = _created()
    updated_at: datetime = _updated()


class ObjectState(SQLModel, table=True):
    """One key of an object's durable storage; written only when a call returns normally."""

    __tablename__ = "object_state"
    __table_args__ = (sa.UniqueConstraint("object_id", "key", name="uq_object_state_key"),)

    id: int | None = Field(default=None, primary_key=True)
    object_id: int = Field(foreign_key="durable_object.id", index=True)
    key: str = Field(max_length=256)
    value: Any = Field(default=None, sa_type=sa.JSON)
    updated_at: datetime = _updated()


class ApiToken(SQLModel, table=True):
    """A bearer token for calling private objects; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str = Field(default="", max_length=100)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    prefix: str = Field(max_length=16)
    created_at: datetime = _created()
    last_used_at: datetime | None = _when()
    revoked_at: datetime | None = _when()


class ObjectVersion(SQLModel, table=True):
    """An immutable snapshot of an object's files; never updated after insert."""

    __tablename__ = "object_version"
    __table_args__ = (sa.UniqueConstraint("object_id", "number", name="uq_object_version_number"),)

    id: int | None = Field(default=None, primary_key=True)
    object_id: int = Field(foreign_key="durable_object.id", index=True)
    number: int
    files: dict[str, str] = _json()
    api_schema: dict[str, Any] = _json()
    syntax_error: str | None = Field(default=None, sa_type=sa.Text)
    # What the person meant by a manual edit (refactor keeps behaviour); None for others.
    intent: str | None = Field(default=None, max_length=16)
    parent_id: int | None = Field(default=None, foreign_key="object_version.id")
    author: str = Field(max_length=200)
    message: str = _text()
    created_at: datetime = _created()


class Modification(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(
        default=ModificationKind.MODIFY,
        max_length=16,
        sa_column_kwargs={"server_default": ModificationKind.MODIFY.value},
    )
    # The object's slug and name: for a creation, the ones the new object will get.
    slug: str = Field(
        default="", max_length=64, index=True, sa_column_kwargs={"server_default": ""}
    )
    name: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    description: str = Field(default="", sa_type=sa.Text, sa_column_kwargs={"server_default": ""})
    rejection_reason: str | None = Field(default=None, sa_type=sa.Text)
    object_id: int | None = Field(default=None, foreign_key="durable_object.id", index=True)
    base_version_id: int | None = Field(default=None, foreign_key="object_version.id")
    result_version_id: int | None = Field(default=None, foreign_key="object_version.id")
    prompt: str = Field(sa_type=sa.Text)
    plan: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    proposed_files: dict[str, str] | None = Field(default=None, sa_type=sa.JSON)
    attempts: int = Field(default=0)
    status: str = Field(default=ModificationStatus.PLANNING, max_length=32, index=True)
    error: str | None = Field(default=None, sa_type=sa.Text)
    requested_by_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    channel: str = Field(default=Channel.WEB, max_length=16)
    # The newest job that runs this modification (requested, resumed).
    task_id: int | None = Field(default=None, foreign_key="task.id")
    # LLM spending: None means the LLM_BUDGET_USD setting; the sums are kept by backend.llm.
    budget_usd: float | None = Field(default=None)
    cost_usd: float = Field(default=0.0, sa_column_kwargs={"server_default": "0"})
    prompt_tokens: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    completion_tokens: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = _created()
    updated_at: datetime = _updated()


class LLMCall(SQLModel, table=True):
    """One structured LLM request (with its validation retries): tokens, cost, outcome."""

    __tablename__ = "llm_call"

    id: int | None = Field(default=None, primary_key=True)
    modification_id: int | None = Field(default=None, foreign_key="modification.id", index=True)
    role: str = Field(max_length=16)
    model: str = Field(max_length=200)
    response_model: str = Field(default="", max_length=100)
    attempts: int = Field(default=0)
    prompt_tokens: int = Field(default=0)
    completion_tokens: int = Field(default=0)
    usage_estimated: bool = Field(default=False)
    cost_usd: float = Field(default=0.0)
    duration_ms: int = Field(default=0)
    ok: bool = Field(default=False)
    error: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = _created()


class Evaluation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    modification_id: int | None = Field(default=None, foreign_key="modification.id", index=True)
    version_id: int | None = Field(default=None, foreign_key="object_version.id")
    attempt: int = Field(default=1)
    preference: dict[str, Any] = _json()
    constraints: dict[str, Any] = _json()
    factuality: dict[str, Any] = _json()
    preference_score: float = Field(default=0.0)
    constraints_score: float = Field(default=0.0)
    factuality_score: float = Field(default=0.0)
    overall_score: float = Field(default=0.0)
    thresholds: dict[str, float] = _json()
    verdict: str = Field(max_length=16)
    feedback: str = _text()
    timings: dict[str, float] = _json()
    created_at: datetime = _created()


class Deployment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    object_id: int = Field(foreign_key="durable_object.id", index=True)
    version_id: int = Field(foreign_key="object_version.id")
    status: str = Field(default=DeploymentStatus.TESTING, max_length=16, index=True)
    logs: str = _text()
    deployed_by: str = Field(default="", max_length=200)
    # The `object.deploy` job that runs it (None when deployed while the caller waited), so a
    # job that ended without finishing it fails the row too (`deploy.fail_stranded`).
    task_id: int | None = Field(default=None, foreign_key="task.id", index=True)
    created_at: datetime = _created()
    finished_at: datetime | None = _when()


class Monitor(SQLModel, table=True):
    """What a person asked to be told about (`backend.monitoring.monitors`, `backend.monitoring`).

    `active` False is paused; `silenced_until` in the future is silenced; `condition_met` is
    a metric monitor's last verdict (edge-triggered: it fires when this turns true and says
    "resolved" when it turns false). Its check is also a durable object (`object_id`).
    """

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="user.id", index=True)
    event_name: str = Field(max_length=64, index=True)
    condition: dict[str, Any] = _json()
    channel: str = Field(max_length=16)
    target: str = Field(default="", max_length=320)
    description: str = _text()
    active: bool = Field(default=True, index=True)
    silenced_until: datetime | None = _when()
    condition_met: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    # The durable object holding its check(event) -> bool; None until one is generated.
    object_id: int | None = Field(default=None, foreign_key="durable_object.id")
    # A burst of matching events inside this many seconds is one notification.
    group_seconds: int = Field(default=60, sa_column_kwargs={"server_default": "60"})
    last_fired_at: datetime | None = _when()
    # Deleted monitors are kept (their firings and notifications are history), never shown.
    deleted_at: datetime | None = _when()
    created_at: datetime = _created()
    updated_at: datetime = _updated()


class MonitorFiring(SQLModel, table=True):
    """One firing of a monitor (or its resolution): the events it covers and whether the
    person acknowledged it. Notifications point at it."""

    __tablename__ = "monitor_firing"

    id: int | None = Field(default=None, primary_key=True)
    monitor_id: int = Field(foreign_key="monitor.id", index=True)
    kind: str = Field(default="fired", max_length=16)  # fired | resolved
    event_ids: list[int] = Field(default_factory=list, sa_type=sa.JSON)
    count: int = Field(default=1)
    summary: str = _text()
    # Events matching until then join this firing (the grouping window); then it is sent.
    group_until: datetime | None = _when()
    notified_at: datetime | None = _when()
    acknowledged_at: datetime | None = _when()
    acknowledged_by: str = Field(default="", max_length=200)
    created_at: datetime = _created()


class EventSource(SQLModel, table=True):
    """Another system allowed to report events (`POST /api/events`); only its key's SHA-256
    is stored."""

    __tablename__ = "event_source"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True, index=True)
    key_hash: str = Field(max_length=64, unique=True, index=True)
    prefix: str = Field(max_length=16)
    created_at: datetime = _created()
    last_used_at: datetime | None = _when()
    revoked_at: datetime | None = _when()


class Event(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("idempotency_key", name="uq_event_idempotency_key"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, index=True)
    payload: dict[str, Any] = _json()
    source: str = Field(default=Channel.SYSTEM, max_length=32)
    created_at: datetime = _created()
    # When the dispatcher handed the event to the monitors; None means not yet. Indexed, so
    # "the events not dispatched yet" is cheap however many events there are.
    dispatched_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    # "<source>:<id>" for an event reported with an idempotency id: the same one is kept once.
    idempotency_key: str | None = Field(default=None, max_length=300)
    # Failed tries to dispatch it, and the last one's error. After EVENT_DISPATCH_MAX_TRIES
    # the event is given up on: `dispatched_at` is set with the error kept, so it is "failed"
    # and the events after it go on (`backend.monitoring.dispatcher`).
    dispatch_tries: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    dispatch_error: str | None = Field(default=None, sa_type=sa.Text)


class Notification(SQLModel, table=True):
    """One message the product sends a person (a call, an SMS, ...) and how its delivery went.

    Written `queued` in the transaction that asked for it, sent by a job (`backend.channels`)
    with retries; a message that can't be delivered ends `failed` with the last error, never
    silently dropped.
    """

    id: int | None = Field(default=None, primary_key=True)
    monitor_id: int | None = Field(default=None, foreign_key="monitor.id", index=True)
    event_id: int | None = Field(default=None, foreign_key="event.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    channel: str = Field(max_length=16)
    # What it is for (`NotificationPurpose`): a result, a verification code, a monitor's alert.
    purpose: str = Field(default="", max_length=32, sa_column_kwargs={"server_default": ""})
    target: str = Field(default="", max_length=320)
    subject: str = Field(default="", max_length=300)
    body: str = _text()
    # Channel-specific extras: the TwiML of a call, the modification a call offers to approve.
    data: dict[str, Any] = Field(
        default_factory=dict, sa_type=sa.JSON, sa_column_kwargs={"server_default": "{}"}
    )
    status: str = Field(default=NotificationStatus.QUEUED, max_length=16, index=True)
    firing_id: int | None = Field(default=None, foreign_key="monitor_firing.id", index=True)
    # Which try of an alert call this is (unacknowledged calls are tried again), and who
    # answered it by Twilio's answering-machine detection (human, machine_start, ...).
    repeat: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    answered_by: str = Field(default="", max_length=32, sa_column_kwargs={"server_default": ""})
    # The vendor's id for it (a Twilio CallSid or MessageSid), once sent.
    provider_id: str | None = Field(default=None, max_length=64, index=True)
    error: str | None = Field(default=None, sa_type=sa.Text)
    attempts: int = Field(default=0)
    created_at: datetime = _created()
    updated_at: datetime = _updated()
    sent_at: datetime | None = _when()


class Interaction(SQLModel, table=True):
    """One call turn or message between a phone number and the product, as it happened."""

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)  # sms | voice
    direction: str = Field(default="in", max_length=8)  # in | out
    phone: str = Field(default="", max_length=32, index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    # The Twilio CallSid or MessageSid.
    provider_sid: str = Field(default="", max_length=64, index=True)
    step: str = Field(default="", max_length=32)
    transcript: str = _text()
    confidence: float | None = Field(default=None)
    command: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    outcome: str = Field(default="", max_length=32)
    reply: str = _text()
    created_at: datetime = _created()


class Conversation(SQLModel, table=True):
    """What the product is waiting for from one number on one channel (an answer to "which
    one?", a PIN, a confirmation), until it expires."""

    __table_args__ = (sa.UniqueConstraint("phone", "channel", name="uq_conversation_phone"),)

    id: int | None = Field(default=None, primary_key=True)
    phone: str = Field(max_length=32)
    channel: str = Field(max_length=16)
    state: dict[str, Any] = _json()
    expires_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = _updated()


class WebhookReceipt(SQLModel, table=True):
    """A webhook already answered (Twilio retries): the same request gets the same answer and
    does nothing twice."""

    __tablename__ = "webhook_receipt"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True, index=True)
    response: str = _text()
    created_at: datetime = _created()


class Task(SQLModel, table=True):
    """One background job as a person sees it: what, how far, how it ended."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=64, index=True)
    status: str = Field(default=TaskStatus.PENDING, max_length=16, index=True)
    progress: int = Field(default=0, ge=0, le=100)
    message: str = _text()
    params: dict[str, Any] = _json()
    result: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    error: str | None = Field(default=None, sa_type=sa.Text)
    celery_id: str | None = Field(default=None, max_length=64, index=True)
    # The outbox: None until the job's message was handed to the broker.
    published_at: datetime | None = _when()
    # Who holds a running job ("host:pid") and when it last said it is alive.
    worker: str | None = Field(default=None, max_length=200)
    heartbeat_at: datetime | None = _when()
    # How many times the job was handed to a worker again after its worker was lost.
    redeliveries: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # How many times its message was handed to the broker again because no worker had it
    # (the broker lost its queue, or a worker took it and could not start it).
    republishes: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = _created()
    started_at: datetime | None = _when()
    finished_at: datetime | None = _when()
    updated_at: datetime = _updated()


class AuditEntry(SQLModel, table=True):
    """Append-only: who did what, through which channel, when."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    actor: str = Field(max_length=200)
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    channel: str = Field(max_length=16)
    action: str = Field(max_length=64, index=True)
    object_id: int | None = Field(default=None, foreign_key="durable_object.id", index=True)
    detail: dict[str, Any] = _json()
    created_at: datetime = _created()


#: Upper bounds (milliseconds, inclusive) of the latency histogram's buckets in
#: `ObjectCallMinute`; one more bucket holds the calls slower than the last. Each bound is a
#: column `ms_le_<bound>` (and `ms_over`), so aggregates merge by adding integers in SQL.
LATENCY_BOUNDS_MS: tuple[int, ...] = (
    1,
    2,
    3,
    5,
    7,
    10,
    15,
    20,
    30,
    50,
    70,
    100,
    150,
    200,
    300,
    500,
    700,
    1000,
    1500,
    2000,
    3000,
    5000,
    7000,
    10000,
    15000,
    20000,
    30000,
    60000,
)
LATENCY_COLUMNS: tuple[str, ...] = (*(f"ms_le_{bound}" for bound in LATENCY_BOUNDS_MS), "ms_over")
#: Outcome kinds counted in `ObjectCallMinute` (a column `errors_<kind>` each).
CALL_ERROR_KINDS: tuple[str, ...] = ("error", "timeout", "memory", "forbidden", "output")


def _count() -> Any:
    return Field(default=0, sa_column_kwargs={"server_default": "0"})


class ObjectCallMinute(SQLModel, table=True):
    """Calls of one deployed object's function in one version during one period
    (`backend.metrics`): a minute (`period_seconds` 60) or, once rolled up, an hour (3600).

    Written by adding to the counts (an upsert that increments), so every web process can
    merge its own buffer into the same row without losing another's calls.
    """

    __tablename__ = "object_call_minute"
    __table_args__ = (
        sa.UniqueConstraint(
            "object_id",
            "version",
            "function",
            "period_seconds",
            "period_start",
            name="uq_object_call_minute_period",
        ),
        sa.Index("ix_object_call_minute_period", "period_start", "object_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    object_id: int = Field(foreign_key="durable_object.id")
    version: int
    function: str = Field(max_length=200)
    period_start: datetime = Field(sa_type=UTCDateTime)
    period_seconds: int = Field(default=60)
    calls: int = _count()
    errors: int = _count()
    errors_error: int = _count()
    errors_timeout: int = _count()
    errors_memory: int = _count()
    errors_forbidden: int = _count()
    errors_output: int = _count()
    # The latency histogram (LATENCY_BOUNDS_MS), the sum (for the mean) and the slowest.
    ms_le_1: int = _count()
    ms_le_2: int = _count()
    ms_le_3: int = _count()
    ms_le_5: int = _count()
    ms_le_7: int = _count()
    ms_le_10: int = _count()
    ms_le_15: int = _count()
    ms_le_20: int = _count()
    ms_le_30: int = _count()
    ms_le_50: int = _count()
    ms_le_70: int = _count()
    ms_le_100: int = _count()
    ms_le_150: int = _count()
    ms_le_200: int = _count()
    ms_le_300: int = _count()
    ms_le_500: int = _count()
    ms_le_700: int = _count()
    ms_le_1000: int = _count()
    ms_le_1500: int = _count()
    ms_le_2000: int = _count()
    ms_le_3000: int = _count()
    ms_le_5000: int = _count()
    ms_le_7000: int = _count()
    ms_le_10000: int = _count()
    ms_le_15000: int = _count()
    ms_le_20000: int = _count()
    ms_le_30000: int = _count()
    ms_le_60000: int = _count()
    ms_over: int = _count()
    ms_sum: float = Field(default=0.0, sa_column_kwargs={"server_default": "0"})
    ms_max: float = Field(default=0.0, sa_column_kwargs={"server_default": "0"})
    # The newest failure's message in the period, and when it happened.
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    last_error_at: datetime | None = _when()
