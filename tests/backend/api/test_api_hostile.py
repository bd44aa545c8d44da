"""Hostile input on every route family answers a 4xx in the one JSON error shape, and changes
nothing; a database that can't give a connection answers 503 with Retry-After; anything
unexpected answers 500 JSON and is logged.

The API runs in a real uvicorn server (tests/support/api_server.py) on SQLite and PostgreSQL; the
Twilio webhooks go through Starlette's TestClient with the real signer
(tests/support/phone_world.py).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlmodel import func, select

from backend import config, db
from backend.access.audit import Actor
from backend.accounts import tokens, users
from backend.api import manage
from backend.events import sources
from backend.models import DurableObject, Event, Modification
from backend.objects import store
from tests.support.api_server import serve_api

OPERATOR = Actor.operator("ops@example.com")
FAILED = {"amount": 12.5, "currency": "usd", "customer": "cus_1", "reason": "declined"}

# Bodies that no route may take. Each is refused before any service sees it.
DEEP = b"[" * 100_000 + b"]" * 100_000  # the C parser's recursion limit: RecursionError
DEEPISH = b'{"a":' * 40 + b"1" + b"}" * 40  # parses, but deeper than API_MAX_JSON_DEPTH (32)
HOSTILE_BODIES: dict[str, bytes] = {
    "nested 100000 deep": DEEP,
    "nested 40 deep": DEEPISH,
    "5000-digit integer": b'{"type": "payment.failed", "payload": {"amount": '
    + b"9" * 5000
    + b"}}",
    "200-digit integer": b'{"version": ' + b"7" * 200 + b"}",
    "NaN": b'{"type": "payment.failed", "payload": {"amount": NaN}}',
    "Infinity": b'{"payload": {"amount": Infinity}}',
    "-Infinity": b"[-Infinity]",
    "1e999 (overflows to infinity)": b'{"amount": 1e999}',
    "NUL in a string": b'{"type": "payment.failed", "id": "a\\u0000b", "prompt": "a\\u0000b"}',
    "NUL in a key": b'{"a\\u0000b": 1}',
    "lone surrogate": b'{"id": "\\ud800", "prompt": "\\udfff", "reason": "\\ud800"}',
    "not UTF-8": b'{"id": "\xff\xfe"}',
    "malformed": b'{"type": ',
    "trailing garbage": b"{} {}",
}


@dataclass
class Api:
    client: httpx.Client
    token: str  # an admin's API token
    key: str  # an event source's key


@pytest.fixture
def api(migrated_db) -> Iterator[Api]:
    with db.session_scope() as session:
        users.add_user_in(session, name="Ada", email="ada@example.com", is_admin=True)
        token, _ = tokens.create_token_in(session, email="ada@example.com")
        key = sources.create_source_in(session, "shop", actor=OPERATOR)[0]
        store.create_object_in(
            session,
            slug="echo",
            name="Echo",
            files={"main.py": "def f(x=1):\n    return x\n"},
            actor=OPERATOR,
        )
    with serve_api() as url, httpx.Client(base_url=url, timeout=60) as client:
        yield Api(client, token, key)


def _counts() -> tuple[int, int, int]:
    """Rows a hostile request could have added: events, modifications, objects."""
    with db.session_scope() as session:
        return tuple(
            session.exec(select(func.count()).select_from(table)).one()
            for table in (Event, Modification, DurableObject)
        )


def _refused(answer: httpx.Response, status: int) -> str:
    """The answer is `status` in the one error shape; its sentence."""
    assert answer.status_code == status, answer.text[:300]
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert isinstance(body, dict) and isinstance(body["error"], str) and body["error"]
    return body["error"]


def _post_routes(api: Api) -> list[tuple[str, dict[str, str]]]:
    """One POST route of each family, with the credentials it wants."""
    bearer = {"Authorization": f"Bearer {api.token}"}
    return [
        ("/api/events", {"Authorization": f"Bearer {api.key}"}),
        ("/api/manage/objects/echo/modifications", bearer),
        ("/api/manage/objects/echo/deploy", bearer),
        ("/api/manage/modifications/1/reject", bearer),
        ("/api/objects/echo/f", bearer),
    ]


def test_hostile_bodies_are_400_on_every_route_and_change_nothing(api):
    before = _counts()
    for path, headers in _post_routes(api):
        for name, body in HOSTILE_BODIES.items():
            headers = {**headers, "Content-Type": "application/json"}
            error = _refused(api.client.post(path, content=body, headers=headers), 400)
            said = ("JSON", "body", "'version'", " contains a ")
            assert any(words in error for words in said), (path, name, error)
    assert _counts() == before


def test_each_refusal_says_what_is_wrong(api):
    headers = {"Authorization": f"Bearer {api.key}"}

    def error(body: bytes) -> str:
        return _refused(api.client.post("/api/events", content=body, headers=headers), 400)

    assert "nested deeper than 32 levels" in error(DEEP)
    assert "nested deeper than 32 levels" in error(DEEPISH)
    assert "longer than 100 characters" in error(HOSTILE_BODIES["5000-digit integer"])
    assert "NaN is not a JSON number" in error(HOSTILE_BODIES["NaN"])
    assert "Infinity is not a JSON number" in error(HOSTILE_BODIES["-Infinity"])
    assert "'1e999'" in error(HOSTILE_BODIES["1e999 (overflows to infinity)"])
    assert "NUL" in error(HOSTILE_BODIES["NUL in a string"])
    assert "lone surrogate" in error(HOSTILE_BODIES["lone surrogate"])
    assert "not UTF-8" in error(HOSTILE_BODIES["not UTF-8"])
    # Within the limits, the same kinds of values are fine.
    fine = {"type": "payment.failed", "payload": {**FAILED, "amount": 2**63 - 1}, "id": "a-b"}
    assert api.client.post("/api/events", json=fine, headers=headers).status_code == 202


def test_a_too_large_body_is_413_whether_declared_or_streamed(api, monkeypatch):
    monkeypatch.setenv("API_MAX_BODY_BYTES", "1000")
    config.reload_settings()
    before = _counts()
    big = b'{"prompt": "' + b"x" * 5000 + b'"}'

    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        yield big[:600]
        yield big[600:]

    for path, headers in _post_routes(api):
        declared = api.client.post(path, content=big, headers=headers)
        assert "over 1000 bytes" in _refused(declared, 413)
        streamed = api.client.post(path, content=chunks(), headers=headers)
        assert "over 1000 bytes" in _refused(streamed, 413)
    assert _counts() == before


def test_path_parameters_no_row_can_have_are_404_before_any_query(api):
    bearer = {"Authorization": f"Bearer {api.token}"}
    for bad in ("99999999999999999999", "2147483648", "9" * 5000, "0"):
        for path in (
            f"/api/manage/modifications/{bad}",
            f"/api/manage/tasks/{bad}",
        ):
            assert "with id" in _refused(api.client.get(path, headers=bearer), 404)
        answer = api.client.post(f"/api/manage/modifications/{bad}/approve", headers=bearer)
        _refused(answer, 404)
    for slug in ("a%00b", "%00", "Echo", "x" * 65, "a%C0%80b"):
        assert "no object" in _refused(
            api.client.get(f"/api/manage/objects/{slug}", headers=bearer), 404
        )
        assert "no object" in _refused(api.client.post(f"/api/objects/{slug}/f", json={}), 404)
        answer = api.client.get(f"/api/objects/{slug}/openapi.json")
        assert "no object" in _refused(answer, 404)
    # A NUL in a function's name is just no such function.
    _refused(api.client.post("/api/objects/echo/f%00", json={}, headers=bearer), 404)
    # Letters where digits belong: no such route.
    assert "no API route" in _refused(api.client.get("/api/manage/tasks/x", headers=bearer), 404)


def test_numbers_beyond_the_databases_integers_are_400(api):
    bearer = {"Authorization": f"Bearer {api.token}"}
    for version in (2**31, 10**30, 0, -1):
        for action in ("deploy", "rollback"):
            answer = api.client.post(
                f"/api/manage/objects/echo/{action}", json={"version": version}, headers=bearer
            )
            assert "'version' must be a whole number" in _refused(answer, 400)


def test_an_empty_body_is_no_arguments_where_that_fits(api):
    bearer = {"Authorization": f"Bearer {api.token}"}
    needs = _refused(api.client.post("/api/manage/objects/echo/visibility", headers=bearer), 400)
    assert "'public'" in needs
    events = api.client.post("/api/events", headers={"Authorization": f"Bearer {api.key}"})
    assert "must be a JSON object" in _refused(events, 400)


def test_an_unexpected_failure_is_500_json_and_logged(api, monkeypatch, caplog):
    def broken(*_args):
        raise RuntimeError("the disk caught fire")

    monkeypatch.setattr(manage.store, "list_objects", broken)
    bearer = {"Authorization": f"Bearer {api.token}"}
    with caplog.at_level(logging.ERROR, logger="backend.api.errors"):
        answer = api.client.get("/api/manage/objects", headers=bearer)
    error = _refused(answer, 500)
    assert "fire" not in error and "logged" in error
    assert "the disk caught fire" in caplog.text


def test_an_unreachable_database_is_503_with_retry_after(data_dir, monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once closed
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    monkeypatch.setenv("DATABASE_URL", f"postgresql+psycopg://postgres@127.0.0.1:{port}/none")
    monkeypatch.setenv("DB_POOL_TIMEOUT", "2.5")
    config.reload_settings()
    db._engine_for.cache_clear()
    try:
        with serve_api() as url, httpx.Client(base_url=url, timeout=60) as client:
            bearer = {"Authorization": "Bearer dob_anything"}
            for answer in (
                client.get("/api/manage/objects", headers=bearer),
                client.post("/api/events", json={"type": "payment.failed"}, headers=bearer),
                client.post("/api/objects/echo/f", json={}),
            ):
                assert "database is busy or unreachable" in _refused(answer, 503)
                assert answer.headers["retry-after"] == "3"
            health = client.get("/api/health")
            assert health.status_code == 200 and health.json()["status"] == "degraded"
    finally:
        db._engine_for.cache_clear()


def test_an_exhausted_pool_waits_its_timeout_then_answers_503(postgres_url, data_dir, monkeypatch):
    """One connection per process, held by the test: every route that needs the database
    waits DB_POOL_TIMEOUT, then answers 503 with Retry-After; once it is free, they work."""
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    monkeypatch.setenv("DB_POOL_SIZE", "1")
    monkeypatch.setenv("DB_MAX_OVERFLOW", "0")
    monkeypatch.setenv("DB_POOL_TIMEOUT", "0.5")
    config.reload_settings()
    db._engine_for.cache_clear()
    try:
        db.upgrade_database()
        with db.session_scope() as session:
            users.add_user_in(session, name="Ada", email="ada@example.com", is_admin=True)
            token, _ = tokens.create_token_in(session, email="ada@example.com")
            key = sources.create_source_in(session, "shop", actor=OPERATOR)[0]
        engine = db.get_engine()
        assert (engine.pool.size(), engine.pool._max_overflow) == (1, 0)
        report = {"type": "payment.failed", "payload": FAILED}
        with serve_api() as url, httpx.Client(base_url=url, timeout=60) as client:
            bearer = {"Authorization": f"Bearer {token}"}
            with engine.connect():  # the process's only connection
                for answer in (
                    client.get("/api/manage/objects", headers=bearer),
                    client.post(
                        "/api/events", json=report, headers={"Authorization": f"Bearer {key}"}
                    ),
                    client.get("/api/objects/echo/openapi.json"),
                ):
                    assert "database is busy" in _refused(answer, 503)
                    assert answer.headers["retry-after"] == "1"
            assert client.get("/api/manage/objects", headers=bearer).status_code == 200
            answer = client.post(
                "/api/events", json=report, headers={"Authorization": f"Bearer {key}"}
            )
            assert answer.status_code == 202
    finally:
        db._engine_for.cache_clear()


def test_the_pool_is_sized_from_the_settings_on_postgresql(postgres_url, data_dir, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    monkeypatch.setenv("DB_POOL_SIZE", "3")
    monkeypatch.setenv("DB_MAX_OVERFLOW", "4")
    monkeypatch.setenv("DB_POOL_TIMEOUT", "7")
    config.reload_settings()
    db._engine_for.cache_clear()
    try:
        pool = db.get_engine().pool
        assert (pool.size(), pool._max_overflow, pool._timeout) == (3, 4, 7.0)
    finally:
        db._engine_for.cache_clear()
    defaults = config.Settings.model_fields
    per_process = defaults["db_pool_size"].default + defaults["db_max_overflow"].default
    # The documented budget: 2 web processes of 8 server workers (the most Reflex starts)
    # and 2 Celery workers of 2 processes each stay under PostgreSQL's default 100 - 3.
    assert per_process * (2 * 8 + 2 * 2) < 97


def test_webhooks_answer_the_same_json_errors(world, monkeypatch):
    peer = world.peer
    unsigned = peer.post("/webhooks/sms", {"From": "+15550001111", "Body": "hi"}, signature="x")
    assert unsigned.status_code == 403 and "signed by Twilio" in unsigned.json()["error"]
    nul = peer.sms("+15550001111", "status a\x00b")
    assert nul.status_code == 400 and "NUL" in nul.json()["error"]
    monkeypatch.setenv("API_MAX_BODY_BYTES", "500")
    config.reload_settings()
    big = peer.sms("+15550001111", "x" * 1000)
    assert big.status_code == 413 and "over 500 bytes" in big.json()["error"]
