"""The product run as README's "Running several processes" runs it, for tests of a cluster.

`start_cluster` starts every line of the repository's `Procfile` (two web processes, the worker
that runs beat, one more worker), each with the Procfile's own command line run by a shell
with its own `$PORT`, as a process manager (honcho, foreman) would. Around them:

- a fresh PostgreSQL database (the roles migrate it themselves, at the same time, as they
  do on a first deploy);
- a `redis-server` of its own on a free port, without persistence, which the tests may stop,
  start again and flush (`RedisServer`);
- an SMTP sink (`Mailbox`, aiosmtpd) configured as the product's mail server;
- its own DATA_DIR and SECRET_KEY (what every host of a real deployment shares).

The web processes build into fixed folders (`.web-cluster-<name>`, ignored by git), so a
second run reuses their installed packages and only rebuilds the pages.

Processes run in their own process groups: `Cluster.kill` is a `kill -9` of a role and all
it started (a crashed machine), `Cluster.start_role` starts it again. `Cluster.stop` ends
everything with SIGTERM first, then SIGKILL, and removes the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from backend import config, db
from backend.config import PROJECT_ROOT

PROCFILE = PROJECT_ROOT / "Procfile"
#: A web process's first start builds its pages (production build); a later one rebuilds.
WEB_START_TIMEOUT = 240.0
WORKER_START_TIMEOUT = 90.0
STOP_GRACE_SECONDS = 20.0
FROM_EMAIL = "alerts@cluster.example.com"
_PROCFILE_LINE = re.compile(r"^([A-Za-z0-9_-]+):\s*(.+)$")


def procfile_commands(path: Path = PROCFILE) -> dict[str, str]:
    """The Procfile's process types and their command lines, in file order (what honcho and
    foreman read: `name: command`, other lines ignored)."""
    commands = {}
    for line in path.read_text().splitlines():
        match = _PROCFILE_LINE.match(line.strip())
        if match:
            commands[match.group(1)] = match.group(2)
    return commands


def is_web(command: str) -> bool:
    """Whether a Procfile command starts a web process (it serves on `$PORT`)."""
    return "--only web" in command


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def required_tool(name: str) -> str:
    """The path of a program the cluster needs; skipped without it (a failure under CI)."""
    path = shutil.which(name)
    if path is None:
        reason = f"{name} is not installed"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


# --- Redis ------------------------------------------------------------------------------------


@dataclass
class RedisServer:
    """A `redis-server` of the tests' own on `port`, without persistence (`--save ''`,
    `--appendonly no`): stopping it loses what it held, as a Redis restart without AOF does."""

    port: int
    folder: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> None:
        """Start it (again, on the same port) and return once it answers."""
        assert self.process is None or self.process.poll() is not None, "already running"
        self.folder.mkdir(parents=True, exist_ok=True)
        argv = [required_tool("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        with (self.folder / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server on port {self.port} did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop it (SIGTERM; it saves nothing) and wait until it is gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def answers(self) -> bool:
        try:
            with redis.Redis.from_url(self.url, socket_connect_timeout=0.5) as client:
                return bool(client.ping())
        except redis.RedisError:
            return False

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_connect_timeout=2, socket_timeout=5)

    def flushall(self) -> None:
        """`FLUSHALL`: every queued message and all of Reflex's state is gone."""
        with self.client() as client:
            client.flushall()


# --- SMTP -------------------------------------------------------------------------------------


class Mailbox:
    """An aiosmtpd handler that keeps every message it is given (thread-safe to read)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self._messages.append(message)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return list(self._messages)

    def wait_for(
        self, predicate: Callable[[list[EmailMessage]], bool], timeout: float
    ) -> list[EmailMessage]:
        """The messages once `predicate(messages)` holds; fails the test after `timeout`."""
        deadline = time.monotonic() + timeout
        while not predicate(messages := self.messages):
            if time.monotonic() > deadline:
                pytest.fail(f"mail not as expected after {timeout:g} s: {len(messages)} messages")
            time.sleep(0.2)
        return messages


@contextlib.contextmanager
def smtp_sink() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on 127.0.0.1 (no login, no TLS); yields its mailbox and port."""
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, loop=asyncio.new_event_loop())
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


# --- PostgreSQL -------------------------------------------------------------------------------


def create_database(admin_url: str) -> str:
    """A new, empty database on the server of `admin_url`; its URL."""
    name = f"dobj_cluster_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, url: str) -> None:
    name = make_url(url).database
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# --- the processes ----------------------------------------------------------------------------


@dataclass
class Role:
    """One Procfile line and the process running it (if any)."""

    name: str
    command: str
    log: Path
    port: int | None = None
    process: subprocess.Popen | None = None
    #: Where the log stood when the process last started (its earlier runs come before).
    log_start: int = 0

    @property
    def url(self) -> str:
        assert self.port is not None, f"{self.name} is not a web process"
        return f"http://127.0.0.1:{self.port}"

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, characters: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-characters:] if self.log.exists() else ""


@dataclass
class Cluster:
    """The product's processes, their services, and what the tests do to them."""

    env: dict[str, str]
    roles: dict[str, Role]
    redis: RedisServer
    mailbox: Mailbox
    database_url: str
    data_dir: Path
    folder: Path
    _cleanups: list[Callable[[], None]] = field(default_factory=list)

    # -- what is running ------------------------------------------------------------------

    @property
    def web(self) -> list[Role]:
        return [role for role in self.roles.values() if role.port is not None]

    @property
    def workers(self) -> list[Role]:
        return [role for role in self.roles.values() if role.port is None]

    @property
    def web_urls(self) -> list[str]:
        return [role.url for role in self.web]

    # -- starting and stopping roles ------------------------------------------------------

    def start_role(self, name: str) -> Role:
        """Start a Procfile line (again) as a process manager does: `sh -c` in the checkout,
        with `$PORT` set for a web process. Returns at once; see `wait_ready`."""
        role = self.roles[name]
        assert not role.running(), f"{name} is running already"
        env = dict(self.env)
        if role.port is not None:
            env["PORT"] = str(role.port)
            # Fixed folders, so later runs reuse what the first one installed.
            env["REFLEX_WEB_WORKDIR"] = f".web-cluster-{name}"
            env["REFLEX_STATES_WORKDIR"] = f".states-cluster-{name}"
        role.log_start = role.log.stat().st_size if role.log.exists() else 0
        with role.log.open("ab") as log:
            role.process = subprocess.Popen(
                ["/bin/sh", "-c", f"exec {role.command}"],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: the role and all it starts
            )
        return role

    def wait_ready(self, name: str, timeout: float | None = None) -> None:
        """Until the role serves: a web process answers /api/health, a worker logs ready."""
        role = self.roles[name]
        is_web_role = role.port is not None
        limit = timeout or (WEB_START_TIMEOUT if is_web_role else WORKER_START_TIMEOUT)
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if not role.running():
                raise RuntimeError(f"{name} exited:\n{role.log_tail()}")
            if is_web_role:
                if self.web_answers(role):
                    return
            elif " ready." in role.log.read_bytes()[role.log_start :].decode(errors="replace"):
                return
            time.sleep(0.5)
        raise RuntimeError(f"{name} not ready within {limit:g} s:\n{role.log_tail()}")

    def restart(self, name: str) -> None:
        """Start a role that was stopped or killed, and wait until it serves."""
        self.start_role(name)
        self.wait_ready(name)

    def web_answers(self, role: Role) -> bool:
        try:
            return httpx.get(f"{role.url}/api/health", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self, name: str) -> None:
        """`kill -9` of the role and everything it started (its pool, its sandbox)."""
        role = self.roles[name]
        if role.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(role.process.pid, signal.SIGKILL)
        role.process.wait(10)

    def stop_role(self, name: str) -> None:
        """SIGTERM, as a process manager stops a role; SIGKILL for what is left after
        STOP_GRACE_SECONDS."""
        role = self.roles[name]
        if role.process is None:
            return
        if role.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(role.process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            role.process.wait(STOP_GRACE_SECONDS)
        self.kill(name)

    def stop(self) -> None:
        """Every role, then Redis, the SMTP sink and the database."""
        for name in self.roles:
            if self.roles[name].running():
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.roles[name].process.pid, signal.SIGTERM)
        for name in self.roles:
            self.stop_role(name)
        self.redis.stop()
        while self._cleanups:
            with contextlib.suppress(Exception):
                self._cleanups.pop()()

    # -- acting on the product ------------------------------------------------------------

    def cli(self, command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """`python -m backend COMMAND` (the documented command line; COMMAND is split as a
        shell would) on the cluster's settings."""
        args = shlex.split(command)
        result = subprocess.run(
            [sys.executable, "-m", "backend", *args],
            cwd=PROJECT_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"backend {' '.join(args)} failed:\n{result.stderr}")
        return result

    def python(self, code: str) -> str:
        """Run `code` in a fresh Python process on the cluster's settings (as a backend
        service called from another host would); its standard output."""
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=PROJECT_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            raise AssertionError(f"python -c failed:\n{result.stderr}")
        return result.stdout

    def role_holding(self, pid: int) -> Role | None:
        """The role whose process group holds process `pid` (a worker's pool process)."""
        try:
            group = os.getpgid(pid)
        except ProcessLookupError:
            return None
        return next((r for r in self.roles.values() if r.process and r.process.pid == group), None)

    @contextlib.contextmanager
    def settings(self) -> Iterator[None]:
        """The test process's own settings pointed at the cluster's database and data, to
        read rows (or call a backend service) in-process; put back afterwards."""
        names = ("DATABASE_URL", "DATA_DIR", "REDIS_URL", "CELERY_QUEUE", "SECRET_KEY")
        with pytest.MonkeyPatch.context() as patch:
            for name in names:
                patch.setenv(name, self.env[name])
            config.reload_settings()
            db._engine_for.cache_clear()
            try:
                yield
            finally:
                db.get_engine().dispose()
                db._engine_for.cache_clear()
        config.reload_settings()

    def logs(self) -> str:
        """Every role's log tail, for a failure message."""
        return "\n".join(f"--- {r.name} ---\n{r.log_tail(2000)}" for r in self.roles.values())


def start_cluster(
    folder: Path,
    postgres_admin_url: str,
    extra_env: dict[str, str] | None = None,
    when_workers_ready: Callable[[Cluster], None] | None = None,
) -> Cluster:
    """Start the Procfile's processes on fresh services; returns once all of them serve.

    All of them start at once (and migrate the new database together, as on a first
    deploy). `when_workers_ready(cluster)` runs once the workers are ready (the schema is
    there) while the web processes still build their pages: the place for set-up through
    the command line. Stops whatever it started if any of it fails to come up.
    """
    redis_server = RedisServer(free_port(), folder / "redis")
    cleanups: list[Callable[[], None]] = []
    try:
        redis_server.start()
        sink = smtp_sink()
        mailbox, smtp_port = sink.__enter__()
        cleanups.append(lambda: sink.__exit__(None, None, None))
        database_url = create_database(postgres_admin_url)
        cleanups.append(lambda: drop_database(postgres_admin_url, database_url))
        data_dir = folder / "data"
        env = cluster_environment(data_dir, database_url, redis_server.url, smtp_port)
        env.update(extra_env or {})
        roles = {}
        for name, command in procfile_commands().items():
            port = free_port() if is_web(command) else None
            roles[name] = Role(name, command, folder / f"{name}.log", port)
        cluster = Cluster(
            env, roles, redis_server, mailbox, database_url, data_dir, folder, cleanups
        )
    except BaseException:
        redis_server.stop()
        for cleanup in reversed(cleanups):
            cleanup()
        raise
    try:
        for name in roles:
            cluster.start_role(name)
        for role in cluster.workers:
            cluster.wait_ready(role.name)
        if when_workers_ready is not None:
            when_workers_ready(cluster)
        for role in cluster.web:
            cluster.wait_ready(role.name)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def cluster_environment(
    data_dir: Path, database_url: str, redis_url: str, smtp_port: int
) -> dict[str, str]:
    """The settings every process of the cluster shares (as every host of a deployment)."""
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_QUEUE": f"cluster-{uuid.uuid4().hex[:8]}",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SMTP_USERNAME": "",
        "FROM_EMAIL": FROM_EMAIL,
        "PYTHONUNBUFFERED": "1",
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    }
    # Derived by the run script (REFLEX_REDIS_URL) or left to its defaults (each web process
    # bakes its own port into its pages): nothing from the test run's own environment.
    for name in (
        "REFLEX_REDIS_URL",
        "REFLEX_API_URL",
        "REFLEX_WEB_WORKDIR",
        "REFLEX_STATES_WORKDIR",
        "PUBLIC_BASE_URL",
        "PORT",
        "CELERY_IMPORTS",
    ):
        env.pop(name, None)
    return env
