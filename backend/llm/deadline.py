"""A wall-clock deadline for a piece of work (one run of a modification), in a context variable.

The pipeline opens one with `deadline(...)`; every step checks it (`check`) before it starts,
and every LLM request inside it waits at most the time left (`time_left`), so a model caught
in a repetition loop, or a server that answers slowly, cannot hold a modification for longer
than MODIFICATION_DEADLINE_SECONDS. Outside a `deadline` block nothing is bounded but each
request's own LLM_TIMEOUT_SECONDS.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from backend.llm.errors import DeadlineExceeded


@dataclass(frozen=True)
class Deadline:
    """When the work must be done by (time.monotonic()), and how to name it and its limit."""

    ends_at: float
    seconds: float
    work: str
    setting: str

    def left(self) -> float:
        return self.ends_at - time.monotonic()

    def exceeded(self, step: str) -> DeadlineExceeded:
        return DeadlineExceeded(
            f"{self.work} ran out of time: its limit of {self.seconds:g} s ({self.setting}) "
            f"was reached while {step}; it was stopped there. Raise {self.setting}, or use a "
            "faster model or server"
        )


_current: ContextVar[Deadline | None] = ContextVar("deadline", default=None)


@contextmanager
def deadline(seconds: float, *, work: str, setting: str) -> Iterator[Deadline]:
    """Bound the work done inside the block by `seconds` of wall-clock time.

    A deadline already in force is kept when it ends sooner (nested work never extends it).
    """
    mine = Deadline(time.monotonic() + seconds, seconds, work, setting)
    outer = _current.get()
    if outer is not None and outer.ends_at <= mine.ends_at:
        mine = outer
    token = _current.set(mine)
    try:
        yield mine
    finally:
        _current.reset(token)


def current() -> Deadline | None:
    """The deadline in force, if any."""
    return _current.get()


def check(step: str) -> None:
    """Raise DeadlineExceeded, naming `step`, when the deadline in force has passed."""
    now = _current.get()
    if now is not None and now.left() <= 0:
        raise now.exceeded(step)


def time_left() -> float | None:
    """Seconds left before the deadline in force (None: no deadline)."""
    now = _current.get()
    return None if now is None else now.left()
