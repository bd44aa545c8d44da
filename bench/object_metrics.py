"""What recording call metrics costs a call, and how a call compares with /api/health.

Starts the product's HTTP app (`backend.api.create_api`, the routes `make run` serves) twice
under uvicorn, each on its own data folder and SQLite database with the same public object
deployed (`echo`, returning its argument): one with METRICS_ENABLED=1 (the default), one with
METRICS_ENABLED=0. One client then sends, round after round, a call to each server and a GET
/api/health to each, interleaved, so noise on this shared machine hits all four alike. It
prints per round and over all rounds the p50 and p99 of each, and two ratios:

- metrics on / off: the call p50 with recording over the call p50 without (goal: at most
  1.05, i.e. at most 5% slower);
- call / health: the call p50 over /api/health's p50 on the same server (goal: 0.5).

Then it checks that the server with metrics on counted every measured call (after its flush).

    .venv/bin/python bench/object_metrics.py [--calls 300] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

GOAL_OVERHEAD = 1.05
GOAL_HEALTH = 0.5
ECHO = 'def echo(value: int) -> int:\n    """Return `value`."""\n    return value\n'
ECHO_TESTS = "from main import echo\n\n\ndef test_echo():\n    assert echo(3) == 3\n"


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _cli(env: dict[str, str], *args: str, cwd: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "backend", *args], cwd=cwd, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: exit {done.returncode}: {done.stderr.strip()}")


def start_server(data: Path, *, metrics: bool) -> tuple[subprocess.Popen, str]:
    """The API on a fresh data folder and SQLite database, with `echo` deployed and public."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATA_DIR": str(data),
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "PUBLIC_BASE_URL": base,
        "METRICS_ENABLED": "1" if metrics else "0",
    }
    work = data / "work"
    work.mkdir(parents=True)
    (work / "main.py").write_text(ECHO)
    (work / "test_main.py").write_text(ECHO_TESTS)
    _cli(env, "objects", "create", "--slug", "echo", "--name", "Echo", "--file", "main.py",
         "--file", "test_main.py", cwd=work)  # fmt: skip
    _cli(env, "objects", "visibility", "echo", "public", cwd=work)
    _cli(env, "objects", "deploy", "echo", cwd=work)
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "backend.api:create_api",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/health", timeout=2).status_code in (200, 503):
                return server, base
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the server did not start")


def one(client: httpx.Client, kind: str, value: int) -> float:
    started = time.perf_counter()
    if kind == "call":
        answer = client.post("/api/objects/echo/echo", json={"value": value})
        assert answer.status_code == 200 and answer.json() == {"result": value}, answer.text
    else:
        answer = client.get("/api/health")
        assert answer.status_code in (200, 503), answer.text
    return (time.perf_counter() - started) * 1000


def run_round(clients: dict[str, httpx.Client], calls: int) -> dict[str, list[float]]:
    """`calls` of each kind on each server, interleaved one by one."""
    times: dict[str, list[float]] = {f"{s} {k}": [] for s in clients for k in ("call", "health")}
    for value in range(calls):
        for server, client in clients.items():
            for kind in ("call", "health"):
                times[f"{server} {kind}"].append(one(client, kind, value))
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=300, help="per kind, server and round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as on_dir, tempfile.TemporaryDirectory() as off_dir:
        servers = {
            "on": start_server(Path(on_dir), metrics=True),
            "off": start_server(Path(off_dir), metrics=False),
        }
        try:
            clients = {
                name: httpx.Client(base_url=base, timeout=30) for name, (_, base) in servers.items()
            }
            run_round(clients, 30)  # warm-up: sandbox workers, connections, caches
            rounds = [run_round(clients, args.calls) for _ in range(args.rounds)]
            for client in clients.values():
                client.close()
            time.sleep(4)  # METRICS_FLUSH_SECONDS (3 s): the last calls are written
            counted = _counted(Path(on_dir))
        finally:
            for server, _ in servers.values():
                server.terminate()
                server.wait(timeout=30)
    _report(rounds, args, counted)
    return 0


def _counted(data: Path) -> int:
    """Calls the metrics-on server recorded for `echo` (read from its database)."""
    import sqlite3

    with sqlite3.connect(data / "app.db") as connection:
        (total,) = connection.execute(
            "SELECT coalesce(sum(calls), 0) FROM object_call_minute"
        ).fetchone()
    return int(total)


def _report(rounds: list[dict[str, list[float]]], args: argparse.Namespace, counted: int) -> None:
    kinds = list(rounds[0])
    print(f"{args.rounds} rounds of {args.calls} requests per kind and server, one client")
    print("(this machine is shared with other jobs: compare within a round, not across runs)")
    header = "round  " + "  ".join(f"{k + ' p50':>14}" for k in kinds)
    header += "  on/off call  call/health(on)  call/health(off)"
    print(header)
    every: dict[str, list[float]] = {k: [] for k in kinds}
    for index, times in enumerate(rounds, 1):
        p50 = {k: statistics.median(v) for k, v in times.items()}
        for k, v in times.items():
            every[k].extend(v)
        print(_line(str(index), p50))
    p50 = {k: statistics.median(v) for k, v in every.items()}
    print(_line("all", p50))
    print(
        "p99 over all rounds: "
        + ", ".join(f"{k} {percentile(v, 0.99):.2f} ms" for k, v in every.items())
    )
    overhead = p50["on call"] / p50["off call"]
    health = p50["on call"] / p50["on health"]
    met = "met" if overhead <= GOAL_OVERHEAD else "missed"
    print(f"metrics on/off, call p50: {overhead:.3f} (goal <= {GOAL_OVERHEAD}: {met})")
    met = "met" if health <= GOAL_HEALTH else "missed"
    print(f"call p50 / /api/health p50 (metrics on): {health:.2f} (goal {GOAL_HEALTH}: {met})")
    expected = 30 + args.calls * args.rounds
    print(f"calls counted by the metrics-on server: {counted} of {expected}")


def _line(label: str, p50: dict[str, float]) -> str:
    cells = "  ".join(f"{v:>11.2f} ms" for v in p50.values())
    on_off = p50["on call"] / p50["off call"]
    on_health, off_health = p50["on call"] / p50["on health"], p50["off call"] / p50["off health"]
    return f"{label:<5}  {cells}  {on_off:>11.3f}  {on_health:>15.2f}  {off_health:>16.2f}"


if __name__ == "__main__":
    raise SystemExit(main())
