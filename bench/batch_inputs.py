"""What one input of a batch call costs, next to a single call per input.

The object is bench/objects/text_helpers; the function is its trivial `gcd(a, b)`. For each
sandbox tier this machine supports, in interleaved rounds (so a noisy neighbour hits all
alike), it measures:

- `call` once per input (the baseline): median ms per input;
- `call_many` of 64 inputs: ms per input (the whole batch / 64), and the marginal cost of an
  input, (batch of 64 - batch of 1) / 63, which leaves out the round trip to the worker;
- with `--trace`, the same batch of 64 with branch tracing on;
- the same per-input work as the child does it (`ops.op_call_many`) in a plain process,
  outside the sandbox: the floor the sandboxed batch is compared with.

and prints each as a ratio to the baseline.

    .venv/bin/python bench/batch_inputs.py [--tier bwrap|no-bwrap] [--rounds 20] [--trace]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.sandbox import SandboxPool, supported_modes

OBJECT_DIR = Path(__file__).resolve().parent / "objects" / "text_helpers"
RUNTIME_DIR = Path(__file__).resolve().parent.parent / "backend" / "sandbox" / "runtime"
BATCH = 64
INPUTS = [{"a": 12 * n + 6, "b": 18 * n + 4} for n in range(BATCH)]

PLAIN = textwrap.dedent(
    """
    import json, shutil, sys, tempfile, time
    source, runtime, rounds, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    code_dir = shutil.copytree(source, tempfile.mkdtemp() + "/code")
    sys.path[:0] = [code_dir, runtime]
    import ops
    ops.op_compile({}, code_dir, 0)  # as the worker does once per code version
    sys.dont_write_bytecode = True
    inputs = [{"a": 12 * n + 6, "b": 18 * n + 4} for n in range(count)]
    answers = []
    samples = []
    for _ in range(rounds):
        answers.clear()
        started = time.perf_counter()
        ops.op_call_many(
            {"functions": ["gcd"] * count, "inputs": inputs, "storage": {}}, code_dir, 1 << 16,
            before_each=lambda: None, emit=lambda answer, arcs: answers.append(answer),
        )
        samples.append((time.perf_counter() - started) * 1000 / count)
    assert all(json.loads(a)["status"] == "ok" for a in answers), answers[:2]
    shutil.rmtree(code_dir.rsplit("/", 1)[0])
    print(json.dumps(samples))
    """
)


def per_input_calls(pool: SandboxPool) -> float:
    started = time.perf_counter()
    for args in INPUTS:
        result = pool.call(OBJECT_DIR, "gcd", args)
        if not result.ok:
            raise RuntimeError(f"a call failed: {result}")
    return (time.perf_counter() - started) * 1000 / BATCH


def batch(pool: SandboxPool, inputs: list[dict[str, int]], trace: bool = False) -> float:
    """Milliseconds for one `call_many` of `inputs`."""
    started = time.perf_counter()
    results = pool.call_many(OBJECT_DIR, "gcd", inputs, trace=trace)
    elapsed = (time.perf_counter() - started) * 1000
    if not all(r.ok for r in results):
        raise RuntimeError(f"a batch input failed: {next(r for r in results if not r.ok)}")
    if trace and not all(r.arcs for r in results):
        raise RuntimeError("a traced input came back without arcs")
    return elapsed


def plain_process(rounds: int) -> float:
    """Median ms per input of the child's per-input work, in a plain process."""
    out = subprocess.run(
        [sys.executable, "-c", PLAIN, str(OBJECT_DIR), str(RUNTIME_DIR), str(rounds), str(BATCH)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return statistics.median(json.loads(out)[1:])


def measure(mode: str, rounds: int, trace: bool) -> None:
    singles: list[float] = []
    batches: list[float] = []
    ones: list[float] = []
    traced: list[float] = []
    with SandboxPool(size=1, tier=mode) as pool:
        for _ in range(3):  # warm the worker and its code cache
            per_input_calls(pool)
            batch(pool, INPUTS)
        for _ in range(rounds):
            singles.append(per_input_calls(pool))
            batches.append(batch(pool, INPUTS))
            ones.append(batch(pool, INPUTS[:1]))
            if trace:
                traced.append(batch(pool, INPUTS, trace=True))
        tier = pool.tier
    floor = plain_process(rounds)
    base = statistics.median(singles)
    whole = statistics.median(batches) / BATCH
    marginal = (statistics.median(batches) - statistics.median(ones)) / (BATCH - 1)
    print(f"tier {tier} (mode {mode}), gcd(a, b), {rounds} rounds of {BATCH} inputs")
    print(f"  call per input (baseline)      {base:7.3f} ms/input   ratio 1.00")
    print(f"  call_many of {BATCH}, per input     {whole:7.3f} ms/input   ratio {whole / base:.2f}")
    print(
        f"  call_many, marginal input      {marginal:7.3f} ms/input   ratio {marginal / base:.2f}"
    )
    if trace:
        t = statistics.median(traced) / BATCH
        print(f"  call_many traced, per input    {t:7.3f} ms/input   ratio {t / base:.2f}")
    print(f"  plain process, same work       {floor:7.3f} ms/input   ratio {floor / base:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tier", choices=["bwrap", "no-bwrap"], action="append")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--trace", action="store_true")
    args = parser.parse_args()
    modes = args.tier or supported_modes()
    if not modes:
        raise SystemExit("no sandbox tier is supported on this machine")
    for mode in modes:
        measure(mode, args.rounds, args.trace)


if __name__ == "__main__":
    main()
