"""A text message's answer: to the question it was asked, or as a new command.

A question the product asked by SMS ("which one?", "reply YES and your PIN") takes the next
message from that number as its answer until it expires (`conversation`); anything else
drops the question and is read as a new command. An unsure reading is read by the LLM in a
job where one is configured (`interpret`), and the answer is texted when it is done.
"""

from __future__ import annotations

import re

from backend.accounts import phones
from backend.assistant import conversation, interpret, own_monitors, processor
from backend.assistant.processor import Outcome, Reply
from backend.commands import parse, wording
from backend.commands.schema import Command
from backend.db import session_scope
from backend.enums import Channel, Intent
from backend.errors import ProductError
from backend.models import User
from backend.monitoring import alerts

_YES = re.compile(r"^\s*(?:yes|y|ok|confirm)\b[\s,.:;-]*(\d{4,8})?\s*[.!]?\s*$", re.IGNORECASE)
#: The answer to an alert's rollback offer: ROLLBACK and the PIN.
_ROLLBACK = re.compile(r"^\s*roll\s*back\b[\s,.:;-]*(\d{4,8})?\s*[.!]?\s*$", re.IGNORECASE)
_NO = re.compile(r"^\s*(?:no|n|nope)\b[\s,.:;-]*(.*)$", re.IGNORECASE | re.DOTALL)
CONFIRM_HOW = "Reply YES and your PIN (for example YES 1234) to go ahead, or NO to cancel."
THINKING = "Let me think about that; I'll text you the answer in a moment."


def answer(
    user: User, phone: str, body: str, pending: dict | None, sid: str
) -> tuple[Reply, dict | None]:
    """Answer the message: as the answer to what was asked, or as a new command; with the
    reading of the command (JSON), if it was read as one."""
    rollback = _ROLLBACK.match(body)
    if rollback is not None:
        reply = _rollback(user, phone, rollback.group(1), pending)
        if reply is not None:
            return reply, None
    if pending and pending.get("kind") == "confirm":
        reply = _confirmation(user, phone, body, pending)
        if reply is not None:
            return reply, None
    if pending and pending.get("kind") == "choice":
        reply = processor.choose(user, pending, body, Channel.SMS)
        if reply.outcome != Outcome.ASKED:
            return reply, None
    if pending and pending.get("kind") == own_monitors.ASK:
        answered = own_monitors.answer(user, pending, body, Channel.SMS)
        if answered is not None:
            _forget_unless_asked(phone, answered)
            return answered, None
    if pending:
        with session_scope() as session:  # a new command: the question is dropped
            conversation.clear(session, phone, Channel.SMS)
    parsed = parse.parse_grammar(body)
    if parse.needs_llm(parsed):
        with session_scope() as session:
            interpret.schedule(
                session, body, channel=Channel.SMS, user_id=user.id, phone=phone, sid=sid
            )
        return Reply(THINKING, Outcome.STARTED, long_work=True), parsed.model_dump(mode="json")
    return act_on(user, parsed), parsed.model_dump(mode="json")


def _forget_unless_asked(phone: str, reply: Reply) -> None:
    """The question is answered: forget it (`reply_text` keeps any new one)."""
    if not reply.pending:
        with session_scope() as session:
            conversation.clear(session, phone, Channel.SMS)


def act_on(user: User, command: Command) -> Reply:
    """Run a texted command, or ask for it again when its reading is unsure."""
    if interpret.is_unsure(command):
        return Reply(wording.REPHRASE, Outcome.UNKNOWN)
    return processor.process(user, command, Channel.SMS)


def _rollback(user: User, phone: str, pin: str | None, pending: dict | None) -> Reply | None:
    """ROLLBACK (+ PIN) answers the rollback the person's latest alert offered (or the one
    this conversation waits on); None when none is open (then it is read as a command)."""
    if not (pending and pending.get("offer") == "rollback"):
        with session_scope() as session:
            offer = alerts.rollback_offer(session, user.id)
        if offer is None:
            return None
        pending = conversation.rollback_pending(offer)
    if not pin:
        with session_scope() as session:
            conversation.put(session, phone, Channel.SMS, pending)
        return Reply(
            f"Please add your PIN, for example ROLLBACK 1234, to {pending['action']}.",
            Outcome.CONFIRM,
        )
    return _confirmation(user, phone, f"yes {pin}", pending)


def _confirmation(user: User, phone: str, body: str, pending: dict) -> Reply | None:
    """YES + PIN goes ahead, NO cancels (or, for a change offered for approval, rejects it
    with the rest of the message as the reason); anything else is a new command (None)."""
    yes, no = _YES.match(body), _NO.match(body)
    if yes is None and no is None:
        return None
    with session_scope() as session:
        if no is not None:
            conversation.clear(session, phone, Channel.SMS)
        elif not yes.group(1):
            return Reply(
                f"Please add your PIN, for example YES 1234, to {pending['action']}.",
                Outcome.CONFIRM,
            )
        else:
            try:
                right = phones.check_pin(session, user, yes.group(1), channel=Channel.SMS)
            except ProductError as exc:
                conversation.clear(session, phone, Channel.SMS)
                return Reply(str(exc), Outcome.REFUSED)
            if not right:
                return Reply(
                    "That PIN isn't right. Reply YES and your PIN to go ahead.", Outcome.REFUSED
                )
            conversation.clear(session, phone, Channel.SMS)
    if no is not None:
        if not pending.get("decide"):
            return Reply("Cancelled; nothing was changed.", Outcome.CANCELLED)
        reason = no.group(1).strip() or "rejected by SMS"
        command = {**pending["command"], "intent": str(Intent.REJECT), "reason": reason}
        return processor.execute(user, {**pending, "command": command}, Channel.SMS)
    return processor.execute(user, pending, Channel.SMS)


def reply_text(phone: str, reply: Reply) -> str:
    """The message to send back; keeps what the reply waits for."""
    with session_scope() as session:
        if reply.pending:
            conversation.put(session, phone, Channel.SMS, reply.pending)
            if reply.pending["kind"] == "confirm":
                return f"{reply.say} {CONFIRM_HOW}"
            return reply.say
    return reply.sms
