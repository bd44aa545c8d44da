"""The product started as `make run` starts it (`scripts/run.py`), for tests and benchmarks
that need every process of it: the production web app and a Celery worker.

It builds the front end in `.web-product/` (REFLEX_WEB_WORKDIR), not in `.web/`, so it
neither disturbs a `make run` nor the in-process browser-test harness (`.web-tests/`).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from backend.config import PROJECT_ROOT

START_TIMEOUT = 240.0  # the production build included, on a loaded 2-core machine
WEB_WORKDIR = ".web-product"  # relative to the project root
STATES_WORKDIR = ".states-product"  # else run.py makes one per (free) port


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RunningProduct:
    process: subprocess.Popen
    frontend_url: str
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        """Ctrl-C, as a person stops `make run`; killed if it does not stop in 30 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def start_product(
    settings_env: dict[str, str], log: Path, extra_env: dict[str, str] | None = None
) -> RunningProduct:
    """Start `scripts/run.py` on a free port with these settings; returns once it serves pages.

    Raises RuntimeError (with the log's tail) if it exits or does not answer in time.
    """
    port = free_port()
    env = {
        **os.environ,
        **settings_env,
        **(extra_env or {}),
        "REFLEX_WEB_WORKDIR": WEB_WORKDIR,
        "REFLEX_STATES_WORKDIR": STATES_WORKDIR,
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
    }
    if "REDIS_URL" in settings_env:
        env.pop("REFLEX_REDIS_URL", None)  # run.py derives it from REDIS_URL, as for people
    else:
        env.pop("REDIS_URL", None)
        env.pop("REFLEX_REDIS_URL", None)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "scripts/run.py", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    product = RunningProduct(process, f"http://127.0.0.1:{port}", log)
    try:
        _wait_until_up(product)
    except BaseException:
        product.stop()
        raise
    return product


def _wait_until_up(product: RunningProduct) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if product.process.poll() is not None:
            raise RuntimeError(
                f"run.py exited with {product.process.returncode}:\n{product.log_text()[-4000:]}"
            )
        try:
            if httpx.get(f"{product.frontend_url}/login/", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise RuntimeError(
        f"the app did not answer within {START_TIMEOUT:.0f} s:\n{product.log_text()[-4000:]}"
    )
