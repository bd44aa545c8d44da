"""POST /api/events through the real HTTP API: keys per source, answers, and an event kept
once however often (and however simultaneously) its id is reported, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlmodel import select

from backend import db
from backend.access.audit import Actor
from backend.access.permissions import PermissionDenied
from backend.enums import Channel, Role
from backend.errors import Conflict, InvalidInput
from backend.events import reported as events
from backend.events import sources as event_sources
from backend.models import Event
from tests.support.api_server import serve_api

OPERATOR = Actor.operator("ops@example.com")
MEMBER = Actor(name="bob@example.com", channel=Channel.WEB, user_id=2, role=Role.MEMBER)
FAILED = {"amount": 120.5, "currency": "usd", "customer": "cus_42", "reason": "card declined"}


def _create(name: str) -> str:
    with db.session_scope() as session:
        return event_sources.create_source_in(session, name, actor=OPERATOR)[0]


def _events() -> list[Event]:
    with db.session_scope() as session:
        return list(session.exec(select(Event).where(Event.source.startswith("api:"))))


@pytest.fixture
def api(migrated_db) -> Iterator[httpx.Client]:
    with serve_api() as url, httpx.Client(base_url=url, timeout=60) as client:
        yield client


def _post(client: httpx.Client, key: str | None, body: object) -> httpx.Response:
    headers = {} if key is None else {"Authorization": f"Bearer {key}"}
    return client.post("/api/events", json=body, headers=headers)


def test_keys_are_needed_and_each_refusal_says_why(api):
    shop = _create("shop")
    body = {"type": "payment.failed", "payload": FAILED}
    missing = _post(api, None, body)
    assert missing.status_code == 401 and "Bearer <key>" in missing.json()["error"]
    wrong = _post(api, "dev_not-a-key", body)
    assert wrong.status_code == 401 and "not valid" in wrong.json()["error"]
    with db.session_scope() as session:
        event_sources.revoke_source_in(session, "shop", actor=OPERATOR)
    revoked = _post(api, shop, body)
    assert revoked.status_code == 401 and "shop was revoked" in revoked.json()["error"]
    assert revoked.headers["www-authenticate"] == "Bearer"
    assert _events() == []


def test_bad_requests_are_400_with_the_reason(api):
    key = _create("shop")
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    malformed = api.post("/api/events", content=b"{oops", headers=headers)
    assert malformed.status_code == 400 and "not valid JSON" in malformed.json()["error"]
    assert _post(api, key, ["payment.failed"]).status_code == 400

    unknown = _post(api, key, {"type": "payment.refunded", "payload": FAILED})
    assert unknown.status_code == 400
    message = unknown.json()["error"]
    assert "payment.failed, payment.succeeded" in message and "user.created" in message

    action = _post(api, key, {"type": "user.created", "payload": {}})
    assert action.status_code == 400 and "payment.failed, payment.succeeded" in action.text

    ten = _post(api, key, {"type": "payment.failed", "payload": {**FAILED, "amount": "ten"}})
    assert ten.status_code == 400 and "'amount' must be a number" in ten.json()["error"]
    no_reason = {k: v for k, v in FAILED.items() if k != "reason"}
    missing = _post(api, key, {"type": "payment.failed", "payload": no_reason})
    assert missing.status_code == 400 and "'reason'" in missing.json()["error"]
    currency = _post(api, key, {"type": "payment.failed", "payload": {**FAILED, "currency": "$"}})
    assert currency.status_code == 400 and "3-letter code" in currency.json()["error"]
    assert _events() == []


def test_a_good_report_is_stored_with_its_source(api):
    key = _create("shop")
    answer = _post(api, key, {"type": "payment.failed", "payload": FAILED})
    assert answer.status_code == 202
    body = answer.json()
    assert body["accepted"] is True and body["duplicate"] is False
    [event] = _events()
    assert (event.id, event.name, event.source) == (body["event_id"], "payment.failed", "api:shop")
    assert event.payload == {**FAILED, "currency": "USD"}
    assert event.idempotency_key is None
    with db.session_scope() as session:
        [source] = event_sources.list_sources(session)
    assert source.last_used_at is not None


def test_the_same_id_is_kept_once_even_at_the_same_moment(api):
    shop, other = _create("shop"), _create("other")
    body = {"type": "payment.succeeded", "payload": FAILED, "id": "pay_1"}
    first = _post(api, shop, body).json()
    again = _post(api, shop, body)
    assert again.status_code == 202
    assert again.json() == {"accepted": True, "event_id": first["event_id"], "duplicate": True}
    # Another source's id is its own: the same id from it is another event.
    assert _post(api, other, body).json()["duplicate"] is False

    racing = {**body, "id": "pay_2"}
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: _post(api, shop, racing), range(8)))
    assert {a.status_code for a in answers} == {202}
    assert len({a.json()["event_id"] for a in answers}) == 1
    assert sorted(a.json()["duplicate"] for a in answers) == [False] + [True] * 7
    keys = sorted(e.idempotency_key for e in _events())
    assert keys == ["other:pay_1", "shop:pay_1", "shop:pay_2"]


def test_the_insert_race_is_settled_by_the_unique_key(migrated_db, monkeypatch):
    """Both reports pass the check before either inserts: the loser's insert fails on the
    unique key, and it answers with the winner's event."""
    _create("shop")
    with db.session_scope() as session:
        source = event_sources.get_source(session, "shop")
        winner, _ = events.report(session, source, "payment.succeeded", FAILED, "pay_9")
    monkeypatch.setattr(events, "_existing", _none_first_time(events._existing))
    with db.session_scope() as session:
        source = event_sources.get_source(session, "shop")
        event, new = events.report(session, source, "payment.succeeded", FAILED, "pay_9")
    assert (event.id, new) == (winner.id, False)
    assert len(_events()) == 1


def _none_first_time(find):
    calls = []

    def existing(session, key):
        calls.append(key)
        return None if len(calls) == 1 else find(session, key)

    return existing


def test_sources_names_rights_and_revoking(sqlite_db):
    with db.session_scope() as session:
        with pytest.raises(PermissionDenied, match="Only an admin can manage event sources"):
            event_sources.create_source_in(session, "shop", actor=MEMBER)
        for bad in ("", "has space", "x" * 29, "semi;colon"):
            with pytest.raises(InvalidInput, match="letters, digits"):
                event_sources.create_source_in(session, bad, actor=OPERATOR)
        key, source = event_sources.create_source_in(session, "shop", actor=OPERATOR)
        assert key.startswith(source.prefix) and len(key) > 40 and source.key_hash != key
        with pytest.raises(Conflict, match="already"):
            event_sources.create_source_in(session, "shop", actor=OPERATOR)
        assert event_sources.source_for_key(session, key).id == source.id
        with pytest.raises(PermissionDenied):
            event_sources.revoke_source_in(session, "shop", actor=MEMBER)
        event_sources.revoke_source_in(session, str(source.id), actor=OPERATOR)
        assert event_sources.source_for_key(session, key) is None
        with pytest.raises(Conflict, match="already revoked"):
            event_sources.revoke_source_in(session, "shop", actor=OPERATOR)


def test_emit_and_list(sqlite_db):
    with db.session_scope() as session:
        first = events.emit_in(session, "user.created", {"user_id": 1}, event_id="a")
        assert events.emit_in(session, "user.created", {"user_id": 1}, event_id="a").id == first.id
        events.emit_in(session, "payment.failed", FAILED)
        with pytest.raises(InvalidInput, match="'customer'"):
            events.emit_in(session, "payment.failed", {"amount": 1, "currency": "EUR"})
        with pytest.raises(PermissionDenied):
            events.emit_in(session, "user.created", {}, actor=MEMBER)
    with db.session_scope() as session:
        assert [e.name for e in events.list_events(session)] == ["payment.failed", "user.created"]
        assert [e.source for e in events.list_events(session, name="user.created")] == ["cli"]
        assert len(events.list_events(session, limit=1)) == 1
        with pytest.raises(InvalidInput, match="unknown event type"):
            events.list_events(session, name="nope")
