"""How long a signed SMS webhook takes, next to a trivial route on the same server.

Starts the product's HTTP app (`backend.api.create_api`, the routes `make run` serves) under
uvicorn on its own data folder, with Twilio configured and 20 people with verified numbers,
then 20 concurrent clients each alternate two requests: a signed SMS webhook saying "help"
(signature check, retry check, caller lookup, rate limit, the answer, the Interaction row)
and a trivial route (an unknown /api/ path, answered by the JSON 404 catch-all without
touching the database). Both kinds run interleaved on the same connections, so noise on this
shared machine hits them alike. Prints p50 and p99 of each and their ratio (goal: at most 2x
at p50), then the grammar's parse time per utterance over the test corpus.

    .venv/bin/python bench/webhook_latency.py [--requests 600] [--clients 20]
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

TOKEN = "bench-auth-token-0123456789abcdef"
SID = "AC" + "0123456789abcdef" * 2


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(data: Path, clients: int) -> tuple[subprocess.Popen, str, list[str]]:
    """The API under uvicorn on a fresh data folder, with `clients` verified numbers."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATA_DIR": str(data),
        "DATABASE_URL": "",
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
        await asyncio.gather(*(client(number, http) for number in numbers))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600, help="SMS webhooks in all")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--url", help="a running app instead of one started here")
    parser.add_argument("--from", dest="sender", help="a verified number (with --url)")
    args = parser.parse_args()

    server = None
    with tempfile.TemporaryDirectory() as data:
        if args.url:
            base, numbers = args.url.rstrip("/"), [args.sender] * args.clients
            token = os.environ["TWILIO_AUTH_TOKEN"]
        else:
            server, base, numbers = start_server(Path(data), args.clients)
            token = TOKEN
        try:
            asyncio.run(run(base, numbers, args.clients * 5, token))  # warm-up
            times = asyncio.run(run(base, numbers, args.requests, token))
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=10)
    sms, trivial = times["sms"], times["trivial"]
    print(f"{len(sms)} signed SMS webhooks and {len(trivial)} trivial requests, "
          f"{args.clients} concurrent clients")  # fmt: skip
    print(f"{'':18}{'p50 ms':>10}{'p99 ms':>10}")
    for name, samples in (("SMS webhook", sms), ("trivial route", trivial)):
        print(f"{name:18}{percentile(samples, 0.5):10.2f}{percentile(samples, 0.99):10.2f}")
    p50 = percentile(sms, 0.5) / percentile(trivial, 0.5)
    p99 = percentile(sms, 0.99) / percentile(trivial, 0.99)
    print(f"{'ratio':18}{p50:10.2f}{p99:10.2f}   (goal: at most 2x)")
    print(f"mean SMS webhook {statistics.mean(sms):.2f} ms")
    per = parse_time()
    share = per / 1000 / percentile(sms, 0.5)
    print(f"grammar parse: {per:.0f} us per utterance ({share:.1%} of an SMS webhook's p50)")


if __name__ == "__main__":
    main()
