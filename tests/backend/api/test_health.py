"""GET /api/health through Starlette's TestClient, on a real SQLite database and broker."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from backend import config, db
from backend.api import create_api
from backend.background.broker import broker_status

VENDOR_VARIABLES = [
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_PHONE_NUMBER",
    "SMTP_HOST",
    "FROM_EMAIL",
    "SLACK_BOT_TOKEN",
    "GITHUB_TOKEN",
    "GITHUB_REPO",
]


@pytest.fixture
def no_vendors(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every vendor setting empty (set, not deleted, so a stray .env file can't fill one)."""
    for name in VENDOR_VARIABLES:
        monkeypatch.setenv(name, "")
    config.reload_settings()


def get_health() -> dict:
    with TestClient(create_api()) as client:
        response = client.get("/api/health")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def test_health_ok_on_migrated_sqlite_with_embedded_broker(sqlite_db: str, no_vendors) -> None:
    body = get_health()

    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["database"]["backend"] == "sqlite"
    assert body["database"]["up_to_date"] is True
    assert body["database"]["revision"] == db.head_revision()
    assert body["broker"]["url_kind"] == "embedded"
    assert body["broker"]["ok"] is True
    assert "error" not in body["broker"]
    # This machine has Landlock, seccomp and user namespaces: the strongest tier.
    assert body["sandbox"]["tier"] == "bwrap+landlock+seccomp"
    assert body["sandbox"]["runs_objects"] is True


def test_health_degraded_when_redis_is_dead(
    sqlite_db: str, no_vendors, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://:hunter2@127.0.0.1:1/0")
    config.reload_settings()

    started = time.monotonic()
    with TestClient(create_api()) as client:
        response = client.get("/api/health")
    elapsed = time.monotonic() - started

    body = response.json()
    assert body["status"] == "degraded"
    assert body["database"]["ok"] is True
    assert body["broker"]["url_kind"] == "redis"
    assert body["broker"]["ok"] is False
    assert "127.0.0.1:1" in body["broker"]["error"]
    assert "hunter2" not in response.text
    assert elapsed < 5


def test_health_degraded_when_schema_is_missing(
    data_dir: Path, no_vendors, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{data_dir / 'empty.db'}")
    monkeypatch.delenv("REDIS_URL", raising=False)
    config.reload_settings()
    try:
        body = get_health()
    finally:
        db._engine_for.cache_clear()

    assert body["status"] == "degraded"
    assert body["database"]["ok"] is True
    assert body["database"]["revision"] is None
    assert body["database"]["up_to_date"] is False
    assert body["broker"]["ok"] is True


def test_features_disabled_with_a_message_when_vendor_settings_missing(
    sqlite_db: str, no_vendors
) -> None:
    features = get_health()["features"]

    assert set(features) == {"llm", "twilio", "smtp", "slack", "github"}
    for name, feature in features.items():
        assert feature["configured"] is False, name
        assert feature["message"].startswith("disabled: set "), name
    assert "TWILIO_ACCOUNT_SID" in features["twilio"]["message"]
    assert "SLACK_BOT_TOKEN" in features["slack"]["message"]


def test_features_configured_when_vendor_settings_set(
    sqlite_db: str, no_vendors, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "token")
    monkeypatch.setenv("TWILIO_PHONE_NUMBER", "+15550001111")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    config.reload_settings()

    body = get_health()
    features = body["features"]

    assert features["twilio"] == {"configured": True, "message": "configured"}
    assert features["slack"] == {"configured": True, "message": "configured"}
    assert features["github"]["configured"] is False
    # Secrets never appear in the report.
    assert "xoxb-test" not in str(body)


def test_broker_status_never_hangs_on_a_silent_server() -> None:
    """A server that accepts the connection and never answers: bounded by the deadline."""
    import socket

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        started = time.monotonic()
        status = broker_status(f"redis://127.0.0.1:{port}/0", timeout=1.0)
        elapsed = time.monotonic() - started

    assert status["ok"] is False
    assert status["url_kind"] == "redis"
    assert elapsed < 3.5
