"""How long the evaluator (no LLM) takes on a change, next to running its tests with pytest.

The object is bench/objects/text_helpers (200 lines, 20 tests); the change is a
behaviour-keeping refactor of four of its functions. One evaluation is what the pipeline
runs per attempt without an LLM: factuality (the 20 tests in the sandbox, each in its own
confined process, plus the differential check of every exported function against the
parent), preference and constraints. The baseline is `python -m pytest` on the same files
in a subprocess. Runs are interleaved (evaluation, pytest, evaluation, ...) so a noisy
neighbour hits both alike; the first evaluation (starting the sandbox pool) is
reported apart. Each evaluation starts with the parent's outcomes forgotten;
a third interleaved run shows a later attempt against the same parent, which remembers them.

    .venv/bin/python bench/evaluate.py [--rounds 5] [--examples 40]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.config import Settings, get_settings
from backend.reward import evaluate_constraints, evaluate_preference
from backend.reward.differential import parent_outcomes
from backend.reward.factuality import evaluate_factuality
from backend.sandbox import get_pool

OBJECT_DIR = Path(__file__).resolve().parent / "objects" / "text_helpers"
# (old, new) pairs: the same behaviour, written differently.
REFACTOR = [
    (
        """    counts: dict[str, int] = {}
    for word in re.findall(r"[a-z']+", text.lower()):
        counts[word] = counts.get(word, 0) + 1
    return counts""",
        """    return dict(Counter(re.findall(r"[a-z']+", text.lower())))""",
    ),
    (
        """    parts = []
    for value, letters in ROMAN:
        while n >= value:
            parts.append(letters)
            n -= value
    return "".join(parts)""",
        """    parts = []
    for value, letters in ROMAN:
        count, n = divmod(n, value)
        parts.append(letters * count)
    return "".join(parts)""",
    ),
    (
        """    a, b = abs(a), abs(b)
    while b:
        a, b = b, a % b
    return a""",
        """    return math.gcd(a, b)""",
    ),
    (
        """    totals = []
    total = 0
    for value in values:
        total += value
        totals.append(total)
    return totals""",
        """    return list(accumulate(values))""",
    ),
    (
        "import re\n",
        "import math\nimport re\nfrom collections import Counter\n"
        "from itertools import accumulate\n",
    ),
]


def read_object() -> dict[str, str]:
    return {
        path.relative_to(OBJECT_DIR).as_posix(): path.read_text()
        for path in sorted(OBJECT_DIR.rglob("*.py"))
        if "__pycache__" not in path.parts
    }


def refactored(files: dict[str, str]) -> dict[str, str]:
    source = files["main.py"]
    for old, new in REFACTOR:
        if old not in source:
            raise SystemExit(f"the benchmark's refactor no longer applies: {old[:40]!r}")
        source = source.replace(old, new, 1)
    return {**files, "main.py": source}


def evaluate(
    files: dict[str, str], parent: dict[str, str], settings: Settings, *, remembered: bool = False
) -> dict[str, float]:
    """One evaluation without an LLM; seconds per dimension and in all. Unless
    `remembered`, the parent's outcomes from earlier runs are forgotten first."""
    if not remembered:
        parent_outcomes.clear()
    times = {}
    started = time.perf_counter()
    factuality = evaluate_factuality(
        files, parent_files=parent, keeps_behaviour=True, use_llm=False, settings=settings
    )
    times["factuality"] = time.perf_counter() - started
    if factuality.problems:
        raise SystemExit(f"the refactor should pass: {factuality.problems}")
    mark = time.perf_counter()
    evaluate_preference(files, parent, use_llm=False)
    times["preference"] = time.perf_counter() - mark
    mark = time.perf_counter()
    evaluate_constraints(files, parent, use_llm=False)
    times["constraints"] = time.perf_counter() - mark
    times["total"] = time.perf_counter() - started
    times["tests_in_sandbox"] = factuality.tests["seconds"]
    times["differential"] = factuality.differential["seconds"]
    times["inputs"] = factuality.differential["compared"]
    times["mutation"] = factuality.mutation.get("seconds", 0.0)
    return times


def pytest_run(folder: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0 or "20 passed" not in done.stdout:
        raise SystemExit(f"pytest failed on the benchmark object:\n{done.stdout}{done.stderr}")
    return elapsed


def median_of(runs: list[dict[str, float]], name: str) -> float:
    return statistics.median(run[name] for run in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--examples", type=int, default=None, help="DIFFERENTIAL_EXAMPLES")
    options = parser.parse_args()
    settings = get_settings()
    if options.examples is not None:
        settings = settings.model_copy(update={"differential_examples": options.examples})

    parent = read_object()
    files = refactored(parent)
    lines = len(parent["main.py"].splitlines())
    pool = get_pool()
    print(
        f"object: {lines} lines in the parent's main.py, 20 tests; differential: up to "
        f"{settings.differential_examples} inputs per function, budget "
        f"{settings.differential_seconds:g} s; sandbox pool of {pool.size} ({pool.tier})"
    )
    with tempfile.TemporaryDirectory(prefix="bench-pytest-") as folder:
        for path, text in files.items():
            target = Path(folder) / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        cold = evaluate(files, parent, settings)
        print(f"first evaluation (pool start): {cold['total']:.2f} s")
        evaluations: list[dict[str, float]] = []
        baselines: list[float] = []
        again: list[dict[str, float]] = []
        steps: list[Callable[[], None]] = [
            lambda: evaluations.append(evaluate(files, parent, settings)),
            lambda: baselines.append(pytest_run(Path(folder))),
            lambda: again.append(evaluate(files, parent, settings, remembered=True)),
        ]
        for _ in range(options.rounds):
            for step in steps:
                step()

    total, baseline = median_of(evaluations, "total"), statistics.median(baselines)
    print(f"medians of {options.rounds} interleaved runs:")
    print(f"  evaluation, no LLM        {total:7.2f} s")
    for name in ("factuality", "preference", "constraints"):
        print(f"    {name:<22}  {median_of(evaluations, name):7.2f} s")
    print(f"      tests in the sandbox  {median_of(evaluations, 'tests_in_sandbox'):7.2f} s")
    differential = median_of(evaluations, "differential")
    inputs = int(median_of(evaluations, "inputs"))
    print(f"      differential check    {differential:7.2f} s ({inputs} inputs, x2 calls)")
    print(f"      mutation (background) {median_of(evaluations, 'mutation'):7.2f} s")
    print(f"  pytest in a subprocess    {baseline:7.2f} s")
    print(f"ratio evaluation / pytest: {total / baseline:.1f}")
    repeat = median_of(again, "total")
    print(
        f"a later attempt against the same parent (its outputs remembered): {repeat:.2f} s, "
        f"ratio {repeat / baseline:.1f}"
    )


if __name__ == "__main__":
    main()
