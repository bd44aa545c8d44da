"""A text message in, a TwiML `<Message>` out: Twilio's side of texting the assistant.

STOP, START and HELP (and their synonyms) are Twilio's keywords: never read as commands.
STOP marks the person opted out of SMS, START undoes it; Twilio answers those itself.
Everything else from a known sender is answered by the assistant (`backend.assistant.texting`:
a command, or the answer to a question it asked); this module keeps the records, receipts
and the per-number limit.
"""

from __future__ import annotations

import re
from concurrent.futures import Future

from sqlalchemy import literal, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from backend.access.audit import Actor
from backend.accounts import phones
from backend.assistant import conversation, texting
from backend.assistant.processor import Outcome
from backend.channels import notify, outbox, twiml
from backend.commands import wording
from backend.commands.schema import Command
from backend.db import get_engine, session_scope
from backend.enums import Channel, NotificationPurpose
from backend.errors import ProductError
from backend.models import Interaction, User
from backend.monitoring import alerts
from backend.telephony import interactions, receipts, records

STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
START_WORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_WORDS = frozenset({"HELP", "INFO"})
UNKNOWN_SENDER = (
    "Sorry, I don't recognise this number. Add and verify it on your profile page in the web "
    "app, then text again."
)


def incoming(form: dict[str, str]) -> Future[str]:
    """The TwiML answer to one incoming message (the same answer again for a retry), as a
    Future that resolves once the message's record and receipt are committed: answer
    nothing before (`records`).

    What needs no other service (an unknown sender, the limit, HELP, a retry) is only read
    here, in one statement; its record joins the next group commit. A keyword or an alert
    answer, which change something, are recorded in the transaction that changes it.
    """
    key = f"sms:{form.get('MessageSid')}" if form.get("MessageSid") else ""
    earlier = records.in_flight(key)
    if earlier is not None:
        return earlier
    message = _Message(form)
    stored = message.look_up(key)
    if stored is not None:
        return _answered(stored)
    try:
        # The session connects only if used: a STOP or START, or an answer to an alert.
        with session_scope() as session:
            answer = _without_services(session, message)
            if answer is not None and message.changed:
                session.add_all(message.rows)
                receipts.keep(session, key, answer)
                return _answered(answer)
    except IntegrityError:
        # A copy of this message was answered meanwhile (Twilio retried): answer the same.
        with session_scope() as session:
            return _answered(receipts.stored(session, key) or twiml.message(None))
    if answer is None:
        with session_scope() as session:
            user = session.get(User, message.user_id)
        reply, parsed = texting.answer(
            user, message.phone, message.body, message.pending, message.sid
        )
        text = texting.reply_text(message.phone, reply)
        answer = twiml.message(text)
        message.record(reply.outcome, text, parsed)
    return records.save(message.rows, key, answer)


def _answered(answer: str) -> Future[str]:
    done: Future[str] = Future()
    done.set_result(answer)
    return done


class _Message:
    """One incoming message: who sent it, what it says, what was asked of them, and the
    Interaction rows it leaves."""

    def __init__(self, form: dict[str, str]):
        self.phone = (form.get("From") or "").strip()
        self.body = (form.get("Body") or "").strip()
        self.sid = form.get("MessageSid", "")
        alone = re.fullmatch(r"([A-Za-z]+)[\s.!]*", self.body)  # a keyword counts only alone
        self.keyword = alone.group(1).upper() if alone else ""
        self.user_id: int | None = None  # a verified sender's
        self.pending: dict | None = None
        self.recent = 0  # requests from this number in the last minute
        self.rows: list[Interaction] = []
        #: Whether answering it changed something (opt-out, an alert's state).
        self.changed = False

    def look_up(self, key: str) -> str | None:
        """Read the sender, what they were asked and their count for the limit, all in one
        statement outside a transaction (no BEGIN or COMMIT: on PostgreSQL each is a round
        trip); the answer already given to `key`, if any."""
        sender = phones.verified_user(self.phone) if self.phone else None
        parts = [
            receipts.answer_to(key).scalar_subquery().label("stored"),
            sender.with_only_columns(User.id).limit(1).scalar_subquery().label("user_id")
            if sender is not None
            else literal(None).label("user_id"),
            conversation.waiting(self.phone, Channel.SMS).scalar_subquery().label("pending"),
            interactions.recent_count(self.phone).scalar_subquery().label("recent"),
        ]
        with get_engine().connect() as connection:
            reading = connection.execution_options(isolation_level="AUTOCOMMIT")
            row = reading.execute(select(*parts)).one()
        if row.user_id is not None:  # what a stranger was asked doesn't count
            self.user_id, self.pending = row.user_id, row.pending
        self.recent = row.recent
        return row.stored

    def record(self, outcome: str, reply: str = "", command: dict | None = None) -> None:
        self.rows.append(
            interactions.row(
                channel=Channel.SMS,
                phone=self.phone,
                user=self.user_id,
                sid=self.sid,
                step="message",
                transcript=self.body,
                confidence=command.get("confidence") if command else None,
                command=command,
                outcome=outcome,
                reply=reply,
            )
        )


def _without_services(session: Session, message: _Message) -> str | None:
    """The answer when no other service is needed, recorded; None for a command to run."""
    phone, keyword = message.phone, message.keyword
    if keyword in STOP_WORDS:
        phones.set_sms_opt_out(session, phone, True)
        message.changed = True
        message.record("opted_out")
        return twiml.message(None)
    if keyword in START_WORDS and not (keyword == "YES" and message.pending):
        phones.set_sms_opt_out(session, phone, False)
        message.changed = True
        message.record("opted_in")
        return twiml.message(None)
    if message.user_id is None:
        message.record("unknown_caller", UNKNOWN_SENDER)
        return twiml.message(UNKNOWN_SENDER)
    if interactions.is_over_limit(message.recent):
        message.record(interactions.RATE_LIMITED_OUTCOME, interactions.RATE_LIMITED)
        return twiml.message(interactions.RATE_LIMITED)
    if keyword in HELP_WORDS:
        message.record(Outcome.HELP, wording.HELP)
        return twiml.message(wording.HELP)
    answer = _ALERT_ANSWER.fullmatch(message.body)
    asked = message.pending is not None and message.pending.get("kind") == "ask"
    if answer is not None and not asked:  # "PAUSE" may answer "pause or delete monitor 3?"
        user = session.get(User, message.user_id)
        said = _answer_alert(session, user, answer.group(1).lower())
        message.changed = True
        message.record("alert_" + answer.group(1).lower()[:4], said)
        return twiml.message(said)
    return None


#: Replies to an alert: ACK, PAUSE or MUTE 1H (an hour is the only silence offered).
_ALERT_ANSWER = re.compile(
    r"\s*(ack|acknowledge|pause|mute)(?:\s+(?:1\s*h|1\s*hour|an hour))?[\s.!]*", re.IGNORECASE
)


def _answer_alert(session: Session, user: User, word: str) -> str:
    firing = alerts.latest_firing(session, user.id)
    if firing is None:
        return "There is no alert waiting for an answer."
    choice = {"ack": "ack", "acknowledge": "ack", "pause": "pause", "mute": "mute"}[word]
    try:
        return alerts.answer(session, firing.id, choice, actor=Actor.for_user(user, Channel.SMS))
    except ProductError as exc:
        return str(exc)


def answer_interpreted(params: dict, command: Command) -> str:
    """The `command.interpret` job's SMS half: answer the LLM's reading of a text by SMS,
    and record it; returns the answer."""
    with session_scope() as session:
        user = session.get(User, int(params["user_id"]))
    reply = texting.act_on(user, command)
    answer = texting.reply_text(params["phone"], reply)
    with session_scope() as session:
        outbox.queue(
            session,
            channel=Channel.SMS,
            target=params["phone"],
            body=answer,
            purpose=NotificationPurpose.RESULT,
            user_id=user.id,
        )
        interactions.record(
            session,
            channel=Channel.SMS,
            phone=params["phone"],
            user=user,
            sid=params.get("sid", ""),
            step="interpreted",
            transcript=params["text"],
            confidence=command.confidence,
            command=command.model_dump(mode="json"),
            outcome=reply.outcome,
            reply=answer,
            direction="out",
        )
    return answer


def status(form: dict[str, str]) -> str:
    """A delivery status callback of a message we sent."""
    with session_scope() as session:
        notify.record_provider_status(
            session,
            form.get("MessageSid", ""),
            form.get("MessageStatus", "") or form.get("SmsStatus", ""),
            error_code=form.get("ErrorCode") or None,
        )
    return ""
