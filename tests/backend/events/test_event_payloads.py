"""Every event's payload is documented in `backend.events.payloads`, and what the actions
really record is what is written there: the whole action scenario of test_actions is run and
each Event's payload compared with its documented fields."""

from __future__ import annotations

import pytest
from sqlmodel import select

from backend import config, db
from backend.enums import ACTIONS, EXTERNAL_EVENTS, EventName
from backend.errors import InvalidInput
from backend.events import payloads as event_payloads
from backend.models import Event
from tests.backend.events.test_actions import _everything

pytest_plugins = ["tests.support.llm_fixtures"]

GOOD = {"amount": 12, "currency": "eur", "customer": "ada@example.com", "reason": "expired"}


def test_every_event_name_is_documented():
    assert event_payloads.known_events() == sorted(EventName)
    for name in EventName:
        fields = event_payloads.fields_of(name)
        assert fields, name
        for field in fields.values():
            assert field.meaning and field.kind in {
                "string",
                "integer",
                "number",
                "boolean",
                "list",
                "object",
            }
        if name in ACTIONS:
            assert {"actor", "actor_user_id"} <= set(fields)
    with pytest.raises(InvalidInput, match=r"known: .*payment\.failed"):
        event_payloads.fields_of("nope")


def test_what_every_action_records_is_what_is_documented(sqlite_db, scripted_llm, monkeypatch):
    monkeypatch.setenv("SIGN_IN_LOCK_AFTER", "1")
    config.reload_settings()
    _everything(scripted_llm)
    with db.session_scope() as session:
        recorded = list(session.exec(select(Event)))
    assert {e.name for e in recorded} == set(ACTIONS)
    for event in recorded:
        fields = event_payloads.fields_of(event.name)
        extra = set(event.payload) - set(fields)
        assert not extra, f"{event.name} records {extra}, not documented"
        required = {name for name, field in fields.items() if field.required}
        missing = required - set(event.payload)
        assert not missing, f"{event.name} documents {missing}, not recorded"
        for name, value in event.payload.items():
            assert fields[name].accepts(value), f"{event.name}.{name} = {value!r}"


def test_external_payloads_are_checked_field_by_field():
    assert event_payloads.validate_external("payment.failed", GOOD) == {**GOOD, "currency": "EUR"}
    ok = {"amount": 1.5, "currency": "USD", "customer": "c", "payment_id": "p", "note": "kept"}
    assert event_payloads.validate_external("payment.succeeded", ok) == ok
    cases = [
        ({**GOOD, "amount": "ten"}, "'amount' must be a number"),
        ({**GOOD, "amount": True}, "'amount' must be a number"),
        ({**GOOD, "amount": float("nan")}, "'amount' must be a number"),
        ({**GOOD, "currency": "EURO"}, "3-letter code"),
        ({**GOOD, "currency": 978}, "'currency' must be a string"),
        ({**GOOD, "customer": None}, "'customer' must be a string"),
        ({k: v for k, v in GOOD.items() if k != "customer"}, "needs payload field 'customer'"),
        ({**GOOD, "payment_id": 7}, "'payment_id' must be a string"),
        ("not an object", "must be a JSON object"),
    ]
    for payload, message in cases:
        with pytest.raises(InvalidInput, match=message):
            event_payloads.validate_external("payment.failed", payload)
    with pytest.raises(InvalidInput, match="not reported from outside"):
        event_payloads.validate_external("user.created", {})
    assert {str(e) for e in EXTERNAL_EVENTS} == {"payment.failed", "payment.succeeded"}
