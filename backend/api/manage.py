"""/api/manage/...: the product's own actions over HTTP, as the person an API token names.

Each route parses its input, makes one call into a backend service as that person
(channel "api") and answers with the same JSON views the CLI's --json prints. The services
check the rights: a refusal is 403 with the sentence every door shows; no token, or a token
that is not valid, is 401 (with different messages).

    GET  /api/manage/objects                         object summaries
    GET  /api/manage/objects/{slug}                  one object
    GET  /api/manage/objects/{slug}/stats?since=1h   its calls, errors, latency (`objects stats`)
    POST /api/manage/objects/{slug}/deploy           {"version": N}? (admins) -> 202
    POST /api/manage/objects/{slug}/rollback         {"version": N} restore and deploy (admins)
                                                     -> 202
    POST /api/manage/objects/{slug}/visibility       {"public": bool} (owner, admins)
    POST /api/manage/objects/{slug}/modifications    {"prompt": ..., "budget_usd": ...}? -> 202
    GET  /api/manage/modifications/{id}
    POST /api/manage/modifications/{id}/approve      {"deploy": bool}? (admins)
    POST /api/manage/modifications/{id}/reject       {"reason": ...} (owner, requester, admins)
    GET  /api/manage/tasks/{id}

A deployment is always the deploy job (`backend.objects.deploy`): deploy and rollback answer
202 with the job's Task and a Location header naming `/api/manage/tasks/{id}`, where its
progress and, once it succeeded, its result (the deployment's id, status and log) are read.
Approving with {"deploy": true} answers with the approved change and its deploy job
(`deploy_task`), to be followed the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from backend.access.audit import Actor
from backend.accounts import tokens
from backend.api.errors import guarded
from backend.api.inputs import MAX_ID, id_param, read_json, slug_param
from backend.api.objects import caller
from backend.background import jobs
from backend.db import session_scope
from backend.enums import Channel
from backend.errors import InvalidInput, Unauthorized
from backend.metrics import queries
from backend.objects import deploy as deployments
from backend.objects import store
from backend.pipeline import modifications
from backend.read_models.records import (
    modification_view,
    object_view,
    task_view,
)

PREFIX = "/api/manage"


def _actor(authorization: str | None) -> Actor:
    user = caller(authorization)
    if user is None:
        raise Unauthorized(tokens.SEND_A_TOKEN)
    return Actor.for_user(user, Channel.API)


def _field(body: Any, name: str, kind: type, *, required: bool = False) -> Any:
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object")
    value = body.get(name)
    if value is None:
        if required:
            raise InvalidInput(f"the body needs {name!r}")
        return None
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if kind is int and isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON has one kind of number: 3.0 is the integer 3
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise InvalidInput(f"{name!r} must be a {kind.__name__}")
    if kind is int and not 1 <= value <= MAX_ID:  # the database's integers
        raise InvalidInput(f"{name!r} must be a whole number from 1 to {MAX_ID}")
    return value


Action = Callable[[Request, Actor, Any], Any]


def _task_url(task: dict[str, Any]) -> str:
    """Where the job an answer describes is followed."""
    return f"{PREFIX}/tasks/{task['id']}"


def _route(
    path: str,
    action: Action,
    method: str,
    status: int = 200,
    location: Callable[[Any], str] | None = None,
) -> Route:
    """A route that authenticates, reads the body, runs `action` in a thread and answers
    (with a Location header made from the answer by `location`, when given)."""

    async def endpoint(request: Request) -> JSONResponse:
        actor = await run_in_threadpool(_actor, request.headers.get("authorization"))
        body = await read_json(request, empty={}) if method == "POST" else {}
        answer = await run_in_threadpool(action, request, actor, body)
        headers = {"Location": location(answer)} if location is not None else None
        return JSONResponse(answer, status_code=status, headers=headers)

    endpoint.__name__ = action.__name__
    return Route(PREFIX + path, guarded(endpoint), methods=[method])


_slug = slug_param
_id = id_param


def list_objects(request: Request, actor: Actor, body: Any) -> list[dict[str, Any]]:
    with session_scope() as session:
        return [object_view(obj) for obj in store.list_objects(session)]


def show_object(request: Request, actor: Actor, body: Any) -> dict[str, Any]:
    with session_scope() as session:
        return object_view(store.get_object(session, _slug(request)))


def object_stats(request: Request, actor: Actor, body: Any) -> dict[str, Any]:
    since = request.query_params.get("since", "1h")
    return queries.object_stats(_slug(request), since, actor).to_dict()


def deploy(request: Request, actor: Actor, body: Any) -> dict[str, Any]:
    version = _field(body, "version", int)
    return task_view(deployments.request_deploy(_slug(request), actor=actor, number=version))


def rollback(request: Request, actor: Actor, body: Any) -> dict[str, Any]:
    version = _field(body, "version", int, required=True)
    return task_view(
        deployments.request_deploy(_slug(request), actor=actor, number=version, restore=True)
    )


def visibility(request: Request, actor: Actor, body: Any) -> dict[str, Any]:
    public = _field(body, "public", bool, required=True)
    with session_scope() as session:
        return object_view(
            store.set_visibility(session, _slug(request), public=public, actor=actor)
        )


def request_change(request: Request, actor: Actor, body: Any) -> dict[str, Any]:
    modification = modifications.request_modification(
        _slug(request),
        _field(body, "prompt", str, required=True),
        actor=actor,
        budget_usd=_field(body, "budget_usd", float),
    )
    return modification_view(modification)


def show_modification(request: Request, actor: Actor, body: Any) -> dict[str, Any]:
    with session_scope() as session:
        return modification_view(
            modifications.get_modification(session, _id(request, "modification"))
        )


def approve(request: Request, actor: Actor, body: Any) -> dict[str, Any]:
    modification, task = modifications.approve(
        _id(request, "modification"), actor=actor, deploy=bool(_field(body, "deploy", bool))
    )
    view = modification_view(modification)
    view["deploy_task"] = task_view(task) if task is not None else None
    return view


def reject(request: Request, actor: Actor, body: Any) -> dict[str, Any]:
    reason = _field(body, "reason", str, required=True)
    return modification_view(
        modifications.reject(_id(request, "modification"), reason, actor=actor)
    )


def show_task(request: Request, actor: Actor, body: Any) -> dict[str, Any]:
    with session_scope() as session:
        return task_view(jobs.get_task(session, _id(request, "task")))


routes = [
    _route("/objects", list_objects, "GET"),
    _route("/objects/{slug}", show_object, "GET"),
    _route("/objects/{slug}/stats", object_stats, "GET"),
    _route("/objects/{slug}/deploy", deploy, "POST", status=202, location=_task_url),
    _route("/objects/{slug}/rollback", rollback, "POST", status=202, location=_task_url),
    _route("/objects/{slug}/visibility", visibility, "POST"),
    _route("/objects/{slug}/modifications", request_change, "POST", status=202),
    _route("/modifications/{id:digits}", show_modification, "GET"),
    _route("/modifications/{id:digits}/approve", approve, "POST"),
    _route("/modifications/{id:digits}/reject", reject, "POST"),
    _route("/tasks/{id:digits}", show_task, "GET"),
]
