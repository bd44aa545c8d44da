"""A warm pool of sandbox workers, and the calls that run object code through it.

`SandboxPool.call` takes an idle worker (calls to different objects run in parallel, one per
worker), sends the request, and turns the worker's answer into a `CallResult`. A worker whose
call ended in doubt (a child killed for time, memory, output or a forbidden system call, a
late or malformed answer, a dead worker) is stopped and replaced in the background; the
caller gets its result at once and other calls are unaffected.

Workers are always started from one long-lived "spawner" thread: a worker's parent-death
signal fires when the *thread* that started it exits, so starting one from a short-lived
thread (a web server's thread pool) would kill it when that thread retires.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from backend.config import get_settings
from backend.sandbox import results
from backend.sandbox.code import CodeSnapshot, snapshot
from backend.sandbox.errors import SandboxUnavailable
from backend.sandbox.limits import Limits
from backend.sandbox.probe import ModeReport, choose
from backend.sandbox.results import CallResult, ImportReport, TestReport, failure
from backend.sandbox.runtime import frames
from backend.sandbox.runtime.tracer import TRACE_BYTES
from backend.sandbox.workers import (
    WorkerLost,
    WorkerProcess,
    WorkerSpec,
    make_base_dir,
    prepare_runtime,
)

GRACE_SECONDS = 5.0  # beyond the wall limit, for the worker's own bookkeeping
# Before its first answer a worker may compile a new code version (a child with the call's
# limits) and then run the call: so two wall limits, plus the grace.
WALLS_PER_FRAME = 2
ACQUIRE_TIMEOUT_S = 120.0
BATCH_INPUTS = 64  # default inputs per batch request: bounds one request's and one answer's size
BATCH_REQUEST_BYTES = 64 << 20  # most JSON arguments in one batch request, whatever its count
_pools: weakref.WeakSet[SandboxPool] = weakref.WeakSet()


class SandboxPool:
    """Warm sandbox workers; thread-safe. Use as a context manager or call `close()`."""

    def __init__(
        self,
        size: int | None = None,
        *,
        tier: str | None = None,
        allow_unsafe: bool | None = None,
        limits: Limits | None = None,
    ) -> None:
        settings = get_settings()
        self.size = size or settings.sandbox_pool_size
        self.limits = limits or Limits.from_settings(settings)
        self.report: ModeReport = choose(
            tier or settings.sandbox_tier,
            settings.sandbox_allow_unsafe if allow_unsafe is None else allow_unsafe,
        )
        self._input_cap = settings.sandbox_input_bytes
        self._storage_cap = settings.sandbox_storage_bytes
        self._log_cap = settings.sandbox_log_bytes
        self._scratch_bytes = settings.sandbox_scratch_mb << 20
        self._base_dir = make_base_dir()
        self._spec = WorkerSpec(
            mode=self.report.mode,
            base_dir=self._base_dir,
            runtime_dir=prepare_runtime(self._base_dir),
            require={
                "landlock": self.report.layer_ok("landlock"),
                "seccomp": self.report.layer_ok("seccomp"),
            },
            scratch_bytes=self._scratch_bytes,
            bwrap=(shutil.which("bwrap") or "") if self.report.mode == "bwrap" else "",
        )
        self._cond = threading.Condition()
        self._idle: list[WorkerProcess] = []
        self._live = 0
        self._starting = 0
        self._failures = 0
        self._last_error = ""
        self._closed = False
        self._owner_pid = os.getpid()
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sandbox-spawner")
        _pools.add(self)
        with self._cond:
            for _ in range(self.size):
                self._start_one_locked()

    # Public API ----------------------------------------------------------------------------

    @property
    def tier(self) -> str:
        return self.report.tier

    @property
    def mode(self) -> str:
        return self.report.mode

    def call(
        self,
        code_dir: Path | str,
        function: str,
        args: dict[str, Any],
        *,
        limits: Limits | None = None,
        storage: dict[str, Any] | None = None,
    ) -> CallResult:
        """Call `function(**args)` of the object in `code_dir` inside the sandbox.

        `storage` is the object's durable state (key -> JSON value) the code sees; the
        result's `storage_writes` are the changes to commit, present only when `ok`.
        Problems with the function name or the arguments come back as error_kind "input";
        raises NotFound / InvalidInput when `code_dir` is missing or unreadable, and
        SandboxUnavailable only when no sandbox can run at all.
        """
        started = time.perf_counter()
        limits = limits or self.limits
        problem = self._check_input(function, args, storage)
        if problem:
            return failure("input", "BadArguments", problem)
        code = snapshot(code_dir)
        request = {
            "op": "call",
            "function": function,
            "args": args,
            "storage": storage or {},
            "limits": self._wire(limits),
        }
        frame = self._run(request, code, limits)
        return results.call_result(frame, _ms(started), with_writes=True)

    def call_many(
        self,
        code_dir: Path | str,
        function: str,
        inputs: Sequence[dict[str, Any]],
        *,
        limits: Limits | None = None,
        storage: dict[str, Any] | None = None,
        total_seconds: float | None = None,
        trace: bool = False,
        batch_inputs: int = BATCH_INPUTS,
    ) -> list[CallResult]:
        """`call` for each of `inputs`, in one round trip to one worker per `batch_inputs`.

        The results are in the order of `inputs` and mean what `call`'s would: each input
        runs with its own limits (`limits` per input), its own copy of `storage` and a fresh
        import of the object's modules; one that crashes, times out or runs out of memory
        gets that outcome and the rest go on in a fresh confined child. The batch's total
        wall-clock time is at most `total_seconds` (default: every input's full wall limit);
        inputs not started by then come back as timeouts with error_type "BatchTimeLimit".

        With `trace`, each result whose function was called carries `arcs`: per object
        source file (relative path), the line arcs that call ran, in coverage.py's
        conventions (see `backend/sandbox/runtime/tracer.py`). Tracing slows the object's
        code down under the same limits; the arcs are a lower bound past the caps there.

        `call_each` with `function` for every input.
        """
        return self.call_each(
            code_dir,
            [(function, args) for args in inputs],
            limits=limits,
            storage=storage,
            total_seconds=total_seconds,
            trace=trace,
            batch_inputs=batch_inputs,
        )

    def call_each(
        self,
        code_dir: Path | str,
        calls: Sequence[tuple[str, dict[str, Any]]],
        *,
        limits: Limits | None = None,
        storage: dict[str, Any] | None = None,
        total_seconds: float | None = None,
        trace: bool = False,
        batch_inputs: int = BATCH_INPUTS,
        give_up_after: int = 0,
    ) -> list[CallResult]:
        """`call(code_dir, function, args)` for each `(function, args)` of `calls`: `call_many`
        for inputs of any of the object's functions, mixed in one batch.

        With `give_up_after` n > 0, a function whose inputs timed out n times in a batch has
        its later inputs in that batch not started (timeouts with error_type
        "GivenUpAfterTimeouts"), so one slow function can't use up the others' time.

        The results are in the order of `calls`, and each means what `call_many`'s would for
        that input (its own limits, storage copy, fresh modules, logs and, with `trace`,
        arcs); a bad function name or bad arguments fail that input alone, without running
        it, and bad `storage` fails every input. Up to `batch_inputs` inputs (and at most
        `BATCH_REQUEST_BYTES` of arguments) go in one round trip to one worker; the total
        time is shared by all of them, as in `call_many`.
        """
        if batch_inputs < 1:
            raise ValueError(f"batch_inputs must be at least 1, not {batch_inputs}")
        limits = limits or self.limits
        stored = self._check_storage(storage)
        answers: list[CallResult | None] = [None] * len(calls)
        valid: list[int] = []
        sizes: dict[int, int] = {}
        for index, call in enumerate(calls):
            function, args = call
            problem = self._check_function(function) or stored
            if not problem:
                problem, sizes[index] = self._check_args(args)
            if problem:
                answers[index] = failure("input", "BadArguments", problem)
            else:
                valid.append(index)
        code = snapshot(code_dir) if valid else None
        deadline = time.monotonic() + (total_seconds or len(valid) * limits.wall_seconds)
        for chunk in _chunks(valid, sizes, batch_inputs):
            left = deadline - time.monotonic()
            if left <= 0 or code is None:
                for index in chunk:
                    answers[index] = _not_run(total_seconds)
                continue
            ran = self._batch(
                code, [calls[i] for i in chunk], limits, storage, left, trace, give_up_after
            )
            for index, result in zip(chunk, ran, strict=True):
                answers[index] = result
        return [answer or failure("error", "SandboxError", "no answer") for answer in answers]

    def _batch(
        self,
        code: CodeSnapshot,
        calls: list[tuple[str, dict[str, Any]]],
        limits: Limits,
        storage: dict[str, Any] | None,
        seconds: float,
        trace: bool = False,
        give_up_after: int = 0,
    ) -> list[CallResult]:
        """One batch request; a result per input (the batch's failure for each, if it failed)."""
        seconds = min(seconds, len(calls) * limits.wall_seconds)
        request: dict[str, Any] = {
            "op": "call_many",
            "functions": [function for function, _ in calls],
            "inputs": [args for _, args in calls],
            "storage": storage or {},
            "limits": {**self._wire(limits), "batch_seconds": seconds},
        }
        per_input = 2 * (limits.output_bytes + self._log_cap) + (1 << 16)
        if trace:
            request["trace"] = True
            per_input += TRACE_BYTES
        if give_up_after:
            request["give_up_after"] = give_up_after
        frame = self._run(
            request,
            code,
            limits,
            frame_timeout=WALLS_PER_FRAME * limits.wall_seconds + seconds + GRACE_SECONDS,
            max_bytes=len(calls) * per_input + (1 << 16),
        )
        outcomes = frame.get("outcomes")
        if frame.get("kind") == "ok":
            if isinstance(outcomes, list) and len(outcomes) == len(calls):
                return [_outcome(o, code, trace) for o in outcomes]
            frame = _frame("output", "MalformedResult", "the batch's answers were malformed")
        failed = results.call_result(frame, 0.0, with_writes=False)
        return [failed for _ in calls]

    def smoke_import(self, code_dir: Path | str, limits: Limits | None = None) -> ImportReport:
        """Import main.py in the sandbox and list the functions it exports."""
        started = time.perf_counter()
        limits = limits or self.limits
        frame = self._run(
            {"op": "import", "limits": self._wire(limits)}, snapshot(code_dir), limits
        )
        result = results.call_result(frame, _ms(started), with_writes=False)
        if not result.ok:
            return ImportReport(False, {}, result, result.duration_ms)
        listing = results.functions_listing(result.value)
        if listing is None:
            bad = failure("output", "MalformedResult", "the function listing was malformed")
            return ImportReport(False, {}, bad, result.duration_ms)
        return ImportReport(True, listing, None, result.duration_ms)

    def run_tests(
        self,
        code_dir: Path | str,
        limits: Limits | None = None,
        *,
        on_test: Callable[[results.TestOutcome], None] | None = None,
        only: Sequence[tuple[str, str]] | None = None,
        stop_at_failure: bool = False,
    ) -> TestReport:
        """Run the object's `test_*.py` files: each `test*` function in its own confined
        process with `limits`. `on_test` sees each outcome as it arrives. `only` runs just
        those tests ((file, name) pairs), in that order, without collecting first (a name
        that isn't a test function fails);
        `stop_at_failure` ends the run at the first test that doesn't pass."""
        started = time.perf_counter()
        limits = limits or self.limits
        outcomes: list[results.TestOutcome] = []

        def progress(frame: dict[str, Any]) -> None:
            outcome = results.parse_test_outcome(frame.get("test"))
            if outcome is not None:
                outcomes.append(outcome)
                if on_test is not None:
                    on_test(outcome)

        request: dict[str, Any] = {"op": "tests", "limits": self._wire(limits)}
        if only is not None:
            request["only"] = [list(test) for test in only]
        if stop_at_failure:
            request["stop_at_failure"] = True
        frame = self._run(request, snapshot(code_dir), limits, on_progress=progress)
        if frame.get("kind") != "ok" or not isinstance(frame.get("value"), dict):
            error = results.call_result(frame, 0.0, with_writes=False)
            if error.ok:
                error = failure("output", "MalformedResult", "the test report was malformed")
            return TestReport(outcomes, [error], _ms(started))
        errors = results.collection_errors(frame["value"].get("errors"))
        return TestReport(outcomes, errors, _ms(started))

    def status(self) -> dict[str, Any]:
        with self._cond:
            return {
                "tier": self.tier,
                "mode": self.mode,
                "safe": self.report.safe,
                "size": self.size,
                "live": self._live,
                "idle": len(self._idle),
                "starting": self._starting,
                "last_error": self._last_error,
            }

    def worker_pids(self) -> list[int]:
        """Pids of the idle workers (for tests and diagnostics)."""
        with self._cond:
            return [worker.pid for worker in self._idle]

    def close(self) -> None:
        """Stop every worker; calls in flight finish with a failure."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            idle, self._idle = self._idle, []
            self._cond.notify_all()
        if os.getpid() != self._owner_pid:
            return  # a forked copy: the workers belong to the parent
        for worker in idle:
            worker.stop()
        self._spawner.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self._base_dir, ignore_errors=True)

    def __enter__(self) -> SandboxPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Internals -----------------------------------------------------------------------------

    def _wire(self, limits: Limits) -> dict[str, Any]:
        return limits.to_wire(file_bytes=self._scratch_bytes, log_bytes=self._log_cap)

    def _check_input(self, function: str, args: Any, storage: dict[str, Any] | None) -> str | None:
        return (
            self._check_function(function)
            or self._check_args(args)[0]
            or self._check_storage(storage)
        )

    def _check_function(self, function: Any) -> str | None:
        if not isinstance(function, str) or not function.isidentifier() or function.startswith("_"):
            return f"{function!r} is not the name of a public function"
        return None

    def _check_args(self, args: Any) -> tuple[str | None, int]:
        """A problem with the arguments, or None; and the size of their JSON."""
        if not isinstance(args, dict) or not all(isinstance(key, str) for key in args):
            return "arguments must be a JSON object (a dict with string keys)", 0
        try:
            size = len(frames.dumps(args))
        except (TypeError, ValueError, RecursionError) as exc:
            return f"arguments are not JSON: {exc}", 0
        if size > self._input_cap:
            return f"arguments are {size} bytes of JSON; the limit is {self._input_cap}", size
        return None, size

    def _check_storage(self, storage: dict[str, Any] | None) -> str | None:
        if storage is not None:
            if not isinstance(storage, dict):
                return "storage must be a dict of key -> JSON value"
            try:
                size = len(json.dumps(storage, allow_nan=False))
            except (TypeError, ValueError, RecursionError) as exc:
                return f"storage is not JSON: {exc}"
            if size > self._storage_cap:
                return f"storage is {size} bytes of JSON; the limit is {self._storage_cap}"
        return None

    def _run(
        self,
        request: dict[str, Any],
        code: CodeSnapshot,
        limits: Limits,
        on_progress: Callable[[dict[str, Any]], None] | None = None,
        *,
        frame_timeout: float | None = None,
        max_bytes: int | None = None,
    ) -> dict[str, Any]:
        """One request on one worker; the worker's result frame, or a failure frame."""
        max_bytes = max_bytes or 8 * (limits.output_bytes + self._log_cap) + (1 << 16)
        frame_timeout = frame_timeout or WALLS_PER_FRAME * limits.wall_seconds + GRACE_SECONDS
        for attempt in range(2):
            worker = self._acquire()
            try:
                frame = worker.exchange(
                    request,
                    code=code,
                    frame_timeout=frame_timeout,
                    max_bytes=max_bytes,
                    on_progress=on_progress,
                )
            except WorkerLost as exc:
                self._release(worker, retire=True)
                if attempt == 0:
                    continue  # nothing ran: the request never reached the worker
                return _frame("error", "SandboxError", str(exc))
            except frames.FrameTimeout:
                self._release(worker, retire=True)
                return _frame("timeout", "WallTimeLimit", "the sandbox did not answer in time")
            except frames.FrameTooLarge as exc:
                self._release(worker, retire=True)
                return _frame("output", "ResultTooLarge", str(exc))
            except (frames.FrameError, OSError) as exc:
                self._release(worker, retire=True)
                return _frame("error", "SandboxError", f"the sandbox worker failed: {exc}")
            except BaseException:
                self._release(worker, retire=True)
                raise
            self._release(worker, retire=bool(frame.get("retire")))
            if frame.get("kind") == "sandbox":
                raise SandboxUnavailable(str(frame.get("message") or "the sandbox failed"))
            return frame
        raise AssertionError("unreachable")

    def _start_one_locked(self) -> None:
        self._starting += 1
        self._spawner.submit(self._spawn)

    def _spawn(self) -> None:
        try:
            worker = WorkerProcess.start(self._spec)
        except Exception as exc:
            with self._cond:
                self._starting -= 1
                self._failures += 1
                self._last_error = str(exc)
                self._cond.notify_all()
            return
        with self._cond:
            self._starting -= 1
            if self._closed:
                stop = True
            else:
                stop = False
                self._live += 1
                self._idle.append(worker)
                self._cond.notify_all()
        if stop:
            worker.stop()

    def _acquire(self) -> WorkerProcess:
        deadline = time.monotonic() + ACQUIRE_TIMEOUT_S
        with self._cond:
            failures_before = self._failures
            while True:
                if self._closed:
                    raise SandboxUnavailable("the sandbox pool is closed")
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive():
                        return worker
                    self._live -= 1
                    self._spawner.submit(worker.stop)
                if self._live + self._starting < self.size:
                    self._start_one_locked()
                if self._failures > failures_before + 1 and self._live == 0:
                    raise SandboxUnavailable(f"sandbox workers fail to start: {self._last_error}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise SandboxUnavailable("no sandbox worker became free in time")
                self._cond.wait(min(remaining, 1.0))

    def _release(self, worker: WorkerProcess, *, retire: bool) -> None:
        if not retire and worker.alive():
            with self._cond:
                if not self._closed:
                    self._idle.append(worker)
                    self._cond.notify()
                    return
        worker.stop()
        with self._cond:
            self._live -= 1
            if not self._closed and self._live + self._starting < self.size:
                self._start_one_locked()
            self._cond.notify_all()


def _outcome(outcome: Any, code: CodeSnapshot, trace: bool) -> CallResult:
    """One input's result from the worker's answer for it."""
    if not isinstance(outcome, dict):
        return failure("output", "MalformedResult", "a batch answer was malformed")
    result = results.call_result(outcome, results.duration(outcome), with_writes=True)
    if trace:
        result = replace(result, arcs=results.traced_arcs(outcome.get("arcs"), code.files))
    return result


def _chunks(valid: list[int], sizes: dict[int, int], most: int) -> list[list[int]]:
    """`valid` in order, cut into runs of at most `most` inputs and `BATCH_REQUEST_BYTES`
    of arguments (an input alone may be larger: the input cap is lower)."""
    chunks: list[list[int]] = []
    used = 0
    for index in valid:
        if not chunks or len(chunks[-1]) >= most or used + sizes[index] > BATCH_REQUEST_BYTES:
            chunks.append([])
            used = 0
        chunks[-1].append(index)
        used += sizes[index]
    return chunks


def _frame(kind: str, error_type: str, message: str) -> dict[str, Any]:
    return {"type": "result", "kind": kind, "error_type": error_type, "message": message}


def _not_run(seconds: float | None) -> CallResult:
    total = f" of {seconds:g} s" if seconds else ""
    message = f"not started: the batch used up its total time{total}"
    return failure("timeout", "BatchTimeLimit", message)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


_pool: SandboxPool | None = None
_pool_lock = threading.Lock()


def get_pool() -> SandboxPool:
    """The process-wide pool, created on first use from settings."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool._closed or _pool._owner_pid != os.getpid():
            _pool = SandboxPool()
        return _pool


def shutdown_pool() -> None:
    """Stop the process-wide pool (a later get_pool() starts a new one)."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.close()


def smoke_import(code_dir: Path | str, limits: Limits | None = None) -> ImportReport:
    """`get_pool().smoke_import(...)`: import main.py in the sandbox, list its functions."""
    return get_pool().smoke_import(code_dir, limits)


def run_tests(code_dir: Path | str, limits: Limits | None = None) -> TestReport:
    """`get_pool().run_tests(...)`: run the object's tests in the sandbox."""
    return get_pool().run_tests(code_dir, limits)


def _forget_after_fork() -> None:
    global _pool
    _pool = None  # the parent's workers are not ours to use or stop


def _close_all() -> None:
    for pool in list(_pools):
        pool.close()


os.register_at_fork(after_in_child=_forget_after_fork)
atexit.register(_close_all)
