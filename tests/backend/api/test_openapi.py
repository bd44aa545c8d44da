"""Each deployed object's OpenAPI 3.1 document over HTTP: generated from its API schema,
under the same access rule as its calls, and good enough to call the object with.

`openapi-spec-validator` is not installed here, so `_check_openapi_31` checks the structure
the specification requires by hand: the required fields, every `$ref` resolving, JSON Schema
types, and one operation per exported function.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from backend import db
from backend.access.audit import Actor
from backend.accounts import tokens, users
from backend.config import get_settings
from backend.objects import store
from backend.objects.openapi import annotation_schema
from tests.support.api_server import serve_api
from tests.support.deploying import deploy_now

ADMIN = Actor.operator("ops@example.com")
TYPED = '''
"""Unit conversions and a tally."""

from typing import Any, Optional


def c_to_f(celsius: float) -> float:
    """Convert degrees Celsius to Fahrenheit."""
    return celsius * 9 / 5 + 32


def tally(words: list[str], *, limit: Optional[int] = None, weights: dict[str, int] = {}) -> dict:
    return {"n": len(words[:limit] if limit else words), "w": sum(weights.values())}


def anything(value: Any, **extra) -> Any:
    return [value, extra]


def _hidden() -> None:
    pass
'''
TESTS = "from main import c_to_f\n\n\ndef test_c_to_f():\n    assert c_to_f(100) == 212\n"
JSON_SCHEMA_TYPES = {"null", "boolean", "object", "array", "number", "integer", "string"}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture
def server(migrated_db) -> Iterator[str]:
    with serve_api() as url:
        yield url


def _deployed(slug: str, *, public: bool, owner_id: int | None = None) -> None:
    with db.session_scope() as session:
        store.create_object_in(
            session,
            slug=slug,
            name="Conversions",
            description="Converts units.",
            files={"main.py": TYPED, "test_main.py": TESTS},
            actor=ADMIN,
            owner_id=owner_id,
        )
        store.set_visibility_in(session, slug, public=public, actor=ADMIN)
    deploy_now(slug, actor=ADMIN)


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), f"only local references are generated, not {ref}"
    node: Any = document
    for part in ref[2:].split("/"):
        assert part in node, f"{ref} does not resolve"
        node = node[part]
    return node


def _check_schema(document: dict[str, Any], schema: Any, where: str) -> None:
    """A JSON Schema (2020-12, as OpenAPI 3.1 uses): types known, subschemas valid."""
    assert isinstance(schema, dict | bool), where
    if isinstance(schema, bool):
        return
    if "$ref" in schema:
        _check_schema(document, _resolve(document, schema["$ref"]), schema["$ref"])
    kinds = schema.get("type", [])
    for kind in kinds if isinstance(kinds, list) else [kinds]:
        assert kind in JSON_SCHEMA_TYPES, f"{where}: unknown type {kind!r}"
    for name, sub in schema.get("properties", {}).items():
        _check_schema(document, sub, f"{where}.{name}")
    for key in ("items", "additionalProperties"):
        if key in schema:
            _check_schema(document, schema[key], f"{where}[{key}]")
    for sub in schema.get("anyOf", []):
        _check_schema(document, sub, f"{where}|anyOf")
    for name in schema.get("required", []):
        assert name in schema.get("properties", {}), f"{where}: required {name} is not a property"


def _check_openapi_31(document: dict[str, Any]) -> None:
    """The structure OpenAPI 3.1 requires of what is generated (no validator is installed)."""
    assert document["openapi"].startswith("3.1.")
    assert document["info"]["title"] and document["info"]["version"]
    assert all(server["url"] for server in document["servers"])
    schemes = document.get("components", {}).get("securitySchemes", {})
    for requirement in document.get("security", []):
        assert set(requirement) <= set(schemes), "security names an undefined scheme"
    for scheme in schemes.values():
        assert scheme["type"] in {"apiKey", "http", "mutualTLS", "oauth2", "openIdConnect"}
    operation_ids = []
    for path, item in document["paths"].items():
        assert path.startswith("/")
        for method, operation in item.items():
            assert method in HTTP_METHODS
            operation_ids.append(operation["operationId"])
            assert operation["responses"], f"{path}: an operation needs responses"
            for code, response in operation["responses"].items():
                assert code == "default" or (code.isdigit() and len(code) == 3)
                assert response["description"]
                for media in response.get("content", {}).values():
                    _check_schema(document, media["schema"], f"{path} {code}")
            for media in operation["requestBody"]["content"].values():
                _check_schema(document, media["schema"], f"{path} body")
    assert len(operation_ids) == len(set(operation_ids)), "operationIds must be unique"


def test_a_public_objects_document_describes_each_function_and_calls_work(server):
    _deployed("units", public=True)
    with httpx.Client(timeout=30) as client:
        answer = client.get(f"{server}/api/objects/units/openapi.json")
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("application/json")
        document = answer.json()
        _check_openapi_31(document)
        assert document["info"]["version"] == "v1"
        assert "security" not in document  # public: no token needed

        paths = document["paths"]
        assert sorted(paths) == [
            "/api/objects/units/anything",
            "/api/objects/units/c_to_f",
            "/api/objects/units/tally",
        ]
        c_to_f = paths["/api/objects/units/c_to_f"]["post"]
        assert c_to_f["operationId"] == "c_to_f"
        assert c_to_f["summary"] == "Convert degrees Celsius to Fahrenheit."
        body = c_to_f["requestBody"]["content"]["application/json"]["schema"]
        assert body == {
            "type": "object",
            "properties": {"celsius": {"type": "number"}},
            "required": ["celsius"],
            "additionalProperties": False,
        }
        result = c_to_f["responses"]["200"]["content"]["application/json"]["schema"]
        assert result["properties"]["result"] == {"type": "number"}
        tally = paths["/api/objects/units/tally"]["post"]["requestBody"]["content"]
        tally_schema = tally["application/json"]["schema"]
        assert tally_schema["properties"]["limit"] == {
            "anyOf": [{"type": "integer"}, {"type": "null"}],
            "default": None,
        }
        assert tally_schema["properties"]["words"] == {"type": "array", "items": {"type": "string"}}
        anything = paths["/api/objects/units/anything"]["post"]["requestBody"]["content"]
        assert anything["application/json"]["schema"]["additionalProperties"] is True

        # The document names PUBLIC_BASE_URL; under it (here: the test server), the path
        # answers a POST as described.
        assert document["servers"] == [{"url": get_settings().public_base_url}]
        call = client.post(f"{server}/api/objects/units/c_to_f", json={"celsius": 100})
        assert call.json() == {"result": 212}


def test_a_private_objects_document_follows_the_calls_access_rule(server):
    with db.session_scope() as session:
        owner = users.add_user_in(session, name="Owner", email="owner@example.com")
        users.add_user_in(session, name="Other", email="other@example.com")
        owner_token, _ = tokens.create_token_in(session, email="owner@example.com")
        other_token, _ = tokens.create_token_in(session, email="other@example.com")
        owner_id = owner.id
    _deployed("secret", public=False, owner_id=owner_id)
    url = f"{server}/api/objects/secret/openapi.json"
    with httpx.Client(timeout=30) as client:
        assert client.get(url).status_code == 401
        forged = client.get(url, headers={"Authorization": "Bearer dob_forged"})
        assert forged.status_code == 401
        other = client.get(url, headers={"Authorization": f"Bearer {other_token}"})
        assert other.status_code == 403
        mine = client.get(url, headers={"Authorization": f"Bearer {owner_token}"})
        assert mine.status_code == 200
        document = mine.json()
        _check_openapi_31(document)
        assert document["security"] == [{"apiToken": []}]
        assert document["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"
        responses = document["paths"]["/api/objects/secret/c_to_f"]["post"]["responses"]
        assert {"401", "403"} <= set(responses)


def test_no_document_for_an_undeployed_or_unknown_object(server):
    with db.session_scope() as session:
        store.create_object_in(
            session, slug="draft", name="Draft", files={"main.py": TYPED}, actor=ADMIN
        )
        store.set_visibility_in(session, "draft", public=True, actor=ADMIN)
    with httpx.Client(timeout=30) as client:
        draft = client.get(f"{server}/api/objects/draft/openapi.json")
        assert draft.status_code == 404 and "not deployed" in draft.json()["error"]
        assert client.get(f"{server}/api/objects/nothing/openapi.json").status_code == 404


@pytest.mark.parametrize(
    ("annotation", "schema"),
    [
        ("int", {"type": "integer"}),
        ("typing.List[int]", {"type": "array", "items": {"type": "integer"}}),
        ("dict[str, float]", {"type": "object", "additionalProperties": {"type": "number"}}),
        ("str | None", {"anyOf": [{"type": "string"}, {"type": "null"}]}),
        ("Any", {}),
        ("MyClass", {}),
        ("int | MyClass", {}),
        (None, {}),
        ("not valid (", {}),
    ],
)
def test_annotations_become_json_schema(annotation, schema):
    assert annotation_schema(annotation) == schema
