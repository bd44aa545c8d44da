"""What a child's ending means, as a result kind: the outcome classification shared by a
single call (see `supervise`) and each input of a batch (see `batch`).

The child's own words are only believed about things it is allowed to decide (its value,
its exception); how it ended (killed for time or output, a signal, its exit status) is read
by the worker.
"""

from __future__ import annotations

import os
import signal
from typing import Any

import child
import frames

#: Kinds after which the worker starts afresh (a new child, or a new worker), to be sure:
#: over a limit, refused, or the sandbox itself failing.
RETIRE_KINDS = frozenset({"timeout", "memory", "forbidden", "output", "sandbox"})


def fail(kind: str, error_type: str, message: str, *, retire: bool = False) -> dict[str, Any]:
    return {"kind": kind, "error_type": error_type, "message": message, "retire": retire}


def classify(
    status: int, usage: Any, result: bytes, killed: str, limits: dict[str, Any]
) -> dict[str, Any]:
    """How the child ended, as a result kind: `killed` is why the worker killed it ("" if it
    didn't), `result` what it wrote on the result pipe."""
    cpu_limit = float(limits["cpu_seconds"])
    if killed == "timeout":
        wall = float(limits["wall_seconds"])
        message = f"the call ran past its wall-clock limit of {wall:g} s"
        return fail("timeout", "WallTimeLimit", message, retire=True)
    if killed == "output":
        message = f"the result is larger than the {limits['output_bytes']} bytes allowed"
        return fail("output", "ResultTooLarge", message, retire=True)
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        cpu = usage.ru_utime + usage.ru_stime
        if number == signal.SIGXCPU or (number == signal.SIGKILL and cpu >= cpu_limit - 0.05):
            message = f"the call used up its CPU time limit of {cpu_limit:g} s"
            return fail("timeout", "CpuTimeLimit", message, retire=True)
        if number == signal.SIGSYS:
            message = (
                "the object tried an operation the sandbox forbids "
                "(such as starting a process) and was stopped"
            )
            return fail("forbidden", "ForbiddenSystemCall", message, retire=True)
        if number == signal.SIGKILL:
            message = "the object's process was killed by the system (out of memory?)"
            return fail("memory", "Killed", message, retire=True)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        return fail("error", "Crashed", f"the object's process died from {name}", retire=True)
    code = os.WEXITSTATUS(status)
    try:
        answer = frames.loads(result) if result else None
    except frames.FrameError:
        answer = None
        if code == 0:
            return fail("output", "MalformedResult", "the call's result could not be read")
    if not isinstance(answer, dict):
        message = f"the object's process exited (status {code}) before returning a result"
        return fail("error", "Exited", message)
    return judge(answer, code, limits)


def judge(answer: dict[str, Any], code: int, limits: dict[str, Any]) -> dict[str, Any]:
    """What the child's parsed answer (a dict) says, as a result kind; `code` is how it
    exited (0 for a batch's answer, which comes before the child ends)."""
    state = answer.get("status")
    error_type = str(answer.get("type") or "Exception")[:200]
    message = str(answer.get("message") or "")[:2000]
    if state == "setup" or code == child.EXIT_SETUP_FAILED:
        return fail(
            "sandbox", error_type, f"the sandbox could not be set up: {message}", retire=True
        )
    if state == "ok":
        return {"kind": "ok", "value": answer.get("value"), "writes": answer.get("writes", [])}
    if state == "error":
        if error_type == "MemoryError":
            mb = int(limits["memory_bytes"]) >> 20
            message = message or f"out of memory (the limit is {mb} MiB of address space)"
            kind = "memory"
        else:
            kind = "forbidden" if answer.get("forbidden") is True else "error"
        outcome = fail(kind, error_type, message)
        outcome["where"] = str(answer.get("where") or "")[:500]
        return outcome
    if state in ("input", "output"):
        return fail(state, error_type, message)
    return fail("output", "MalformedResult", "the call's result had an unknown shape")
