"""Reports through events: the store and the pipeline record what happened, and the
assistant, subscribed to those events (`backend.events.activity.subscribe`), tells whoever asked by
phone, in the same transaction: a report commits with the event or not at all."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sqlmodel import Session, select

from backend import db
from backend.access import audit
from backend.access.audit import Actor
from backend.assistant import conversation
from backend.config import PROJECT_ROOT
from backend.enums import (
    Channel,
    DeploymentStatus,
    EventName,
    ModificationKind,
    ModificationStatus,
    TaskStatus,
)
from backend.events import activity
from backend.models import Conversation, Deployment, Event, Modification, Notification
from backend.objects import deploy, store
from backend.pipeline import modifications
from tests.support.factories import offer_for_approval, phone_user, waiting_modification
from tests.support.llm_scenarios import MAIN, TESTS

PAT_PHONE = "+15551230001"


def _setup(preferred: Channel = Channel.SMS) -> int:
    """Pat (texts preferred) and the object calc at v1; Pat's user id."""
    with db.session_scope() as session:
        pat = phone_user(session, preferred=preferred)
        store.create_object_in(
            session,
            slug="calc",
            name="Calc",
            files={"main.py": MAIN, "test_main.py": TESTS},
            actor=Actor.operator("ops"),
        )
        return int(pat.id)


def _told() -> list[Notification]:
    with db.session_scope() as session:
        return list(session.exec(select(Notification).order_by(Notification.id)))


def _asked_by_sms(session: Session, pat_id: int, status: ModificationStatus) -> int:
    modification = waiting_modification(
        session, "calc", {"main.py": MAIN + "\n"}, requested_by_id=pat_id
    )
    modification.channel, modification.status = Channel.SMS, status
    session.add(modification)
    session.flush()
    return int(modification.id)


def test_a_subscriber_writes_with_the_action_or_not_at_all(migrated_db):
    def keep_a_question(session: Session, event: Event) -> None:
        conversation.put(session, PAT_PHONE, Channel.SMS, {"on": event.name})

    activity.subscribe(EventName.OBJECT_EDITED, keep_a_question)
    activity.subscribe(EventName.OBJECT_EDITED, keep_a_question)  # once, all the same
    try:
        with pytest.raises(RuntimeError), db.session_scope() as session:
            activity.record(session, audit.SYSTEM, EventName.OBJECT_EDITED)
            raise RuntimeError("the action failed after recording its event")
        with db.session_scope() as session:
            assert session.exec(select(Conversation)).all() == []
            activity.record(session, audit.SYSTEM, EventName.OBJECT_EDITED)
        with db.session_scope() as session:
            kept = session.exec(select(Conversation)).one()
            assert kept.state == {"on": "object.edited"}
    finally:
        activity.unsubscribe(EventName.OBJECT_EDITED, keep_a_question)
    assert keep_a_question not in activity.subscribers(EventName.OBJECT_EDITED)


def test_a_failing_subscriber_is_undone_and_the_action_kept(migrated_db):
    def broken(session: Session, event: Event) -> None:
        conversation.put(session, PAT_PHONE, Channel.SMS, {})
        raise ValueError("a bug in a subscriber")

    activity.subscribe(EventName.OBJECT_EDITED, broken)
    try:
        with db.session_scope() as session:
            activity.record(session, audit.SYSTEM, EventName.OBJECT_EDITED)
    finally:
        activity.unsubscribe(EventName.OBJECT_EDITED, broken)
    with db.session_scope() as session:
        assert session.exec(select(Conversation)).all() == []
        assert session.exec(select(Event.name)).all() == ["object.edited"]


def test_an_action_event_only_is_subscribed_to():
    with pytest.raises(ValueError, match="reported from outside"):
        activity.subscribe(EventName.PAYMENT_FAILED, lambda session, event: None)


def test_a_failed_modification_asked_for_by_sms_is_reported_once(migrated_db):
    pat_id = _setup()
    with db.session_scope() as session:
        mid = _asked_by_sms(session, pat_id, ModificationStatus.GENERATING)
    modifications.fail(mid, "the model gave up")
    modifications.fail(mid, "the model gave up")  # already failed: no second event
    [told] = _told()
    assert (told.channel, told.target) == (Channel.SMS, PAT_PHONE)
    assert told.body == f"Your change number {mid} to Calc failed: the model gave up."


def test_an_offer_is_reported_but_a_persons_approval_is_not(migrated_db):
    pat_id = _setup()
    with db.session_scope() as session:
        mid = _asked_by_sms(session, pat_id, ModificationStatus.AWAITING_APPROVAL)
    offer_for_approval(mid)
    [offer] = _told()
    assert "Reply YES and your PIN to approve" in offer.body
    with db.session_scope() as session:
        assert session.exec(select(Conversation)).one().state["modification_id"] == mid
    modifications.approve(mid, actor=Actor.operator("ops"))
    assert [row.id for row in _told()] == [offer.id], "the approver was answered already"


def test_an_auto_applied_creation_is_reported_as_a_draft(migrated_db):
    pat_id = _setup()
    with db.session_scope() as session:
        mid = _asked_by_sms(session, pat_id, ModificationStatus.APPLIED)
        modification = session.get(Modification, mid)
        modification.kind = ModificationKind.CREATE
        session.add(modification)
        activity.record(
            session,
            audit.AUTO_APPLY,
            EventName.MODIFICATION_APPLIED,
            detail={"modification_id": mid, "version": 1},
        )
    [told] = _told()
    assert "It is a draft: say deploy Calc to put it live." in told.body


def test_a_stranded_deployment_tells_who_asked_for_it(migrated_db):
    """The system fails it (its worker was lost), yet the person on the job is told."""
    pat_id = _setup()
    with db.session_scope() as session:
        task = deploy.schedule_deploy(session, "calc", actor=Actor.operator("ops"))
        by = {"name": "pat@example.com", "channel": "sms", "user_id": pat_id}
        task.params = {**task.params, "by": by}  # as if Pat had asked by SMS
        task.status, task.error = TaskStatus.FAILED, "worker lost"
        version = store.get_version(session, "calc")
        deployment = Deployment(
            object_id=version.object_id,
            version_id=version.id,
            status=DeploymentStatus.TESTING,
            deployed_by=by["name"],
            task_id=task.id,
        )
        session.add_all([task, deployment])
        session.flush()
        deployment_id = deployment.id
    assert deploy.fail_stranded() == [deployment_id]
    assert deploy.fail_stranded() == []
    [told] = _told()
    assert (told.channel, told.target) == (Channel.SMS, PAT_PHONE)
    assert told.body.startswith("Deploying Calc version 1 failed: deployment failed: ")
    assert told.body.endswith("The live version is unchanged.")


#: The events the assistant reports on, and a check that each has a subscriber.
SUBSCRIBED = (
    "from backend.events import activity\n"
    "names = ['modification.awaiting_approval', 'modification.applied', "
    "'modification.failed', 'modification.paused', 'object.deployed', 'deployment.failed']\n"
    "def missing():\n"
    "    return [n for n in names if not activity.subscribers(n)]\n"
)


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60
    )


def test_the_worker_subscribes_the_assistant():
    done = _run("import tasks.celery_app\n" + SUBSCRIBED + "assert not missing(), missing()\n")
    assert done.returncode == 0, done.stderr


def test_the_cli_subscribes_the_assistant_before_it_handles_a_command(sqlite_db):
    """The CLI imports the services a command needs once it knows the command; the assistant
    is subscribed by then, whichever command it is (here `parse`, whose handler is replaced by
    one that says what is missing)."""
    done = _run(
        "import json, sys, cli.commands, cli.main\n"
        + SUBSCRIBED
        + "cli.commands.cmd_parse = lambda args, actor: (missing(), 'checked')\n"
        "sys.exit(cli.main.main(['parse', 'anything', '--json']))\n"
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
