"""Factuality: does the version do what it should? Shown by running it, in the sandbox.

Three kinds of evidence, each with reasons a person can read:
- the object's own tests (`test_*.py`), each in its own confined process: the pass ratio,
  and every failed test (or test file that didn't load) as a problem, by name;
- for a change meant to keep behaviour, the differential check (`differential`): parent and
  new version run side by side on inputs drawn from the type hints and from the literals
  of the tests and the code (`inputs`, `literals`); any differing output is a problem,
  naming the input that shows it;
- when an LLM is configured, its review of the algorithms and domain facts.

How strong the tests are is reported too (`mutation`: the share of small mutants of the
version they kill); it doesn't change the score, but weak tests are flagged in the details
and the reasons, for the person approving the change.

The score:
- measured = the mean of the test pass ratio and the differential agreement (the fraction
  of inputs with matching outputs), over those that ran. An object without tests counts
  NO_TESTS_SCORE for its tests: below the default threshold (0.8) on its own, because
  nothing was shown to work, but enough to pass with a differential check that found no
  difference (0.875) or a good LLM review; the feedback then asks for tests.
- with an LLM: (1 - FACTUALITY_LLM_WEIGHT) * measured + FACTUALITY_LLM_WEIGHT * review;
  a review that gives no usable answer is left out, and the reasons say so.
- then failures cap it whatever the LLM says: a failed test multiplies it by
  TEST_FAILURE_FACTOR and a differing output by DIFFERENCE_FACTOR, so either alone puts it
  at 0.6 or below (under the 0.8 threshold), and fewer failures still rank higher. A main.py
  that doesn't import scores 0, and so does code that doesn't parse (nothing is run: the
  parse error is the reason).

The sandbox must be available: SandboxUnavailable propagates, because a change that could
not be run is neither good nor bad.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.config import Settings, get_settings
from backend.llm import FactualityJudgment, is_configured, judge_factuality
from backend.objects.files import ENTRY_FILE, validate_path
from backend.reward.code import parse, syntax_errors
from backend.reward.differential import Differential, run_differential
from backend.reward.mutation import MutationReport, run_mutation
from backend.reward.results import DimensionResult, NoAnswer, ask_judge, clamp, unparsable
from backend.sandbox import ImportReport, Limits, SandboxPool, TestReport, get_pool

NO_TESTS_SCORE = 0.75
TEST_FAILURE_FACTOR = 0.6
DIFFERENCE_FACTOR = 0.6
MAX_TEST_PROBLEMS = 20


class FactualityResult(DimensionResult):
    """A DimensionResult whose details hold `tests` and `differential`."""

    @property
    def tests(self) -> dict[str, Any]:
        """What the object's tests did ({} when nothing ran: the code doesn't parse)."""
        return self.details.get("tests", {})

    @property
    def differential(self) -> dict[str, Any]:
        return self.details.get("differential", {})

    @property
    def mutation(self) -> dict[str, Any]:
        """How strong the tests are: mutants made, ran, killed, and the `weak` flag."""
        return self.details.get("mutation", {})


def _write(root: Path, files: Mapping[str, str]) -> Path:
    for path, text in files.items():
        target = root / validate_path(path)  # never a path outside the folder
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode("utf-8"))
    root.mkdir(parents=True, exist_ok=True)
    return root


# The object's tests -------------------------------------------------------------------------


def _test_problems(report: TestReport) -> list[str]:
    problems = [
        f"test file failed to load: {error.error_type}: {error.message}"
        + (f" ({error.where})" if error.where else "")
        for error in report.errors
    ]
    for test in report.tests:
        if test.passed:
            continue
        detail = f"{test.error_type}: {test.message}" if test.error_type else test.message
        if test.error_kind not in (None, "error"):
            detail = f"{test.error_kind}: {detail}"
        where = f" ({test.where})" if test.where else ""
        problems.append(f"{test.file}::{test.name} failed: {detail}{where}")
    if len(problems) > MAX_TEST_PROBLEMS:
        extra = len(problems) - MAX_TEST_PROBLEMS
        problems = [*problems[:MAX_TEST_PROBLEMS], f"... and {extra} more failed tests"]
    return problems


def _test_summary(report: TestReport) -> tuple[float | None, str, dict[str, Any]]:
    """(pass ratio or None without tests, a reason line, details)."""
    count = len(report.tests) + len(report.errors)
    details = {
        "count": len(report.tests),
        "passed": report.passed_count,
        "failed": report.failed_count,
        "load_errors": len(report.errors),
        "seconds": round(report.duration_ms / 1000, 3),
        "lines": report.lines(),
    }
    if not count:
        return None, "no tests: the object has no test_*.py file with test functions", details
    ratio = report.passed_count / count
    text = f"tests: {report.passed_count} of {len(report.tests)} passed in the sandbox"
    if report.errors:
        text += f", {len(report.errors)} test files failed to load"
    return ratio, text + f" ({details['seconds']:.1f} s)", details


# The differential check ---------------------------------------------------------------------


def _why_no_differential(
    files: Mapping[str, str], parent_files: Mapping[str, str] | None, keeps_behaviour: bool
) -> str | None:
    if not keeps_behaviour:
        return "skipped: the change is meant to change behaviour"
    if parent_files is None:
        return "skipped: a new object has no parent to compare with"
    if ENTRY_FILE not in parent_files or parse(parent_files[ENTRY_FILE], ENTRY_FILE) is None:
        return f"skipped: the parent's {ENTRY_FILE} is missing or doesn't parse"
    if parse(files.get(ENTRY_FILE, ""), ENTRY_FILE) is None:
        return f"skipped: the new {ENTRY_FILE} doesn't parse"
    return None


# The judge ----------------------------------------------------------------------------------


def _measured(test_ratio: float | None, differential: Differential) -> float:
    parts = [NO_TESTS_SCORE if test_ratio is None else test_ratio]
    if differential.agreement is not None:
        parts.append(differential.agreement)
    return sum(parts) / len(parts)


def _review(
    files: Mapping[str, str],
    *,
    request: str,
    plan: Any,
    evidence: list[str],
    modification_id: int | None,
) -> FactualityJudgment:
    return judge_factuality(
        files,
        request=request,
        plan=plan,
        test_report="\n".join(evidence),
        modification_id=modification_id,
    )


@dataclass
class _Evidence:
    """What running the version showed: its import, its tests (and the mutants they kill),
    the differential check."""

    imported: ImportReport
    tests: TestReport
    differential: Differential
    mutation: MutationReport


def _gather(
    pool: SandboxPool,
    files: Mapping[str, str],
    parent_files: Mapping[str, str] | None,
    *,
    skip: str | None,
    limits: Limits,
    settings: Settings,
) -> _Evidence:
    """Everything that runs in the sandbox. The tests (then the mutants) run in the
    background while the differential check runs here; they share the pool's workers."""

    def tests_and_mutants(new_dir: Path) -> tuple[TestReport, MutationReport]:
        tests = pool.run_tests(new_dir, limits)
        return tests, run_mutation(pool, files, tests, limits=limits, settings=settings)

    with tempfile.TemporaryDirectory(prefix="factuality-") as folder:
        new_dir = _write(Path(folder) / "new", files)
        with ThreadPoolExecutor(1, thread_name_prefix="factuality-tests") as background:
            tests = background.submit(tests_and_mutants, new_dir)
            imported = pool.smoke_import(new_dir, limits)
            differential = Differential(skipped=skip)
            if skip is None and not imported.ok:
                differential.skipped = "skipped: the new version doesn't import"
            elif skip is None and parent_files is not None:
                parent_dir = _write(Path(folder) / "parent", parent_files)
                parent = pool.smoke_import(parent_dir, limits)
                if not parent.ok:
                    differential.skipped = (
                        f"skipped: the parent doesn't import ({parent.describe()})"
                    )
                else:
                    differential = run_differential(
                        pool,
                        (parent_dir, new_dir),
                        files,
                        parent_files,
                        exported=set(imported.functions) & set(parent.functions),
                        limits=limits,
                        settings=settings,
                    )
            report, mutation = tests.result()
            return _Evidence(imported, report, differential, mutation)


def evaluate_factuality(
    files: Mapping[str, str],
    *,
    parent_files: Mapping[str, str] | None,
    keeps_behaviour: bool,
    plan: Any = None,
    request: str = "",
    modification_id: int | None = None,
    use_llm: bool | None = None,
    limits: Limits | None = None,
    settings: Settings | None = None,
) -> FactualityResult:
    """Run the version's tests and, when it should behave like `parent_files`, the
    differential check, in the sandbox; add the LLM's review when asked (`use_llm` None
    means "when one is configured"). `limits` are the object's own sandbox limits.

    Raises SandboxUnavailable when no sandbox can run, and BudgetExceeded when the review
    was asked for with the budget spent; a review that gives no usable answer is left out
    (the score is the measured one) and the reasons say so.
    """
    started = time.monotonic()
    syntax_error = syntax_errors(files)
    if syntax_error:
        return unparsable(FactualityResult, "factuality", syntax_error, started)
    settings = settings or get_settings()
    pool = get_pool()
    skip = _why_no_differential(files, parent_files, keeps_behaviour)
    if skip is None and settings.differential_examples == 0:
        skip = "turned off (DIFFERENTIAL_EXAMPLES=0)"
    evidence = _gather(
        pool, files, parent_files, skip=skip, limits=limits or pool.limits, settings=settings
    )
    imported, report, differential = evidence.imported, evidence.tests, evidence.differential

    test_ratio, test_text, test_details = _test_summary(report)
    reasons = [
        test_text,
        *evidence.mutation.reasons(settings.mutation_seconds),
        *differential.reasons(settings.differential_seconds),
    ]
    problems = _test_problems(report) + differential.problems
    if not imported.ok:
        problems.insert(0, f"{ENTRY_FILE} does not import in the sandbox: {imported.describe()}")
    if test_ratio is None:
        problems.append(
            "the object has no tests: add test_*.py files whose test functions check the "
            "behaviour of each exported function"
        )

    measured = _measured(test_ratio, differential)
    score = measured
    details: dict[str, Any] = {"measured": round(measured, 4)}
    if is_configured(settings) if use_llm is None else use_llm:
        llm_started = time.monotonic()
        judgment = ask_judge(
            lambda: _review(
                files,
                request=request,
                plan=plan,
                evidence=[*test_details["lines"], *reasons, *differential.problems],
                modification_id=modification_id,
            )
        )
        details["llm"] = {"seconds": round(time.monotonic() - llm_started, 3)}
        if isinstance(judgment, NoAnswer):
            reasons.append(judgment.reason)
            details["llm"]["error"] = judgment.error
        else:
            weight = settings.factuality_llm_weight
            score = (1 - weight) * measured + weight * judgment.score
            reasons.append(
                f"LLM review ({judgment.score:.2f}, weight {weight:g}): {judgment.summary}"
            )
            problems += [f"LLM review: {issue}" for issue in judgment.issues]
            details["llm"].update(weight=weight, **judgment.model_dump())

    factors = _factors(evidence)
    for factor in factors.values():
        score *= factor
    if factors:
        names = " and ".join(factors)
        reasons.append(f"score {score:.2f}, lowered for {names} whatever else passed")
    details.update(
        tests=test_details,
        differential=differential.to_dict(),
        mutation=evidence.mutation.to_dict(),
        imported={"ok": imported.ok, "functions": imported.functions},
        factors=factors,
    )
    return FactualityResult(
        dimension="factuality",
        score=round(clamp(score), 4),
        reasons=reasons,
        problems=problems,
        details=details,
        seconds=round(time.monotonic() - started, 4),
    )


def _factors(evidence: _Evidence) -> dict[str, float]:
    """What caps the score, whatever else passed (see the module docstring)."""
    if not evidence.imported.ok:
        return {f"{ENTRY_FILE} not importing": 0.0}
    factors = {}
    if evidence.tests.failed_count or evidence.tests.errors:
        factors["failing tests"] = TEST_FAILURE_FACTOR
    if evidence.differential.report.differences:
        factors["outputs that differ from the parent's"] = DIFFERENCE_FACTOR
    return factors
