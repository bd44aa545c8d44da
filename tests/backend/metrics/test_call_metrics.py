"""Calls through the real doors are counted: the HTTP API (every outcome kind), the CLI's own
process (written when it exits), and read back by `objects stats --json` and
GET /api/manage/objects/{slug}/stats."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import select

from backend import db
from backend.access.audit import Actor
from backend.accounts import tokens, users
from backend.metrics import queries, record
from backend.models import ObjectCallMinute
from backend.objects import store
from tests.cli.test_cli import run_cli
from tests.support.api_server import serve_api
from tests.support.deploying import deploy_now

ADMIN = Actor.operator("ops@example.com")

WEATHER = '''
import os


def forecast(city: str) -> str:
    """The weather in `city`."""
    return f"sunny in {city}"


def broken(city: str) -> str:
    raise ValueError(f"no station in {city}")


def spin() -> None:
    while True:
        pass


def hog() -> int:
    return len(bytearray(2 << 30))


def spawn() -> None:
    os.fork()


def odd():
    return {1, 2}
'''
WEATHER_TESTS = """
from main import forecast


def test_forecast():
    assert forecast("Oslo") == "sunny in Oslo"
"""


@pytest.fixture
def server(migrated_db) -> Iterator[str]:
    with serve_api() as url:
        yield url


def _weather() -> int:
    with db.session_scope() as session:
        version = store.create_object(
            session,
            slug="weather",
            name="Weather widget",
            files={"main.py": WEATHER, "test_main.py": WEATHER_TESTS},
            actor=ADMIN,
        )
        store.set_visibility(session, "weather", public=True, actor=ADMIN)
        store.set_limits(session, "weather", {"wall_seconds": 1, "cpu_seconds": 1}, actor=ADMIN)
        object_id = version.object_id
    assert deploy_now("weather", actor=ADMIN).status == "live"
    return object_id


def test_http_calls_with_errors_give_the_right_per_minute_numbers(server):
    object_id = _weather()
    elapsed: list[float] = []
    with httpx.Client(base_url=server, timeout=30) as client:
        for city in ["Oslo", "Rome", "Lima", "Pune", "Kyiv", "Nuuk", "Baku", "Doha", "Riga"]:
            started = time.perf_counter()
            answer = client.post("/api/objects/weather/forecast", json={"city": city})
            elapsed.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200
        for city in ["Oslo", "Rome", "Lima"]:
            answer = client.post("/api/objects/weather/broken", json={"city": city})
            assert (answer.status_code, answer.json()["error"]) == (422, "error")
        for function, kind in [
            ("spin", "timeout"),
            ("hog", "memory"),
            ("spawn", "forbidden"),
            ("odd", "output"),
        ]:
            answer = client.post(f"/api/objects/weather/{function}", json={})
            assert (answer.status_code, answer.json()["error"]) == (422, kind), answer.json()
        # Refused before the object runs: not a call of the object, not counted.
        assert client.post("/api/objects/weather/forecast", json={}).status_code == 400
        assert client.post("/api/objects/weather/nothing", json={}).status_code == 404

    record.flush()
    with db.session_scope() as session:
        rows = session.exec(select(ObjectCallMinute)).all()
    assert {row.period_seconds for row in rows} == {60}
    assert {row.version for row in rows} == {1}
    by_function = {}
    for row in rows:
        by_function[row.function] = by_function.get(row.function, 0) + row.calls
    assert by_function == {
        "forecast": 9,
        "broken": 3,
        "spin": 1,
        "hog": 1,
        "spawn": 1,
        "odd": 1,
    }

    stats = queries.window_stats(object_id, datetime.now(UTC) - timedelta(minutes=10))
    assert (stats.calls, stats.errors) == (16, 7)
    assert stats.errors_by_kind == {
        "error": 3,
        "timeout": 1,
        "memory": 1,
        "forbidden": 1,
        "output": 1,
    }
    # The timeout ran past its 1 s wall limit: the slowest call, the top percentile.
    assert stats.max_ms >= 1000
    assert stats.p99_ms >= 1000
    # A forecast answers in much less; the median call is one of the quick ones, measured on
    # the server, so never slower than the client saw the slowest forecast (bucket's width).
    assert stats.p50_ms <= max(elapsed) * 1.5
    assert stats.p50_ms <= stats.p95_ms <= stats.p99_ms <= stats.max_ms
    assert stats.last_error_function == "odd"
    assert "JSON" in stats.last_error

    forecast = queries.window_stats(
        object_id, datetime.now(UTC) - timedelta(minutes=10), function="forecast"
    )
    assert (forecast.calls, forecast.errors, forecast.p50_ms is not None) == (9, 0, True)
    assert forecast.p50_ms <= statistics.median(elapsed) * 1.5 + 1


def test_stats_by_the_cli_and_the_api_say_the_same(server, tmp_path):
    object_id = _weather()
    with httpx.Client(base_url=server, timeout=30) as client:
        for _ in range(4):
            client.post("/api/objects/weather/forecast", json={"city": "Oslo"})
        client.post("/api/objects/weather/broken", json={"city": "Rome"})
    record.flush()

    # A call the CLI's own process makes is written when that process exits.
    call = run_cli(
        "objects", "call", "weather", "forecast", "--args", '{"city": "Bern"}', cwd=tmp_path
    )
    assert call.returncode == 0, call.stderr
    result = run_cli("objects", "stats", "weather", "--since", "1h", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert (printed["calls"], printed["errors"]) == (6, 1)
    assert printed["errors_by_kind"]["error"] == 1
    for key in ("p50_ms", "p95_ms", "p99_ms"):
        assert isinstance(printed[key], float)
    assert printed["by_function"]["forecast"]["calls"] == 5
    assert printed["by_function"]["broken"]["errors_by_kind"]["error"] == 1
    assert printed["by_version"]["1"]["calls"] == 6
    assert printed["live_version"] == 1
    assert printed["last_error"].startswith("ValueError: no station in Rome (main.py:")

    text = run_cli("objects", "stats", "weather", cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    assert "calls 6, errors 1 (16.7%): 1 error" in text.stdout
    assert "FUNCTION" in text.stdout and "forecast" in text.stdout
    bad = run_cli("objects", "stats", "weather", "--since", "soon", cwd=tmp_path)
    assert bad.returncode == 2 and "since 'soon'" in bad.stderr

    with db.session_scope() as session:
        users.add_user(session, name="Ann", email="ann@example.com")
        token = tokens.create_token(session, email="ann@example.com", name="stats")[0]
    with httpx.Client(base_url=server, timeout=30) as client:
        refused = client.get("/api/manage/objects/weather/stats")
        assert refused.status_code == 401
        answer = client.get(
            "/api/manage/objects/weather/stats",
            params={"since": "1h"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 200, answer.text
        assert {k: v for k, v in answer.json().items() if k != "since"} == {
            k: v for k, v in printed.items() if k != "since"
        }
        unknown = client.get(
            "/api/manage/objects/nowhere/stats", headers={"Authorization": f"Bearer {token}"}
        )
        assert unknown.status_code == 404
        wrong = client.get(
            "/api/manage/objects/weather/stats?since=0m",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert wrong.status_code == 400
    assert queries.window_stats(object_id, datetime.now(UTC) - timedelta(hours=1)).calls == 6
