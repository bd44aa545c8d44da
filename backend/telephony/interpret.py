"""The `command.interpret` job: the LLM's reading of an unsure call or text
(`backend.assistant.interpret`); a text is also answered by SMS (`sms.answer_interpreted`).
A call's turn polls the job for the reading (`voice`)."""

from __future__ import annotations

from typing import Any

from backend.assistant import interpret
from backend.enums import Channel
from backend.telephony import sms


def run(params: dict[str, Any]) -> dict[str, Any]:
    """The job's work: the reading; for SMS also the answer, sent as a message."""
    command = interpret.read(params["text"])
    result: dict[str, Any] = {"command": command.model_dump(mode="json")}
    if params["channel"] != Channel.SMS:
        return result
    return {**result, "reply": sms.answer_interpreted(params, command)}
