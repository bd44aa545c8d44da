"""Strength of an object's own tests, by mutation: the share of small mutants they kill.

Each mutant (`mutants`) is written to its own folder and the object's tests run against it
in the sandbox, as factuality runs them against the version itself (each test in its own
confined process, with the object's limits): only the tests that can reach the mutated line
(`test_reach`), likeliest killers first, up to the first that fails. A mutant is killed when
a test fails or a test file fails to load; one that no test reaches survives unrun.
At most MUTANTS mutants, within MUTATION_SECONDS: mutants not started by then are left out
and the reasons say how many ran. Tests that kill fewer than MUTATION_WEAK_BELOW of them
are weak: an accepted change says so to the person approving it.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from backend.config import Settings
from backend.objects.files import validate_path
from backend.reward.mutants import Mutant, make_mutants
from backend.reward.test_reach import TestReach
from backend.sandbox import Limits, SandboxPool, TestReport

MAX_SURVIVORS_SHOWN = 5


@dataclass
class MutationReport:
    """What the mutants showed; `skipped` says why none ran."""

    skipped: str | None = None
    sites: int = 0
    made: int = 0
    ran: int = 0
    killed: int = 0
    survivors: list[str] = field(default_factory=list)  # "main.py:3 `+` -> `-`"
    weak_below: float = 0.5
    seconds: float = 0.0

    @property
    def score(self) -> float | None:
        """The share of mutants killed, or None when none ran."""
        return self.killed / self.ran if self.ran else None

    @property
    def weak(self) -> bool:
        return self.score is not None and self.score < self.weak_below

    def reasons(self, budget: float) -> list[str]:
        if self.skipped:
            return [f"mutation testing {self.skipped}"]
        assert self.score is not None
        text = f"tests kill {self.killed} of {self.ran} mutants ({self.score:.0%})"
        if self.ran < self.made:
            text += (
                f"; {self.made - self.ran} of {self.made} mutants left out at the time budget "
                f"({budget:g} s)"
            )
        if self.survivors:
            shown = ", ".join(self.survivors[:MAX_SURVIVORS_SHOWN])
            more = len(self.survivors) - MAX_SURVIVORS_SHOWN
            text += f"; survived: {shown}" + (f" and {more} more" if more > 0 else "")
        lines = [text]
        if self.weak:
            lines.append(self.warning())
        return lines

    def warning(self) -> str:
        """The line for the person approving the change when the tests are weak."""
        return (
            f"weak tests: they kill only {self.score:.0%} of mutants (below "
            f"{self.weak_below:.0%}); check the change by hand before approving it"
        )

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "score": self.score, "weak": self.weak}


def _write(root: Path, files: Mapping[str, str]) -> Path:
    for path, text in files.items():
        target = root / validate_path(path)  # never a path outside the folder
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode("utf-8"))
    return root


def why_no_mutation(tests: TestReport, settings: Settings) -> str | None:
    """Why mutation testing can't say anything about these tests (None: it can)."""
    if settings.mutants == 0:
        return "turned off (MUTANTS=0)"
    if not tests.tests and not tests.errors:
        return "skipped: the object has no tests to kill mutants"
    if not tests.passed:
        return "skipped: the tests don't all pass on the version itself"
    return None


def run_mutation(
    pool: SandboxPool,
    files: Mapping[str, str],
    tests: TestReport,
    *,
    limits: Limits,
    settings: Settings,
) -> MutationReport:
    """Run the object's tests against each mutant of `files`, in the sandbox."""
    started = time.monotonic()
    report = MutationReport(weak_below=settings.mutation_weak_below)
    report.skipped = why_no_mutation(tests, settings)
    if report.skipped:
        return report
    mutants, report.sites = make_mutants(files, settings.mutants)
    report.made = len(mutants)
    if not mutants:
        report.skipped = "skipped: the code has no operator, constant or comparison to mutate"
        return report
    deadline = started + settings.mutation_seconds

    reach = TestReach(files, [(test.file, test.name) for test in tests.tests])

    def killed(index: int, mutant: Mutant, root: Path) -> bool | None:
        if time.monotonic() >= deadline:
            return None  # left out: the budget is spent
        only = reach.tests_for(mutant.path, mutant.line)
        if not only:
            return False  # no test reaches the mutated function: it survives
        folder = _write(root / f"mutant-{index}", mutant.files)
        return not pool.run_tests(folder, limits, only=only, stop_at_failure=True).passed

    with (
        tempfile.TemporaryDirectory(prefix="mutation-") as folder,
        ThreadPoolExecutor(pool.size, thread_name_prefix="mutation") as executor,
    ):
        roots = [Path(folder)] * len(mutants)
        outcomes = list(executor.map(killed, range(len(mutants)), mutants, roots))
    for mutant, outcome in zip(mutants, outcomes, strict=True):
        if outcome is None:
            continue
        report.ran += 1
        report.killed += outcome
        if not outcome:
            report.survivors.append(mutant.describe())
    report.seconds = round(time.monotonic() - started, 3)
    if not report.ran:
        report.skipped = f"skipped: no mutant started within its time budget ({report.seconds} s)"
    return report
