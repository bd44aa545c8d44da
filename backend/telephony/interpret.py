"""Reading an unsure command with the LLM, in a job: a phone webhook must answer at once.

When the grammar is unsure of what was said or texted and an LLM is configured, the door
schedules `command.interpret` and answers straight away: a call hears "one moment" and
comes back for the reading (`voice`), a text gets its answer by SMS when the job is done.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from backend import jobs
from backend.channels import outbox
from backend.commands import parse, processor
from backend.db import session_scope
from backend.enums import Channel, JobKind, NotificationPurpose
from backend.models import Task, User
from backend.telephony import interactions, sms


def schedule(
    session: Session, text: str, *, channel: Channel, user_id: int, phone: str, sid: str = ""
) -> Task:
    """Ask for `text` to be read by the LLM (and, for SMS, answered) by a job."""
    params = {"text": text, "channel": str(channel), "user_id": user_id, "phone": phone}
    return jobs.schedule(session, JobKind.COMMAND_INTERPRET, {**params, "sid": sid})


def run(params: dict[str, Any]) -> dict[str, Any]:
    """The job's work: the LLM's reading; for SMS also the answer, sent as a message."""
    text = params["text"]
    command = parse.refine(text, parse.parse_grammar(text))
    result: dict[str, Any] = {"command": command.model_dump(mode="json")}
    if params["channel"] != Channel.SMS:
        return result
    with session_scope() as session:
        user = session.get(User, int(params["user_id"]))
    if command.confidence < sms.UNSURE:
        reply = processor.Reply(processor.wording.REPHRASE, processor.Outcome.UNKNOWN)
    else:
        reply = processor.process(user, command, Channel.SMS)
    answer = sms.reply_text(params["phone"], reply)
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
            transcript=text,
            confidence=command.confidence,
            command=result["command"],
            outcome=reply.outcome,
            reply=answer,
            direction="out",
        )
    return {**result, "reply": answer}
