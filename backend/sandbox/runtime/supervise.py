"""Watching one confined child: the select loop shared by a single call and a batch.

A `Watch` reads the child's two pipes (its answer, or a batch's answers, and the logs it
prints) until the child has ended and both pipes are closed. Its kill policy: past its
deadline a child is SIGKILLed (`overtime` names why) and given REAP_SECONDS to be gone;
past that, whatever is left in the pipes is given up on. What the result pipe's bytes mean
is the caller's: a single call (`CallWatch`) keeps one answer up to a size cap, a batch
(`batch.BatchWatch`) reads answer frames as they arrive. How the child ended is classified
by `outcomes`.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import time
from abc import ABC, abstractmethod
from typing import Any

import outcomes

RESULT_ENVELOPE_BYTES = 64 << 10
REAP_SECONDS = 5.0
READ_BYTES = 1 << 16


class Logs:
    """What the child printed, kept up to a cap; the bytes past it are counted, not kept."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.kept = bytearray()
        self.dropped = 0

    def take(self, chunk: bytes) -> None:
        room = max(0, self.cap - len(self.kept))
        self.kept += chunk[:room]
        self.dropped += len(chunk) - len(chunk[:room])

    def text(self) -> str:
        """The logs so far as text (saying how much was dropped), and start afresh."""
        text = self.kept.decode("utf-8", "replace")
        if self.dropped:
            text += f"\n[{self.dropped} more bytes of output dropped]"
        self.kept, self.dropped = bytearray(), 0
        return text


class Watch(ABC):
    """One child watched to its end. Subclasses say what the result pipe's bytes mean
    (`on_result`) and why a child past its deadline is killed (`overtime`)."""

    def __init__(self, armed: Any, limits: dict[str, Any], deadline: float) -> None:
        self.armed = armed
        self.logs = Logs(int(limits["log_bytes"]))
        self.reading = {armed.result_r, armed.log_r}
        self.exited = False
        self.killed = ""  # why the worker killed the child; the first reason wins
        self.deadline = deadline

    # Kill policy ------------------------------------------------------------------------------

    def kill(self, why: str, reap: bool = True) -> None:
        """SIGKILL the child (once). With `reap`, it has REAP_SECONDS from now to be gone."""
        if self.killed:
            return
        self.killed = why
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.armed.pid, signal.SIGKILL)
        if reap:
            self.deadline = time.monotonic() + REAP_SECONDS

    @abstractmethod
    def overtime(self, now: float) -> str:
        """Why a child not killed yet is killed at its deadline; "" to stop watching instead."""

    def time_left(self, now: float) -> float | None:
        """How long to wait for the child now; None to stop watching it."""
        left = self.deadline - now
        if left > 0:
            return left
        why = "" if self.killed else self.overtime(now)
        if not why:
            return None  # reaping took too long: give up on what is left in the pipes
        self.kill(why)
        return max(0.0, self.deadline - time.monotonic())

    # Reading ----------------------------------------------------------------------------------

    @abstractmethod
    def on_result(self, chunk: bytes) -> None:
        """Take a chunk read from the result pipe (a single call's answer, or batch frames)."""

    def read_logs(self) -> bool:
        """Read from the log pipe (it is ready); False once it is closed."""
        chunk = os.read(self.armed.log_r, READ_BYTES)
        self.logs.take(chunk)
        return bool(chunk)

    def run(self) -> tuple[int, Any]:
        """The select loop: watch the child until it has exited and its pipes are closed (or
        the kill policy gives up on it), then reap it. Its wait status and resource usage."""
        armed, reading = self.armed, self.reading
        while reading or not self.exited:
            timeout = self.time_left(time.monotonic())
            if timeout is None:
                break
            watch = [*reading] if self.exited else [*reading, armed.pidfd]
            ready, _, _ = select.select(watch, [], [], timeout)
            for fd in ready:
                if fd == armed.pidfd:
                    self.exited = True
                elif fd == armed.log_r:
                    if not self.read_logs():
                        reading.discard(fd)
                else:
                    chunk = os.read(fd, READ_BYTES)
                    if chunk:
                        self.on_result(chunk)
                    else:
                        reading.discard(fd)
        for fd in (armed.result_r, armed.log_r, armed.pidfd):
            os.close(fd)
        _, status, usage = os.wait4(armed.pid, 0)
        return status, usage


class CallWatch(Watch):
    """A single call: one answer, up to the output limit; the whole call has `wall_seconds`."""

    def __init__(self, armed: Any, limits: dict[str, Any]) -> None:
        super().__init__(armed, limits, time.monotonic() + float(limits["wall_seconds"]))
        self.output_cap = int(limits["output_bytes"]) + RESULT_ENVELOPE_BYTES
        self.result = bytearray()

    def overtime(self, now: float) -> str:
        # A child that exited on its own is not a timeout, even if its pipes stay open.
        return "" if self.exited else "timeout"

    def on_result(self, chunk: bytes) -> None:
        self.result += chunk
        if len(self.result) > self.output_cap and not self.killed:
            self.kill("output", reap=False)  # the call's own deadline still holds
            self.reading.discard(self.armed.result_r)


def supervise_call(armed: Any, limits: dict[str, Any]) -> dict[str, Any]:
    """Watch a child through one operation: its outcome, classified, with its logs."""
    watch = CallWatch(armed, limits)
    status, usage = watch.run()
    outcome = outcomes.classify(status, usage, bytes(watch.result), watch.killed, limits)
    if outcome["kind"] in outcomes.RETIRE_KINDS:
        outcome["retire"] = True  # over a limit or refused: start afresh, to be sure
    outcome["logs"] = watch.logs.text()
    outcome["cpu_ms"] = round((usage.ru_utime + usage.ru_stime) * 1000, 3)
    return outcome
