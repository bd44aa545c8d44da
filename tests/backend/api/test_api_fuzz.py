"""schemathesis fuzzes the product's API document (/api/openapi.json) and a deployed object's
own document (/api/objects/{slug}/openapi.json) against the real API over HTTP: no answer is
a 5xx, every answer's status, content type, headers and body fit the document, and data that
breaks the document is refused with a 4xx. On SQLite and PostgreSQL.

The number of examples per operation is bounded (EXAMPLES, positive and negative each) and
derandomized, so the module stays under a minute and a failure repeats; each failure prints
the curl command that replays it. (Exploring with EXAMPLES = 60 and random seeds found
nothing more.)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance
from starlette.routing import Route

from backend import config, db
from backend.access.audit import Actor
from backend.accounts import tokens, users
from backend.api import api_routes
from backend.api.openapi import OPERATIONS
from backend.events import sources
from backend.objects import store
from tests.support.api_server import serve_api
from tests.support.deploying import deploy_now
from tests.support.sandbox_helpers import require_default_pool

OPERATOR = Actor.operator("ops@example.com")
EXAMPLES = 10
TYPED = '''
"""Unit conversions and a tally."""

from typing import Any, Optional


def c_to_f(celsius: float) -> float:
    """Convert degrees Celsius to Fahrenheit."""
    return celsius * 9 / 5 + 32


def tally(words: list[str], *, limit: Optional[int] = None) -> dict:
    return {"n": len(words[:limit] if limit else words)}


def echo(value: Any = None, **extra) -> Any:
    return [value, extra]
'''


@dataclass
class World:
    url: str
    token: str  # a member's API token
    key: str  # an event source's key


@pytest.fixture
def world(migrated_db, monkeypatch) -> Iterator[World]:
    require_default_pool()
    # Changes are asked for, never worked on (no worker runs); without an LLM they'd be refused.
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    config.reload_settings()
    with db.session_scope() as session:
        users.add_user_in(session, name="Bob", email="bob@example.com")
        token, _ = tokens.create_token_in(session, email="bob@example.com")
        key = sources.create_source_in(session, "shop", actor=OPERATOR)[0]
        store.create_object_in(
            session, slug="units", name="Units", files={"main.py": TYPED}, actor=OPERATOR
        )
        store.set_visibility_in(session, "units", public=True, actor=OPERATOR)
    deploy_now("units", actor=OPERATOR)
    with serve_api() as url:
        yield World(url, token, key)


def _fuzz(schema: schemathesis.BaseSchema, url: str, headers_for, excluded=()) -> int:
    """Run every operation of `schema` with positive and negative data against `url`;
    returns how many cases ran (each failure raises with the case to replay)."""
    ran = 0

    def run(operation, mode: GenerationMode) -> None:
        headers = headers_for(operation)

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def check(case) -> None:
            nonlocal ran
            ran += 1
            case.call_and_validate(base_url=url, headers=headers, excluded_checks=list(excluded))

        check()

    for result in schema.get_all_operations():
        operation = result.ok()
        run(operation, GenerationMode.POSITIVE)
        try:
            run(operation, GenerationMode.NEGATIVE)
        except Unsatisfiable:  # nothing to break: no parameters, no body (GET /api/health)
            assert not operation.body and not operation.path_parameters
    return ran


def test_the_products_api_keeps_its_document(world):
    document = httpx.get(f"{world.url}/api/openapi.json").json()
    schema = schemathesis.openapi.from_dict(document)

    def headers_for(operation) -> dict[str, str]:
        credential = world.key if operation.path == "/api/events" else world.token
        return {"Authorization": f"Bearer {credential}"}

    ran = _fuzz(schema, world.url, headers_for)
    assert ran >= len(document["paths"])


def test_a_deployed_objects_api_keeps_its_document(world):
    schema = schemathesis.openapi.from_url(f"{world.url}/api/objects/units/openapi.json")
    # The object's own code may refuse arguments that fit their types (422: here c_to_f's
    # result overflows to a float JSON can't hold), so valid data need not be accepted.
    ran = _fuzz(schema, world.url, lambda _operation: {}, excluded=[positive_data_acceptance])
    assert ran >= 3


def test_the_document_names_exactly_the_api_routes():
    """Every /api/ route is described, and the document describes no route that isn't there."""
    served = {
        (method.lower(), re.sub(r":\w+}", "}", route.path))
        for route in api_routes()
        if isinstance(route, Route) and route.path.startswith("/api/") and "{path" not in route.path
        for method in route.methods - {"HEAD"}
    }
    assert served == {(operation.method, operation.path) for operation in OPERATIONS}
