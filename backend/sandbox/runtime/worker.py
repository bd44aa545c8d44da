"""The sandbox worker: a long-lived process that runs each request in a fresh confined child.

Started by the host with `python -I -S` and an empty environment (under bubblewrap where the
machine allows), it speaks frames (see `frames`) on its original stdin/stdout and keeps one
child forked and armed ahead of time (see `child`), so a call costs a pipe round trip rather
than an interpreter start or a fork. Per request it:

1. makes sure the object's files are in its code cache (the host sends them once per worker);
2. hands the request to the armed child and watches it (see `supervise`): the wall clock (it
   kills the child when time is up), the size of the answer (it kills the child past the
   output limit), the log pipe (kept up to a cap, the rest drained and dropped), and how the
   child ended (see `outcomes`);
3. wipes the scratch folder, answers the host, and arms the next child.

It never runs object code itself and treats whatever the child sends as untrusted.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import fcntl
import gc
import json
import os
import resource
import signal
import stat
import sys
import time
from collections import OrderedDict
from types import ModuleType
from typing import Any

RUNTIME_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, RUNTIME_DIR)

import batch  # noqa: E402
import child  # noqa: E402
import frames  # noqa: E402
import landlock  # noqa: E402
import linux  # noqa: E402
import seccomp_policy  # noqa: E402
import supervise  # noqa: E402
from outcomes import fail  # noqa: E402

MAX_REQUEST_BYTES = 256 << 20
_HEX = frozenset("0123456789abcdef")


def import_seccomp() -> tuple[ModuleType | None, str]:
    """Import pyseccomp, naming the libraries directly instead of running `ldconfig -p`."""
    original = ctypes.util.find_library
    known = {"c": "libc.so.6", "seccomp": "libseccomp.so.2"}
    ctypes.util.find_library = lambda name: known.get(name) or original(name)
    try:
        import pyseccomp

        return pyseccomp, ""
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}"
    finally:
        ctypes.util.find_library = original


class Armed:
    """A forked child, confined as far as it can be before its request, and its pipes."""

    def __init__(self, pid: int, request_w: int, result_r: int, log_r: int) -> None:
        self.pid = pid
        self.pidfd = os.pidfd_open(pid)
        self.request_w = request_w
        self.result_r = result_r
        self.log_r = log_r


class Selection:
    """Which tests a "tests" request runs: all that are collected (`only` None), or `only`
    those named ([file, name] pairs, in that order) without a collection first: each named
    test's own child loads its file, and a name that isn't a test there fails. With
    `stop_at_failure`, the run ends at the first test that doesn't pass (mutation testing
    needs one failure, not all of them)."""

    def __init__(self, only: list[list[str]] | None = None, stop_at_failure: bool = False):
        self.only, self.stop_at_failure = only, stop_at_failure

    @classmethod
    def from_request(cls, request: dict[str, Any]) -> Selection:
        only = request.get("only")
        if isinstance(only, list):
            only = [list(item) for item in only if _is_test_id(item)]
        else:
            only = None
        return cls(only, bool(request.get("stop_at_failure")))


def _is_test_id(item: Any) -> bool:
    return isinstance(item, list) and len(item) == 2 and all(isinstance(x, str) for x in item)


def _remove_tree(path: str, depth: int = 0) -> None:
    if depth > 200:
        raise OSError("scratch folder nested too deeply to wipe")
    os.chmod(path, stat.S_IRWXU)  # the child may have made a folder we can't list
    with os.scandir(path) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                _remove_tree(entry.path, depth + 1)
            else:
                os.unlink(entry.path)
    os.rmdir(path)


def wipe(path: str) -> bool:
    """Empty the scratch folder between calls; False when something could not be removed."""
    try:
        with os.scandir(path) as scan:
            entries = list(scan)
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                _remove_tree(entry.path)
            else:
                os.unlink(entry.path)
    except (OSError, RecursionError):
        return False
    return True


def _safe_relative(path: object) -> str:
    if not isinstance(path, str) or not path or path.startswith("/") or "\0" in path:
        raise ValueError(f"bad file path {path!r}")
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"bad file path {path!r}")
    return path


class Worker:
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.scratch: str = config["scratch"]
        self.code_root: str = config["code_root"]
        self.proto_in = fcntl.fcntl(0, fcntl.F_DUPFD_CLOEXEC, 100)
        self.proto_out = fcntl.fcntl(1, fcntl.F_DUPFD_CLOEXEC, 100)
        self.devnull = os.open("/dev/null", os.O_RDWR | os.O_CLOEXEC)
        os.dup2(self.devnull, 0)
        os.dup2(2, 1)
        self.program, seccomp_error = self._seccomp_program()
        self.landlock_abi = landlock.abi_version()
        self.codes: OrderedDict[str, str] = OrderedDict()
        self.code_cache = int(config.get("code_cache", 8)) if self.landlock_abi else 1
        self.armed: Armed | None = None
        self.scratch_mtime = -1
        self.child_config = {
            "worker_pid": os.getpid(),
            "require": config["require"],
            "read_only": [*config["read_only"], RUNTIME_DIR],
            "scratch": self.scratch,
            "runtime": RUNTIME_DIR,
            "stdlib_paths": [p for p in sys.path if p != RUNTIME_DIR],
            "landlock_abi": self.landlock_abi,
            "seccomp_error": seccomp_error,
        }
        self.ready = {
            "type": "ready",
            "pid": os.getpid(),
            "uid": os.getuid(),
            "python": sys.version.split()[0],
            "landlock_abi": self.landlock_abi,
            "seccomp": self.program is not None,
            "seccomp_error": seccomp_error,
            "scratch_quota": self._scratch_quota(),
            "capabilities_dropped": self._drop_privileges(),
        }

    @staticmethod
    def _seccomp_program() -> tuple[seccomp_policy.Program | None, str]:
        module, error = import_seccomp()
        if module is None:
            return None, error
        try:
            return seccomp_policy.compile_program(module), ""
        except OSError as exc:
            return None, f"compiling the filter failed: {exc}"

    def _scratch_quota(self) -> dict[str, Any]:
        size = int(self.config["scratch_bytes"])
        if self.config.get("scratch_is_tmpfs"):
            return {"ok": True, "detail": f"tmpfs of {size >> 20} MiB (bubblewrap)"}
        if not self.config.get("mount_scratch"):
            return {"ok": False, "detail": "no private tmpfs (needs root or bubblewrap)"}
        try:
            linux.private_tmpfs(self.scratch, size)
        except OSError as exc:
            return {"ok": False, "detail": f"no private tmpfs: {exc}"}
        return {"ok": True, "detail": f"tmpfs of {size >> 20} MiB in a private mount namespace"}

    @staticmethod
    def _drop_privileges() -> int:
        """After the scratch mount, nothing here needs a capability: drop them all (children
        inherit that) and set no_new_privs. Returns how many were held."""
        held = linux.drop_capabilities()
        linux.set_no_new_privs()
        return held

    # Children ---------------------------------------------------------------------------------

    def fork_child(self) -> Armed:
        gc.freeze()  # keep the collector in the child off the worker's pages (copy-on-write)
        request_r, request_w = os.pipe()
        result_r, result_w = os.pipe()
        log_r, log_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            try:
                child.arrange_fds((self.devnull, request_r, result_w, log_w))
            except BaseException:
                os._exit(child.EXIT_SETUP_FAILED)
            try:  # from here on, fd 4 is the result pipe
                child.arm(self.child_config, self.program)
                child.serve(self.child_config)
            except BaseException as exc:
                answer = {"status": "setup", "type": type(exc).__name__, "message": str(exc)}
                child._finish(json.dumps(answer), child.EXIT_SETUP_FAILED)
            os._exit(child.EXIT_SETUP_FAILED)
        for fd in (request_r, result_w, log_w):
            os.close(fd)
        return Armed(pid, request_w, result_r, log_r)

    def run_child(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Run one operation in the armed child; the outcome, classified, with its logs."""
        armed = self.armed or self.fork_child()
        self.armed = None
        started = time.monotonic()
        with contextlib.suppress(OSError):  # if the child died arming, its status says why
            frames.write_all(armed.request_w, frames.encode(payload))
        os.close(armed.request_w)
        # Arm the next child while this one runs (there are two cores to share).
        self.armed = self.fork_child()
        outcome = supervise.supervise_call(armed, payload["limits"])
        outcome["child_ms"] = round((time.monotonic() - started) * 1000, 3)
        if not self.wipe_scratch():
            outcome["retire"] = True
        return outcome

    def wipe_scratch(self) -> bool:
        """Empty scratch unless it is untouched: a child can't reset the folder's mtime
        (utime is denied), so an unchanged mtime means nothing was added or removed."""
        try:
            mtime = os.stat(self.scratch).st_mtime_ns
        except OSError:
            return False
        if mtime == self.scratch_mtime:
            return True
        ok = wipe(self.scratch)
        self.scratch_mtime = os.stat(self.scratch).st_mtime_ns if ok else -1
        return ok

    # Code cache -------------------------------------------------------------------------------

    def code_dir_for(self, spec: dict[str, Any], limits: dict[str, Any]) -> str | None:
        """The folder holding this code version, writing it from `files` when given.

        A new version is byte-compiled once by a confined child that may write only into
        that version's folder (so a call doesn't pay for compiling, and object code, which
        never gets write access there, can't plant bytecode for later calls)."""
        key = spec.get("key")
        if not isinstance(key, str) or len(key) != 64 or not set(key) <= _HEX:
            raise ValueError("bad code key")
        path = os.path.join(self.code_root, key)
        if key in self.codes:
            self.codes.move_to_end(key)
            return path
        files = spec.get("files")
        if not isinstance(files, dict):
            return None
        try:
            self._write_code(key, path, files)
        except OSError:  # most likely the code cache is full: empty it and try once more
            while self.codes:
                _remove_tree(self.codes.popitem()[1])
            self._write_code(key, path, files)
        self.run_child({"op": "compile", "limits": limits, "code_dir": path, "writable_code": True})
        self.codes[key] = path
        while len(self.codes) > self.code_cache:
            _, old = self.codes.popitem(last=False)
            _remove_tree(old)
        return path

    def _write_code(self, key: str, path: str, files: dict[str, Any]) -> None:
        staging = os.path.join(self.code_root, f".staging-{key}")
        try:
            if os.path.exists(staging):
                _remove_tree(staging)
            os.mkdir(staging, 0o755)
            for relative, text in files.items():
                target = os.path.join(staging, _safe_relative(relative))
                os.makedirs(os.path.dirname(target), 0o755, exist_ok=True)
                with open(target, "wb") as handle:
                    handle.write(str(text).encode("utf-8", "surrogateescape"))
            if os.path.exists(path):
                _remove_tree(path)
            os.rename(staging, path)
        finally:
            if os.path.exists(staging):
                _remove_tree(staging)

    # Requests ---------------------------------------------------------------------------------

    def respond(self, message: dict[str, Any]) -> None:
        frames.write_frame(self.proto_out, message)

    def handle(self, request: dict[str, Any]) -> None:
        op = request.get("op")
        code_dir = None
        if op != "probe":
            code_dir = self.code_dir_for(request["code"], request["limits"])
            if code_dir is None:
                self.respond({"type": "need_code"})
                return
        limits = request["limits"]
        if op == "call_many":
            self.respond({"type": "result", **batch.run_batch(self, code_dir, request)})
            return
        if op == "tests":
            selection = Selection.from_request(request)
            self.respond({"type": "result", **self.run_tests(code_dir, limits, selection)})
            return
        payload = {
            "op": op,
            "limits": limits,
            "code_dir": code_dir,
            "function": request.get("function"),
            "args": request.get("args"),
            "storage": request.get("storage"),
            "writable_code": False,
        }
        self.respond({"type": "result", **self.run_child(payload)})

    def run_tests(
        self, code_dir: str | None, limits: dict[str, Any], selection: Selection | None = None
    ) -> dict[str, Any]:
        """Each collected test (or the `selection`'s, see Selection) in its own child."""
        selection = selection or Selection()
        base = {"limits": limits, "code_dir": code_dir}
        if selection.only is not None:
            value: Any = {"tests": selection.only, "errors": []}
        else:
            collected = self.run_child({"op": "collect", **base})
            if collected["kind"] != "ok":
                return collected
            value = collected.get("value")
        if not isinstance(value, dict) or not isinstance(value.get("tests"), list):
            return fail("output", "MalformedResult", "the test collection could not be read")
        retire = False
        results = []
        for item in filter(_is_test_id, value["tests"]):
            outcome = self.run_child({"op": "test", "file": item[0], "name": item[1], **base})
            retire = retire or bool(outcome.pop("retire", False))
            entry = {"file": item[0], "name": item[1], **outcome}
            self.respond({"type": "progress", "test": entry})
            results.append(entry)
            if selection.stop_at_failure and entry.get("kind") != "ok":
                break
        errors = value.get("errors") if isinstance(value.get("errors"), list) else []
        return {"kind": "ok", "value": {"tests": results, "errors": errors}, "retire": retire}

    def serve(self) -> None:
        self.respond(self.ready)
        while True:
            if self.armed is None:
                self.armed = self.fork_child()
            try:
                request = frames.read_frame(self.proto_in, max_bytes=MAX_REQUEST_BYTES)
            except frames.FrameClosed:
                return
            try:
                self.handle(request)
            except Exception as exc:  # a bug or a bad request: say so, then let the host retire us
                self.respond(
                    {
                        "type": "result",
                        **fail("sandbox", type(exc).__name__, str(exc), retire=True),
                    }
                )
                return


def main() -> None:
    config = json.loads(sys.argv[1])
    linux.die_with_parent()
    parent = config.get("parent_pid")
    if parent and os.getppid() != parent:
        os._exit(1)  # the host died before we could ask to die with it
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.umask(0o022)
    Worker(config).serve()


if __name__ == "__main__":
    main()
