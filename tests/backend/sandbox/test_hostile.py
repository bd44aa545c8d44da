"""Hostile object code: each case is an object that tries one thing and must be stopped.

Every case runs in every sandbox tier this machine supports (with bubblewrap and without),
asserts the specific harmless outcome (the error kind, and that the host resource is intact),
and afterwards the pool must still answer a normal call.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.config import PROJECT_ROOT
from backend.sandbox import CallResult, Limits, SandboxPool
from backend.sandbox.probe import probe
from backend.sandbox.workers import RUNTIME_SOURCE
from tests.support.sandbox_helpers import ECHO, FAST, SECRET_VALUE, TIERS, start_pool, write_object

pytestmark = pytest.mark.slow

Run = Callable[..., CallResult]


@pytest.fixture(scope="module", params=TIERS)
def pool(request: pytest.FixtureRequest) -> Iterator[SandboxPool]:
    with start_pool(request.param) as pool:
        yield pool


@pytest.fixture
def run(pool: SandboxPool, tmp_path: Path) -> Iterator[Run]:
    """Write an object whose `run` function is the attack, and call it with tight limits."""
    counter = iter(range(1000))

    def run(source: str, args: dict[str, Any] | None = None, limits: Limits = FAST) -> CallResult:
        folder = write_object(tmp_path / f"object{next(counter)}", source)
        return pool.call(folder, "run", args or {}, limits=limits)

    yield run
    # Whatever the case did, the pool still serves a normal call.
    echo = write_object(tmp_path / "echo", ECHO)
    result = pool.call(echo, "echo", {"value": {"still": "here"}})
    assert result.ok and result.value == {"still": "here"}, result


def leaked(result: CallResult, *needles: str) -> bool:
    text = json.dumps(result.value) + result.message + result.logs
    return any(needle in text for needle in needles)


def blocked(result: CallResult, *kinds: str) -> None:
    assert not result.ok, f"the attack succeeded: {result.value!r}"
    assert result.error_kind in kinds, result
    assert "Traceback" not in result.message and 'File "' not in result.message


READ = """
def run(path):
    with open(path, "rb") as handle:
        return handle.read().decode("latin-1")
"""


def test_read_etc_passwd(run: Run) -> None:
    result = run(READ, {"path": "/etc/passwd"})
    blocked(result, "forbidden", "error")
    assert result.error_type in ("PermissionError", "FileNotFoundError")
    assert not leaked(result, "root:x:0:0")


def test_read_the_apps_own_files(run: Run) -> None:
    target = PROJECT_ROOT / "backend" / "config.py"
    assert "class Settings" in target.read_text()
    result = run(READ, {"path": str(target)})
    blocked(result, "forbidden", "error")
    assert result.error_type in ("PermissionError", "FileNotFoundError")
    assert not leaked(result, "class Settings")


def test_read_the_apps_database(run: Run, tmp_path: Path) -> None:
    database = tmp_path / "data" / "app.db"
    database.parent.mkdir()
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE secrets (value TEXT)")
        connection.execute("INSERT INTO secrets VALUES ('TOPSECRET-ROW')")
    before = hashlib.sha256(database.read_bytes()).hexdigest()
    source = """
    import sqlite3
    def run(path):
        connection = sqlite3.connect(path)
        rows = connection.execute("SELECT value FROM secrets").fetchall()
        connection.execute("DELETE FROM secrets")
        connection.commit()
        return rows
    """
    result = run(source, {"path": str(database)})
    blocked(result, "forbidden", "error")
    assert not leaked(result, "TOPSECRET-ROW")
    raw = run(READ, {"path": str(database)})
    blocked(raw, "forbidden", "error")
    assert not leaked(raw, "TOPSECRET-ROW")
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before


def test_read_the_apps_environment(run: Run) -> None:
    assert os.environ.get("DOBJ_SANDBOX_TEST_SECRET") == SECRET_VALUE
    result = run("import os\ndef run():\n    return dict(os.environ)\n")
    assert result.ok, result
    assert not leaked(result, SECRET_VALUE, "DOBJ_SANDBOX_TEST_SECRET")
    assert "PATH" not in result.value and "HOME" not in result.value


def test_read_proc_environ(run: Run) -> None:
    source = """
    import os
    def run():
        found = {}
        for pid in ["self", "1", str(os.getppid()), *os.listdir("/proc")]:
            try:
                with open(f"/proc/{pid}/environ", "rb") as handle:
                    found[pid] = handle.read().decode("latin-1")
            except OSError as exc:
                found[pid] = repr(exc)
        return found
    """
    result = run(source)
    assert not leaked(result, SECRET_VALUE)
    blocked(result, "forbidden", "error")  # /proc can't even be listed
    assert result.error_type in ("PermissionError", "FileNotFoundError")


TCP = """
import socket
def run(port):
    socket.create_connection(("127.0.0.1", port), timeout=2).close()
    return "connected"
"""


@pytest.mark.parametrize("port", [6379, 5432], ids=["redis", "postgresql"])
def test_tcp_to_local_services(run: Run, port: int) -> None:
    result = run(TCP, {"port": port})
    blocked(result, "forbidden")
    assert result.error_type == "PermissionError"


UNIX = """
import socket
def run(path):
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(path)
    client.sendall(b"hello from the sandbox")
    return "connected"
"""


def test_unix_socket_to_a_local_service(run: Run, tmp_path: Path) -> None:
    path = str(tmp_path / "service.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    server.settimeout(0.2)
    try:
        result = run(UNIX, {"path": path})
        blocked(result, "forbidden")
        assert result.error_type == "PermissionError"
        with pytest.raises(TimeoutError):
            server.accept()  # nobody connected
    finally:
        server.close()


def test_unix_socket_to_postgresql(run: Run) -> None:
    result = run(UNIX, {"path": "/var/run/postgresql/.s.PGSQL.5432"})
    blocked(result, "forbidden")


def test_fork_many_processes(run: Run) -> None:
    source = """
    import os, time
    def run():
        pids = []
        for _ in range(50):  # bounded, in case a regression lets it through
            pid = os.fork()
            if pid == 0:
                time.sleep(3)
                os._exit(0)
            pids.append(pid)
        return pids
    """
    result = run(source)
    blocked(result, "forbidden")
    assert result.error_type == "ForbiddenSystemCall"


@pytest.fixture
def canary(tmp_path: Path) -> Path:
    path = tmp_path / "outside" / "canary"
    path.parent.mkdir()
    return path


def test_os_system(run: Run, canary: Path) -> None:
    source = "import os\ndef run(path):\n    return os.system('touch ' + path)\n"
    result = run(source, {"path": str(canary)})
    blocked(result, "forbidden")
    assert not canary.exists()


def test_subprocess(run: Run, canary: Path) -> None:
    source = """
    import subprocess
    def run(path):
        return subprocess.run(["/usr/bin/touch", path]).returncode
    """
    result = run(source, {"path": str(canary)})
    blocked(result, "forbidden")
    assert not canary.exists()


def test_posixsubprocess_fork_exec(run: Run, canary: Path) -> None:
    source = """
    import _posixsubprocess, os
    def run(path):
        argv = [b"/usr/bin/touch", path.encode()]
        return _posixsubprocess.fork_exec(
            argv, [argv[0]], True, (), None, None, -1, -1, -1, -1, -1, -1,
            *os.pipe(), False, False, -1, None, None, -1, -1, None, True,
        )
    """
    result = run(source, {"path": str(canary)})
    blocked(result, "forbidden")
    assert result.error_type == "ForbiddenSystemCall"
    assert not canary.exists()


def test_endless_loop(run: Run) -> None:
    # A generous wall limit, so the 1 s CPU limit is what stops it even on a busy machine.
    result = run("def run():\n    while True:\n        pass\n", limits=FAST.replace(wall_seconds=5))
    blocked(result, "timeout")
    assert result.error_type == "CpuTimeLimit"
    assert result.duration_ms < 5000


def test_sleeping_forever(run: Run) -> None:
    limits = FAST.replace(wall_seconds=1)
    result = run("import time\ndef run():\n    time.sleep(10**6)\n", limits=limits)
    blocked(result, "timeout")
    assert result.error_type == "WallTimeLimit"
    assert 900 < result.duration_ms < 3000


def test_allocating_4_gb(run: Run) -> None:
    result = run("def run():\n    return len(bytearray(4 * 1024**3))\n")
    blocked(result, "memory")


def test_allocating_slowly(run: Run) -> None:
    source = """
    def run():
        chunks = []
        while True:
            chunks.append(b"x" * (8 << 20))
    """
    blocked(run(source), "memory")


WRITE = """
def run(path):
    with open(path, "w") as handle:
        handle.write("written by the sandbox")
    return "written"
"""


def test_writing_outside_scratch(run: Run, canary: Path, tmp_path: Path) -> None:
    code = tmp_path / "object-code"
    write_object(code, ECHO)
    for target in (canary, code / "main.py", Path("/tmp/dobj-sandbox-canary")):
        before = target.read_bytes() if target.exists() else None
        result = run(WRITE, {"path": str(target)})
        blocked(result, "forbidden", "error")
        assert result.error_type in ("PermissionError", "FileNotFoundError", "OSError")
        after = target.read_bytes() if target.exists() else None
        assert after == before


def test_writing_its_own_code(run: Run) -> None:
    source = """
    def run():
        with open(__file__, "a") as handle:
            handle.write("\\n# planted for the next call")
        return "written"
    """
    result = run(source)
    blocked(result, "forbidden")


def test_filling_the_disk(run: Run, pool: SandboxPool) -> None:
    quota = probe(pool.mode).layers.get("scratch_quota", {})
    if not quota.get("ok"):
        pytest.skip(f"no scratch quota in this tier here: {quota.get('detail')}")
    source = """
    def run():
        written = 0
        while written < (1 << 30):  # bounded: 1 GiB
            with open(f"file{written}", "wb") as handle:
                handle.write(b"x" * (8 << 20))
            written += 8 << 20
        return written
    """
    result = run(source, limits=FAST.replace(wall_seconds=5))
    blocked(result, "error")
    assert "No space left on device" in result.message


def test_one_huge_file(run: Run) -> None:
    source = """
    def run():
        with open("huge", "wb") as handle:
            while True:
                handle.write(b"x" * (1 << 20))
    """
    result = run(source, limits=FAST.replace(wall_seconds=5))
    blocked(result, "error")
    assert "File too large" in result.message or "No space left" in result.message


def test_ctypes_libc_system(run: Run, canary: Path) -> None:
    source = """
    import ctypes
    def run(path):
        return ctypes.CDLL(None).system(("touch " + path).encode())
    """
    result = run(source, {"path": str(canary)})
    blocked(result, "forbidden")
    assert not canary.exists()


def test_ctypes_raw_socket_syscall(run: Run) -> None:
    source = """
    import ctypes
    def run():
        libc = ctypes.CDLL(None, use_errno=True)
        fd = libc.syscall(41, 2, 1, 0)  # socket(AF_INET, SOCK_STREAM, 0) on x86_64
        return [fd, ctypes.get_errno()]
    """
    result = run(source)
    assert result.ok, result
    assert result.value == [-1, 1]  # refused with EPERM: no socket exists


def test_importing_the_apps_modules(run: Run) -> None:
    result = run("import backend\ndef run():\n    return backend.__file__\n")
    blocked(result, "error")
    assert result.error_type == "ModuleNotFoundError"
    source = f"""
    import sys
    def run():
        sys.path.insert(0, {str(PROJECT_ROOT)!r})
        from backend import config
        return config.get_settings().model_dump(mode="json")
    """
    result = run(source)
    blocked(result, "error", "forbidden")
    assert result.error_type in ("ModuleNotFoundError", "PermissionError")


def test_subclasses_trick(run: Run, canary: Path) -> None:
    source = """
    def run(path):
        for cls in ().__class__.__base__.__subclasses__():
            if cls.__name__ == "_wrap_close":
                system = cls.__init__.__globals__["system"]
                return system("touch " + path)
        return "no way in"
    """
    result = run(source, {"path": str(canary)})
    blocked(result, "forbidden")
    assert not canary.exists()


def test_signalling_the_parent(run: Run, pool: SandboxPool) -> None:
    result = run("import os\ndef run():\n    os.kill(os.getppid(), 9)\n    return 'sent'\n")
    blocked(result, "forbidden")
    assert result.error_type == "PermissionError"


def test_signalling_every_process(run: Run) -> None:
    source = """
    import os
    def run():
        try:
            os.kill(-1, 0)  # signal 0 only asks; a regression must not kill the machine
        except PermissionError:
            pass
        else:
            return "kill(-1) is allowed: not sending SIGKILL"
        os.kill(-1, 9)
        return "sent"
    """
    result = run(source)
    blocked(result, "forbidden")
    assert os.getpid() > 0  # still here


def test_signalling_itself_is_allowed(run: Run) -> None:
    source = """
    import os, signal
    received = []
    def run():
        signal.signal(signal.SIGUSR1, lambda number, frame: received.append(number))
        os.kill(os.getpid(), signal.SIGUSR1)
        signal.raise_signal(signal.SIGUSR1)
        return len(received)
    """
    result = run(source)
    assert result.ok and result.value == 2, result


def test_signalling_the_parent_through_sigio(run: Run, pool: SandboxPool) -> None:
    source = """
    import fcntl, os
    def run():
        fcntl.fcntl(1, fcntl.F_SETOWN, os.getppid())  # fd 1: the log pipe
        fcntl.fcntl(1, fcntl.F_SETFL, fcntl.fcntl(1, fcntl.F_GETFL) | os.O_ASYNC)
        for _ in range(100):
            os.write(1, b"x" * 1000)
        return "armed"
    """
    result = run(source)
    blocked(result, "forbidden")
    assert result.error_type == "PermissionError"


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="x86-64 system call numbers")
def test_other_system_call_abis(run: Run) -> None:
    """32-bit (int 0x80) and x32 system calls have numbers the filter doesn't list: any
    architecture but the native one kills the process."""
    x32 = """
    import ctypes
    def run():
        return ctypes.CDLL(None).syscall(0x40000000 + 41, 2, 1, 0)  # x32 socket()
    """
    int80 = """
    import ctypes, mmap
    def run():
        code = bytes([0xB8, 11, 0, 0, 0, 0xCD, 0x80, 0xC3])  # eax = 11 (execve); int 0x80
        page = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        page.write(code)
        address = ctypes.addressof(ctypes.c_char.from_buffer(page))
        return ctypes.CFUNCTYPE(ctypes.c_long)(address)()
    """
    for source in (x32, int80):
        result = run(source)
        blocked(result, "forbidden")
        assert result.error_type == "ForbiddenSystemCall"


def test_io_uring(run: Run) -> None:
    source = """
    import ctypes
    def run():
        params = ctypes.create_string_buffer(120)
        return ctypes.CDLL(None).syscall(425, 8, params)  # io_uring_setup
    """
    blocked(run(source), "forbidden")


@pytest.mark.parametrize("how", ["link", "symlink"])
def test_linking_a_host_file_into_scratch(run: Run, how: str) -> None:
    source = f"""
    import os
    def run():
        os.{how}("/etc/passwd", "passwd")
        return open("passwd").read()
    """
    result = run(source)
    blocked(result, "forbidden", "error")
    assert not leaked(result, "root:x:0:0")


def _digest(folder: Path) -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.glob("*.py"))
    }


def test_tampering_with_the_runtime_files(run: Run, pool: SandboxPool) -> None:
    copies = pool._spec.runtime_dir
    before = (_digest(copies), _digest(RUNTIME_SOURCE))
    source = """
    import os, storage
    def run():
        folder = os.path.dirname(storage.Storage.get.__code__.co_filename)
        with open(os.path.join(folder, "ops.py"), "a") as handle:
            handle.write("\\n# planted")
        return folder
    """
    result = run(source)
    blocked(result, "forbidden")
    assert (_digest(copies), _digest(RUNTIME_SOURCE)) == before


@pytest.mark.parametrize("mode", TIERS)
def test_monkeypatching_the_child_runner(tmp_path: Path, mode: str) -> None:
    """Patch every runtime function reachable from the object's frames; the next call on the
    same (only) worker is confined all the same, because each call is a fresh child."""
    attack = write_object(
        tmp_path / "attack",
        """
        import sys
        NAMES = ("child", "ops", "landlock", "seccomp_policy", "linux", "storage")
        def run():
            targets = []
            frame = sys._getframe()
            while frame is not None:
                if frame.f_globals.get("__name__") in NAMES:
                    targets.append(frame.f_globals)
                frame = frame.f_back
            for module in list(targets):
                for value in list(module.values()):
                    if getattr(value, "__name__", None) in NAMES and hasattr(value, "__dict__"):
                        targets.append(vars(value))
            for module in targets:
                for name, value in list(module.items()):
                    if callable(value) and not name.startswith("__"):
                        print("patched", module["__name__"] + "." + name)
                        module[name] = lambda *a, **k: None
            return "patched"
        """,
    )
    fork = write_object(tmp_path / "fork", "import os\ndef run():\n    return os.fork()\n")
    read = write_object(tmp_path / "read", READ)
    echo = write_object(tmp_path / "echo", ECHO)
    with start_pool(mode, size=1) as single:
        assert single.call(echo, "echo", {"value": 1}).ok
        worker = single.worker_pids()
        tampered = single.call(attack, "run", {}, limits=FAST)
        assert single.worker_pids() == worker  # the next call runs on the same worker
        # Its own call may well break (it patched the code that reports it); what it reached:
        assert "patched child.serve" in tampered.logs, tampered
        assert "patched landlock.restrict" in tampered.logs, tampered
        assert "patched seccomp_policy.build" in tampered.logs, tampered
        forked = single.call(fork, "run", {}, limits=FAST)
        blocked(forked, "forbidden")
        passwd = single.call(read, "run", {"path": "/etc/passwd"}, limits=FAST)
        blocked(passwd, "forbidden", "error")
        assert not leaked(passwd, "root:x:0:0")


def test_reading_another_objects_code(run: Run, pool: SandboxPool, tmp_path: Path) -> None:
    other = write_object(tmp_path / "other", "SECRET = 'other-objects-secret'\n" + ECHO)
    assert pool.call(other, "echo", {"value": 1}).ok
    source = """
    import os
    def run():
        cache = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        found = {}
        for entry in os.listdir(cache):
            with open(os.path.join(cache, entry, "main.py")) as handle:
                found[entry] = handle.read()
        return found
    """
    result = run(source)
    blocked(result, "forbidden")
    assert not leaked(result, "other-objects-secret")


def test_scratch_does_not_survive_the_call(run: Run) -> None:
    writer = run("def run():\n    open('note', 'w').write('left behind')\n    return 'ok'\n")
    assert writer.ok, writer
    source = """
    import os
    def run():
        return sorted(os.listdir("."))
    """
    for _ in range(4):  # whichever worker answers, its scratch is empty
        listing = run(source)
        assert listing.ok and listing.value == [], listing


def test_flooding_the_log(run: Run) -> None:
    source = """
    import sys
    def run():
        for _ in range(20000):
            print("x" * 100)
        return "done"
    """
    result = run(source)
    assert result.ok, result
    assert len(result.logs) < 70_000
    assert "more bytes of output dropped" in result.logs


def test_forging_the_result_pipe(run: Run) -> None:
    source = """
    import os
    def run():
        os.write(4, b'{"status": "ok", "value": "forged", "writes": [{"op": "put"}]}')
        os._exit(0)
    """
    result = run(source)
    assert not result.ok
    assert result.error_kind in ("output", "error")
    assert result.storage_writes == []
