"""Worker side of a batch call: many inputs (each of a function named alongside it, in a
parallel list), one confined child at a time.

The child (see `ops.op_call_many`) runs the inputs in order and writes one frame per
answer. The worker holds each input to its own wall-clock limit (from the previous answer,
or the child's start), reads each answer with the same size cap and the same classification
as a single call, and keeps the logs printed before an answer with that answer. When a child
ends early (killed for time or output, dead from a signal, the CPU or memory limit, a
forbidden system call, or after an answer of a kind that retires a worker: memory,
forbidden, output), that input's outcome is recorded and the batch goes on from the next
input in a fresh child, confined exactly as the first. The whole batch also has a total
time (`batch_seconds`): inputs not started by then are reported as not run.

Each answer is the object's own word about its own function (as a single call's is); the
worker believes no more of it than for a single call. That includes a traced call's line
arcs (see `tracer`), passed on only when in shape.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import signal
import time
from types import SimpleNamespace
from typing import Any

import child
import frames
import tracer

RESULT_ENVELOPE_BYTES = 64 << 10
REAP_SECONDS = 5.0
RESTART_KINDS = frozenset({"timeout", "memory", "forbidden", "output", "sandbox"})
HEADER_BYTES = 4


def not_run(seconds: float) -> dict[str, Any]:
    message = f"not started: the batch used up its total time of {seconds:g} s"
    return {"kind": "timeout", "error_type": "BatchTimeLimit", "message": message}


def given_up(function: str, timeouts: int) -> dict[str, Any]:
    message = f"not started: {function} timed out on {timeouts} earlier input(s) of the batch"
    return {"kind": "timeout", "error_type": "GivenUpAfterTimeouts", "message": message}


class Stream:
    """One child's answers as they arrive: frames, and the logs printed before each."""

    def __init__(self, armed: Any, limits: dict[str, Any], trace: bool = False) -> None:
        self.armed = armed
        self.output_cap = int(limits["output_bytes"]) + RESULT_ENVELOPE_BYTES
        if trace:
            self.output_cap += tracer.TRACE_BYTES
        self.log_cap = int(limits["log_bytes"])
        self.buffer = bytearray()
        self.logs = bytearray()
        self.dropped = 0
        flags = fcntl.fcntl(armed.log_r, fcntl.F_GETFL)
        fcntl.fcntl(armed.log_r, fcntl.F_SETFL, flags | os.O_NONBLOCK)

    def take_logs(self, chunk: bytes) -> None:
        room = max(0, self.log_cap - len(self.logs))
        self.logs += chunk[:room]
        self.dropped += len(chunk) - len(chunk[:room])

    def drain_logs(self) -> bool:
        """Read what the log pipe holds now; False once it is closed."""
        while True:
            try:
                chunk = os.read(self.armed.log_r, 1 << 16)
            except BlockingIOError:
                return True
            if not chunk:
                return False
            self.take_logs(chunk)

    def logs_text(self) -> str:
        text = self.logs.decode("utf-8", "replace")
        if self.dropped:
            text += f"\n[{self.dropped} more bytes of output dropped]"
        self.logs, self.dropped = bytearray(), 0
        return text

    def next_answer(self) -> bytes | None:
        """A complete answer frame's body, if buffered. Raises OverflowError past the cap."""
        if len(self.buffer) < HEADER_BYTES:
            return None
        size = int.from_bytes(self.buffer[:HEADER_BYTES], "big")
        if size > self.output_cap:
            raise OverflowError(size)
        if len(self.buffer) < HEADER_BYTES + size:
            return None
        body = bytes(self.buffer[HEADER_BYTES : HEADER_BYTES + size])
        del self.buffer[: HEADER_BYTES + size]
        return body


def _go(armed: Any) -> None:
    """Let the child start its next input (it waits for this byte; see child._next_input).

    It is what keeps each input's logs apart: everything in the log pipe when an answer is
    read was printed before that answer. Dropping it made no difference bench/batch_inputs.py
    could see: the child's answer already hands the CPU to this process, which answers at
    once."""
    with contextlib.suppress(OSError):  # a child that died is seen through its pidfd
        os.write(armed.request_w, b"g")


def _answer(
    worker: Any, body: bytes, limits: dict[str, Any], trace: bool = False
) -> tuple[dict[str, Any], float]:
    """Classify one answer as a single call's would be; and the child's CPU reading. A
    traced answer's arcs are passed on when in shape (see `tracer.clean_arcs`)."""
    try:
        frame = frames.loads(body)
    except frames.FrameError:
        frame = None
    if not isinstance(frame, dict) or not isinstance(frame.get("answer"), dict):
        return {"kind": "output", "error_type": "MalformedResult", "message": "unreadable"}, 0.0
    cpu = frame.get("cpu")
    cpu = float(cpu) if isinstance(cpu, int | float) and not isinstance(cpu, bool) else 0.0
    outcome = worker.judge(frame["answer"], 0, limits)
    if outcome.get("kind") == "sandbox":  # the child's word can't claim a sandbox failure
        outcome = {"kind": "output", "error_type": "MalformedResult", "message": "bad answer"}
    if trace:
        outcome["arcs"] = tracer.clean_arcs(frame.get("arcs"))
    return outcome, cpu


def _setup_failure(raw: bytes) -> dict[str, Any]:
    try:
        said = frames.loads(raw)
    except frames.FrameError:
        said = None
    message = str(said.get("message"))[:2000] if isinstance(said, dict) else "unknown reason"
    return {
        "kind": "sandbox",
        "error_type": "SetupFailed",
        "message": f"the sandbox could not be set up: {message}",
    }


def supervise(
    worker: Any,
    armed: Any,
    limits: dict[str, Any],
    count: int,
    batch_deadline: float,
    trace: bool = False,
) -> tuple[list[dict[str, Any]], bool]:
    """Watch one child through up to `count` inputs. Returns the outcomes it produced (the
    last one may be the input it died on) and whether the batch may go on afterwards."""
    wall = float(limits["wall_seconds"])
    stream = Stream(armed, limits, trace)
    outcomes: list[dict[str, Any]] = []
    started = time.monotonic()
    input_deadline = started + wall
    reading = {armed.result_r, armed.log_r}
    exited = False
    killed = ""
    cpu_mark = 0.0
    reap_deadline = 0.0

    def kill(why: str) -> None:
        nonlocal killed, reap_deadline
        if not killed:
            killed = why
            with contextlib.suppress(ProcessLookupError):
                os.kill(armed.pid, signal.SIGKILL)
            reap_deadline = time.monotonic() + REAP_SECONDS

    while reading or not exited:
        now = time.monotonic()
        if killed:
            if now >= reap_deadline:
                break
            timeout = reap_deadline - now
        elif now >= min(input_deadline, batch_deadline):
            kill("timeout" if now >= input_deadline else "batch")
            continue
        else:
            timeout = min(input_deadline, batch_deadline) - now
        watch = [*reading] if exited else [*reading, armed.pidfd]
        ready, _, _ = select.select(watch, [], [], timeout)
        for fd in ready:
            if fd == armed.pidfd:
                exited = True
            elif fd == armed.log_r:
                if not stream.drain_logs():
                    reading.discard(fd)
            else:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    reading.discard(fd)
                    continue
                if killed:
                    continue
                stream.buffer += chunk
                try:
                    while (body := stream.next_answer()) is not None:
                        if armed.log_r in reading and not stream.drain_logs():
                            reading.discard(armed.log_r)
                        outcome, cpu_mark = _answer(worker, body, limits, trace)
                        now = time.monotonic()
                        outcome["logs"] = stream.logs_text()
                        outcome["child_ms"] = round((now - started) * 1000, 3)
                        outcomes.append(outcome)
                        if outcome["kind"] in RESTART_KINDS:
                            outcome["retire"] = True
                            kill("restart")
                            break
                        if len(outcomes) >= count:
                            break
                        started, input_deadline = now, now + wall
                        _go(armed)
                except OverflowError:
                    kill("output")
    for fd in (armed.result_r, armed.log_r, armed.pidfd):
        os.close(fd)
    _, status, usage = os.wait4(armed.pid, 0)
    if len(outcomes) >= count or killed == "restart":
        return outcomes, True
    if killed == "batch" and time.monotonic() < input_deadline:
        return outcomes, True  # cut by the batch's total time: the rest are not run
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == child.EXIT_RESTART and outcomes:
        return outcomes, True  # the child couldn't empty scratch: a fresh one goes on
    setup_failed = os.WIFEXITED(status) and os.WEXITSTATUS(status) == child.EXIT_SETUP_FAILED
    if setup_failed and not outcomes:  # the child's confinement failed: no input ran
        return [_setup_failure(bytes(stream.buffer))], False
    if killed == "batch":
        killed = "timeout"
    cpu = max(0.0, usage.ru_utime + usage.ru_stime - cpu_mark)
    outcome = worker.classify(
        status, SimpleNamespace(ru_utime=cpu, ru_stime=0.0), b"", killed, limits
    )
    if outcome["kind"] == "sandbox" and outcomes:
        outcome = {
            "kind": "error",
            "error_type": "Exited",
            "message": "the object's process exited",
        }
    if outcome["kind"] in RESTART_KINDS:
        outcome["retire"] = True
    outcome["logs"] = stream.logs_text()
    outcome["child_ms"] = round((time.monotonic() - started) * 1000, 3)
    outcomes.append(outcome)
    return outcomes, outcome["kind"] != "sandbox"


def run_batch(worker: Any, code_dir: str, request: dict[str, Any]) -> dict[str, Any]:
    """Every input of `request["inputs"]` (a call of the function of the same place in
    `request["functions"]`), in order, in as few children as it takes."""
    inputs, functions = request["inputs"], request["functions"]
    if not isinstance(inputs, list) or not isinstance(functions, list):
        raise ValueError("a batch's inputs and functions must be lists")
    if len(functions) != len(inputs):
        raise ValueError("a batch needs one function name per input")
    limits = request["limits"]
    trace = request.get("trace") is True
    give_up = request.get("give_up_after")
    give_up = give_up if type(give_up) is int and give_up > 0 else 0
    total = float(limits["batch_seconds"])
    batch_deadline = time.monotonic() + total
    answers: list[dict[str, Any] | None] = [None] * len(inputs)
    pending = list(range(len(inputs)))  # in order; those not answered yet
    timeouts: dict[str, int] = {}
    retire = False
    while pending and time.monotonic() < batch_deadline:
        payload = {
            "op": "call_many",
            "limits": limits,
            "code_dir": code_dir,
            "functions": [functions[i] for i in pending],
            "inputs": [inputs[i] for i in pending],
            "storage": request.get("storage"),
            "trace": trace,
            "writable_code": False,
        }
        armed = worker.armed or worker.fork_child()
        worker.armed = None
        with contextlib.suppress(OSError):  # if the child died arming, its status says why
            frames.write_all(armed.request_w, frames.encode(payload))
        worker.armed = worker.fork_child()
        try:
            got, go_on = supervise(
                worker, armed, limits, len(payload["inputs"]), batch_deadline, trace
            )
        finally:
            os.close(armed.request_w)
        if not worker.wipe_scratch():
            retire = True
        if not go_on:  # the sandbox itself failed: the whole batch says so
            return {**got[-1], "retire": True}
        for index, outcome in zip(pending, got, strict=False):
            answers[index] = outcome
            if outcome.get("kind") == "timeout":
                timeouts[functions[index]] = timeouts.get(functions[index], 0) + 1
        pending = pending[len(got) :]
        retire = any([retire, *(o.pop("retire", False) for o in got)])
        if give_up:  # a function that keeps timing out mustn't eat the others' time
            for index in [i for i in pending if timeouts.get(functions[i], 0) >= give_up]:
                answers[index] = given_up(functions[index], timeouts[functions[index]])
                pending.remove(index)
    outcomes = [answer or not_run(total) for answer in answers]
    return {"kind": "ok", "value": None, "outcomes": outcomes, "retire": retire}
