"""Running a parsed command for a known person: the same for every channel.

`process` answers at once: a question from the database, a monitor created, a long piece of
work started (its result goes out later, `backend.assistant.reports`), or a question back:
"which one?" (a `choice`) or, for anything that changes code or deployments, a `confirm`
that the door completes with the person's PIN before calling `execute`. Every answer is one
short sentence fit to be spoken, with a longer text for SMS where it helps. Rights are the
backend services' own: a member asking to deploy hears the sentence the web app shows.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from backend import llm
from backend.access.audit import Actor
from backend.access.permissions import Permission, PermissionDenied, require
from backend.accounts import phones
from backend.assistant import answers, health, own_monitors
from backend.assistant.replies import Outcome, Reply
from backend.assistant.reports import describe_deploy, describe_modification, latest_deploy
from backend.assistant.resolve import Resolution, names_in_words, pick, resolve
from backend.commands import wording
from backend.commands.queries import names_payments
from backend.commands.schema import Command
from backend.db import session_scope
from backend.enums import (
    MONITOR_MANAGEMENT,
    OBJECT_METRICS,
    Channel,
    Intent,
    ModificationStatus,
    QuerySubject,
)
from backend.errors import NotFound, ProductError
from backend.llm import LLMNotConfigured
from backend.models import DurableObject, Modification, User
from backend.monitoring import alerts
from backend.objects import deploy as deployments
from backend.objects import store
from backend.objects.slugs import MAX_SLUG_LENGTH
from backend.pipeline import modifications

log = logging.getLogger(__name__)

#: What a person on the phone hears when no LLM is configured: the settings to set are on
#: the web page (Settings) and in the log, never read aloud.
NO_LLM = "I can't write code yet: an admin needs to connect an AI model in Settings."
#: The first version of an object created by phone while no LLM is configured.
STARTER_MAIN = (
    'def hello(name: str = "world") -> str:\n'
    '    """A starter: replace me with what this object should do."""\n'
    '    return f"hello {name}"\n'
)


#: Intents that change code or deployments: they need the PIN, then a confirmation.
CHANGES = frozenset(
    {Intent.CREATE, Intent.MODIFY, Intent.DEPLOY, Intent.ROLLBACK, Intent.APPROVE, Intent.REJECT}
)
#: Intents that name an object by the person's words.
NAMES_OBJECT = frozenset({Intent.MODIFY, Intent.DEPLOY, Intent.ROLLBACK})


def _actor(user: User, channel: Channel) -> Actor:
    return Actor.for_user(user, channel)


def process(user: User, command: Command, channel: Channel, *, may_change: bool = True) -> Reply:
    """Run `command` for `user`, or ask what is needed to run it (see the module doc).

    `may_change=False` (a call whose caller ID failed verification) allows questions only.
    """
    intent = Intent(command.intent)
    try:
        if intent == Intent.HELP:
            return Reply(wording.HELP, Outcome.HELP)
        if intent == Intent.UNKNOWN:
            return Reply(wording.REPHRASE, Outcome.UNKNOWN)
        if intent == Intent.QUERY:
            with session_scope() as session:
                say, text = answers.answer(session, user, command.subject or "")
            return Reply(say, Outcome.ANSWERED, text=text)
        if intent == Intent.STATUS:
            return _status(user, command)
        if intent == Intent.HEALTH:
            return _health(user, command, channel)
        if intent == Intent.MONITOR:
            return _monitor(user, command, channel)
        if not may_change:
            return Reply(
                "For your safety, a call whose number could not be verified can only ask "
                "questions. Please send a text, or use the web app.",
                Outcome.REFUSED,
            )
        if intent in MONITOR_MANAGEMENT:
            return own_monitors.manage(user, command, channel)
        return _prepare(user, command, channel)
    except ProductError as exc:
        return _refused(exc)


def _refused(exc: ProductError) -> Reply:
    """A refusal said as one sentence: the service's own words, capitalised and ended; said
    to the person ("you are a member", not their email), with no setting names read out."""
    if isinstance(exc, LLMNotConfigured):
        log.warning("refused by phone: %s", exc)  # the setting to set, for whoever reads logs
        return Reply(NO_LLM, Outcome.REFUSED)
    if isinstance(exc, PermissionDenied) and exc.reason:
        return _refused(ProductError(f"{exc.reason} (you are {exc.who})"))
    message = str(exc).strip()
    if message and message[-1] not in ".?!":
        message += "."
    return Reply(message[:1].upper() + message[1:], Outcome.REFUSED)


def choose(user: User, pending: dict[str, Any], answer: str, channel: Channel) -> Reply:
    """The answer to "did you mean A or B?": go on with the one it names, or ask again."""
    with session_scope() as session:
        options = [_object_or_none(session, slug) for slug in pending.get("options", [])]
        options = [obj for obj in options if obj is not None]
        chosen = pick(options, answer)
        if chosen is None:
            return Reply(
                f"Sorry, which one: {names_in_words(options)}?",
                Outcome.ASKED,
                pending=pending,
            )
        slug = chosen.slug
    command = Command.model_validate(pending["command"])
    try:
        if command.intent == Intent.HEALTH:
            return _health(user, command, channel, slug=slug)
        return _prepare(user, command, channel, slug=slug)
    except ProductError as exc:
        return _refused(exc)


def _object_or_none(session: Session, slug: str) -> DurableObject | None:
    try:
        return store.get_object(session, slug)
    except NotFound:
        return None


# --- monitors and status ----------------------------------------------------------------------


def _monitor(user: User, command: Command, channel: Channel) -> Reply:
    """A monitor (`own_monitors.create`); an object's metric names the object in the
    person's words, resolved to its slug first."""
    if command.metric in OBJECT_METRICS and command.target:
        with session_scope() as session:  # the person's words for the object, to its slug
            found = resolve(session, command.target)
            if found.choices:
                names = names_in_words(found.choices)
                return Reply(f"Which one should I watch: {names}? Say it again with its name.",
                             Outcome.REFUSED)  # fmt: skip
            if found.match is None:
                return _ask_which(found, command, {})
            command = command.model_copy(update={"target": found.match.slug})
    return own_monitors.create(user, command, channel)


def _health(user: User, command: Command, channel: Channel, *, slug: str | None = None) -> Reply:
    """How an object is doing from its calls, or which objects are failing (no object)."""
    if command.target is None and slug is None:
        say, text = health.failing()
        return Reply(say, Outcome.ANSWERED, text=text)
    with session_scope() as session:
        if slug is None:
            found = resolve(session, command.target or "")
            if found.match is None:
                if names_payments((command.target or "").lower()):  # no object called that
                    say, text = answers.answer(session, user, QuerySubject.PAYMENTS_STATUS)
                    return Reply(say, Outcome.ANSWERED, text=text)
                pending = {"kind": "choice", "command": command.model_dump(mode="json")}
                return _ask_which(found, command, pending)
            slug = found.match.slug
        obj = store.get_object(session, slug)
    say, text = health.object_health(obj, _actor(user, channel))
    return Reply(say, Outcome.ANSWERED, text=text)


def _status(user: User, command: Command) -> Reply:
    """Where the person's newest request is: a change they asked for, or a deploy."""
    with session_scope() as session:
        statement = select(Modification).where(Modification.requested_by_id == user.id)
        slug = None
        if command.target:
            found = resolve(session, command.target)
            if found.match is not None:
                statement = statement.where(Modification.object_id == found.match.id)
                slug = found.match.slug
        latest = session.exec(statement.order_by(col(Modification.id).desc()).limit(1)).first()
        deploy = latest_deploy(session, user.id, slug)
        if deploy is not None and (latest is None or deploy.created_at >= latest.created_at):
            return Reply(describe_deploy(session, deploy), Outcome.ANSWERED)
        if latest is None:
            return Reply("You haven't asked for any changes yet.", Outcome.ANSWERED)
        return Reply(describe_modification(latest), Outcome.ANSWERED)


# --- changes: prepared, confirmed, executed -----------------------------------------------------


def _prepare(user: User, command: Command, channel: Channel, *, slug: str | None = None) -> Reply:
    """Find what a change names and check it may happen; then ask for the confirmation."""
    intent = Intent(command.intent)
    actor = _actor(user, channel)
    pending: dict[str, Any] = {"kind": "confirm", "command": command.model_dump(mode="json")}
    opening = ""
    if intent == Intent.MODIFY:  # say what can't be done before looking for the object
        require(actor, Permission.EDIT)
        llm.client.require_llm(modifications.NEEDS_LLM["modify"])
    with session_scope() as session:
        if intent == Intent.CREATE:
            require(actor, Permission.EDIT)
            name = _creation_name(command)
            if _named(session, name) is not None:  # two of one name: "which one?" can't tell
                return Reply(
                    f"There is already an object called {name}. To change it, say update "
                    f"{name} and what it should do; or give the new one another name.",
                    Outcome.REFUSED,
                )
            pending["slug"] = _free_slug(session, name)
            if llm.client.is_configured():
                pending["action"] = f"create a new object called {name}"
            else:  # nothing can write its code: offer the empty starter instead
                log.warning(
                    "creating by phone without an LLM: %s",
                    llm.client.unconfigured_reason(modifications.NEEDS_LLM["create"]),
                )
                pending["starter"] = True
                pending["action"] = f"create {name} as an empty starter object"
                opening = f"{NO_LLM} "
        elif intent in (Intent.APPROVE, Intent.REJECT):
            found = _modification_for(session, command, slug)
            if isinstance(found, Reply):
                return found
            permission = Permission.APPROVE if intent == Intent.APPROVE else Permission.REJECT
            require(actor, permission, **modifications.concerned(session, found))
            verb = "approve" if intent == Intent.APPROVE else "reject"
            pending["modification_id"] = found.id
            pending["action"] = f"{verb} change number {found.id} to {found.name}"
        else:
            if slug is None:
                found = resolve(session, command.target or "")
                if found.match is None:
                    return _ask_which(found, command, pending)
                slug = found.match.slug
            obj = store.get_object(session, slug)
            pending["slug"] = slug
            pending["action"] = _object_action(session, intent, command, obj, actor)
    if not phones.has_pin(user):  # say so now, not after they typed a PIN they don't have
        return Reply(
            f"{opening}To {pending['action']} I need your PIN. {phones.NO_PIN}", Outcome.REFUSED
        )
    if pending.get("starter"):
        return Reply(f"{opening}I can {pending['action']}.", Outcome.CONFIRM, pending=pending)
    return Reply(f"You asked me to {pending['action']}.", Outcome.CONFIRM, pending=pending)


def _object_action(
    session: Session, intent: Intent, command: Command, obj: DurableObject, actor: Actor
) -> str:
    if intent == Intent.MODIFY:
        instruction = command.instruction or command.text
        return f"change {obj.name}: {instruction}"
    if intent == Intent.DEPLOY:
        require(actor, Permission.DEPLOY)
        number = store.get_version(session, obj.slug, command.version).number
        return f"deploy {obj.name} version {number}"
    require(actor, Permission.ROLLBACK)
    if command.version is None:
        live = obj.deployed_version or obj.current_version or 1
        if live <= 1:
            raise ProductError(f"{obj.name} has no earlier version to go back to")
        command.version = live - 1
    number = store.get_version(session, obj.slug, command.version).number
    return f"roll {obj.name} back to version {number} and deploy it"


def _ask_which(found: Resolution, command: Command, pending: dict[str, Any]) -> Reply:
    if found.choices:
        pending = {**pending, "kind": "choice", "options": [obj.slug for obj in found.choices]}
        return Reply(
            f"Did you mean {names_in_words(found.choices)}?", Outcome.ASKED, pending=pending
        )
    named = f" called {command.target}" if command.target else " by that name"
    some = names_in_words(found.others).replace(" or ", " and ")
    suggestion = f" There are {some}." if found.others else " There are no objects yet."
    return Reply(f"I couldn't find an object{named}.{suggestion}", Outcome.REFUSED)


def _modification_for(session: Session, command: Command, slug: str | None) -> Modification | Reply:
    """The change an approve or reject names: by number, or the newest awaiting one for the
    object named (or anywhere, when only one awaits)."""
    if command.modification_id is not None:
        return modifications.get_modification(session, command.modification_id)
    waiting = select(Modification).where(
        Modification.status == ModificationStatus.AWAITING_APPROVAL
    )
    if slug is None and command.target:
        found = resolve(session, command.target)
        if found.match is None:
            return _ask_which(
                found, command, {"kind": "confirm", "command": command.model_dump(mode="json")}
            )
        slug = found.match.slug
    if slug is not None:
        waiting = waiting.where(Modification.slug == slug)
    candidates = list(session.exec(waiting.order_by(col(Modification.id).desc())))
    if len(candidates) == 1 or (candidates and slug is not None):
        return candidates[0]
    if not candidates:
        return Reply("No change is waiting for approval.", Outcome.REFUSED)
    numbers = ", ".join(f"number {m.id} to {m.name}" for m in candidates[:4])
    return Reply(f"Several changes are waiting: {numbers}. Which number?", Outcome.REFUSED)


#: Words before a new object's name that are not part of it ("create object Calculator").
_NOT_THE_NAME = re.compile(r"^(?:(?:a|an|the|new|object|called|named)\s+)+", re.IGNORECASE)


def _creation_name(command: Command) -> str:
    name = (command.name or "").strip() or " ".join((command.description or "").split()[:3])
    name = _NOT_THE_NAME.sub("", name).strip() or name  # "Object Calculator": Calculator
    name = (name or "New object")[:80].strip()
    return name[:1].upper() + name[1:]


def _named(session: Session, name: str) -> DurableObject | None:
    """The object called `name` (whatever the case), if any."""
    return session.exec(
        select(DurableObject).where(func.lower(DurableObject.name) == name.strip().lower())
    ).first()


def _free_slug(session: Session, name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[: MAX_SLUG_LENGTH - 4] or "object"
    slug, n = base, 1
    while _object_or_none(session, slug) is not None:
        n += 1
        slug = f"{base}-{n}"
    return slug


def execute(user: User, pending: dict[str, Any], channel: Channel) -> Reply:
    """Carry out a change the person confirmed (the door checked their PIN)."""
    command = Command.model_validate(pending["command"])
    intent = Intent(command.intent)
    actor = _actor(user, channel)
    try:
        if intent == Intent.CREATE and pending.get("starter"):
            return _create_starter(pending, command, actor)
        if intent == Intent.CREATE:
            modification = modifications.request_creation(
                slug=pending["slug"],
                name=_creation_name(command),
                requirements=command.description or command.text,
                description=command.description or "",
                actor=actor,
            )
            return _started(f"I'm writing {modification.name} now", modification)
        if intent == Intent.MODIFY:
            modification = modifications.request_modification(
                pending["slug"], command.instruction or command.text, actor=actor
            )
            return _started(f"I'm working on the change to {modification.name}", modification)
        if intent in (Intent.DEPLOY, Intent.ROLLBACK):
            reply = _deploy(pending, command, actor)
            if pending.get("firing_id"):  # an alert's rollback offer, taken up: answered
                with session_scope() as session:
                    alerts.answer(session, int(pending["firing_id"]), "ack", actor=actor)
            return reply
        if intent == Intent.APPROVE:
            modification, _ = modifications.approve(int(pending["modification_id"]), actor=actor)
            with session_scope() as session:
                number = store.get_object(session, modification.slug).current_version
            return Reply(
                f"Approved. {modification.name} is now at version {number}; say deploy "
                f"{modification.name} to put it live.",
                Outcome.DONE,
            )
        reason = command.reason or f"rejected by {channel}"
        modification = modifications.reject(int(pending["modification_id"]), reason, actor=actor)
        return Reply(f"Rejected change number {modification.id}.", Outcome.DONE)
    except ProductError as exc:
        return _refused(exc)


def _create_starter(pending: dict[str, Any], command: Command, actor: Actor) -> Reply:
    """The object asked for, with a starter main.py, when no LLM can write its code."""
    name = _creation_name(command)
    described = (command.description or "").strip()
    if _NOT_THE_NAME.sub("", described).strip().lower() == name.lower():
        described = ""  # "object Calculator" names it; it says nothing of what it does
    with session_scope() as session:
        store.create_object_in(
            session,
            slug=pending["slug"],
            name=name,
            description=described,
            files={"main.py": STARTER_MAIN},
            owner_id=actor.user_id,
            message="Empty starter, created by phone without an LLM",
            actor=actor,
        )
    return Reply(
        f"Created {name} as an empty starter object. Its code can be written in the web app, "
        "or by me once an admin connects an AI model in Settings.",
        Outcome.DONE,
    )


def _started(opening: str, modification: Modification) -> Reply:
    return Reply(
        f"{opening}. That takes a few minutes; I'll call or text you with the result.",
        Outcome.STARTED,
        long_work=True,
        extra={"modification_id": modification.id},
    )


def _deploy(pending: dict[str, Any], command: Command, actor: Actor) -> Reply:
    slug = pending["slug"]
    with session_scope() as session:
        if Intent(command.intent) == Intent.ROLLBACK:
            task = deployments.schedule_rollback(
                session, slug, int(command.version or 0), actor=actor
            )
        else:
            task = deployments.schedule_deploy(session, slug, actor=actor, number=command.version)
        name = store.get_object(session, slug).name
        task_id = task.id
    return Reply(
        f"Deploying {name} now. I'll tell you when it's live.",
        Outcome.STARTED,
        long_work=True,
        extra={"task_id": task_id},
    )
