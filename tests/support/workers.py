"""A real Celery worker process for the tests that need one (`worker_argv`, what `make run`
starts), on the settings of the environment it is given."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from backend.config import PROJECT_ROOT
from tasks.celery_app import worker_argv

WORKER_START_TIMEOUT = 30.0


@dataclass
class Worker:
    """A running worker process and what it was started with."""

    process: subprocess.Popen
    log_path: Path
    env: dict[str, str]
    broker: str

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def stop(process: subprocess.Popen) -> None:
    """Warm shutdown, then kill the whole process group (pool processes included)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(15)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # any pool process left behind
    process.wait(5)


def start_worker(
    env: dict[str, str], log_path: Path, broker: str, *, wait_ready: bool = True
) -> Worker:
    """Start a worker; by default wait until it says it is ready (it has its broker)."""
    log = log_path.open("wb")
    process = subprocess.Popen(
        worker_argv(),
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so the finalizer can end all of it
    )
    log.close()
    worker = Worker(process, log_path, env, broker)
    if not wait_ready:
        return worker
    deadline = time.monotonic() + WORKER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"worker exited with {process.returncode}:\n{worker.log_tail()}")
        if " ready." in log_path.read_text(errors="replace"):
            return worker
        time.sleep(0.1)
    stop(process)
    pytest.fail(f"worker not ready within {WORKER_START_TIMEOUT:g} s:\n{worker.log_tail()}")


def free_port() -> int:
    with contextlib.closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def redis_server(port: int, folder: Path) -> Iterator[subprocess.Popen]:
    """A Redis server of this test's own, so it can be stopped without touching anyone's."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed")
        pytest.skip("redis-server is not installed")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port, socket_connect_timeout=1)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"redis-server on port {port} did not start")
            time.sleep(0.05)
    client.close()
    try:
        yield process
    finally:
        process.terminate()
        process.wait(10)
