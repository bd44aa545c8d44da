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
import time
from types import SimpleNamespace
from typing import Any

import child
import frames
import outcomes
import tracer
from supervise import RESULT_ENVELOPE_BYTES, Watch

HEADER_BYTES = 4


def not_run(seconds: float) -> dict[str, Any]:
    message = f"not started: the batch used up its total time of {seconds:g} s"
    return {"kind": "timeout", "error_type": "BatchTimeLimit", "message": message}


def given_up(function: str, timeouts: int) -> dict[str, Any]:
    message = f"not started: {function} timed out on {timeouts} earlier input(s) of the batch"
    return {"kind": "timeout", "error_type": "GivenUpAfterTimeouts", "message": message}


class AnswerFrames:
    """The result pipe's bytes, cut into answer frames (a 4-byte size, then the body)."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.buffer = bytearray()

    def next_answer(self) -> bytes | None:
        """A complete answer frame's body, if buffered. Raises OverflowError past the cap."""
        if len(self.buffer) < HEADER_BYTES:
            return None
        size = int.from_bytes(self.buffer[:HEADER_BYTES], "big")
        if size > self.cap:
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
    body: bytes, limits: dict[str, Any], trace: bool = False
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
    outcome = outcomes.judge(frame["answer"], 0, limits)
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


class BatchWatch(Watch):
    """One child through up to `count` inputs: each input has `wall_seconds` from the
    previous answer (or the child's start), and the whole batch ends at `batch_deadline`.
    The logs in the pipe when an answer is read go with that answer."""

    def __init__(
        self,
        armed: Any,
        limits: dict[str, Any],
        count: int,
        batch_deadline: float,
        trace: bool = False,
    ) -> None:
        self.wall = float(limits["wall_seconds"])
        self.started = time.monotonic()
        self.input_deadline = self.started + self.wall
        self.batch_deadline = batch_deadline
        super().__init__(armed, limits, min(self.input_deadline, batch_deadline))
        self.limits, self.count, self.trace = limits, count, trace
        cap = int(limits["output_bytes"]) + RESULT_ENVELOPE_BYTES
        self.answers = AnswerFrames(cap + tracer.TRACE_BYTES if trace else cap)
        self.outcomes: list[dict[str, Any]] = []
        self.cpu_mark = 0.0  # the child's CPU time at its last answer
        flags = fcntl.fcntl(armed.log_r, fcntl.F_GETFL)
        fcntl.fcntl(armed.log_r, fcntl.F_SETFL, flags | os.O_NONBLOCK)

    def overtime(self, now: float) -> str:
        return "timeout" if now >= self.input_deadline else "batch"

    def read_logs(self) -> bool:
        """Read what the log pipe holds now; False once it is closed."""
        while True:
            try:
                chunk = os.read(self.armed.log_r, 1 << 16)
            except BlockingIOError:
                return True
            if not chunk:
                return False
            self.logs.take(chunk)

    def on_result(self, chunk: bytes) -> None:
        if self.killed:
            return
        self.answers.buffer += chunk
        try:
            while (body := self.answers.next_answer()) is not None:
                if not self.on_answer(body):
                    break
        except OverflowError:
            self.kill("output")

    def on_answer(self, body: bytes) -> bool:
        """Record one input's answer; whether the child goes on to the next input."""
        if self.armed.log_r in self.reading and not self.read_logs():
            self.reading.discard(self.armed.log_r)
        outcome, self.cpu_mark = _answer(body, self.limits, self.trace)
        now = time.monotonic()
        outcome["logs"] = self.logs.text()
        outcome["child_ms"] = round((now - self.started) * 1000, 3)
        self.outcomes.append(outcome)
        if outcome["kind"] in outcomes.RETIRE_KINDS:
            outcome["retire"] = True
            self.kill("restart")
            return False
        if len(self.outcomes) >= self.count:
            return False
        self.started, self.input_deadline = now, now + self.wall
        self.deadline = min(self.input_deadline, self.batch_deadline)
        _go(self.armed)
        return True


def _ending(watch: BatchWatch, status: int, usage: Any) -> tuple[list[dict[str, Any]], bool]:
    """The outcomes once the child is reaped: those it answered, plus (unless it ended as a
    batch's child may) the outcome of the input it died on; and whether the batch goes on."""
    done = watch.outcomes
    if len(done) >= watch.count or watch.killed == "restart":
        return done, True
    if watch.killed == "batch" and time.monotonic() < watch.input_deadline:
        return done, True  # cut by the batch's total time: the rest are not run
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == child.EXIT_RESTART and done:
        return done, True  # the child couldn't empty scratch: a fresh one goes on
    setup_failed = os.WIFEXITED(status) and os.WEXITSTATUS(status) == child.EXIT_SETUP_FAILED
    if setup_failed and not done:  # the child's confinement failed: no input ran
        return [_setup_failure(bytes(watch.answers.buffer))], False
    killed = "timeout" if watch.killed == "batch" else watch.killed
    cpu = max(0.0, usage.ru_utime + usage.ru_stime - watch.cpu_mark)
    outcome = outcomes.classify(
        status, SimpleNamespace(ru_utime=cpu, ru_stime=0.0), b"", killed, watch.limits
    )
    if outcome["kind"] == "sandbox" and done:
        outcome = {
            "kind": "error",
            "error_type": "Exited",
            "message": "the object's process exited",
        }
    if outcome["kind"] in outcomes.RETIRE_KINDS:
        outcome["retire"] = True
    outcome["logs"] = watch.logs.text()
    outcome["child_ms"] = round((time.monotonic() - watch.started) * 1000, 3)
    done.append(outcome)
    return done, outcome["kind"] != "sandbox"


def supervise(
    armed: Any,
    limits: dict[str, Any],
    count: int,
    batch_deadline: float,
    trace: bool = False,
) -> tuple[list[dict[str, Any]], bool]:
    """Watch one child through up to `count` inputs. Returns the outcomes it produced (the
    last one may be the input it died on) and whether the batch may go on afterwards."""
    watch = BatchWatch(armed, limits, count, batch_deadline, trace)
    status, usage = watch.run()
    return _ending(watch, status, usage)


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
            got, go_on = supervise(armed, limits, len(payload["inputs"]), batch_deadline, trace)
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
