"""End to end: a person signs up in the web app, the real Celery worker's dispatcher hands
user.created to the monitor "call me when a new user signs up", and the alert call reaches
Twilio (Prism serving Twilio's own spec, behind a recording peer) with the right number and
words; nothing in between is called directly."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlmodel import select

from backend import db
from backend.access.audit import Actor
from backend.accounts import users
from backend.models import Notification
from backend.monitoring import monitors
from tests.support.flaky_vendor import FlakyVendor
from tests.support.prism import TWILIO_ACCOUNT_SID
from tests.support.workers import start_worker, stop
from tests.web.conftest import ADMIN, make_user

OWNER_PHONE = "+15551230042"
DELIVERY_TIMEOUT = 60.0


def _url(harness, path: str) -> str:
    return harness.frontend_url.rstrip("/") + path


def test_a_signup_in_the_web_app_rings_the_monitors_owner(
    harness, app_db: Path, home: Page, prism_twilio: str, monkeypatch
) -> None:
    twilio = FlakyVendor(prism_twilio)
    settings = {
        "TWILIO_ACCOUNT_SID": TWILIO_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": "e2e-token",
        "TWILIO_PHONE_NUMBER": "+15550009999",
        "TWILIO_API_BASE_URL": twilio.url,
        "PUBLIC_BASE_URL": harness.frontend_url.rstrip("/"),
        "CELERY_QUEUE": f"e2e-{uuid.uuid4().hex[:8]}",
        "MONITOR_DISPATCH_SECONDS": "0.2",
        "NOTIFY_RETRY_SECONDS": "0",
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    owner_id = make_user(ADMIN)
    operator = Actor.operator("e2e")
    with db.session_scope() as session:
        owner = users.get_user(session, owner_id)
        owner.phone, owner.phone_verified = OWNER_PHONE, True
        session.add(owner)
        monitors.create_monitor_in(
            session,
            owner_id=owner_id,
            event="user.created",
            condition=monitors.event_condition(),
            channel="voice",
            description="call me when a new user signs up",
            actor=operator,
            group_seconds=0,
        )
    worker = start_worker(dict(os.environ), app_db / "worker.log", "embedded")
    try:
        home.goto(_url(harness, "/signup"))
        home.fill("#name", "Zed Newcomer")
        home.fill("#email", "zed@example.com")
        home.fill("#password", "a long password 9")
        home.click("#signup-submit")
        expect(home.locator("#nav-user-name").first).to_have_text("Zed Newcomer")

        deadline = time.monotonic() + DELIVERY_TIMEOUT
        call = None
        while time.monotonic() < deadline:
            with db.session_scope() as session:
                call = session.exec(select(Notification)).first()
            if call is not None and call.status in ("sent", "failed"):
                break
            time.sleep(0.3)
        assert call is not None and call.status == "sent", worker.log_tail()
    finally:
        stop(worker.process)
        twilio.close()
    assert (call.channel, call.target, call.attempts) == ("voice", OWNER_PHONE, 1)
    assert call.provider_id, "the SID Twilio's mock answered with"
    (sent,) = [form for path, form in zip(twilio.requests, twilio.forms, strict=True)
               if path.endswith("/Calls.json")]  # fmt: skip
    assert sent["To"] == OWNER_PHONE and sent["From"] == "+15550009999"
    assert "New user signed up: Zed Newcomer (zed@example.com), not as an admin." in sent["Twiml"]
    assert "Press 1 to acknowledge" in sent["Twiml"] and sent["MachineDetection"] == "Enable"
