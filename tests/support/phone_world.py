"""A small world for the phone and SMS tests: people with verified numbers and PINs, a few
objects, Twilio configured, and the API served in-process."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from backend import config, db
from backend.access.audit import Actor
from backend.accounts import phones, users
from backend.api import create_api
from backend.models import Interaction, Monitor
from backend.objects import store
from tests.support.twilio_peer import TwilioPeer, twilio_environment

OPERATOR = Actor.operator("ops")
ADA_PHONE, BOB_PHONE, STRANGER = "+15551230001", "+15551230002", "+15557770000"
ADA_PIN, BOB_PIN = "2468", "1357"
CALC = '''def add(a: int, b: int) -> int:
    """The sum of a and b."""
    return a + b
'''
CALC_TESTS = """from main import add


def test_add():
    assert add(2, 3) == 5
"""
WIDGET = '''def forecast(days: int) -> list[str]:
    """A sunny forecast."""
    return ["sun"] * days
'''


@dataclass
class World:
    peer: TwilioPeer
    ada_id: int
    bob_id: int


@pytest.fixture
def world(sqlite_db, monkeypatch) -> Iterator[World]:
    """Ada (admin) and Bob (member), both verified with PINs; Calculator, Weather widget and
    Weather API objects; Twilio configured."""
    twilio_environment(monkeypatch)
    config.reload_settings()
    with db.session_scope() as session:
        ada = users.add_user_in(
            session,
            name="Ada Lovelace",
            email="ada@example.com",
            phone=ADA_PHONE,
            is_admin=True,
            phone_verified=True,
            actor=OPERATOR,
        )
        bob = users.add_user_in(
            session,
            name="Bob",
            email="bob@example.com",
            phone=BOB_PHONE,
            phone_verified=True,
            actor=OPERATOR,
        )
        phones.set_pin_in(session, ada.id, ADA_PIN, actor=OPERATOR)
        phones.set_pin_in(session, bob.id, BOB_PIN, actor=OPERATOR)
        for slug, name, files in (
            ("calculator", "Calculator", {"main.py": CALC, "test_main.py": CALC_TESTS}),
            ("weather-widget", "Weather widget", {"main.py": WIDGET}),
            ("weather-api", "Weather API", {"main.py": WIDGET}),
        ):
            store.create_object_in(
                session,
                slug=slug,
                name=name,
                files=files,
                actor=OPERATOR,
                description=f"{name} for the tests",
            )
        ids = (ada.id, bob.id)
    with TestClient(create_api()) as client:
        yield World(peer=TwilioPeer(client), ada_id=ids[0], bob_id=ids[1])


def interactions() -> list[Interaction]:
    with db.session_scope() as session:
        return list(session.exec(select(Interaction).order_by(Interaction.id)))


def monitors() -> list[Monitor]:
    with db.session_scope() as session:
        return list(session.exec(select(Monitor).order_by(Monitor.id)))
