"""GET /api/openapi.json: the product's own API as an OpenAPI 3.1 document.

Every /api/ route is one entry of `OPERATIONS` below (path, method, who may call it, body,
answers); tests check the table and the routes name the same operations, and fuzz the
document against the running API with schemathesis. Each deployed object's own calls have
their own document (`backend/objects/openapi.py`, at /api/objects/{slug}/openapi.json);
here the call route is described once, for any object.

Two bearer schemes: `apiToken`, a person's API token (the Tokens page, `tokens create`), and
`eventSourceKey`, an event source's key (`events sources add`). Every error answers the one
shape `Error` (backend/api/errors.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from backend.api.errors import guarded
from backend.api.inputs import MAX_ID
from backend.config import get_settings
from backend.enums import EXTERNAL_EVENTS, EventName
from backend.events import payloads as event_payloads
from backend.models import CALL_ERROR_KINDS
from backend.objects.openapi import OPENAPI_VERSION
from backend.objects.slugs import MAX_SLUG_LENGTH

DOCUMENT_PATH = "/api/openapi.json"
TOKEN = "apiToken"
EVENT_KEY = "eventSourceKey"

_ERRORS = {
    "400": "The input is malformed or breaks a rule (the error says which).",
    "401": "No credentials, or credentials that are not valid (the error says which).",
    "403": "The token's owner may not do this.",
    "404": "No such object, function, modification or task.",
    "409": "The request clashes with the state of what it names.",
    "413": "The request body is over the limit (API_MAX_BODY_BYTES).",
    "422": "The object's code raised an error or broke a sandbox limit.",
    "503": "The database is busy (see Retry-After) or the sandbox can't run code here.",
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str) -> dict[str, Any]:
    return {"type": [kind, "null"]}


def _record(properties: dict[str, Any], description: str) -> dict[str, Any]:
    """An object schema whose properties are all always there (the views emit every key)."""
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "required": sorted(properties),
    }


_WHEN = {"type": ["string", "null"], "description": "ISO 8601 time"}
#: JSON Schema patterns (ECMA-262): no NUL anywhere; and at least one other character too.
_NO_NUL = "^[^\\u0000]*$"
_SAYS_SOMETHING = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
#: What a modification's view shows (`Modification`, and `Approval` with its deploy job).
_MODIFICATION: dict[str, Any] = {
    "id": {"type": "integer"},
    "kind": {"type": "string"},
    "slug": {"type": "string"},
    "status": {"type": "string"},
    "prompt": {"type": "string"},
    "attempts": {"type": "integer"},
    "plan": _nullable("object"),
    "proposed_files": {"type": "array", "items": {"type": "string"}},
    "error": _nullable("string"),
    "rejection_reason": _nullable("string"),
    "cost_usd": {"type": "number"},
    "budget_usd": _nullable("number"),
    "task_id": _nullable("integer"),
    "created_at": _WHEN,
}
_KINDS: dict[str, dict[str, Any]] = {  # event_payloads' kinds as JSON Schema
    "string": _ref("Text"),
    "integer": _ref("PayloadInteger"),
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "list": {"type": "array", "items": _ref("PayloadJson")},
    "object": {"type": "object", "additionalProperties": _ref("PayloadJson")},
}


def _payload_field(name: str, field: event_payloads.Field) -> dict[str, Any]:
    kind = (
        {"type": "string", "pattern": "^[A-Za-z]{3}$"} if name == "currency" else _KINDS[field.kind]
    )
    schema = {**kind, "description": field.meaning}
    return {"anyOf": [schema, {"type": "null"}]} if field.nullable else schema


def _event_report(name: EventName) -> dict[str, Any]:
    """The body that reports one event type: its name and its payload's documented fields."""
    fields = event_payloads.fields_of(name)
    return {
        "type": "object",
        "properties": {
            "type": {"const": str(name)},
            "payload": {
                "type": "object",
                "properties": {key: _payload_field(key, field) for key, field in fields.items()},
                "required": sorted(key for key, field in fields.items() if field.required),
                "propertyNames": {"pattern": _NO_NUL},
                "additionalProperties": _ref("PayloadJson"),
            },
            "id": {
                "anyOf": [
                    {"type": "string", "pattern": _SAYS_SOMETHING, "maxLength": 200},
                    {"type": "null"},
                ],
                "description": "The event's id in your system: a repeat is stored once. "
                "Null or left out: the event has no id and is never taken for a repeat.",
            },
        },
        "required": ["type", "payload"],
        "propertyNames": {"pattern": _NO_NUL},
        "additionalProperties": _ref("Json"),
    }


_MS = {**_nullable("number"), "description": "Milliseconds; null with no calls."}
#: One window's numbers (`backend.metrics.queries.WindowStats.to_dict`).
_WINDOW_STATS: dict[str, Any] = {
    "calls": {"type": "integer"},
    "errors": {"type": "integer"},
    "errors_by_kind": _record(
        {kind: {"type": "integer"} for kind in CALL_ERROR_KINDS},
        "Failed calls by kind (every kind, 0 when none).",
    ),
    "error_rate": {"type": "number"},
    "p50_ms": _MS,
    "p95_ms": _MS,
    "p99_ms": _MS,
    "mean_ms": _MS,
    "max_ms": _MS,
    "last_error": _nullable("string"),
    "last_error_at": _WHEN,
    "last_error_function": _nullable("string"),
    "last_error_version": _nullable("integer"),
}

SCHEMAS: dict[str, Any] = {
    "WindowStats": _record(
        _WINDOW_STATS,
        "Calls over a window: counts, errors by kind, latency percentiles (exact to the "
        "latency histogram's bucket), the newest error.",
    ),
    "ObjectStats": _record(
        {
            **_WINDOW_STATS,
            "slug": {"type": "string"},
            "name": {"type": "string"},
            "live_version": _nullable("integer"),
            "since": {"type": "string", "description": "ISO 8601 time"},
            "by_function": {"type": "object", "additionalProperties": _ref("WindowStats")},
            "by_version": {
                "type": "object",
                "propertyNames": {"pattern": "^[0-9]+$"},
                "additionalProperties": _ref("WindowStats"),
            },
        },
        "An object's calls since a time: in all, per function and per version.",
    ),
    "Error": {
        "type": "object",
        "description": "Why the request was refused or failed; a failed object call also "
        "names the error's type and message.",
        "properties": {
            "error": {"type": "string"},
            "type": {"type": "string"},
            "message": {"type": "string"},
        },
        "required": ["error"],
    },
    "Object": _record(
        {
            "slug": {"type": "string"},
            "name": {"type": "string"},
            "description": {"type": "string"},
            "kind": {"type": "string"},
            "status": {"type": "string"},
            "current_version": _nullable("integer"),
            "deployed_version": _nullable("integer"),
            "owner_id": _nullable("integer"),
            "is_public": {"type": "boolean"},
            "auto_apply": {"type": "boolean"},
            "auto_rollback": {"type": "boolean"},
            "limits": {"type": "object"},
            "created_at": _WHEN,
            "updated_at": _WHEN,
        },
        "A durable object.",
    ),
    "Modification": _record(_MODIFICATION, "A requested change and where it stands."),
    "Approval": _record(
        {
            **_MODIFICATION,
            "deploy_task": {
                "anyOf": [_ref("Task"), {"type": "null"}],
                "description": "The deploy job asked for with the approval; follow it at "
                "/api/manage/tasks/{id}. Null when no deployment was asked for.",
            },
        },
        "An approved change, and the job deploying it when one was asked for.",
    ),
    "Task": _record(
        {
            "id": {"type": "integer"},
            "kind": {"type": "string"},
            "status": {"type": "string"},
            "progress": {"type": "integer"},
            "message": {"type": "string"},
            "result": _nullable("object"),
            "error": _nullable("string"),
            "redeliveries": {"type": "integer"},
            "created_at": _WHEN,
            "started_at": _WHEN,
            "finished_at": _WHEN,
        },
        "A background job.",
    ),
    "Health": {
        "type": "object",
        "properties": {
            "status": {"enum": ["ok", "degraded"]},
            "database": {"type": "object"},
            "broker": {"type": "object"},
            "features": {"type": "object"},
            "sandbox": {"type": "object"},
        },
        "required": ["status", "database", "broker", "features", "sandbox"],
    },
    "Text": {
        "type": "string",
        "pattern": _NO_NUL,
        "description": "Text: no NUL characters (nor lone surrogates, which JSON in UTF-8 "
        "can't carry anyway).",
    },
    "Words": {
        "type": "string",
        "pattern": _SAYS_SOMETHING,
        "description": "Text that says something: not only blanks, no NUL characters.",
    },
    "Json": {
        "description": "Any JSON whose strings and keys hold no NUL characters.",
        "anyOf": [
            {"type": ["null", "boolean", "number"]},
            _ref("Text"),
            {"type": "array", "items": _ref("Json")},
            {
                "type": "object",
                "propertyNames": {"pattern": _NO_NUL},
                "additionalProperties": _ref("Json"),
            },
        ],
    },
    "PayloadInteger": {
        "description": "An integer that fits 64 bits (`event_payloads.INT_LIMIT`).",
        "type": "integer",
        "minimum": -event_payloads.INT_LIMIT + 1,
        "maximum": event_payloads.INT_LIMIT - 1,
    },
    "PayloadJson": {
        "description": "Any JSON an event payload may hold: no NUL characters, integers that "
        "fit 64 bits, at most EVENT_PAYLOAD_MAX_DEPTH levels and EVENT_PAYLOAD_MAX_BYTES.",
        "anyOf": [
            {"type": ["null", "boolean"]},
            {"type": "number", "not": {"type": "integer"}},
            _ref("PayloadInteger"),
            _ref("Text"),
            {"type": "array", "items": _ref("PayloadJson")},
            {
                "type": "object",
                "propertyNames": {"pattern": _NO_NUL},
                "additionalProperties": _ref("PayloadJson"),
            },
        ],
    },
    "EventReport": {
        "description": "An event of a type other systems may report, with the payload that "
        "type needs (`backend/events/payloads.py`); more payload fields are kept as they came.",
        "oneOf": [_event_report(name) for name in sorted(EXTERNAL_EVENTS)],
    },
    "EventAccepted": _record(
        {
            "accepted": {"const": True},
            "event_id": {"type": "integer"},
            "duplicate": {"type": "boolean"},
        },
        "The event is stored (or was, the first time its id came).",
    ),
}

_SLUG = {
    "name": "slug",
    "in": "path",
    "required": True,
    "schema": {
        "type": "string",
        "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$",
        "maxLength": MAX_SLUG_LENGTH,
    },
}
_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
}
_FUNCTION = {"name": "function", "in": "path", "required": True, "schema": {"type": "string"}}
_SINCE = {
    "name": "since",
    "in": "query",
    "required": False,
    "description": "The window: a number and a unit (s, m, h, d, w), like 15m, 1h or 7d; "
    "a bare number is minutes; at most 366d. Default 1h.",
    "schema": {"type": "string", "pattern": "^[0-9]{1,7}[smhdw]?$", "default": "1h"},
}


@dataclass(frozen=True)
class Operation:
    """One route of the API as the document describes it."""

    method: str
    path: str
    operation_id: str
    summary: str
    answer: tuple[str, dict[str, Any]]  # status, schema of the answer
    errors: tuple[str, ...]
    security: tuple[str, ...] = (TOKEN,)  # any one of these; () is none
    optional_security: bool = False  # also answers without credentials
    body: dict[str, Any] | None = None
    body_required: bool = False
    parameters: tuple[dict[str, Any], ...] = field(default=())
    # The answer is a background job's Task (202): its Location header says where to follow it.
    follow_job: bool = False

    def document(self) -> dict[str, Any]:
        status, schema = self.answer
        responses: dict[str, Any] = {
            status: {
                "description": "Done.",
                "content": {"application/json": {"schema": schema}},
            }
        }
        if self.follow_job:
            responses[status]["description"] = (
                "Accepted: the job runs in the background; follow it at the Location given."
            )
            responses[status]["headers"] = {
                "Location": {
                    "description": "The job: /api/manage/tasks/{id} (its progress, then its "
                    "result or error).",
                    "schema": {"type": "string"},
                }
            }
        for code in self.errors:
            responses[code] = {
                "description": _ERRORS[code],
                "content": {"application/json": {"schema": _ref("Error")}},
            }
            if code == "503":
                responses[code]["headers"] = {
                    "Retry-After": {
                        "description": "Seconds to wait when the database was busy.",
                        "schema": {"type": "string"},
                    }
                }
        operation: dict[str, Any] = {
            "operationId": self.operation_id,
            "summary": self.summary,
            "responses": dict(sorted(responses.items())),
            "security": [{name: []} for name in self.security]
            + ([{}] if self.optional_security or not self.security else []),
        }
        if self.parameters:
            operation["parameters"] = list(self.parameters)
        if self.body is not None:
            operation["requestBody"] = {
                "required": self.body_required,
                "content": {"application/json": {"schema": self.body}},
            }
        return operation


def _body(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """A JSON object body; fields beyond `properties` are ignored, but parsed like the rest."""
    return {
        "type": "object",
        "properties": properties,
        **({"required": list(required)} if required else {}),
        "propertyNames": {"pattern": _NO_NUL},
        "additionalProperties": _ref("Json"),
    }


_READ = ("400", "401", "403", "404", "503")
_WRITE = ("400", "401", "403", "404", "409", "413", "503")
_VERSION = {"type": "integer", "minimum": 1, "maximum": MAX_ID}

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "get",
        "/api/health",
        "health",
        "Is the database there and current, does the broker answer, which features are on.",
        ("200", _ref("Health")),
        ("503",),
        security=(),
    ),
    Operation(
        "get",
        DOCUMENT_PATH,
        "openapi",
        "This document.",
        ("200", {"type": "object"}),
        ("503",),
        security=(),
    ),
    Operation(
        "post",
        "/api/events",
        "report_event",
        "Report an event from another system.",
        ("202", _ref("EventAccepted")),
        ("400", "401", "413", "503"),
        security=(EVENT_KEY,),
        body=_ref("EventReport"),
        body_required=True,
    ),
    Operation(
        "get",
        "/api/objects/{slug}/openapi.json",
        "object_openapi",
        "A deployed object's own OpenAPI document (a token for a private object).",
        ("200", {"type": "object"}),
        _READ,
        optional_security=True,
        parameters=(_SLUG,),
    ),
    Operation(
        "post",
        "/api/objects/{slug}/{function}",
        "call_function",
        "Call a deployed object's function with its arguments (a token for a private object).",
        ("200", _record({"result": {}}, "What the function returned.")),
        ("400", "401", "403", "404", "413", "422", "503"),
        optional_security=True,
        parameters=(_SLUG, _FUNCTION),
        body={**_body({}), "description": "The function's arguments by name."},
    ),
    Operation(
        "get",
        "/api/manage/objects",
        "list_objects",
        "Every object's summary.",
        ("200", {"type": "array", "items": _ref("Object")}),
        ("401", "503"),
    ),
    Operation(
        "get",
        "/api/manage/objects/{slug}",
        "show_object",
        "One object.",
        ("200", _ref("Object")),
        _READ,
        parameters=(_SLUG,),
    ),
    Operation(
        "get",
        "/api/manage/objects/{slug}/stats",
        "object_stats",
        "How an object's calls went since a time: calls, errors by kind, latency p50/p95/p99, "
        "in all, per function and per version.",
        ("200", _ref("ObjectStats")),
        _READ,
        parameters=(_SLUG, _SINCE),
    ),
    Operation(
        "post",
        "/api/manage/objects/{slug}/deploy",
        "deploy",
        "Ask for a version (the newest when none is named) to be tested and made live by "
        "a deploy job; admins. When the job succeeded, its result names the deployment, its "
        "status (live or failed) and its log.",
        ("202", _ref("Task")),
        _WRITE,
        parameters=(_SLUG,),
        body=_body({"version": _VERSION}),
        follow_job=True,
    ),
    Operation(
        "post",
        "/api/manage/objects/{slug}/rollback",
        "rollback",
        "Restore an earlier version as a new one and deploy that by a deploy job; admins.",
        ("202", _ref("Task")),
        _WRITE,
        parameters=(_SLUG,),
        body=_body({"version": _VERSION}, ("version",)),
        body_required=True,
        follow_job=True,
    ),
    Operation(
        "post",
        "/api/manage/objects/{slug}/visibility",
        "visibility",
        "Make an object public or private; its owner, admins.",
        ("200", _ref("Object")),
        _WRITE,
        parameters=(_SLUG,),
        body=_body({"public": {"type": "boolean"}}, ("public",)),
        body_required=True,
    ),
    Operation(
        "post",
        "/api/manage/objects/{slug}/modifications",
        "request_change",
        "Ask for a change in words; the LLM plans and writes it in the background.",
        ("202", _ref("Modification")),
        _WRITE,
        parameters=(_SLUG,),
        body=_body(
            {
                "prompt": _ref("Words"),
                "budget_usd": {
                    "anyOf": [{"type": "number", "exclusiveMinimum": 0}, {"type": "null"}]
                },
            },
            ("prompt",),
        ),
        body_required=True,
    ),
    Operation(
        "get",
        "/api/manage/modifications/{id}",
        "show_modification",
        "One modification.",
        ("200", _ref("Modification")),
        _READ,
        parameters=(_ID,),
    ),
    Operation(
        "post",
        "/api/manage/modifications/{id}/approve",
        "approve",
        "Approve a change waiting for a person and, if asked, start the job deploying it "
        "(one step: a refused deployment leaves the change waiting); admins.",
        ("200", _ref("Approval")),
        _WRITE,
        parameters=(_ID,),
        body=_body({"deploy": {"type": "boolean"}}),
    ),
    Operation(
        "post",
        "/api/manage/modifications/{id}/reject",
        "reject",
        "Reject a change, saying why; its object's owner, who asked, admins.",
        ("200", _ref("Modification")),
        _WRITE,
        parameters=(_ID,),
        body=_body({"reason": _ref("Words")}, ("reason",)),
        body_required=True,
    ),
    Operation(
        "get",
        "/api/manage/tasks/{id}",
        "show_task",
        "One background job.",
        ("200", _ref("Task")),
        _READ,
        parameters=(_ID,),
    ),
)


def product_openapi(base_url: str | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the product's own API, served from `base_url`
    (PUBLIC_BASE_URL when not given)."""
    paths: dict[str, dict[str, Any]] = {}
    for operation in OPERATIONS:
        paths.setdefault(operation.path, {})[operation.method] = operation.document()
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Durable objects",
            "version": "1",
            "description": "The product's own API: health, event reports, calls to deployed "
            "objects and the actions the CLI and the pages offer. Every error answers "
            '{"error": "<why>"}.',
        },
        "servers": [{"url": (base_url or get_settings().public_base_url).rstrip("/")}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                TOKEN: {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A person's API token (the Tokens page, or `tokens create`).",
                },
                EVENT_KEY: {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An event source's key (`events sources add`).",
                },
            },
        },
    }


@guarded
async def openapi(_request: Request) -> JSONResponse:
    return JSONResponse(product_openapi())


routes = [Route(DOCUMENT_PATH, openapi, methods=["GET"])]
