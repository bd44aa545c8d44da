"""How long a signed SMS webhook takes, next to a trivial route on the same server.

Starts the product's HTTP app (`backend.api.create_api`, the routes `make run` serves) under
uvicorn on its own data folder and database (SQLite, or a fresh PostgreSQL database made for
the run and dropped after), with Twilio configured and 20 people with verified numbers, then
20 concurrent clients each alternate two requests: a signed SMS webhook saying "help"
(signature check, retry check, caller lookup, rate limit, the answer, the Interaction row and
the retry receipt) and a trivial route (an unknown /api/ path, answered by the JSON 404
catch-all without touching the database). Both kinds run interleaved on the same
connections, so noise on this shared machine hits them alike: what counts is their ratio in
the same round, not the absolute times. Each database gets `--rounds` measured rounds; the
table shows every round's p50 and p99, their ratios (goal: at most 5x at p50) and the SMS
webhooks answered per second (both kinds share the round) and the server's CPU time per pair
of requests (an SMS webhook and a trivial one: less noisy than times), then the grammar's
parse time per utterance over the test corpus.

    .venv/bin/python bench/webhook_latency.py [--requests 600] [--clients 20] [--rounds 3]
    .venv/bin/python bench/webhook_latency.py --database postgresql   # or: both
      (PostgreSQL: a throwaway database on --postgres-url's server, default 127.0.0.1:5432)
    .venv/bin/python bench/webhook_latency.py --url http://127.0.0.1:3000   # a running app
      (then TWILIO_AUTH_TOKEN, PUBLIC_BASE_URL and --from NUMBER must match that app)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import create_engine  # noqa: E402
from sqlalchemy import text as sql  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

TOKEN = "bench-auth-token-0123456789abcdef"
SID = "AC" + "0123456789abcdef" * 2
POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
GOAL = 5.0


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database on `admin_url`'s server, dropped afterwards."""
    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sql(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def start_server(
    data: Path, database_url: str, clients: int
) -> tuple[subprocess.Popen, str, list[str]]:
    """The API under uvicorn on a fresh data folder and database (an empty `database_url`:
    SQLite in the data folder), with `clients` verified numbers."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATA_DIR": str(data),
        "DATABASE_URL": database_url,
        "REDIS_URL": "",
        "TWILIO_ACCOUNT_SID": SID,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_PHONE_NUMBER": "+15550009999",
        "PUBLIC_BASE_URL": base,
        # Each client sends far more than a person would: measure the work, not the limit.
        "PHONE_RATE_LIMIT_PER_MINUTE": "100000000",
    }
    numbers = [f"+1555{4000000 + n:07d}" for n in range(clients)]
    for n, number in enumerate(numbers):
        subprocess.run(
            [sys.executable, "-m", "backend", "users", "add", "--name", f"Bench {n}",
             "--email", f"bench{n}@example.com", "--phone", number],
            cwd=ROOT, env=env, check=True, capture_output=True,
        )  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "backend.api:create_api",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/api/health", timeout=1)
            return server, base, numbers
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("the server did not start")


async def run(base: str, numbers: list[str], requests: int, token: str) -> dict[str, list[float]]:
    validator = RequestValidator(token)
    times: dict[str, list[float]] = {"sms": [], "trivial": []}
    per_client = max(1, requests // len(numbers))
    limits = httpx.Limits(max_connections=len(numbers))

    async def client(number: str, http: httpx.AsyncClient) -> None:
        for _ in range(per_client):
            for kind in ("sms", "trivial"):
                started = time.perf_counter()
                if kind == "sms":
                    params = {"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": SID,
                              "From": number, "To": "+15550009999", "Body": "help"}  # fmt: skip
                    signature = validator.compute_signature(f"{base}/webhooks/sms", params)
                    answer = await http.post(
                        "/webhooks/sms", data=params, headers={"X-Twilio-Signature": signature}
                    )
                    assert answer.status_code == 200 and "<Message>" in answer.text, answer.text
                else:
                    answer = await http.get("/api/bench-nothing-here")
                    assert answer.status_code == 404
                times[kind].append((time.perf_counter() - started) * 1000)

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(number, http) for number in numbers))
        times["seconds"] = [time.perf_counter() - started]
    return times


def parse_time() -> float:
    """Microseconds per utterance of the grammar over the test corpus (after a warm-up)."""
    from backend.commands import parse_grammar

    corpus = ROOT / "tests" / "data" / "commands_corpus.jsonl"
    texts = [json.loads(line)["text"] for line in corpus.read_text().splitlines() if line]
    for text in texts:
        parse_grammar(text)
    rounds = 20
    started = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            parse_grammar(text)
    return (time.perf_counter() - started) / (rounds * len(texts)) * 1e6


def cpu_seconds(pid: int | None) -> float:
    """CPU time (user and system) the process `pid` has used so far; 0 where unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    base: str, numbers: list[str], args: argparse.Namespace, token: str, pid: int | None = None
) -> list[dict[str, list[float]]]:
    """A warm-up, then `args.rounds` rounds: each round's samples of both kinds, its length
    and the server's CPU time (when `pid`, the server's, is known)."""
    asyncio.run(run(base, numbers, args.clients * 5, token))
    rounds = []
    for _ in range(args.rounds):
        before = cpu_seconds(pid)
        times = asyncio.run(run(base, numbers, args.requests, token))
        times["cpu"] = [cpu_seconds(pid) - before]
        rounds.append(times)
    return rounds


def on_database(name: str, args: argparse.Namespace) -> list[dict[str, list[float]]]:
    """Start the API on a fresh `name` database ("sqlite" or "postgresql") and measure it."""
    with tempfile.TemporaryDirectory() as data:
        database = postgres_database(args.postgres_url) if name == "postgresql" else None
        with database or nullcontext("") as url:
            server, base, numbers = start_server(Path(data), url, args.clients)
            try:
                return measure(base, numbers, args, TOKEN, server.pid)
            finally:
                server.terminate()
                server.wait(timeout=10)


def report(name: str, rounds: list[dict[str, list[float]]], clients: int) -> list[float]:
    """Print each round's p50/p99 of both kinds and their ratios; the p50 ratios."""
    print(f"\n{name}: {len(rounds[0]['sms'])} signed SMS webhooks and as many trivial "
          f"requests per round, {clients} concurrent clients")  # fmt: skip
    print(f"{'round':>6}{'SMS p50':>10}{'p99':>9}{'trivial p50':>13}{'p99':>9}"
          f"{'ratio p50':>11}{'p99':>7}{'SMS/s':>8}{'CPU ms':>8}")  # fmt: skip
    ratios = []
    for n, times in enumerate(rounds, 1):
        sms, trivial = times["sms"], times["trivial"]
        s50, s99 = percentile(sms, 0.5), percentile(sms, 0.99)
        t50, t99 = percentile(trivial, 0.5), percentile(trivial, 0.99)
        ratios.append(s50 / t50)
        rate = len(sms) / times["seconds"][0]
        cpu = times["cpu"][0] / len(sms) * 1000 if times.get("cpu") else float("nan")
        print(f"{n:>6}{s50:10.2f}{s99:9.2f}{t50:13.2f}{t99:9.2f}{s50 / t50:11.2f}"
              f"{s99 / t99:7.2f}{rate:8.0f}{cpu:8.2f}")  # fmt: skip
    verdict = "within" if max(ratios) <= GOAL else "OVER"
    print(f"p50 ratio {min(ratios):.2f} to {max(ratios):.2f} (median "
          f"{statistics.median(ratios):.2f}): {verdict} the goal of {GOAL:g}x")  # fmt: skip
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600, help="SMS webhooks per round")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds per database")
    parser.add_argument(
        "--database", choices=["sqlite", "postgresql", "both"], default="sqlite",
        help="where the started app keeps its data (postgresql: a throwaway database)",
    )  # fmt: skip
    parser.add_argument(
        "--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", POSTGRES_ADMIN_URL),
        help="an admin URL of the PostgreSQL server to make the throwaway database on",
    )  # fmt: skip
    parser.add_argument("--url", help="a running app instead of one started here")
    parser.add_argument("--from", dest="sender", help="a verified number (with --url)")
    args = parser.parse_args()

    if args.url:
        numbers = [args.sender] * args.clients
        token = os.environ["TWILIO_AUTH_TOKEN"]
        results = {args.url: measure(args.url.rstrip("/"), numbers, args, token)}
    else:
        names = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
        results = {name: on_database(name, args) for name in names}
    medians = []
    for name, rounds in results.items():
        report(name, rounds, args.clients)
        medians.append(statistics.median(percentile(r["sms"], 0.5) for r in rounds))
    per = parse_time()
    share = per / 1000 / min(medians)
    print(f"\ngrammar parse: {per:.0f} us per utterance ({share:.1%} of an SMS webhook's p50)")


if __name__ == "__main__":
    main()
