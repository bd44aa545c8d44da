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
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


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


class EventName(StrEnum):
    USER_CREATED = "user.created"
    PAYMENT_FAILED = "payment.failed"
    PAYMENT_SUCCEEDED = "payment.succeeded"
    OBJECT_DEPLOYED = "object.deployed"
    DEPLOYMENT_FAILED = "deployment.failed"
    MODIFICATION_AWAITING_APPROVAL = "modification.awaiting_approval"
    TASK_FAILED = "task.failed"


class Intent(StrEnum):
    MONITOR = "monitor"
    CREATE = "create"
    MODIFY = "modify"
    QUERY = "query"
    DEPLOY = "deploy"
    ROLLBACK = "rollback"
    STATUS = "status"
    HELP = "help"
    UNKNOWN = "unknown"


class Metric(StrEnum):
    USERS_COUNT = "users.count"
    PAYMENTS_FAILED_COUNT = "payments.failed.count"


class QuerySubject(StrEnum):
    USERS_COUNT = "users.count"
    USERS_LATEST = "users.latest"
    PAYMENTS_STATUS = "payments.status"
    OBJECTS_LIST = "objects.list"
    MONITORS_LIST = "monitors.list"
    TASKS_LATEST = "tasks.latest"
    SYSTEM_STATUS = "system.status"
