"""scripts/run.py (`make run`): what its log shows, without starting the whole product."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from backend import config
from backend.config import PROJECT_ROOT
from tasks.celery_app import prepare_broker
from tests.support.cluster import RedisServer, free_port, required_tool

_spec = importlib.util.spec_from_file_location("run_script", PROJECT_ROOT / "scripts" / "run.py")
run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run)


def test_a_fresh_web_folder_is_set_up_without_the_next_steps_hint(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """On a fresh clone `reflex run` would set the web folder up itself and end that step
    with "Run `uv run reflex run` to start the app", while the app is starting already."""
    workdir = f".web-run-test-{uuid.uuid4().hex[:8]}"  # relative to the project root
    monkeypatch.setenv("REFLEX_WEB_WORKDIR", workdir)
    env = run.child_environment()
    # Reflex's set-up rewrites reflex.lock/ (the same pins, another layout): put it back.
    locks = {path: path.read_bytes() for path in (PROJECT_ROOT / "reflex.lock").glob("*")}
    try:
        assert run.prepare_web(env) is True
        out, err = capfd.readouterr()
        assert "reflex run" not in out + err
        assert "run: web folder set up" in out
        assert (PROJECT_ROOT / workdir).is_dir()
        # What `reflex run` checks before setting the folder up (and printing the hint).
        assert run.prepare_web(env) is False
    finally:
        shutil.rmtree(PROJECT_ROOT / workdir, ignore_errors=True)
        for path, content in locks.items():
            path.write_bytes(content)


# --- run roles (README "Running several processes") ----------------------------------------


def test_each_role_has_its_command() -> None:
    web = run.parse_args(["--only", "web", "--port", "3001"])
    assert run.role_argv(web)[-5:] == ["run", "--env", "prod", "--frontend-port", "3001"]

    worker = run.role_argv(run.parse_args(["--only", "worker"]))
    beat = run.role_argv(run.parse_args(["--only", "worker", "--beat"]))
    assert "--beat" not in worker and beat[-1] == "--beat"
    # A node name of its own (the run script execs the worker: its pid is the worker's).
    assert worker[worker.index("-n") + 1] == f"worker-{os.getpid()}@%h"

    # The older spelling of a web-only start still works.
    assert run.parse_args(["--no-worker"]).only == "web"
    # Without --only: `make run`, both in one, and that worker runs beat.
    both = run.commands(3000)
    assert set(both) == {"web", "worker"} and both["worker"][-1] == "--beat"


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--beat"], "--beat goes with --only worker"),
        (["--only", "web", "--beat"], "--beat goes with --only worker"),
        (["--no-worker", "--only", "worker"], "contradict"),
    ],
)
def test_contradicting_roles_are_refused(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run.parse_args(argv)
    assert exit_info.value.code == 2
    assert said in capsys.readouterr().err


def test_each_web_process_gets_its_own_folders_and_websocket_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("REFLEX_WEB_WORKDIR", "REFLEX_STATES_WORKDIR", "REFLEX_API_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.chdir(PROJECT_ROOT / "tests")  # no .env file here
    config.reload_settings()
    first, second = run.web_environment({}, 3000), run.web_environment({}, 3001)
    assert (first["REFLEX_WEB_WORKDIR"], second["REFLEX_WEB_WORKDIR"]) == (".web-3000", ".web-3001")
    assert (first["REFLEX_STATES_WORKDIR"], second["REFLEX_STATES_WORKDIR"]) == (
        ".states-3000",
        ".states-3001",
    )
    # Nothing set: Reflex's default, the process's own port.
    assert "REFLEX_API_URL" not in first

    # The address people use (behind a load balancer) when it is given.
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://objects.example.com/")
    config.reload_settings()
    assert run.web_environment({}, 3001)["REFLEX_API_URL"] == "https://objects.example.com"
    # What is set explicitly stays.
    explicit = {"REFLEX_API_URL": "http://10.0.0.5:3001", "REFLEX_WEB_WORKDIR": "/srv/web"}
    kept = run.web_environment(explicit, 3001)
    assert kept["REFLEX_API_URL"] == "http://10.0.0.5:3001"
    assert kept["REFLEX_WEB_WORKDIR"] == "/srv/web"


def test_the_data_folder_is_created_whatever_the_broker(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With PostgreSQL and Redis set nothing else creates DATA_DIR, and beat's schedule
    file lives there: beat failed at start on a fresh clone."""
    data_dir = tmp_path / "fresh" / "data"
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    settings = config.reload_settings()
    prepare_broker(settings)  # what the Celery app does when a worker (or beat) loads it
    assert data_dir.is_dir()
    data_dir.rmdir()
    run.prepare_data_dir()  # what every role does first
    assert data_dir.is_dir()


def test_a_web_process_waits_for_its_redis(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Reflex exits at once when its Redis does not answer; a web role waits and says so."""
    required_tool("redis-server")  # skipped without it (a failure under CI)
    monkeypatch.setattr(run, "REDIS_RETRY_SECONDS", 0.2)
    monkeypatch.setattr(run, "REDIS_SAY_EVERY_SECONDS", 0.5)
    server = RedisServer(free_port(), tmp_path)
    late = threading.Timer(1.5, server.start)
    late.start()
    try:
        run.wait_for_redis(server.url)
        out = capsys.readouterr().out
        # Answering but refusing is not worth waiting for; no password reaches the log.
        with pytest.raises(SystemExit) as refused:
            run.wait_for_redis(f"redis://:hunter2@127.0.0.1:{server.port}/0")
    finally:
        late.join()
        server.stop()
    waiting = [line for line in out.splitlines() if "does not answer" in line]
    assert len(waiting) >= 2, out  # said again while it waited
    assert server.url in waiting[0]
    assert "run: Redis answers after" in out
    assert "refused us" in str(refused.value) and "hunter2" not in str(refused.value)


def test_a_web_role_started_while_redis_is_down_waits_then_goes_on(tmp_path: Path) -> None:
    """The role as the Procfile starts it: it says that it waits, does not exit, and goes on
    once Redis answers (stopped here, before its production build)."""
    required_tool("redis-server")
    server = RedisServer(free_port(), tmp_path / "redis")
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path / "data"),  # does not exist yet: the role creates it
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "REDIS_URL": server.url,
        "REFLEX_WEB_WORKDIR": str(tmp_path / "web"),
        "REFLEX_STATES_WORKDIR": str(tmp_path / "states"),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REFLEX_REDIS_URL", None)
    log_path = tmp_path / "web.log"
    command = [sys.executable, "scripts/run.py", "--only", "web", "--port", str(free_port())]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_for_line(text: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in log_path.read_text(errors="replace"):
            assert process.poll() is None, f"it exited:\n{log_path.read_text()}"
            assert time.monotonic() < deadline, f"no {text!r}:\n{log_path.read_text()}"
            time.sleep(0.1)

    try:
        wait_for_line("does not answer")
        time.sleep(1)
        assert process.poll() is None, "a web process must not exit while Redis is down"
        assert (tmp_path / "data").is_dir()
        server.start()
        wait_for_line("run: Redis answers after")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
        server.stop()
