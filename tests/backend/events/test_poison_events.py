"""Poison input can't stop the line (issue 18): an event that could never be stored or sent
is refused at ingest with the reason, through every door, and nothing is stored; an event
whose dispatch still fails is tried EVENT_DISPATCH_MAX_TRIES times, then marked failed with
its error, and the events after it are dispatched and notify, even with two dispatchers at
once; `events list` and the Monitors page's read model show the failed one. SQLite and
PostgreSQL.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from sqlmodel import select

import cli.main as cli
from backend import config, db
from backend.accounts import users
from backend.enums import EventName
from backend.errors import InvalidInput
from backend.events import activity, payloads, sources
from backend.events import reported as events
from backend.models import AuditEntry, Event, MonitorFiring, Notification, utcnow
from backend.monitoring import dispatcher, monitors
from backend.read_models.monitors import read_monitors_page
from tests.support.api_server import serve_api
from tests.support.phone_world import OPERATOR
from tests.support.workers import start_worker, stop

GOOD = {"amount": 12.5, "currency": "USD", "customer": "acme", "reason": "card declined"}
SURROGATE = "\ud800"


def _is_postgres() -> bool:
    return config.get_settings().database_url.startswith("postgresql")


def _stored() -> list[Event]:
    with db.session_scope() as session:
        return list(session.exec(select(Event).where(Event.name == EventName.PAYMENT_FAILED)))


def _notified() -> Counter[int]:
    """Alert notifications per event id."""
    with db.session_scope() as session:
        rows = session.exec(select(Notification).where(Notification.purpose == "alert"))
        return Counter(n.event_id for n in rows)


# --- refused at ingest ----------------------------------------------------------------------


@pytest.fixture
def api(migrated_db) -> Iterator[tuple[httpx.Client, str]]:
    with db.session_scope() as session:
        key = sources.create_source_in(session, "shop", actor=OPERATOR)[0]
    with serve_api() as url, httpx.Client(base_url=url, timeout=60) as client:
        yield client, key


def _raw(client: httpx.Client, key: str, body: str) -> httpx.Response:
    """POST a body written by hand: JSON escapes httpx's encoder would never produce."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    return client.post("/api/events", content=body.encode(), headers=headers)


def _body(customer_json: str, extra: str = "", id_json: str | None = None) -> str:
    payload = (
        '{"amount": 12.5, "currency": "USD", "reason": "declined", '
        f'"customer": {customer_json}{extra}}}'
    )
    event_id = "" if id_json is None else f', "id": {id_json}'
    return f'{{"type": "payment.failed", "payload": {payload}{event_id}}}'


HOSTILE = {
    "NUL": (_body('"a\\u0000b"'), 'payload["customer"] contains a NUL character'),
    "surrogate": (_body('"\\ud800"'), 'payload["customer"] contains a lone surrogate'),
    "NUL in a nested key": (
        _body('"acme"', ', "meta": {"a\\u0000": 1}'),
        'a key in payload["meta"] contains a NUL character',
    ),
    "surrogate deep in a list": (
        _body('"acme"', ', "tags": ["ok", ["\\udfff"]]'),
        'payload["tags"][1][0] contains a lone surrogate',
    ),
    "NaN": (_body('"acme"', ', "score": NaN'), "NaN is not a JSON number"),
    "Infinity amount": (
        _body('"acme"').replace("12.5", "-Infinity"),
        "-Infinity is not a JSON number",
    ),
    "integer beyond 64 bits": (
        _body('"acme"', ', "n": 123456789012345678901234567890'),
        'payload["n"] is an integer beyond 64 bits',
    ),
    "too deep": (
        _body('"acme"', ', "deep": ' + "[" * 20 + "]" * 20),
        "payload is nested more than 16 levels deep",
    ),
    "thousands deep": (
        _body('"acme"', ', "deep": ' + "[" * 5000 + "]" * 5000),
        "the JSON body is nested deeper than 32 levels",
    ),
    "integer past Python's digit limit": (
        _body('"acme"', ', "n": ' + "9" * 5000),
        "a number in the body is longer than 100 characters",
    ),
    "too large": (_body(json.dumps("x" * 70_000)), "bytes of JSON; at most 65536"),
    "NUL in the id": (_body('"acme"', id_json='"pay\\u00001"'), "id contains a NUL character"),
    "surrogate in the type": (
        '{"type": "payment.failed\\ud800", "payload": {}}',
        "type contains a lone surrogate",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_events_are_400_with_the_reason_and_nothing_is_stored(api, case):
    client, key = api
    body, reason = HOSTILE[case]
    answer = _raw(client, key, body)
    assert answer.status_code == 400, answer.text
    assert reason in answer.json()["error"]
    assert _stored() == []
    # The same source's next good event is taken as ever.
    assert _raw(client, key, _body('"acme"')).status_code == 202
    assert len(_stored()) == 1


def test_every_door_refuses_the_same(sqlite_db, capsys):
    """`events emit` on the command line and backend code calling `events.emit` or
    `events.report` get the same check; limits come from settings."""
    bad = '{"amount": 1, "currency": "USD", "customer": "a\\u0000b", "reason": "x"}'
    assert cli.main(["events", "emit", "payment.failed", "--payload", bad]) == 2
    assert 'payload["customer"] contains a NUL character' in capsys.readouterr().err
    with db.session_scope() as session:
        with pytest.raises(InvalidInput, match="numbers must be finite"):
            events.emit_in(session, "user.created", {"user_id": 1, "x": float("inf")})
        with pytest.raises(InvalidInput, match="'id' contains a lone surrogate"):
            events.emit_in(session, "payment.failed", GOOD, event_id="a" + SURROGATE)
        with pytest.raises(InvalidInput, match="not a JSON value"):
            events.emit_in(session, "user.created", {"user_id": {1, 2}})
        with pytest.raises(InvalidInput, match="the event's source contains a NUL"):
            events.emit_in(session, "payment.failed", GOOD, source="cli\x00")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EVENT_PAYLOAD_MAX_DEPTH", "2")
        patch.setenv("EVENT_PAYLOAD_MAX_BYTES", "200")
        config.reload_settings()
        with db.session_scope() as session:
            events.emit_in(session, "user.created", {"user_id": 1, "a": [1]})  # two levels: fine
            with pytest.raises(InvalidInput, match="nested more than 2 levels deep"):
                events.emit_in(session, "user.created", {"user_id": 1, "a": [[1]]})
            with pytest.raises(InvalidInput, match="at most 200"):
                events.emit_in(session, "payment.failed", {**GOOD, "reason": "x" * 200})
    config.reload_settings()
    with db.session_scope() as session:
        assert [e.name for e in events.list_events(session)] == ["user.created"]


def test_the_products_own_records_are_cleaned_not_refused(migrated_db):
    """An action that happened is recorded even when its detail quotes bad text (a task's
    error with a NUL byte): NUL and lone surrogates become U+FFFD, NaN null."""
    with db.session_scope() as session:
        activity.record(
            session, OPERATOR, EventName.TASK_FAILED,
            detail={"task_id": 1, "kind": "object.deploy", "error": f"a\x00b{SURROGATE}",
                    "score": float("nan")},
        )  # fmt: skip
    with db.session_scope() as session:
        event = session.exec(select(Event).where(Event.name == EventName.TASK_FAILED)).one()
        entry = session.exec(select(AuditEntry)).one()
    assert event.payload["error"] == entry.detail["error"] == "a\ufffdb\ufffd"
    assert event.payload["score"] is None
    payloads.check_storable(event.payload)


# --- still failing in the dispatcher -----------------------------------------------------------


@pytest.fixture
def watched(migrated_db) -> int:
    """Ada, who gets an email for every payment.failed at once."""
    with db.session_scope() as session:
        ada_id = users.add_user_in(session, name="Ada", email="a@example.com", actor=OPERATOR).id
        monitors.create_monitor_in(
            session, owner_id=ada_id, event="payment.failed",
            condition=monitors.event_condition(), channel="email",
            description="failed payments", actor=OPERATOR, group_seconds=0,
        )  # fmt: skip
    dispatcher.run_once()  # the setup's own events (user.created, ...) are out of the way
    return ada_id


def _store_raw(customer: str, name: EventName = EventName.PAYMENT_FAILED) -> int:
    """An event stored straight into the table, past the ingest check: as rows stored before
    it existed were, or one whose failure the check can't foresee."""
    with db.session_scope() as session:
        event = Event(name=name, payload={**GOOD, "customer": customer}, source="test")
        session.add(event)
        session.flush()
        return event.id


def _event(event_id: int) -> Event:
    with db.session_scope() as session:
        return session.get(Event, event_id)


REFUSED = "refused: a poisoned row"


def _refuse_alerts_about_poison() -> None:
    """A database that refuses the alert row of any event about a customer called "poison":
    a failure no ingest check can foresee, on the event's own rows."""
    if _is_postgres():
        statements = [
            "CREATE FUNCTION refuse_poison() RETURNS trigger AS $$ BEGIN "
            f"IF strpos(NEW.body, 'poison') > 0 THEN RAISE EXCEPTION '{REFUSED}'; END IF; "
            "RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_poison BEFORE INSERT ON notification "
            "FOR EACH ROW EXECUTE FUNCTION refuse_poison()",
        ]
    else:
        statements = [
            "CREATE TRIGGER refuse_poison BEFORE INSERT ON notification "
            f"WHEN instr(NEW.body, 'poison') > 0 BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END"
        ]
    with db.get_engine().begin() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)


def test_a_poison_event_is_marked_failed_after_its_tries_and_later_events_notify(watched):
    _refuse_alerts_about_poison()
    bad, good = _store_raw("poison"), _store_raw("globex")
    assert dispatcher.run_once()["dispatched"] == 2
    assert _notified() == {good: 1}, "the good event is not held up by the bad one"
    first = _event(bad)
    assert (first.dispatched_at, first.dispatch_tries) == (None, 1)
    assert REFUSED in first.dispatch_error
    for _ in range(5):
        dispatcher.run_once()
    given_up = _event(bad)
    assert given_up.dispatched_at is not None and given_up.dispatch_tries == 3
    assert REFUSED in given_up.dispatch_error
    later = _store_raw("initech")
    assert dispatcher.run_once()["dispatched"] == 1
    assert _notified() == {good: 1, later: 1}
    assert _event(good).dispatch_error is None and _event(later).dispatch_tries == 0


def test_events_stored_with_nul_or_surrogates_before_the_check_still_notify(watched):
    """Rows stored before ingest refused them (what stopped every alert in issue 18): the
    alert's text is cleaned, so they are dispatched like any other."""
    old = [_store_raw(f"a{SURROGATE}b"), _store_raw("a\x00b")]
    dispatcher.run_once()
    assert _notified() == dict.fromkeys(old, 1)
    with db.session_scope() as session:
        bodies = [n.body for n in session.exec(select(Notification))]
    assert all("from a\ufffdb failed" in body for body in bodies)


def test_the_number_of_tries_is_a_setting(watched, monkeypatch):
    monkeypatch.setenv("EVENT_DISPATCH_MAX_TRIES", "1")
    config.reload_settings()
    _refuse_alerts_about_poison()
    bad = _store_raw("poison")
    dispatcher.run_once()
    assert _event(bad).dispatch_tries == 1 and _event(bad).dispatched_at is not None
    assert dispatcher.run_once()["dispatched"] == 0


def test_an_error_that_quotes_bad_text_is_recorded_cleaned(watched, monkeypatch):
    """A monitor whose matching raises, with a NUL and a surrogate in the error's text:
    recording the failure must not fail in turn (that would loop forever)."""
    real = dispatcher.holds

    def holds(value, op, expected):
        if value == "poison":
            raise RuntimeError(f"cannot compare {value!r}\x00{SURROGATE}" + "!" * 5000)
        return real(value, op, expected)

    monkeypatch.setattr(dispatcher, "holds", holds)
    with db.session_scope() as session:
        monitor = monitors.create_monitor_in(
            session, owner_id=watched, event="payment.failed",
            condition=monitors.event_condition([{"field": "customer", "op": "==",
                                                 "value": "x"}]),
            channel="email", description="filtered", actor=OPERATOR, group_seconds=0,
        )  # fmt: skip
        assert monitor.id
    dispatcher.run_once()
    bad, good = _store_raw("poison"), _store_raw("globex")
    for _ in range(3):
        dispatcher.run_once()
    failed = _event(bad)
    assert failed.dispatched_at is not None and failed.dispatch_tries == 3
    assert failed.dispatch_error.startswith("RuntimeError: cannot compare 'poison'\ufffd\ufffd")
    assert len(failed.dispatch_error) == dispatcher.ERROR_MAX
    assert _notified() == {good: 1}


def test_a_database_outage_counts_no_try(watched, monkeypatch):
    """An error that says the database is away is not the event's fault: the round stops
    and nothing is counted, so a good event is never given up on for it."""
    from sqlalchemy.exc import OperationalError

    def away(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    event_id = _store_raw("globex")
    monkeypatch.setattr(dispatcher, "_group", away)
    for _ in range(4):
        with pytest.raises(OperationalError):
            dispatcher.run_once()
    assert _event(event_id).dispatch_tries == 0
    monkeypatch.undo()
    dispatcher.run_once()
    assert _notified() == {event_id: 1}


def test_two_dispatchers_at_once_skip_the_poison_and_dispatch_the_rest_once(
    watched, postgres_server
):
    if not _is_postgres():
        pytest.skip("the race that matters is on PostgreSQL; SQLite runs one writer at a time")
    _refuse_alerts_about_poison()
    good = []
    for n in range(40):
        if n in (3, 17, 31):
            _store_raw(f"poison {n}")
        good.append(_store_raw(f"customer {n}"))
    errors: list[BaseException] = []

    def dispatcher_loop() -> None:
        try:
            for _ in range(30):
                dispatcher.run_once()
                if all(e.dispatched_at for e in _stored()):
                    return
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=dispatcher_loop) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _notified() == dict.fromkeys(good, 1)
    with db.session_scope() as session:
        in_firings = Counter(i for f in session.exec(select(MonitorFiring)) for i in f.event_ids)
    assert in_firings == dict.fromkeys(good, 1)
    failed = [e for e in _stored() if e.dispatch_error]
    assert len(failed) == 3 and {e.dispatch_tries for e in failed} == {3}
    assert all(e.dispatched_at for e in _stored())


def test_a_firing_that_cannot_be_sent_does_not_hold_up_the_others(watched):
    """Grouped firings are sent later, by `flush`: one whose alert the database refuses is
    tried again next round, and the others are sent meanwhile."""
    _refuse_alerts_about_poison()
    for customer in ("poison", "globex"):
        with db.session_scope() as session:
            monitors.create_monitor_in(
                session, owner_id=watched, event="payment.succeeded",
                condition=monitors.event_condition([{"field": "customer", "op": "==",
                                                     "value": customer}]),
                channel="email", description=customer, actor=OPERATOR, group_seconds=600,
            ).last_fired_at = utcnow()  # fmt: skip
    # Each fired a moment ago: a busy spell, so the next events wait for the window (the first
    # event after a quiet spell would go out at once).
    dispatcher.run_once()
    bad, good = (_store_raw(c, EventName.PAYMENT_SUCCEEDED) for c in ("poison", "globex"))
    dispatcher.run_once()
    with db.session_scope() as session:
        for firing in session.exec(select(MonitorFiring)):
            firing.group_until = firing.created_at  # the windows closed
            session.add(firing)
    assert dispatcher.flush()["sent"] == 1
    assert dispatcher.flush()["sent"] == 0
    assert _notified() == {good: 1}
    assert _event(bad).dispatched_at is not None, "the event itself was dispatched"


def test_two_worker_processes_skip_the_poison_and_dispatch_the_rest_once(
    watched, data_dir, monkeypatch
):
    """The real thing: two worker processes, each with its dispatcher thread, on one
    PostgreSQL, poison events among good ones arriving while they run."""
    if not _is_postgres():
        pytest.skip("two worker processes on one database: PostgreSQL's case")
    for name, value in {
        "CELERY_QUEUE": f"poison-{uuid.uuid4().hex[:8]}",
        "MONITOR_DISPATCH_SECONDS": "0.05",
        "NOTIFY_MAX_ATTEMPTS": "1",  # no SMTP: each alert fails at once; the rows count here
    }.items():
        monkeypatch.setenv(name, value)
    config.reload_settings()
    _refuse_alerts_about_poison()
    workers = []
    for n in (1, 2):
        own = data_dir / f"worker{n}"  # each its own beat schedule and embedded broker
        own.mkdir()
        env = {**os.environ, "DATA_DIR": str(own)}
        workers.append(start_worker(env, own / "worker.log", "embedded"))
    try:
        good = []
        for n in range(60):
            if n % 20 == 5:
                _store_raw(f"poison {n}")
            good.append(_store_raw(f"customer {n}"))
        deadline = time.monotonic() + 90
        while not all(e.dispatched_at for e in _stored()):
            assert time.monotonic() < deadline, "\n".join(w.log_tail() for w in workers)
            time.sleep(0.2)
    finally:
        for worker in workers:
            stop(worker.process)
    assert _notified() == dict.fromkeys(good, 1)
    failed = [e for e in _stored() if e.dispatch_error]
    assert len(failed) == 3 and {e.dispatch_tries for e in failed} == {3}
    assert all(REFUSED in e.dispatch_error for e in failed)
    logs = [w.log_path.read_text(errors="replace") for w in workers]
    whole_round_failed = [
        line
        for log in logs
        for line in log.splitlines()
        if "WARNING" in line and "monitor dispatcher:" in line
    ]
    assert whole_round_failed == []


# --- shown -------------------------------------------------------------------------------------


def test_events_list_and_the_monitors_page_show_the_failed_event(watched, capsys):
    _refuse_alerts_about_poison()
    bad, good = _store_raw("poison"), _store_raw("globex")
    for _ in range(3):
        dispatcher.run_once()
    assert cli.main(["events", "list"]) == 0
    out = capsys.readouterr().out
    header, *lines = out.splitlines()
    assert "STATUS" in header and "ERROR" in header
    row = next(line for line in lines if line.startswith(f"{bad} "))
    assert "failed" in row and REFUSED in row
    assert "dispatched" in next(line for line in lines if line.startswith(f"{good} "))

    assert cli.main(["events", "list", "--failed", "--json"]) == 0
    [shown] = json.loads(capsys.readouterr().out)
    assert (shown["id"], shown["status"], shown["dispatch_tries"]) == (bad, "failed", 3)
    assert REFUSED in shown["error"]

    [row] = read_monitors_page().failed_events
    assert (row.id, row.name, row.source, row.tries) == (bad, "payment.failed", "test", 3)
    assert REFUSED in row.error and row.failed_at
