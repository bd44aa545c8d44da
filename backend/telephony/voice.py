"""A phone call, turn by turn: greeting, spoken command, PIN, confirmation, answer.

Each function takes what Twilio posted (`Call`) and returns the TwiML to answer with. A
caller is recognised only by a verified number; anything that changes code or deployments
needs their PIN on the keypad and then "press 1"; a caller whose caller ID failed
verification (`StirVerstat`) may only ask questions. What a call waits for (a choice, a PIN,
a key) is kept per number (`conversation`), and every turn is an Interaction row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from backend.access.audit import Actor
from backend.accounts import phones
from backend.assistant import conversation, interpret, own_monitors, processor
from backend.assistant.processor import Outcome, Reply
from backend.background import jobs
from backend.channels import notify, twiml
from backend.commands import parse
from backend.commands.schema import Command
from backend.db import session_scope
from backend.enums import Channel, Intent, ObjectKind, QuerySubject, TaskStatus
from backend.errors import ProductError
from backend.models import User
from backend.monitoring import alerts
from backend.objects import store
from backend.pipeline import modifications
from backend.telephony import interactions, receipts
from backend.urls import (
    VOICE_COMMAND_PATH,
    VOICE_CONFIRM_PATH,
    VOICE_MENU_PATH,
    VOICE_PIN_PATH,
)

#: Times a caller is asked again before the keypad menu is offered.
ASK_AGAIN = 2
#: Times a caller on hold is told "one moment" while a job reads their words (2 s each).
HOLD_POLLS = 6
#: Wrong PINs in one call before the request is dropped (the account limit also applies).
PIN_TRIES = 3
WITHHELD = {"", "anonymous", "restricted", "unknown", "private", "+266696687"}

MENU = {
    "1": ("system status", QuerySubject.SYSTEM_STATUS),
    "2": ("your latest request", None),
    "3": ("what you can say", None),
}


@dataclass
class Call:
    """One webhook request of a call: the form Twilio posted and our own query parameters."""

    form: dict[str, str]
    query: dict[str, str] = field(default_factory=dict)

    @property
    def sid(self) -> str:
        return self.form.get("CallSid", "")

    @property
    def number(self) -> str:
        """The person's number: the caller, or the one we called on an outbound call."""
        outbound = self.form.get("Direction", "").startswith("outbound")
        return (self.form.get("To") if outbound else self.form.get("From")) or ""

    @property
    def may_change(self) -> bool:
        """False when the carrier said the caller ID failed verification (or an earlier
        turn of this call said so)."""
        failed = "failed" in self.form.get("StirVerstat", "").lower()
        return not failed and self.query.get("unverified") != "1"

    def url(self, path: str, **query: object) -> str:
        """A URL for the next turn, carrying what this call learned about the caller."""
        return twiml.url(path, unverified=None if self.may_change else 1, **query)


def _user(session: Session, call: Call) -> User | None:
    number = call.number.strip()
    if number.lower() in WITHHELD:
        return None
    return phones.find_verified_user(session, number)


def _hints(session: Session) -> str:
    named = [obj.name for obj in store.list_objects(session) if obj.kind != ObjectKind.MONITOR]
    return ",".join(named[:30])


def _key(call: Call, step: str, said: str = "") -> str:
    return f"voice:{call.sid}:{step}:{said}:{call.query.get('tries', '')}" if call.sid else ""


def _once(call: Call, key: str, answer: Callable[[], str]) -> str:
    """The turn's answer, once per `key` (a retry gets the same), with any result that came
    in for the caller during the call said first (`notify.tell_in_call`): told in this call,
    not by a second call."""
    return receipts.once(key, lambda: _with_results(call, answer()))


def _with_results(call: Call, answer: str) -> str:
    if not call.sid:
        return answer
    with session_scope() as session:
        user = _user(session, call)
        told = notify.tell_in_call(session, user.id, call.sid) if user is not None else []
        if told:
            said = " ".join([notify.MEANWHILE, *told])
            _record(session, call, user, "result", outcome="told", reply=said)
    return twiml.say_first(answer, said) if told else answer


def incoming(call: Call) -> str:
    """A call comes in: greet a known caller by name and ask for a command."""
    return _once(call, _key(call, "greet"), lambda: _greet(call))


def _greet(call: Call) -> str:
    with session_scope() as session:
        user = _user(session, call)
        limited = interactions.over_limit(session, call.number)
        if user is None or limited:
            say = interactions.RATE_LIMITED if limited else interactions.UNKNOWN_CALLER
            outcome = interactions.RATE_LIMITED_OUTCOME if limited else "unknown_caller"
            _record(session, call, user, "greet", outcome=outcome, reply=say)
            return twiml.goodbye(say)
        say = f"Hello {user.name.split()[0]}. What would you like to do?"
        _record(session, call, user, "greet", outcome="greeted", reply=say)
        return twiml.listen(say, call.url(VOICE_COMMAND_PATH), hints=_hints(session))


def _record(session: Session, call: Call, user: User | None, step: str, **fields: Any) -> None:
    interactions.record(
        session,
        channel=Channel.VOICE,
        phone=call.number,
        user=user,
        sid=call.sid,
        step=step,
        direction="out" if call.form.get("Direction", "").startswith("outbound") else "in",
        **fields,
    )


def command(call: Call) -> str:
    """What the caller said (`SpeechResult`, `Confidence`), or silence; or, with `wait`, back
    for the LLM's reading of what they said."""
    said = call.form.get("SpeechResult", "").strip()
    if call.query.get("wait"):
        step = f"wait{call.query['wait']}.{call.query.get('polls', '')}"
        return _once(call, _key(call, step), lambda: _waited(call))
    return _once(call, _key(call, "command", said), lambda: _command(call, said))


def _waited(call: Call) -> str:
    """The caller held while a job read their words: go on with its reading, or hold on a
    little longer, or ask them to say it again."""
    polls = int(call.query.get("polls") or 0)
    with session_scope() as session:
        user = _user(session, call)
        if user is None:
            return twiml.goodbye(interactions.UNKNOWN_CALLER)
        task = jobs.get_task(session, int(call.query["wait"]))
        if task.params.get("sid") != call.sid:
            return _nothing_waiting(session, call, user)
        status, result, said = task.status, task.result or {}, task.params["text"]
    if status in jobs.OPEN_STATUSES and polls < HOLD_POLLS:
        return twiml.hold(
            "", call.url(VOICE_COMMAND_PATH, wait=call.query["wait"], polls=polls + 1)
        )
    if status != TaskStatus.SUCCEEDED:
        return _ask_again(call, user, "Sorry, I couldn't work that out.", said)
    parsed = Command.model_validate(result["command"])
    return _understood(call, user, said, parsed)


def _command(call: Call, said: str) -> str:
    with session_scope() as session:
        user = _user(session, call)
        if user is None:
            return twiml.goodbye(interactions.UNKNOWN_CALLER)
        pending = conversation.get(session, call.number, Channel.VOICE)
    if pending and pending.get("kind") == "choice" and said:
        reply = processor.choose(user, pending, said, Channel.VOICE)
        return _answer(call, user, reply, said=said)
    if pending and pending.get("kind") == own_monitors.ASK and said:
        answered = own_monitors.answer(user, pending, said, Channel.VOICE)
        if answered is not None:
            return _answer(call, user, answered, said=said)
    if not said:
        if call.query.get("after") == "1":
            return _goodbye(call, user)
        return _ask_again(call, user, "I didn't hear anything.", said)
    parsed = parse.parse_grammar(said)
    if parse.needs_llm(parsed):
        with session_scope() as session:
            task = interpret.schedule(
                session,
                said,
                channel=Channel.VOICE,
                user_id=user.id,
                phone=call.number,
                sid=call.sid,
            )
            _record(
                session,
                call,
                user,
                "command",
                transcript=said,
                confidence=_confidence(call),
                command=parsed.model_dump(mode="json"),
                outcome="interpreting",
                reply="One moment.",
            )
        return twiml.hold("One moment.", call.url(VOICE_COMMAND_PATH, wait=task.id, polls=0))
    return _understood(call, user, said, parsed)


def _understood(call: Call, user: User, said: str, parsed: Command) -> str:
    if interpret.is_unsure(parsed) or parsed.intent == Intent.UNKNOWN:
        return _ask_again(
            call, user, "Sorry, I didn't catch that.", said, parsed.model_dump(mode="json")
        )
    reply = processor.process(user, parsed, Channel.VOICE, may_change=call.may_change)
    return _answer(call, user, reply, said=said, parsed=parsed.model_dump(mode="json"))


def _confidence(call: Call) -> float | None:
    try:
        return float(call.form["Confidence"])
    except (KeyError, ValueError):
        return None


#: Said when words were heard but not understood a second time: what to say instead.
EXAMPLE = "For example, say: how many users are there, or call me when a new user signs up."


def _ask_again(call: Call, user: User, why: str, said: str, parsed: dict | None = None) -> str:
    tries = int(call.query.get("tries") or 0)
    if tries and said:  # asked before: say what was heard, and what would work
        why = f'{why.rstrip(".")}: I heard "{said[:120]}". {EXAMPLE}'
    with session_scope() as session:
        if tries < ASK_AGAIN:
            say = f"{why} Please say it again." if not (tries and said) else why
            answer = twiml.listen(say, call.url(VOICE_COMMAND_PATH, tries=tries + 1))
        else:
            choices = ", ".join(f"press {key} for {words}" for key, (words, _) in MENU.items())
            say = f"{why} You can use the keypad: {choices}."
            answer = twiml.keypad(
                say, call.url(VOICE_MENU_PATH), digits=1, fallback="Goodbye. Call again any time."
            )
        _record(
            session,
            call,
            user,
            "command",
            transcript=said,
            confidence=_confidence(call),
            command=parsed,
            outcome="asked_again" if tries < ASK_AGAIN else "menu",
            reply=say,
        )
    return answer


def _goodbye(call: Call, user: User) -> str:
    with session_scope() as session:
        _record(session, call, user, "command", outcome="ended", reply="Goodbye.")
    return twiml.goodbye("Goodbye.")


def _answer(
    call: Call,
    user: User,
    reply: Reply,
    *,
    said: str = "",
    parsed: dict | None = None,
    step: str = "command",
) -> str:
    """Speak the reply and go on: ask for the PIN, ask which one, or take another command."""
    with session_scope() as session:
        if reply.pending and reply.pending["kind"] == "confirm":
            conversation.put(
                session, call.number, Channel.VOICE, {**reply.pending, "call": call.sid}
            )
            say = f"{reply.say} To go ahead, enter your PIN, then press pound."
            answer = twiml.keypad(say, call.url(VOICE_PIN_PATH))
        elif reply.pending:
            conversation.put(session, call.number, Channel.VOICE, reply.pending)
            say = reply.say
            answer = twiml.listen(say, call.url(VOICE_COMMAND_PATH), hints=_hints(session))
        else:
            conversation.clear(session, call.number, Channel.VOICE)
            say = f"{reply.say} Anything else?"
            answer = twiml.listen(say, call.url(VOICE_COMMAND_PATH, after=1), fallback="Goodbye.")
        _record(
            session,
            call,
            user,
            step,
            transcript=said,
            confidence=_confidence(call),
            command=parsed,
            outcome=reply.outcome,
            reply=say,
        )
    return answer


def _keys(call: Call, step: str, work: Callable[[Call, User, str], str]) -> str:
    """Keys pressed in answer to `step`: `work(call, caller, digits)` once per CallSid, step
    and keys; an unknown caller is sent away."""
    digits = call.form.get("Digits", "")

    def answer() -> str:
        with session_scope() as session:
            user = _user(session, call)
        if user is None:
            return twiml.goodbye(interactions.UNKNOWN_CALLER)
        return work(call, user, digits)

    return _once(call, _key(call, step, digits), answer)


def pin(call: Call) -> str:
    """The PIN typed on the keypad, for the change the call waits to confirm."""
    return _keys(call, "pin", _pin)


def _pin(call: Call, user: User, digits: str) -> str:
    with session_scope() as session:
        pending = conversation.get(session, call.number, Channel.VOICE)
        decide = call.query.get("decide")
        if decide and (pending is None or str(pending.get("modification_id")) != decide):
            pending = _approval_offer(session, int(decide))
        if not pending or pending.get("kind") != "confirm":
            return _nothing_waiting(session, call, user)
        try:
            right = phones.check_pin(session, user, digits)
        except ProductError as exc:  # locked, or no PIN set
            conversation.clear(session, call.number, Channel.VOICE)
            _record(session, call, user, "pin", outcome="refused", reply=str(exc))
            return twiml.goodbye(f"{exc} Goodbye.")
        if not right:
            tries = int(pending.get("pin_tries", 0)) + 1
            if tries >= PIN_TRIES:
                conversation.clear(session, call.number, Channel.VOICE)
                say = "That PIN isn't right either. I've cancelled the request. Goodbye."
                _record(session, call, user, "pin", outcome="refused", reply=say)
                return twiml.goodbye(say)
            conversation.put(session, call.number, Channel.VOICE, {**pending, "pin_tries": tries})
            say = "That PIN isn't right. Enter your PIN, then press pound."
            _record(session, call, user, "pin", outcome="wrong_pin", reply=say)
            return twiml.keypad(say, call.url(VOICE_PIN_PATH, decide=decide))
        conversation.put(session, call.number, Channel.VOICE, {**pending, "pin_ok": True})
        if pending.get("decide"):
            say = "Press 1 to approve the change, or 2 to reject it."
        else:
            say = f"Press 1 to {pending['action']}, or 2 to cancel."
        _record(session, call, user, "pin", outcome="pin_ok", reply=say)
        return twiml.keypad(say, call.url(VOICE_CONFIRM_PATH), digits=1)


def _approval_offer(session: Session, modification_id: int) -> dict[str, Any] | None:
    try:
        modification = modifications.get_modification(session, modification_id)
    except ProductError:
        return None
    return conversation.approval_pending(modification_id, modification.name)


def _nothing_waiting(session: Session, call: Call, user: User) -> str:
    say = "Nothing is waiting for your PIN. What would you like to do?"
    _record(session, call, user, "pin", outcome="nothing_waiting", reply=say)
    return twiml.listen(say, call.url(VOICE_COMMAND_PATH))


def confirm(call: Call) -> str:
    """1 confirms (or approves), 2 cancels (or rejects) what the PIN unlocked."""
    return _keys(call, "confirm", _confirm)


def _confirm(call: Call, user: User, digits: str) -> str:
    with session_scope() as session:
        pending = conversation.get(session, call.number, Channel.VOICE)
        if not pending or not pending.get("pin_ok"):
            return _nothing_waiting(session, call, user)
        conversation.clear(session, call.number, Channel.VOICE)
    if digits == "1":
        reply = processor.execute(user, pending, Channel.VOICE)
    elif digits == "2" and pending.get("decide"):
        rejection = {
            **pending,
            "command": {
                **pending["command"],
                "intent": str(Intent.REJECT),
                "reason": "rejected by phone",
            },
        }
        reply = processor.execute(user, rejection, Channel.VOICE)
    else:
        reply = Reply("Cancelled; nothing was changed.", Outcome.CANCELLED)
    return _answer(call, user, reply, step="confirm")


def menu(call: Call) -> str:
    """The keypad menu offered after speech failed twice."""
    return _keys(call, "menu", _menu)


def _menu(call: Call, user: User, digits: str) -> str:
    if digits not in MENU:
        return _goodbye(call, user)
    _, subject = MENU[digits]
    intent = Intent.QUERY if subject else (Intent.STATUS if digits == "2" else Intent.HELP)
    command = Command(intent=intent, subject=subject, confidence=1.0, text=f"menu {digits}")
    reply = processor.process(user, command, Channel.VOICE, may_change=False)
    return _answer(call, user, reply, step="menu")


def status(call: Call) -> str:
    """A status callback of a call (ours or theirs): kept as an Interaction, and on the
    Notification the call delivers, if any."""
    state = call.form.get("CallStatus", "")
    with session_scope() as session:
        notify.record_provider_status(
            session, call.sid, state, error_code=call.form.get("ErrorCode") or None
        )
        _record(session, call, _user(session, call), "status", outcome=state)
        if state in notify.CALL_ENDED and call.sid:  # not told in the call: sent as usual
            notify.release_held(session, call.sid)
    return ""


ALERT_KEYS = {"1": "ack", "2": "pause", "3": "mute"}


def alert(call: Call) -> str:
    """A key pressed on an alert call: 1 acknowledges, 2 pauses the monitor, 3 silences it
    for an hour."""
    return _keys(call, "alert", _alert)


def _alert(call: Call, user: User, digits: str) -> str:
    if digits == "1":
        offered = _rollback_offered(call, user)
        if offered is not None:
            return offered
    choice = ALERT_KEYS.get(digits)
    if choice is None:
        return twiml.goodbye("Nothing was changed. Goodbye.")
    try:
        with session_scope() as session:
            said = alerts.answer(
                session, int(call.query.get("firing") or 0), choice,
                actor=Actor.for_user(user, Channel.VOICE),
            )  # fmt: skip
    except ProductError as exc:
        said = str(exc)
    with session_scope() as session:
        _record(session, call, user, "alert", transcript=digits, outcome=choice, reply=said)
    return twiml.goodbye(f"{said} Goodbye.")


def _rollback_offered(call: Call, user: User) -> str | None:
    """1 on an alert call that offered a rollback: the PIN, then 1 to confirm, as any change
    by phone (`_pin`, `_confirm`); None when this alert offered none (1 acknowledges)."""
    with session_scope() as session:
        offer = alerts.rollback_offer(
            session, user.id, firing_id=int(call.query.get("firing") or 0)
        )
        if offer is None:
            return None
        pending = conversation.rollback_pending(offer)
        conversation.put(session, call.number, Channel.VOICE, {**pending, "call": call.sid})
        say = f"To {pending['action']}, enter your PIN, then press pound."
        _record(session, call, user, "alert", transcript="1", outcome="confirm", reply=say)
    return twiml.keypad(say, call.url(VOICE_PIN_PATH))


def answered_by(call: Call) -> str:
    """Twilio's verdict on who answered an alert call (a person or voicemail)."""
    with session_scope() as session:
        alerts.record_answered_by(session, call.sid, call.form.get("AnsweredBy", ""))
    return ""
