"""How much a sandboxed call costs, next to starting a bare interpreter.

For each sandbox tier this machine supports, prints the median and p99 of a warm call (an
object function returning its argument) and the median of starting `python -I -c pass`, with
their ratio (goal: a warm call costs at most half a bare interpreter start), then calls per
second with one caller and with two concurrent callers (two objects, so the calls may run in
parallel, as the runtime allows for different objects).

Baseline and measured runs are interleaved in small batches, so a noisy neighbour on this
machine hits both alike.

    .venv/bin/python bench/sandbox_latency.py [--tier bwrap|no-bwrap] [--rounds 100]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.sandbox import SandboxPool, supported_modes

ECHO = "def echo(value):\n    return value\n"


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def bare_start() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-I", "-c", "pass"], check=True, env={}, close_fds=True)
    return (time.perf_counter() - started) * 1000


def warm_call(pool: SandboxPool, code: Path, value: int) -> float:
    started = time.perf_counter()
    result = pool.call(code, "echo", {"value": value})
    elapsed = (time.perf_counter() - started) * 1000
    if not result.ok or result.value != value:
        raise RuntimeError(f"the warm call failed: {result}")
    return elapsed


def throughput(pool: SandboxPool, objects: list[Path], seconds: float) -> float:
    """Calls per second with one caller per object, for `seconds`."""
    counts = [0] * len(objects)
    stop = time.monotonic() + seconds

    def caller(index: int) -> None:
        while time.monotonic() < stop:
            warm_call(pool, objects[index], index)
            counts[index] += 1

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(len(objects))]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - started)


def measure(mode: str, rounds: int, calls_per_round: int, folder: Path) -> None:
    objects = []
    for name in ("a", "b"):
        code = folder / name
        code.mkdir()
        (code / "main.py").write_text(ECHO)
        objects.append(code)
    with SandboxPool(size=2, tier=mode) as pool:
        for code in objects:  # warm both workers and their code caches
            for value in range(10):
                warm_call(pool, code, value)
        calls: list[float] = []
        starts: list[float] = []
        for round_number in range(rounds):
            starts.append(bare_start())
            for value in range(calls_per_round):
                calls.append(warm_call(pool, objects[round_number % 2], value))
        one = throughput(pool, objects[:1], 2.0)
        two = throughput(pool, objects, 2.0)
        print(f"tier {pool.tier} (mode {mode})")
        print(
            f"  warm call            median {statistics.median(calls):6.2f} ms"
            f"   p99 {percentile(calls, 0.99):6.2f} ms   ({len(calls)} calls)"
        )
        print(
            f"  python -I -c pass    median {statistics.median(starts):6.2f} ms"
            f"   p99 {percentile(starts, 0.99):6.2f} ms   ({len(starts)} starts)"
        )
        ratio = statistics.median(calls) / statistics.median(starts)
        verdict = "met" if ratio <= 0.5 else "NOT met"
        print(f"  ratio warm call / bare start: {ratio:.2f}   (goal <= 0.50: {verdict})")
        print(f"  throughput: one caller {one:6.0f} calls/s, two callers {two:6.0f} calls/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tier", choices=["bwrap", "no-bwrap"], action="append")
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--calls-per-round", type=int, default=5)
    args = parser.parse_args()
    modes = args.tier or supported_modes()
    if not modes:
        raise SystemExit("no sandbox tier is supported on this machine")
    for mode in modes:
        with tempfile.TemporaryDirectory() as folder:
            measure(mode, args.rounds, args.calls_per_round, Path(folder))


if __name__ == "__main__":
    main()
