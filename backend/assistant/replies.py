"""What the assistant answers (`Reply`) and how a turn ended (`Outcome`): one shape for
every part of the assistant and every door (voice, SMS)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


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


@dataclass
class Reply:
    """What to tell the person, and what the product now waits for from them.

    `pending` (JSON) is kept by the door for the next turn: {"kind": "choice", "command",
    "options": [slugs]}, {"kind": "confirm", "command", "slug", "modification_id",
    "action"}, or {"kind": "ask", "about", ...}: a question about the person's monitors
    answered in words (`own_monitors.answer`).
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
