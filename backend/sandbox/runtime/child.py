"""One call's process: forked by the worker, confined in two steps, then runs one operation.

`arm` runs right after the fork, before any request exists: it dies with the worker, keeps
only its pipes, checks it holds no capability (the worker dropped them all), sets
no_new_privs and loads the seccomp filter. The
armed child then waits, so a call doesn't pay for the fork or the filter. `serve` reads the
request, applies the resource limits and Landlock (which need the call's limits and code
folder), forgets the runtime's own modules, and runs the operation. The child never returns:
it writes its answer to the result pipe and calls `os._exit`.

Everything after `serve` starts the object's code can tamper with (this module included),
but only inside this one process, which ends with the call; the worker trusts nothing it
sends back.
"""

from __future__ import annotations

import fcntl
import inspect
import json
import math
import os
import resource
import socket
import sys
from typing import Any, NoReturn

import landlock
import linux
import ops
import seccomp_policy

REQUEST_FD, RESULT_FD = 3, 4
EXIT_SETUP_FAILED = 71
EXIT_RESTART = 72  # a batch's child asks to go on in a fresh one
RUNTIME_MODULES = (
    "batch", "child", "frames", "landlock", "linux", "ops", "seccomp_policy", "storage",
    "tracer", "pyseccomp",
)  # fmt: skip
MAX_OPEN_FILES = 64
MAX_THREADS = 256

layers: dict[str, dict[str, Any]] = {}


def _record(name: str, ok: bool, detail: str) -> None:
    layers[name] = {"ok": ok, "detail": detail}


def arrange_fds(pipes: tuple[int, int, int, int]) -> None:
    """0: /dev/null, 1 and 2: the log pipe, 3: the request, 4: the result; nothing else."""
    devnull, request_r, result_w, log_w = pipes
    # Copies above the target numbers first, so no dup2 below overwrites a source still needed.
    high = [
        fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 16)
        for fd in (devnull, log_w, log_w, request_r, result_w)
    ]
    for target, fd in enumerate(high):
        os.dup2(fd, target)
    os.closerange(RESULT_FD + 1, 1 << 20)


def arm(config: dict[str, Any], program: seccomp_policy.Program | None) -> None:
    """Confine what doesn't depend on the call. Raises when a required layer fails."""
    linux.die_with_parent()
    if os.getppid() != config["worker_pid"]:
        os._exit(EXIT_SETUP_FAILED)  # the worker is already gone
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(line_buffering=True)
    require = config["require"]
    try:
        held = linux.capabilities_held()
        if held:  # the worker drops them at start; this is the fallback
            linux.drop_capabilities()
        linux.set_no_new_privs()
        _record("capabilities", True, "none held" if not held else f"dropped {held} held")
    except OSError as exc:
        _record("capabilities", False, str(exc))
        raise
    if program is None:
        _record("seccomp", False, config.get("seccomp_error") or "pyseccomp unavailable")
        if require.get("seccomp"):
            raise OSError("seccomp is required but unavailable")
        return
    try:
        program.load(os.getpid())
        detail = "loaded: no exec, fork, ptrace, sockets, mounts, namespaces, IPC, chmod"
        if program.missing:
            detail += f"; not known here: {', '.join(program.missing)}"
        _record("seccomp", True, detail)
    except OSError as exc:
        _record("seccomp", False, f"load failed: {exc}")
        if require.get("seccomp"):
            raise
    _warm_up()


def _warm_up() -> None:
    """Touch what every call uses while the child waits, so the copy-on-write page faults
    (most of a call's cost after a fork) are paid before the request arrives."""
    store = ops.storage_api.Storage({"warm": [1, 2.5, "x", None, True]})
    json.loads(json.dumps({"value": store.get("warm"), "writes": store.writes_json()}))
    inspect.signature(_warm_up).bind()
    ops.describe_exception(ValueError("warm"), "/")


def _read_exact(size: int) -> bytes:
    chunks = []
    while size:
        chunk = os.read(REQUEST_FD, min(size, 1 << 20))
        if not chunk:
            raise EOFError("the request was cut short")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _read_request() -> dict[str, Any]:
    """One length-prefixed request. A batch's request pipe stays open: the worker writes one
    byte on it before each input after the first (see `_next_input`)."""
    request = json.loads(_read_exact(int.from_bytes(_read_exact(4), "big")))
    if request.get("op") != "call_many":
        os.close(REQUEST_FD)
    return request


def _set_limit(which: int, value: int) -> None:
    _, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(which, (value, value))


def _cpu_mark(seconds: float) -> int:
    """The CPU-time reading (whole seconds) at which `seconds` more are used up."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime  # arming took a few milliseconds
    # Whole seconds only: round rather than ceil, so a 1 s budget isn't silently 2 s.
    return max(math.ceil(used), round(used + seconds))


def apply_rlimits(limits: dict[str, Any], inputs: int = 1) -> None:
    """The call's limits. For a batch of `inputs`, the hard CPU limit covers all of them
    (it can never be raised again) and the soft one is set afresh before each input."""
    cpu = _cpu_mark(float(limits["cpu_seconds"]))
    total = _cpu_mark(float(limits["cpu_seconds"]) * max(1, inputs))
    _, hard_cpu = resource.getrlimit(resource.RLIMIT_CPU)
    hard = total + 1 if hard_cpu == resource.RLIM_INFINITY else min(total + 1, hard_cpu)
    resource.setrlimit(resource.RLIMIT_CPU, (min(cpu, hard), hard))
    _set_limit(resource.RLIMIT_AS, int(limits["memory_bytes"]))
    _set_limit(resource.RLIMIT_FSIZE, int(limits["file_bytes"]))
    _set_limit(resource.RLIMIT_NOFILE, MAX_OPEN_FILES)
    _set_limit(resource.RLIMIT_CORE, 0)
    _set_limit(resource.RLIMIT_NPROC, MAX_THREADS)
    _set_limit(resource.RLIMIT_MEMLOCK, 0)
    _set_limit(resource.RLIMIT_MSGQUEUE, 0)
    _record(
        "rlimits",
        True,
        f"cpu {limits['cpu_seconds']} s, address space {int(limits['memory_bytes']) >> 20} MiB, "
        f"file size {int(limits['file_bytes']) >> 20} MiB, {MAX_OPEN_FILES} files, no core",
    )


def confine(config: dict[str, Any], request: dict[str, Any]) -> None:
    """The call-specific layers: rlimits, then Landlock on this call's code folder."""
    batch = request.get("inputs")
    apply_rlimits(request["limits"], len(batch) if isinstance(batch, list) else 1)
    code_dir = request.get("code_dir")
    read_only = list(config["read_only"])
    read_write = [config["scratch"]]
    if code_dir:
        (read_write if request.get("writable_code") is True else read_only).append(code_dir)
    abi = config.get("landlock_abi", 0)
    try:
        landlock.restrict(read_only, read_write, abi)
        _record("landlock", True, landlock.describe(abi))
    except OSError as exc:
        _record("landlock", False, f"{exc}" if abi else "not supported by this kernel")
        if config["require"].get("landlock"):
            raise
    os.chdir(config["scratch"])
    sys.path[:] = [*([code_dir] if code_dir else []), *config["stdlib_paths"]]
    sys.path_importer_cache.clear()
    sys.dont_write_bytecode = True
    sys.argv = [ops.ENTRY_MODULE]
    for name in RUNTIME_MODULES:
        sys.modules.pop(name, None)


def _blocked(action: Any) -> bool:
    try:
        action()
    except OSError:
        return True
    return False


def op_probe(config: dict[str, Any]) -> str:
    """Report each layer, and check a few things really are refused."""
    outside = os.path.join(config["runtime"], "probe-write")
    checks = {
        "read_etc_passwd": _blocked(lambda: open("/etc/passwd", "rb").close()),
        "read_proc_environ": _blocked(lambda: open("/proc/1/environ", "rb").close()),
        "write_outside_scratch": _blocked(lambda: open(outside, "wb").close()),
        "open_socket": _blocked(lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM)),
        "write_scratch_allowed": not _blocked(
            lambda: open(os.path.join(config["scratch"], "probe"), "wb").close()
        ),
    }
    return json.dumps({"status": "ok", "value": {"layers": layers, "checks": checks}})


def serve(config: dict[str, Any]) -> NoReturn:
    """Read the request, confine, run it, answer, exit."""
    code = EXIT_SETUP_FAILED
    answer = ""
    try:
        request = _read_request()
        confine(config, request)
        code = 0
        op = request["op"]
        code_dir = request.get("code_dir") or ""
        output_cap = int(request["limits"]["output_bytes"])
        if op == "probe":
            answer = op_probe(config)
        elif op == "call_many":
            cpu = float(request["limits"]["cpu_seconds"])
            ops.op_call_many(
                request,
                code_dir,
                output_cap,
                before_each=lambda first=[True]: _next_input(config["scratch"], cpu, first),
                emit=_emit,
            )
        else:
            answer = ops.OPERATIONS[op](request, code_dir, output_cap)
    except BaseException as exc:
        if code == EXIT_SETUP_FAILED:
            answer = json.dumps(
                {"status": "setup", "type": type(exc).__name__, "message": str(exc)}
            )
    finally:
        _finish(answer, code)


def _next_input(scratch: str, cpu_seconds: float, first: list[bool]) -> None:
    """Before each input of a batch: wait for the worker's go-ahead (after the first: the
    worker has read the previous answer and its logs, and starts this input's clock; a closed
    pipe means stop), then set this input's CPU budget (the soft limit, under the batch's hard
    one) and empty scratch. Where scratch can't be emptied here, the child leaves with
    EXIT_RESTART and the worker (which can) goes on in a fresh child."""
    if first:
        first.clear()
    elif not os.read(REQUEST_FD, 1):
        _finish("", 0)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (min(_cpu_mark(cpu_seconds), hard), hard))
    try:
        _clear(scratch)
    except OSError:
        _finish("", EXIT_RESTART)


def _clear(folder: str) -> None:
    with os.scandir(folder) as scan:
        entries = list(scan)
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            _clear(entry.path)
            os.rmdir(entry.path)
        else:
            os.unlink(entry.path)


def _emit(answer: str, arcs: str | None = None) -> None:
    """One input's answer as a frame on the result pipe, with the CPU time used so far (the
    worker uses it only to tell a CPU limit from other deaths) and, when traced, its arcs."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    traced = "" if arcs is None else f',"arcs":{arcs}'
    body = f'{{"cpu":{usage.ru_utime + usage.ru_stime:.6f}{traced},"answer":{answer}}}'.encode()
    view = memoryview(len(body).to_bytes(4, "big") + body)
    while view:
        view = view[os.write(RESULT_FD, view) :]


def _finish(answer: str, code: int) -> NoReturn:
    try:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
    except BaseException:
        pass
    try:
        data = answer.encode("utf-8", "replace")
        view = memoryview(data)
        while view:
            view = view[os.write(RESULT_FD, view) :]
    except BaseException:
        pass
    os._exit(code)
