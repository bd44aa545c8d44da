"""The product's fixed vocabularies: statuses, kinds, channels, event names, intents.

One module, so every door (web, CLI, SMS, voice, tasks) speaks the same words. Values are
stored as plain strings in the database, so adding a member needs no migration.
"""

from __future__ import annotations

from enum import StrEnum


class ObjectKind(StrEnum):
    ENDPOINT = "endpoint"
    WIDGET = "widget"
    MONITOR = "monitor"
    LIBRARY = "library"


class ObjectStatus(StrEnum):
    DRAFT = "draft"
    DEPLOYED = "deployed"
    FAILED = "failed"
    DEPRECATED = "deprecated"


class ModificationStatus(StrEnum):
    PLANNING = "planning"
    GENERATING = "generating"
    EVALUATING = "evaluating"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    FAILED = "failed"
    APPLIED = "applied"
    PAUSED_BUDGET = "paused_budget"  # its LLM budget ran out; resumable with a higher budget


class ModificationKind(StrEnum):
    MODIFY = "modify"  # change an existing object
    CREATE = "create"  # write a new object from requirements


class EditIntent(StrEnum):
    """What a person means by a manual edit; a refactor must keep behaviour."""

    REFACTOR = "refactor"
    CHANGE = "change"


class Verdict(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"


class DeploymentStatus(StrEnum):
    TESTING = "testing"
    LIVE = "live"
    FAILED = "failed"
    SUPERSEDED = "superseded"  # a later deploy replaced it
    ROLLED_BACK = "rolled_back"  # a rollback replaced it


class TaskStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class NotificationStatus(StrEnum):
    QUEUED = "queued"  # written, waiting for its job
    SENT = "sent"  # the vendor took it
    DELIVERED = "delivered"  # the vendor says it arrived (a call answered, an SMS delivered)
    FAILED = "failed"  # given up on, with the last error
    SUPPRESSED = "suppressed"  # deliberately not sent (opted out, quiet hours), with why
    HELD = "held"  # a result for a person on a call with us: told in that call, or sent after


class MonitorState(StrEnum):
    ARMED = "armed"  # watching
    FIRING = "firing"  # a metric monitor whose condition holds now
    PAUSED = "paused"
    SILENCED = "silenced"  # watching, but telling nobody until a time


class NotificationPurpose(StrEnum):
    RESULT = "result"  # the outcome of work a person asked for by phone or SMS
    VERIFICATION = "verification"  # a code that proves a phone number
    ALERT = "alert"  # a monitor fired


class Channel(StrEnum):
    """Ways a person reaches the product, and ways it reaches them."""

    WEB = "web"
    CLI = "cli"
    SMS = "sms"
    VOICE = "voice"
    EMAIL = "email"
    SLACK = "slack"
    GITHUB = "github"
    API = "api"
    SYSTEM = "system"


#: The channels that reach a person on their phone (a call, a text).
PHONE_CHANNELS = frozenset({Channel.VOICE, Channel.SMS})


class EventName(StrEnum):
    """Everything that happens that a person might want to be told about.

    Most are actions (`ACTIONS`): a person, a model or the system changed something, and
    `backend.events.activity.record` writes each one as an audit entry and an Event together. The
    rest come from outside (payments, reported through the events API) and are Events only.
    """

    USER_CREATED = "user.created"
    USER_UPDATED = "user.updated"
    USER_PASSWORD_CHANGED = "user.password_changed"
    USER_INVITED = "user.invited"
    SIGN_IN_LOCKED = "user.sign_in_locked"
    USER_PIN_SET = "user.pin_set"
    PHONE_VERIFICATION_SENT = "user.phone_verification_sent"
    PHONE_VERIFIED = "user.phone_verified"
    SMS_OPT_OUT_CHANGED = "user.sms_opt_out_changed"
    TOKEN_CREATED = "token.created"
    TOKEN_REVOKED = "token.revoked"
    EVENT_SOURCE_CREATED = "event_source.created"
    EVENT_SOURCE_REVOKED = "event_source.revoked"
    OBJECT_CREATED = "object.created"
    OBJECT_EDITED = "object.edited"
    OBJECT_ROLLED_BACK = "object.rolled_back"
    OBJECT_STATUS_CHANGED = "object.status_changed"
    OBJECT_VISIBILITY_CHANGED = "object.visibility_changed"
    OBJECT_AUTO_APPLY_CHANGED = "object.auto_apply_changed"
    OBJECT_LIMITS_CHANGED = "object.limits_changed"
    OBJECT_DEPLOYED = "object.deployed"
    # The system saw a recently deployed version fail noticeably more than the one before it.
    OBJECT_FAILING = "object.failing"
    OBJECT_AUTO_ROLLBACK_CHANGED = "object.auto_rollback_changed"
    DEPLOYMENT_FAILED = "deployment.failed"
    CREATION_REQUESTED = "creation.requested"
    MODIFICATION_REQUESTED = "modification.requested"
    MODIFICATION_ATTEMPT_REFUSED = "modification.attempt_refused"
    MODIFICATION_AWAITING_APPROVAL = "modification.awaiting_approval"
    MODIFICATION_APPLIED = "modification.applied"
    MODIFICATION_REJECTED = "modification.rejected"
    MODIFICATION_RESUMED = "modification.resumed"
    MODIFICATION_FAILED = "modification.failed"
    MODIFICATION_PAUSED = "modification.paused"
    TASK_FAILED = "task.failed"
    MONITOR_CREATED = "monitor.created"
    MONITOR_PAUSED = "monitor.paused"
    MONITOR_RESUMED = "monitor.resumed"
    MONITOR_SILENCED = "monitor.silenced"
    MONITOR_DELETED = "monitor.deleted"
    MONITOR_CHANNEL_CHANGED = "monitor.channel_changed"
    MONITOR_ACKNOWLEDGED = "monitor.acknowledged"
    PAYMENT_FAILED = "payment.failed"
    PAYMENT_SUCCEEDED = "payment.succeeded"


#: Events reported from outside the product; every other name is an action.
EXTERNAL_EVENTS = frozenset({EventName.PAYMENT_FAILED, EventName.PAYMENT_SUCCEEDED})
#: The actions: each is recorded once as an audit entry and once as an Event.
ACTIONS = frozenset(set(EventName) - EXTERNAL_EVENTS)


class Role(StrEnum):
    """What an actor may do (see `backend.access.permissions`)."""

    OPERATOR = "operator"  # the machine's operator (the CLI without --as): every right
    SYSTEM = "system"  # the product itself (jobs, auto-apply): every right
    ADMIN = "admin"
    MEMBER = "member"
    ANONYMOUS = "anonymous"  # not signed in (sign-up, public calls)


class JobKind(StrEnum):
    """Background jobs the backend schedules; `tasks/` registers one Celery task for each."""

    SYSTEM_CHECK = "system.check"
    MODIFICATION_RUN = "modification.run"
    VERSION_EVALUATE = "version.evaluate"
    OBJECT_DEPLOY = "object.deploy"
    NOTIFICATION_SEND = "notification.send"
    COMMAND_INTERPRET = "command.interpret"


class Intent(StrEnum):
    MONITOR = "monitor"
    CREATE = "create"
    MODIFY = "modify"
    QUERY = "query"
    DEPLOY = "deploy"
    ROLLBACK = "rollback"
    STATUS = "status"
    HEALTH = "health"  # how an object is doing (calls, errors, latency), or which are failing
    APPROVE = "approve"
    REJECT = "reject"
    HELP = "help"
    # Managing one's own monitors ("pause monitor 6", "stop calling me about new users").
    # Listing them is the question `QuerySubject.MONITORS_LIST`.
    PAUSE_MONITOR = "pause_monitor"
    RESUME_MONITOR = "resume_monitor"
    SILENCE_MONITOR = "silence_monitor"
    DELETE_MONITOR = "delete_monitor"
    STOP_MONITOR = "stop_monitor"  # "don't text me about payments any more": pause or delete?
    UNKNOWN = "unknown"


#: The intents that change one of the person's own monitors.
MONITOR_MANAGEMENT = frozenset(
    {
        Intent.PAUSE_MONITOR,
        Intent.RESUME_MONITOR,
        Intent.SILENCE_MONITOR,
        Intent.DELETE_MONITOR,
        Intent.STOP_MONITOR,
    }
)


class Metric(StrEnum):
    USERS_COUNT = "users.count"
    PAYMENTS_FAILED_COUNT = "payments.failed.count"
    # An object's own behaviour over a window (one object, or the worst of all of them).
    OBJECT_ERRORS = "object.errors"  # failed calls
    OBJECT_ERROR_RATE = "object.error_rate"  # percent of calls that failed
    OBJECT_LATENCY = "object.latency"  # p95 of a call, in ms


#: The metrics measured from an object's calls (`backend.monitoring.object_health`).
OBJECT_METRICS = frozenset({Metric.OBJECT_ERRORS, Metric.OBJECT_ERROR_RATE, Metric.OBJECT_LATENCY})


class QuerySubject(StrEnum):
    USERS_COUNT = "users.count"
    USERS_LATEST = "users.latest"
    PAYMENTS_STATUS = "payments.status"
    OBJECTS_LIST = "objects.list"
    MONITORS_LIST = "monitors.list"
    TASKS_LATEST = "tasks.latest"
    SYSTEM_STATUS = "system.status"
