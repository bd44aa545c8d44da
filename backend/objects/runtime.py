"""Calling a deployed object's function: checks, the sandbox, and its durable storage.

Calls to one object run one at a time (`locks.object_lock`), so the storage snapshot a call
sees is never half-written; its writes commit together when it returns normally and are
dropped when it fails. Calls to different objects run in parallel.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from backend.accounts import tokens
from backend.config import get_settings
from backend.db import session_scope
from backend.errors import NotFound, ProductError, Unauthorized
from backend.metrics.record import record_call
from backend.models import DurableObject, User
from backend.objects import state, store
from backend.objects.arguments import bind_arguments
from backend.objects.deploy import ensure_mirrored
from backend.objects.files import version_dir
from backend.objects.locks import object_lock
from backend.objects.openapi import openapi_document
from backend.sandbox import CallResult, get_pool, limits_for


class Forbidden(ProductError):
    """The token's user may not call this object."""


class ObjectFailed(ProductError):
    """The object's code raised or broke a sandbox limit; `result` says how."""

    def __init__(self, result: CallResult) -> None:
        super().__init__(result.describe())
        self.result = result


@dataclass(frozen=True)
class CallTarget:
    object_id: int
    slug: str
    version: int
    function: str
    kwargs: dict[str, Any]
    limits: dict[str, Any]


def _authorize(obj: DurableObject, user: User | None) -> None:
    if obj.is_public:
        return
    if user is None:
        raise Unauthorized(f"object {obj.slug} is private: {tokens.SEND_A_TOKEN}")
    if not (user.is_admin or obj.owner_id in (None, user.id)):
        raise Forbidden(f"only the owner of {obj.slug} and admins may call it, not {user.email}")


def authorize(slug: str, user: User | None) -> None:
    """Refuse (`Unauthorized`, `Forbidden`) a caller who may not call object `slug`.

    The first thing a call checks, so a stranger learns nothing about a private object (its
    functions, its version, whether it is deployed, how its arguments are judged).
    """
    with session_scope() as session:
        _authorize(store.get_object(session, slug), user)


def resolve_call(
    slug: str, function: str, args: Any, *, user: User | None, check_access: bool = True
) -> CallTarget:
    """Check that the call may run: access first, then deployed object, known function,
    fitting arguments.

    `check_access=False` is for the local operator (the CLI), who holds the database anyway.
    """
    with session_scope() as session:
        obj = store.get_object(session, slug)
        if check_access:
            _authorize(obj, user)
        if obj.deployed_version is None:
            raise NotFound(f"object {slug!r} is not deployed")
        version = store.get_version(session, slug, obj.deployed_version)
        schema = {f["name"]: f for f in version.api_schema.get("functions", [])}
        if function not in schema:
            raise NotFound(f"object {slug} v{version.number} has no function {function!r}")
        kwargs = bind_arguments(schema[function], args)
        ensure_mirrored(slug, version)
        return CallTarget(obj.id, slug, version.number, function, kwargs, dict(obj.limits))


def _count(target: CallTarget, started: float, result: CallResult) -> None:
    """Add the call to the object's metrics: its whole time here (waiting for the object's
    lock, its storage, the sandbox) and how it ended. An append to memory (`record_call`)."""
    record_call(
        target.object_id,
        target.version,
        target.function,
        None if result.ok else result.error_kind,
        (time.perf_counter() - started) * 1000.0,
        None if result.ok else result.describe(),
    )


def execute(target: CallTarget) -> Any:
    """Run a checked call in the sandbox; returns the function's JSON result.

    Every call the sandbox answers counts in the object's metrics (`backend.metrics`)."""
    started = time.perf_counter()
    with object_lock(target.object_id), session_scope() as session:
        snapshot = state.load(session, target.object_id)
        result = get_pool().call(
            version_dir(target.slug, target.version),
            target.function,
            target.kwargs,
            limits=limits_for(target.limits),
            storage=snapshot,
        )
        if not result.ok:
            _count(target, started, result)
            raise ObjectFailed(result)
        state.apply_writes(session, target.object_id, result.storage_writes)
    _count(target, started, result)
    return result.value


def call_object(
    slug: str, function: str, args: Any, *, user: User | None = None, check_access: bool = True
) -> Any:
    """Resolve and execute a call (the CLI's and the tasks' door; HTTP uses both steps)."""
    return execute(resolve_call(slug, function, args, user=user, check_access=check_access))


def call_as(slug: str, function: str, args: Any, *, user_id: int) -> Any:
    """A call by a signed-in person (the web console): the same access rule as HTTP."""
    with session_scope() as session:
        user = session.get(User, user_id)
    if user is None:
        raise Unauthorized("sign in again: your account no longer exists")
    return call_object(slug, function, args, user=user)


def read_openapi(slug: str, *, user: User | None) -> dict[str, Any]:
    """The deployed version's OpenAPI 3.1 document, under the same access rule as its calls
    (public: anyone; private: its owner's or an admin's token)."""
    with session_scope() as session:
        obj = store.get_object(session, slug)
        _authorize(obj, user)
        if obj.deployed_version is None:
            raise NotFound(f"object {slug!r} is not deployed")
        version = store.get_version(session, slug, obj.deployed_version)
        return openapi_document(
            slug=obj.slug,
            name=obj.name,
            description=obj.description,
            version=version.number,
            api_schema=version.api_schema,
            public=obj.is_public,
            base_url=get_settings().public_base_url,
        )
