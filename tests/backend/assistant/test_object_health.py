"""Asking how objects are doing, by SMS through the signed webhook: answered from the call
metrics (calls and errors in the last hour, latency, the live version, the last error)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from backend import db
from backend.metrics import record
from backend.objects import store
from tests.support.deploying import deploy_now
from tests.support.phone_world import ADA_PHONE, OPERATOR


def _text(world, body: str) -> str:
    response = world.peer.sms(ADA_PHONE, body)
    assert response.status_code == 200, response.text
    return " ".join(node.text or "" for node in ET.fromstring(response.text).iter("Message"))


def _calls(slug: str, *, ok: int, failed: int, ms: float = 40.0) -> None:
    with db.session_scope() as session:
        obj = store.get_object(session, slug)
    for _ in range(ok):
        record.record_call(obj.id, obj.deployed_version, "forecast", None, ms)
    for _ in range(failed):
        record.record_call(
            obj.id, obj.deployed_version, "forecast", "timeout", ms, "the call took too long"
        )
    record.flush()


def test_how_is_an_object_doing_and_which_are_failing(world):
    assert _text(world, "how is the weather widget doing?") == (
        "Weather widget isn't deployed yet, so it takes no calls. Say deploy Weather widget."
    )
    deploy_now("weather-widget", actor=OPERATOR)
    deploy_now("weather-api", actor=OPERATOR)
    assert _text(world, "how is the weather widget doing?") == (
        "Weather widget, live version 1: no calls in the last hour."
    )
    assert _text(world, "which objects are failing?") == (
        "No object had a failed call in the last hour."
    )
    _calls("weather-widget", ok=18, failed=2)
    _calls("weather-api", ok=5, failed=0)
    said = _text(world, "how is the weather widget doing?")
    assert said.startswith(
        "Weather widget, live version 1: 20 calls in the last hour, 2 failed (10%), p95 "
    )
    assert "The last error just now in forecast (version 1): the call took too long" in said
    # By SMS the answer goes on with each version and function.
    assert _text(world, "is the weather api failing").split("\n") == [
        "Weather API, live version 1: 5 calls in the last hour, none failed, p95 40 ms.",
        "v1: 5 calls in the last hour, none failed, p95 40 ms",
        "forecast: 5 calls in the last hour, none failed, p95 40 ms",
    ]
    assert _text(world, "which objects are failing?") == (
        "1 object had failed calls in the last hour. Weather widget: 2 of 20 calls failed."
    )


def test_the_status_of_the_payment_api_is_its_calls_or_else_the_payments(world):
    # No object is called that: the payments' status answers, as before.
    assert _text(world, "what's the status of the payment API?") == (
        "No payments were reported in the last 24 hours."
    )
    with db.session_scope() as session:
        store.create_object_in(
            session,
            slug="payment-api",
            name="Payment API",
            files={"main.py": "def charge(amount: int) -> int:\n    return amount\n"},
            actor=OPERATOR,
        )
    deploy_now("payment-api", actor=OPERATOR)
    assert _text(world, "what's the status of the payment API?") == (
        "Payment API, live version 1: no calls in the last hour."
    )
