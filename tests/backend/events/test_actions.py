"""One vocabulary, one writer: every action is one audit entry and one Event, committed together.

A listener on every session collects the AuditEntry and Event rows each transaction flushes;
at each commit the audit actions and the event names must be the same multiset, so no
action is audited without its event (or the other way round) and never in two transactions.
The scenario runs every action of `ACTIONS` through the backend services, as a door would.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import select

from backend import config, db
from backend.access import audit
from backend.accounts import auth, invites, phones, tokens, users
from backend.background import jobs
from backend.enums import ACTIONS, Channel, EventName, ModificationStatus
from backend.events import activity, sources
from backend.metrics import record
from backend.models import AuditEntry, Event, MonitorFiring, utcnow
from backend.monitoring import alerts, monitors, object_health
from backend.objects import store
from backend.pipeline import modifications
from tests.support.deploying import deploy_now
from tests.support.llm_scenarios import GOOD, GOOD_MAIN, MAIN, PLAN, TESTS

pytest_plugins = ["tests.support.llm_fixtures"]

OPERATOR = audit.Actor.operator("ops@example.com")
FAILING_TESTS = "from main import add\n\n\ndef test_add():\n    assert add(2, 2) == 5\n"
# A file over the store's size limit: the attempt is refused before it is evaluated.
REFUSED = {  # the object as it is: a change that changes nothing is refused
    "files": [{"path": "main.py", "content": MAIN}],
    "explanation": "nothing",
}


class Commits:
    """Per committed transaction: Counter of audit actions and Counter of event names."""

    def __init__(self) -> None:
        self.seen: list[tuple[Counter, Counter]] = []

    def after_flush(self, session: OrmSession, _context) -> None:
        rows = session.info.setdefault("test_actions", ([], []))
        for row in session.new:
            if isinstance(row, AuditEntry):
                rows[0].append(row.action)
            elif isinstance(row, Event):
                rows[1].append(row.name)

    def after_commit(self, session: OrmSession) -> None:
        audits, events = session.info.pop("test_actions", ([], []))
        if audits or events:
            self.seen.append((Counter(audits), Counter(events)))

    def after_rollback(self, session: OrmSession) -> None:
        session.info.pop("test_actions", None)

    def actions(self) -> Counter:
        total: Counter = Counter()
        for audits, _ in self.seen:
            total.update(audits)
        return total


@pytest.fixture
def commits() -> Iterator[Commits]:
    watcher = Commits()
    hooks = [
        ("after_flush", watcher.after_flush),
        ("after_commit", watcher.after_commit),
        ("after_rollback", watcher.after_rollback),
    ]
    for name, hook in hooks:
        event.listen(OrmSession, name, hook)
    yield watcher
    for name, hook in hooks:
        event.remove(OrmSession, name, hook)


def _everything(llm) -> None:
    """Every action of the vocabulary, through the services."""
    with db.session_scope() as session:
        ada = users.add_user_in(session, name="Ada", email="ada@example.com", actor=OPERATOR)
        users.update_profile_in(
            session, ada.id, name="Ada L", phone=None, preferred_channel="sms", actor=OPERATOR
        )
        _, token = tokens.create_token_in(session, email="ada@example.com", actor=OPERATOR)
        tokens.revoke_token_in(session, token.id, actor=OPERATOR)
        sources.create_source_in(session, "shop", actor=OPERATOR)
        sources.revoke_source_in(session, "shop", actor=OPERATOR)
        phones.start_phone_verification_in(session, ada.id, "+15551230001", actor=OPERATOR)
        phones.mark_phone_verified_in(session, "ada@example.com", actor=OPERATOR)
        phones.set_pin_in(session, ada.id, "1234", actor=OPERATOR)
        phones.set_sms_opt_out(session, "+15551230001", True)
        monitors.create_monitor_in(
            session,
            owner_id=ada.id,
            event="user.created",
            condition=monitors.event_condition([{"field": "is_admin", "op": "==", "value": True}]),
            channel="sms",
            description="text me when an admin signs up",
            actor=OPERATOR,
        )
        watched = monitors.list_monitors(session, owner_id=ada.id)[0].id
        monitors.pause_in(session, watched, actor=OPERATOR)
        monitors.resume_in(session, watched, actor=OPERATOR)
        monitors.silence_in(session, watched, minutes=60, actor=OPERATOR)
        monitors.set_channel_in(session, watched, "email", actor=OPERATOR)
        firing = MonitorFiring(monitor_id=watched, notified_at=utcnow())
        session.add(firing)
        session.flush()
        alerts.answer(session, firing.id, "ack", actor=OPERATOR)
        monitors.delete_in(session, watched, actor=OPERATOR)
        bob = auth.sign_up_in(session, name="Bob", email="bob@example.com", password="long enough")
    me = audit.Actor.for_user(bob, Channel.WEB)
    auth.change_password(bob.id, "long enough", "a new password", actor=me)
    invites.invite("bob@example.com", actor=OPERATOR)
    with pytest.raises(auth.WrongPassword):  # SIGN_IN_LOCK_AFTER is 1: locked at once
        auth.log_in("bob@example.com", "a guess", address="203.0.113.7")
    with db.session_scope() as session:
        store.create_object_in(
            session,
            slug="calc",
            name="Calc",
            files={"main.py": MAIN, "test_main.py": TESTS},
            actor=OPERATOR,
            owner_id=ada.id,
        )
        store.edit_object(session, "calc", files={"main.py": MAIN + "\n"}, actor=OPERATOR)
        store.rollback_in(session, "calc", 1, actor=OPERATOR)
        store.set_visibility_in(session, "calc", public=True, actor=OPERATOR)
        store.set_auto_apply_in(session, "calc", enabled=False, actor=OPERATOR)
        store.set_auto_rollback_in(session, "calc", enabled=False, actor=OPERATOR)
        store.set_limits_in(session, "calc", {"wall_seconds": 2}, actor=OPERATOR)
    deploy_now("calc", actor=OPERATOR)  # deployed, and its status changed
    with db.session_scope() as session:
        store.edit_object(
            session, "calc", files={"main.py": MAIN, "test_main.py": FAILING_TESTS}, actor=OPERATOR
        )
    deploy_now("calc", actor=OPERATOR)  # its tests fail

    with db.session_scope() as session:
        store.edit_object(
            session, "calc", files={"main.py": MAIN, "test_main.py": TESTS}, actor=OPERATOR
        )
    live = deploy_now("calc", actor=OPERATOR)  # live, after an earlier live version
    with db.session_scope() as session:
        calc = store.get_object(session, "calc")
    for _ in range(12):  # ... and failing: the schedule records it
        record.record_call(calc.id, calc.deployed_version, "add", "error", 5.0, "boom")
    record.flush()
    assert live.status == "live" and object_health.watch_versions() == 1
    llm.push_json(PLAN)
    llm.push_json(REFUSED)  # attempt 1 refused
    llm.push_json(GOOD)  # attempt 2 accepted: awaiting approval
    first = modifications.request_modification("calc", "add sub", actor=OPERATOR)
    assert modifications.run(first.id).status == ModificationStatus.AWAITING_APPROVAL
    modifications.approve(first.id, actor=OPERATOR)

    llm.push_json(PLAN)
    # A change of its own: the same files again would be refused as changing nothing.
    again = {**GOOD, "files": [{"path": "main.py", "content": GOOD_MAIN + "\n# again\n"}]}
    llm.push_json(again)
    second = modifications.request_modification("calc", "add sub again", actor=OPERATOR)
    modifications.run(second.id)
    modifications.reject(second.id, "not needed", actor=OPERATOR)

    # The plan costs more than this budget: the run pauses.
    third = modifications.request_modification("calc", "more", actor=OPERATOR, budget_usd=0.0001)
    llm.push_json(PLAN)
    assert modifications.run(third.id).status == ModificationStatus.PAUSED_BUDGET
    modifications.resume(third.id, budget_usd=1.0, actor=OPERATOR)
    modifications.fail(third.id, "given up")

    modifications.request_creation(
        slug="greeter", name="Greeter", requirements="say hello", actor=OPERATOR
    )
    with db.session_scope() as session:
        task_id = jobs.create_task(session, "system.check").id
    jobs.mark_failed(task_id, "it broke")


def test_every_action_is_one_audit_entry_and_one_event_in_one_commit(
    migrated_db, scripted_llm, commits, monkeypatch
):
    monkeypatch.setenv("SIGN_IN_LOCK_AFTER", "1")
    config.reload_settings()
    _everything(scripted_llm)

    for audits, events in commits.seen:
        assert +Counter({k: v for k, v in events.items() if k in ACTIONS}) == audits
    assert set(commits.actions()) == set(ACTIONS), "every action of the vocabulary was run"
    with db.session_scope() as session:
        audited = Counter(session.exec(select(AuditEntry.action)).all())
        emitted = Counter(session.exec(select(Event.name)).all())
    assert audited == emitted
    assert all(name in ACTIONS for name in audited)


def test_an_action_rolled_back_leaves_neither_row(sqlite_db):
    with pytest.raises(RuntimeError), db.session_scope() as session:
        activity.record(session, OPERATOR, EventName.OBJECT_CREATED, detail={"slug": "x"})
        raise RuntimeError("the change failed after recording")
    with db.session_scope() as session:
        assert session.exec(select(AuditEntry)).all() == []
        assert session.exec(select(Event)).all() == []


def test_external_events_are_not_actions(sqlite_db):
    with pytest.raises(ValueError, match="not an action"), db.session_scope() as session:
        activity.record(session, OPERATOR, EventName.PAYMENT_FAILED)
    assert EventName.PAYMENT_FAILED not in ACTIONS
    assert EventName.USER_CREATED in ACTIONS
