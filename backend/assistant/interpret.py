"""Unsure readings: the one threshold, and the LLM's reading in a job (a phone webhook
must answer at once).

A reading less sure than COMMAND_UNSURE_BELOW is unsure (`is_unsure`). When the grammar is
unsure of what was said or texted and an LLM is configured, the door schedules
`command.interpret` and answers straight away: a call hears "one moment" and comes back for
the reading, a text gets its answer by SMS when the job is done. A reading still unsure
after that, or with no LLM, is asked again rather than acted on.
"""

from __future__ import annotations

from sqlmodel import Session

from backend.background import jobs
from backend.commands import parse
from backend.commands.schema import Command
from backend.config import get_settings
from backend.enums import Channel, JobKind
from backend.models import Task


def is_unsure(command: Command) -> bool:
    """Whether `command` is too unsure to act on (below COMMAND_UNSURE_BELOW)."""
    return command.confidence < get_settings().command_unsure_below


def schedule(
    session: Session, text: str, *, channel: Channel, user_id: int, phone: str, sid: str = ""
) -> Task:
    """Ask for `text` to be read by the LLM (and, for SMS, answered) by a job."""
    params = {"text": text, "channel": str(channel), "user_id": user_id, "phone": phone}
    return jobs.schedule(session, JobKind.COMMAND_INTERPRET, {**params, "sid": sid})


def read(text: str) -> Command:
    """The job's reading of `text`: the LLM's, where it is surer than the grammar's."""
    return parse.refine(text, parse.parse_grammar(text))
