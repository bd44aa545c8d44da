"""Running a parsed command for a known person: the same for every channel.

`process` answers at once: a question from the database, a monitor created, a long piece of
work started (its result goes out later, `backend.assistant.reports`), or a question back:
"which one?" (a `choice`) or, for anything that changes code or deployments, a `confirm`
that the door completes with the person's PIN before calling `execute`. Every answer is one
short sentence fit to be spoken, with a longer text for SMS where it helps. Rights are the
backend services' own: a member asking to deploy hears the sentence the web app shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlmodel import Session, col, select

from backend import llm
from backend.access.audit import Actor
from backend.access.permissions import Permission, require
from backend.accounts import phones
from backend.assistant import answers, health
from backend.assistant.reports import describe_modification
from backend.assistant.resolve import Resolution, names_in_words, pick, resolve
from backend.commands import wording
from backend.commands.queries import names_payments
from backend.commands.schema import Command
from backend.db import session_scope
from backend.enums import OBJECT_METRICS, Channel, Intent, ModificationStatus, QuerySubject
from backend.errors import InvalidInput, NotFound, ProductError
from backend.models import DurableObject, Modification, User
from backend.monitoring import alerts, monitors
from backend.objects import deploy as deployments
from backend.objects import store
from backend.objects.slugs import MAX_SLUG_LENGTH
from backend.pipeline import modifications


class Outcome(StrEnum):
    """How a turn ended; kept on the Interaction row."""

    ANSWERED = "answered"  # a question answered, a monitor created
    STARTED = "started"  # long work started; the result goes out later
    DONE = "done"  # a confirmed change was made
    ASKED = "asked"  # "which one?"
    CONFIRM = "confirm"  # waits for the PIN and a confirmation
    CANCELLED = "cancelled"
    REFUSED = "refused"  # not allowed, or not possible
    UNKNOWN = "unknown"  # not understood
    HELP = "help"


#: Intents that change code or deployments: they need the PIN, then a confirmation.
CHANGES = frozenset(
    {Intent.CREATE, Intent.MODIFY, Intent.DEPLOY, Intent.ROLLBACK, Intent.APPROVE, Intent.REJECT}
)
#: Intents that name an object by the person's words.
NAMES_OBJECT = frozenset({Intent.MODIFY, Intent.DEPLOY, Intent.ROLLBACK})


@dataclass
class Reply:
    """What to tell the person, and what the product now waits for from them.

    `pending` (JSON) is kept by the door for the next turn: {"kind": "choice", "command",
    "options": [slugs]} or {"kind": "confirm", "command", "slug", "modification_id",
    "action"}.
    """

    say: str
    outcome: Outcome
    text: str = ""
    pending: dict[str, Any] | None = None
    long_work: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def sms(self) -> str:
        return self.text or self.say


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
        return _prepare(user, command, channel)
    except ProductError as exc:
        return _refused(exc)


def _refused(exc: ProductError) -> Reply:
    """A refusal said as one sentence: the service's own words, capitalised and ended."""
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
    try:
        form = monitors.form_of(command, user)
    except InvalidInput:
        return Reply(
            "What should I watch for? For example: call me when a new user signs up.",
            Outcome.UNKNOWN,
        )
    with session_scope() as session:
        monitor = monitors.create_monitor(
            session, owner_id=user.id, actor=_actor(user, channel), **form
        )
        monitor_id = monitor.id
    return Reply(monitors.confirmation(form), Outcome.ANSWERED, extra={"monitor_id": monitor_id})


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
    with session_scope() as session:
        statement = select(Modification).where(Modification.requested_by_id == user.id)
        if command.target:
            found = resolve(session, command.target)
            if found.match is not None:
                statement = statement.where(Modification.object_id == found.match.id)
        latest = session.exec(statement.order_by(col(Modification.id).desc()).limit(1)).first()
        if latest is None:
            return Reply("You haven't asked for any changes yet.", Outcome.ANSWERED)
        return Reply(describe_modification(latest), Outcome.ANSWERED)


# --- changes: prepared, confirmed, executed -----------------------------------------------------


def _prepare(user: User, command: Command, channel: Channel, *, slug: str | None = None) -> Reply:
    """Find what a change names and check it may happen; then ask for the confirmation."""
    intent = Intent(command.intent)
    actor = _actor(user, channel)
    pending: dict[str, Any] = {"kind": "confirm", "command": command.model_dump(mode="json")}
    with session_scope() as session:
        if intent == Intent.CREATE:
            require(actor, Permission.EDIT)
            llm.client.require_llm(modifications.NEEDS_LLM["create"])
            name = _creation_name(command)
            pending["slug"] = _free_slug(session, name)
            pending["action"] = f"create a new object called {name}"
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
        return Reply(f"To {pending['action']} I need your PIN. {phones.NO_PIN}", Outcome.REFUSED)
    return Reply(f"You asked me to {pending['action']}.", Outcome.CONFIRM, pending=pending)


def _object_action(
    session: Session, intent: Intent, command: Command, obj: DurableObject, actor: Actor
) -> str:
    if intent == Intent.MODIFY:
        require(actor, Permission.EDIT)
        llm.client.require_llm(modifications.NEEDS_LLM["modify"])
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


def _creation_name(command: Command) -> str:
    name = (command.name or "").strip() or " ".join((command.description or "").split()[:3])
    return (name or "New object")[:80].strip().capitalize()


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
