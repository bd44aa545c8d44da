"""Starting sandbox workers and talking to one: the host side of the frame protocol.

A worker is started fresh with `subprocess` (never forked from the app, whose memory holds
secrets), with an empty environment, `python -I -S`, every other file descriptor closed, a
new session, and a scratch folder of its own. In the "bwrap" mode it runs under bubblewrap:
new user, pid, network, IPC, UTS and cgroup namespaces, uid/gid 65534 with no capabilities,
read-only system folders and Python prefix, size-capped tmpfs folders for scratch and code, a
read-only root, and death with its parent. In the "no-bwrap" mode it runs directly and relies
on the per-call layers (rlimits, Landlock, seccomp), plus a private tmpfs for scratch when
it can mount one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backend.sandbox.code import CodeSnapshot
from backend.sandbox.errors import SandboxUnavailable
from backend.sandbox.runtime import frames

RUNTIME_SOURCE = Path(__file__).resolve().parent / "runtime"
RUNTIME_MODULES = (
    "batch.py", "child.py", "frames.py", "landlock.py", "linux.py", "ops.py", "outcomes.py",
    "seccomp_policy.py", "storage.py", "supervise.py", "tracer.py", "worker.py",
)  # fmt: skip
SANDBOX_UID = 65534
IN_SANDBOX = "/sandbox"
START_TIMEOUT_S = 20.0
CODE_CACHE = 8
CODE_TMPFS_BYTES = 64 << 20
MODES = ("bwrap", "no-bwrap")


def base_python() -> tuple[str, str]:
    """The real interpreter file and its prefix (not a venv's symlink: the worker runs `-S`)."""
    executable = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
    return executable, sys.base_prefix


def prepare_runtime(parent: Path) -> Path:
    """Copy the runtime modules and pyseccomp into a fresh folder the workers import from."""
    target = parent / "runtime"
    target.mkdir(mode=0o755)
    for name in RUNTIME_MODULES:
        shutil.copyfile(RUNTIME_SOURCE / name, target / name)
    try:
        import pyseccomp
    except Exception:  # the probe reports seccomp missing; the worker handles the absence
        pass
    else:
        shutil.copyfile(pyseccomp.__file__, target / "pyseccomp.py")
    for path in target.iterdir():
        path.chmod(0o644)
    return target


BASE_PREFIX = "dobj-sandbox-"


def make_base_dir() -> Path:
    """A private folder for one pool's runtime copy, worker logs and (no-bwrap) scratch.

    Named after this process, so folders left by a host that died without cleaning up (its
    workers died with it) can be recognised and are removed here."""
    root = Path(tempfile.gettempdir())
    for stale in root.glob(f"{BASE_PREFIX}*-*"):
        pid = stale.name[len(BASE_PREFIX) :].split("-", 1)[0]
        try:
            mine = stale.lstat().st_uid == os.geteuid()
        except OSError:
            continue
        if mine and pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            shutil.rmtree(stale, ignore_errors=True)
    path = Path(tempfile.mkdtemp(prefix=f"{BASE_PREFIX}{os.getpid()}-", dir=root))
    path.chmod(0o755)
    return path


@dataclass
class WorkerSpec:
    """How one pool starts its workers."""

    mode: str
    base_dir: Path
    runtime_dir: Path
    require: dict[str, bool]
    scratch_bytes: int
    bwrap: str = ""
    python: str = field(default_factory=lambda: base_python()[0])
    prefix: str = field(default_factory=lambda: base_python()[1])


def _system_read_only() -> list[str]:
    paths = ["/usr", "/lib", "/lib64", "/lib32", "/etc/ld.so.cache"]
    return [p for p in paths if os.path.lexists(p)]


def _bwrap_system_binds() -> list[str]:
    args: list[str] = ["--ro-bind", "/usr", "/usr"]
    for path in ("/lib", "/lib64", "/lib32", "/bin", "/sbin"):
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    if os.path.exists("/etc/ld.so.cache"):
        args += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    return args


def command(spec: WorkerSpec, home: Path) -> list[str]:
    """The command line that starts one worker."""
    if spec.mode == "no-bwrap":
        config = {
            "scratch": str(home / "scratch"),
            "code_root": str(home / "code"),
            "read_only": [*_system_read_only(), spec.prefix],
            "require": spec.require,
            "scratch_bytes": spec.scratch_bytes,
            "mount_scratch": os.geteuid() == 0,
            "parent_pid": os.getpid(),
            "code_cache": CODE_CACHE,
        }
        script = str(spec.runtime_dir / "worker.py")
        return [spec.python, "-I", "-S", "-B", script, frames.dumps(config).decode()]
    config = {
        "scratch": f"{IN_SANDBOX}/scratch",
        "code_root": f"{IN_SANDBOX}/code",
        "read_only": [*_system_read_only(), spec.prefix],
        "require": spec.require,
        "scratch_bytes": spec.scratch_bytes,
        "scratch_is_tmpfs": True,
        "code_cache": CODE_CACHE,
    }
    args = [
        spec.bwrap,
        "--unshare-all",
        "--unshare-user",
        "--uid", str(SANDBOX_UID),
        "--gid", str(SANDBOX_UID),
        "--cap-drop", "ALL",
        "--die-with-parent",
        "--new-session",
        "--hostname", "sandbox",
        *_bwrap_system_binds(),
    ]  # fmt: skip
    if not spec.prefix.startswith("/usr/"):
        args += ["--ro-bind", spec.prefix, spec.prefix]
    prefixes = {"base": spec.prefix, "platbase": spec.prefix}
    site = sysconfig.get_paths("posix_prefix", vars=prefixes)["purelib"]
    if os.path.isdir(site):
        args += ["--tmpfs", site, "--remount-ro", site]  # hide the base interpreter's packages
    args += [
        "--ro-bind", str(spec.runtime_dir), f"{IN_SANDBOX}/runtime",
        "--dev", "/dev",
        "--size", str(spec.scratch_bytes), "--tmpfs", f"{IN_SANDBOX}/scratch",
        "--size", str(CODE_TMPFS_BYTES), "--tmpfs", f"{IN_SANDBOX}/code",
        "--remount-ro", "/",
        "--chdir", f"{IN_SANDBOX}/scratch",
        "--",
        spec.python, "-I", "-S", "-B", f"{IN_SANDBOX}/runtime/worker.py",
        frames.dumps(config).decode(),
    ]  # fmt: skip
    return args


class WorkerLost(Exception):
    """The worker could not be reached before the request was delivered (safe to retry)."""


class WorkerProcess:
    """One running worker and its pipes; used by one caller at a time."""

    def __init__(self, process: subprocess.Popen[bytes], home: Path, info: dict[str, Any]):
        self.process = process
        self.home = home
        self.info = info
        self.known_codes: OrderedDict[str, None] = OrderedDict()
        self._to_worker = process.stdin.fileno() if process.stdin else -1
        self._from_worker = process.stdout.fileno() if process.stdout else -1

    @classmethod
    def start(cls, spec: WorkerSpec) -> WorkerProcess:
        """Start a worker and wait for its "ready" frame."""
        home = spec.base_dir / f"worker-{uuid.uuid4().hex[:12]}"
        for folder in (home, home / "scratch", home / "code"):
            folder.mkdir(mode=0o700)
        log_path = home / "worker.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                command(spec, home),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env={},
                cwd=home,
                close_fds=True,
                start_new_session=True,
            )
        try:
            info = frames.read_frame(
                process.stdout.fileno() if process.stdout else -1,
                max_bytes=1 << 16,
                deadline=time.monotonic() + START_TIMEOUT_S,
            )
            if not isinstance(info, dict) or info.get("type") != "ready":
                raise frames.FrameError("the worker's first frame was not 'ready'")
        except (frames.FrameError, OSError) as exc:
            _stop(process)
            detail = _tail(log_path) or str(exc)
            shutil.rmtree(home, ignore_errors=True)
            message = f"a {spec.mode} sandbox worker failed to start: {detail}"
            raise SandboxUnavailable(message) from None
        return cls(process, home, info)

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def exchange(
        self,
        request: dict[str, Any],
        *,
        code: CodeSnapshot | None,
        frame_timeout: float,
        max_bytes: int,
        on_progress: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, Any]:
        """Send a request and read frames until its result.

        Raises WorkerLost when the request could not be delivered, and frames.FrameError
        (FrameTimeout, FrameTooLarge, FrameClosed...) when the answer is late, too large or
        malformed; either way the caller retires this worker.
        """
        message = dict(request)
        if code is not None:
            message["code"] = {"key": code.key, "files": None}
            if code.key not in self.known_codes:
                message["code"]["files"] = code.files
        self._send(message)
        while True:
            frame = frames.read_frame(
                self._from_worker,
                max_bytes=max_bytes,
                deadline=time.monotonic() + frame_timeout,
            )
            if not isinstance(frame, dict):
                raise frames.FrameError("the worker sent a frame that is not an object")
            kind = frame.get("type")
            if kind == "result":
                if code is not None:
                    self._remember(code.key)
                return frame
            if kind == "progress" and on_progress is not None:
                on_progress(frame)
            elif kind == "need_code" and code is not None and message["code"]["files"] is None:
                message["code"]["files"] = code.files
                self.known_codes.pop(code.key, None)
                self._send(message)
            else:
                raise frames.FrameError(f"unexpected frame {kind!r} from the worker")

    def _send(self, message: dict[str, Any]) -> None:
        try:
            frames.write_frame(self._to_worker, message)
        except OSError as exc:
            raise WorkerLost(f"the worker is gone: {exc}") from exc

    def _remember(self, key: str) -> None:
        self.known_codes[key] = None
        self.known_codes.move_to_end(key)
        while len(self.known_codes) > CODE_CACHE:
            self.known_codes.popitem(last=False)

    def stop(self) -> None:
        """Kill the worker (and, through bubblewrap or its parent-death signal, its child)."""
        _stop(self.process)
        shutil.rmtree(self.home, ignore_errors=True)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, 9)  # its own session: the worker and anything it started
        except ProcessLookupError:
            pass
        except PermissionError:
            process.kill()
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


def _tail(path: Path, limit: int = 2000) -> str:
    try:
        data = path.read_bytes()[-limit:]
    except OSError:
        return ""
    return data.decode("utf-8", "replace").strip()
