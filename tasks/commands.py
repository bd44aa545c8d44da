"""Command jobs: a thin wrapper that reads an unsure spoken or texted command with the LLM
(`backend.telephony.interpret`: the assistant's reading; for a text also its answer)."""

from __future__ import annotations

from typing import Any

from backend.enums import JobKind
from backend.telephony import interpret
from tasks.base import Job, job_task


# Not repeated after a lost worker: for SMS it acts on the command and sends the answer.
@job_task(JobKind.COMMAND_INTERPRET)
def interpret_command(job: Job) -> dict[str, Any]:
    """Read the command in the job's params (and answer it, for SMS)."""
    return interpret.run(job.params)
