"""Differential testing: the parent and the new version, side by side in the sandbox.

Each input is a call of one exported function; both versions run it with the same (empty)
durable storage, and their outcomes must match:
- both returned: equal JSON values (numbers compare by value, so 2 and 2.0 match, with a
  relative tolerance of 1e-9 for floating-point rounding; True never equals 1) and the same
  storage writes;
- both failed: the same kind of failure and, for raised errors and refused arguments, the
  same exception type (messages may be reworded); two timeouts, or two memory failures, match.
A failure that may be the machine's rather than the code's (a timeout on one side only, a
worker that died) is run once more before it counts, and a difference is checked against a
second run of the parent: a function whose output varies from run to run (the time, random
numbers) is left out with that reason rather than counted. The parent's outcomes are
remembered across evaluations (`ParentOutcomes`), so later attempts at the same change
run only the new version.

Inputs run round-robin across functions, so a time budget cuts every function short alike
rather than leaving the last ones untested, and a function stops being tried after a few
differences: one is enough to reject, a few help the next attempt see the pattern.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from itertools import zip_longest
from pathlib import Path
from typing import Any

from backend.config import Settings
from backend.objects.files import ENTRY_FILE
from backend.reward.branches import Arc, Branches, main_arcs
from backend.reward.follow_up import Ran, follow_up
from backend.reward.inputs import Plan, plan_inputs
from backend.reward.literals import key
from backend.sandbox import CallResult, Limits, SandboxPool

MAX_DIFFERENCES_PER_FUNCTION = 3
# Inputs per batch and side, of every function round-robin: the unit the time budget is
# shared in, each side of it one round trip to one sandbox worker.
BATCH_INPUTS = 256
GIVE_UP_AFTER = 1  # timeouts of a function in a batch before its other inputs there are skipped
REL_TOLERANCE = 1e-9
ABS_TOLERANCE = 1e-12
VALUE_CHARS = 120
INPUT_CHARS = 200  # each input as stored in an evaluation's details


@dataclass(frozen=True)
class Case:
    """One input: `function(**args)`."""

    function: str
    args: dict[str, Any]


@dataclass
class Comparison:
    function: str
    args: dict[str, Any]
    same: bool
    parent: str  # what the parent did, in words ("returned 2", "raised ValueError: ...")
    new: str
    parent_ms: float
    new_ms: float
    # The parent itself gave two different outputs for this input (time, randomness):
    # its function can't be compared, and this is no evidence either way.
    varies: str = ""

    def describe(self) -> str:
        """'add(x=3, y=-1): parent returned 2, new version returned 4'."""
        return (
            f"{format_call(self.function, self.args)}: parent {self.parent}, new version {self.new}"
        )


@dataclass
class DifferentialReport:
    comparisons: list[Comparison] = field(default_factory=list)
    not_run: int = 0  # inputs left out by the time budget
    varying: dict[str, str] = field(default_factory=dict)  # function -> what showed it
    seconds: float = 0.0
    # Every input compared, with both outcomes and the arcs each version ran in main.py
    # (for the second round and branch coverage; not stored).
    runs: list[Ran] = field(default_factory=list)

    @property
    def differences(self) -> list[Comparison]:
        return [c for c in self.comparisons if not c.same]

    def merge(self, later: DifferentialReport) -> None:
        """Add a later round's findings to this report."""
        self.varying.update(later.varying)
        self.comparisons = [
            c for c in [*self.comparisons, *later.comparisons] if c.function not in self.varying
        ]
        self.runs += later.runs
        self.not_run += later.not_run
        self.seconds = round(self.seconds + later.seconds, 3)

    def arcs(self, side: str) -> dict[str, set[Arc]]:
        """The arcs each function's inputs ran in main.py, on one side."""
        found: dict[str, set[Arc]] = {}
        for run in self.runs:
            found.setdefault(run.function, set()).update(
                run.parent_arcs if side == "parent" else run.new_arcs
            )
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "compared": len(self.comparisons),
            "differences": [asdict(c) for c in self.differences],
            "not_run": self.not_run,
            "varying": self.varying,
            "seconds": self.seconds,
        }


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 3] + "..."


def format_call(function: str, args: dict[str, Any]) -> str:
    """`add(x=3, y=-1)`, each value shortened to a readable length."""
    return f"{function}({', '.join(f'{name}={_short(value)}' for name, value in args.items())})"


def equal_json(a: Any, b: Any) -> bool:
    """Equality of JSON values as a caller sees them (see the module docstring)."""
    # Most outputs are identical: Python's == and the JSON text (which tells True from 1)
    # say so at C speed, where walking a long list item by item would take a while.
    if a == b and _text(a) == _text(b):
        return True
    return _equal_json(a, b)


_ENCODE = json.JSONEncoder(allow_nan=False).encode  # made once: called for every output


def _text(value: Any) -> str | None:
    try:
        return _ENCODE(value)
    except (TypeError, ValueError, RecursionError):
        return None


def _equal_json(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        if isinstance(a, int) and isinstance(b, int):
            return a == b
        return math.isclose(a, b, rel_tol=REL_TOLERANCE, abs_tol=ABS_TOLERANCE)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal_json(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal_json(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _writes(result: CallResult) -> dict[str, Any]:
    return {w["key"]: [w["op"], w.get("value")] for w in result.storage_writes}


def same_outcome(a: CallResult, b: CallResult) -> bool:
    if a.ok and b.ok:
        return equal_json(a.value, b.value) and equal_json(_writes(a), _writes(b))
    if a.ok or b.ok or a.error_kind != b.error_kind:
        return False
    return a.error_kind in ("timeout", "memory") or a.error_type == b.error_type


def outcome_text(result: CallResult) -> str:
    """What a version did with an input, in words."""
    if result.ok:
        text = f"returned {_short(result.value)}"
        writes = _writes(result)
        return text + (f" and stored {_short(writes)}" if writes else "")
    message = f": {result.message}" if result.message else ""
    where = f" ({result.where})" if result.where else ""
    return {
        "error": f"raised {result.error_type or 'an error'}{message}{where}",
        "timeout": "timed out",
        "memory": "ran out of memory",
        "forbidden": f"was stopped by the sandbox{message}",
        "input": f"refused the arguments ({result.error_type}{message})",
        "output": f"gave an unusable result{message}",
    }.get(result.error_kind or "", f"failed{message}")


def _doubtful(result: CallResult) -> bool:
    """A failure that may be the machine's: worth one more run before it counts."""
    return result.error_kind == "timeout" or result.error_type == "SandboxError"


class ParentOutcomes:
    """The parent's outcomes, remembered across evaluations: every attempt at a change (and
    every re-evaluation) compares against the same parent on mostly the same inputs, so its
    side of the check needn't run again. Keyed by the parent's files, the call limits, the
    function and the arguments; only clean outcomes (returned, raised, refused) of a modest
    size are kept, never a timeout or anything else that may be the machine's doing."""

    def __init__(self, size: int = 20_000, value_chars: int = 10_000) -> None:
        self.size, self.value_chars = size, value_chars
        self._items: OrderedDict[tuple[str, str, str], CallResult] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, entry: tuple[str, str, str]) -> CallResult | None:
        with self._lock:
            found = self._items.get(entry)
            if found is not None:
                self._items.move_to_end(entry)
            return found

    def put(self, entry: tuple[str, str, str], result: CallResult) -> None:
        if not (result.ok or result.error_kind in ("error", "input")) or _doubtful(result):
            return
        if len(repr(result.value)) + len(repr(result.storage_writes)) > self.value_chars:
            return
        with self._lock:
            self._items[entry] = result
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


parent_outcomes = ParentOutcomes()


def files_key(files: Mapping[str, str]) -> str:
    digest = hashlib.sha256()
    for path, text in sorted(files.items()):
        digest.update(f"{len(path)}:{path}{len(text)}:".encode() + text.encode())
    return digest.hexdigest()


class SideBySide:
    """Runs cases on both versions with one pool and one set of call limits.

    `parent_key` names the parent's files for `parent_outcomes` (None: don't remember)."""

    def __init__(
        self,
        pool: SandboxPool,
        parent_dir: Path,
        new_dir: Path,
        limits: Limits,
        parent_key: str | None = None,
    ) -> None:
        self.pool, self.parent_dir, self.new_dir, self.limits = pool, parent_dir, new_dir, limits
        self.parent_key = f"{parent_key}/{limits}" if parent_key else None

    def _call(self, code_dir: Path, case: Case) -> CallResult:
        return self.pool.call(code_dir, case.function, case.args, limits=self.limits, storage={})

    def _parent(self, case: Case) -> CallResult:
        if self.parent_key is None:
            return self._call(self.parent_dir, case)
        entry = (self.parent_key, case.function, key(case.args))
        result = parent_outcomes.get(entry)
        if result is None:
            result = self._call(self.parent_dir, case)
            parent_outcomes.put(entry, result)
        return result

    def compare(
        self, case: Case, parent: CallResult | None = None, new: CallResult | None = None
    ) -> Comparison:
        """Compare one input's outcomes (run singly here when not given), with the reruns
        the module docstring describes."""
        parent = parent or self._parent(case)
        new = new or self._call(self.new_dir, case)
        varies = ""
        if not same_outcome(parent, new):
            if _doubtful(parent):
                parent = self._call(self.parent_dir, case)
            if _doubtful(new):
                new = self._call(self.new_dir, case)
        if not same_outcome(parent, new):
            again = self._call(self.parent_dir, case)
            if not same_outcome(parent, again) and not _doubtful(again):
                varies = f"{outcome_text(parent)}, then {outcome_text(again)}"
        return Comparison(
            function=case.function,
            args=case.args,
            same=same_outcome(parent, new),
            parent=outcome_text(parent),
            new=outcome_text(new),
            parent_ms=parent.duration_ms,
            new_ms=new.duration_ms,
            varies=varies,
        )

    def _batch(self, code_dir: Path, cases: list[Case], deadline: float) -> list[CallResult]:
        left = deadline - time.monotonic()
        if not cases:
            return []
        if left <= 0:
            return [_NOT_RUN for _ in cases]
        return self.pool.call_each(
            code_dir,
            [(case.function, case.args) for case in cases],
            limits=self.limits,
            storage={},
            total_seconds=left,
            trace=True,
            batch_inputs=len(cases),
            give_up_after=GIVE_UP_AFTER,
        )

    def _parents(self, cases: list[Case], deadline: float) -> list[CallResult | None]:
        """The parent's outcomes: remembered ones, and one batch for the rest."""
        found: list[CallResult | None] = [None] * len(cases)
        if self.parent_key is not None:
            found = [parent_outcomes.get(self._entry(case)) for case in cases]
        missing = [i for i, result in enumerate(found) if result is None]
        ran = self._batch(self.parent_dir, [cases[i] for i in missing], deadline)
        for index, result in zip(missing, ran, strict=True):
            found[index] = result
            if self.parent_key is not None and not _not_run(result):
                parent_outcomes.put(self._entry(cases[index]), result)
        return found

    def _entry(self, case: Case) -> tuple[str, str, str]:
        assert self.parent_key is not None
        return (self.parent_key, case.function, key(case.args))

    def run(self, cases: dict[str, list[dict[str, Any]]], *, deadline: float) -> DifferentialReport:
        """Every function's inputs, round-robin across functions, in batches of up to
        `BATCH_INPUTS` inputs of all of them (each side of a batch in one sandboxed call), on
        as many workers as the pool has, until `deadline` (time.monotonic()); inputs not
        started by then are counted, not run.

        A function is compared up to its `MAX_DIFFERENCES_PER_FUNCTION`-th difference in
        input order (the report is the same however the lanes' batches interleave) and is
        left out of the batches that start after it has shown that many; one that varies is
        left out altogether. So is a function that timed out: within a batch its later
        inputs are given up (`GIVE_UP_AFTER`), so a slow function costs about one call
        limit, not the budget."""
        started = time.monotonic()
        order = [
            Case(name, args)
            for row in zip_longest(*cases.values(), fillvalue=_NO_INPUT)
            for name, args in zip(cases, row, strict=True)
            if args is not _NO_INPUT
        ]
        lanes = max(1, self.pool.size // 2)  # each lane runs both sides of a batch at once
        # As few batches as BATCH_INPUTS allows, in a multiple of the lanes, evenly filled.
        count = -(-len(order) // BATCH_INPUTS)
        count = max(lanes, -(-count // lanes) * lanes)
        size = max(1, -(-len(order) // count))
        batches = [list(enumerate(order))[i : i + size] for i in range(0, len(order), size)]
        report = DifferentialReport()
        differences: dict[str, list[int]] = {}  # function -> input positions that differed
        slow: set[str] = set()  # functions that timed out: left out of later batches
        lock = threading.Lock()
        waiting = [len(batches)]

        def enough(function: str, before: int = len(order)) -> bool:
            """The function has shown enough differences at inputs before `before`."""
            found = differences.get(function, [])
            return bisect.bisect_left(found, before) >= MAX_DIFFERENCES_PER_FUNCTION

        def one(batch: list[tuple[int, Case]]) -> list[tuple[int, Comparison, Ran]]:
            with lock:
                waiting[0] -= 1
                batch = [
                    (i, c) for i, c in batch if not enough(c.function) and c.function not in slow
                ]
                if not batch:
                    return []
                # A fair share of the time left, so one slow batch can't use it all.
                share = (deadline - time.monotonic()) * lanes / (waiting[0] + lanes)
                until = min(deadline, time.monotonic() + max(share, self.limits.wall_seconds))
            inputs = [case for _, case in batch]
            parent_side = sides.submit(self._parents, inputs, until)
            news = self._batch(self.new_dir, inputs, until)
            parents = parent_side.result()
            compared = []
            for (index, case), parent, new in zip(batch, parents, news, strict=True):
                function = case.function
                with lock:
                    if any(_timed_out(result) for result in (parent, new)):
                        slow.add(function)
                    if enough(function, index) or function in report.varying:
                        continue
                    if _not_run(parent) or _not_run(new):
                        report.not_run += 1
                        continue
                comparison = self.compare(case, parent, new)
                assert parent is not None
                run = Ran(function, case.args, parent, main_arcs(parent.arcs), main_arcs(new.arcs))
                with lock:
                    if comparison.varies:
                        report.varying.setdefault(
                            function,
                            f"{format_call(function, case.args)}: parent {comparison.varies}",
                        )
                    elif not comparison.same:
                        bisect.insort(differences.setdefault(function, []), index)
                compared.append((index, comparison, run))
            return compared

        with (
            ThreadPoolExecutor(lanes, thread_name_prefix="differential") as executor,
            ThreadPoolExecutor(lanes, thread_name_prefix="differential-parent") as sides,
        ):
            found = sorted(
                (item for batch in executor.map(one, batches) for item in batch),
                key=lambda item: item[0],
            )
        # In input order, each function up to its last counted difference.
        kept: dict[str, int] = {}
        for _, comparison, run in found:
            function = comparison.function
            if function in report.varying or kept.get(function, 0) >= MAX_DIFFERENCES_PER_FUNCTION:
                continue
            kept[function] = kept.get(function, 0) + (not comparison.same)
            report.comparisons.append(comparison)
            report.runs.append(run)
        report.seconds = round(time.monotonic() - started, 3)
        return report


_NO_INPUT: Any = object()


def _timed_out(result: CallResult | None) -> bool:
    """The call ran out of time itself (not a batch's cut or a give-up)."""
    return result is not None and result.error_kind == "timeout" and not _not_run(result)


def _not_run(result: CallResult | None) -> bool:
    """An input the batch's time ran out before, or given up after its function timed out
    (left out, like an input never started)."""
    return result is None or result.error_type in ("BatchTimeLimit", "GivenUpAfterTimeouts")


_NOT_RUN = CallResult(ok=False, error_kind="timeout", error_type="BatchTimeLimit")


# One evaluation's check ------------------------------------------------------------------


def _call_limits(limits: Limits, settings: Settings) -> Limits:
    seconds = settings.differential_call_seconds
    return limits.replace(
        wall_seconds=min(limits.wall_seconds, seconds),
        cpu_seconds=min(limits.cpu_seconds, seconds),
    )


@dataclass
class Differential:
    """The differential check of one evaluation: why it didn't run, or what it found."""

    skipped: str | None = None
    plan: Plan | None = None
    report: DifferentialReport = field(default_factory=DifferentialReport)
    branches: dict[str, Branches] = field(default_factory=dict)  # per side: parent, new
    _arcs_by_side: dict[str, dict[str, set[Arc]]] = field(default_factory=dict, repr=False)
    generate_seconds: float = 0.0
    seconds: float = 0.0

    def _arcs(self, side: str) -> dict[str, set[Arc]]:
        """The report's arcs per function on one side, gathered once (the report is done)."""
        if side not in self._arcs_by_side:
            self._arcs_by_side[side] = self.report.arcs(side)
        return self._arcs_by_side[side]

    def branch_coverage(self, function: str | None = None) -> dict[str, Any] | None:
        """Per side, {"covered", "total"} branch arcs that the inputs took, for a function
        or all of them together; None when nothing was traced."""
        found: dict[str, Any] = {}
        for side, version in self.branches.items():
            arcs = self._arcs(side)
            names = [function] if function else sorted(arcs)
            parts = [s for name in names if (s := version.summary(name, arcs.get(name, ())))]
            if parts and any(arcs.values()):
                found[side] = {
                    "covered": sum(p["covered"] for p in parts),
                    "total": sum(p["total"] for p in parts),
                }
        return found or None

    @property
    def problems(self) -> list[str]:
        return [comparison.describe() for comparison in self.report.differences]

    @property
    def agreement(self) -> float | None:
        """The fraction of inputs with matching outputs, or None when none ran."""
        compared = len(self.report.comparisons)
        return 1 - len(self.report.differences) / compared if compared else None

    def reasons(self, budget: float) -> list[str]:
        if self.skipped or self.plan is None:
            return [f"differential check {self.skipped}"]
        report = self.report
        functions = sorted({c.function for c in report.comparisons})
        if report.comparisons:
            text = (
                f"differential check: {len(report.comparisons)} inputs to {len(functions)} "
                f"functions ({', '.join(functions)}) run on the parent and the new version"
            )
            if report.differences:
                where = sorted({c.function for c in report.differences})
                text += f"; {len(report.differences)} gave different outputs ({', '.join(where)})"
            else:
                text += "; every output matched"
            lines = [f"{text} ({self.seconds:.1f} s)"]
        else:
            lines = ["differential check: no function could be run on generated inputs"]
        lines += [
            f"differential check skipped {name}(): {reason}"
            for name, reason in self.plan.skipped.items()
        ]
        lines += [
            f"differential check skipped {name}(): its output varies from run to run ({shown})"
            for name, shown in report.varying.items()
        ]
        if report.not_run:
            lines.append(
                f"differential check stopped at its time budget ({budget:g} s): "
                f"{report.not_run} inputs not run"
            )
        return lines

    def to_dict(self) -> dict[str, Any]:
        if self.skipped or self.plan is None:
            return {"ran": False, "skipped": self.skipped}
        compared: dict[str, int] = {}
        differing: dict[str, int] = {}
        for comparison in self.report.comparisons:
            name = comparison.function
            compared[name] = compared.get(name, 0) + 1
            differing[name] = differing.get(name, 0) + (not comparison.same)
        functions = {
            name: {
                "inputs": [key(args)[:INPUT_CHARS] for args in inputs],
                "compared": compared.get(name, 0),
                "differences": differing.get(name, 0),
                "inputs_by_source": self.plan.inputs_by_source(name),
                "branch_coverage": self.branch_coverage(name),
            }
            for name, inputs in self.plan.cases.items()
        }
        return {
            "ran": bool(self.report.comparisons),
            "skipped": None,
            "functions": functions,
            "skipped_functions": self.plan.skipped,
            "inputs_by_source": self.plan.inputs_by_source(),
            "branch_coverage": self.branch_coverage(),
            **self.report.to_dict(),
            "generate_seconds": self.generate_seconds,
            "seconds": self.seconds,
        }


def run_differential(
    pool: SandboxPool,
    dirs: tuple[Path, Path],
    files: Mapping[str, str],
    parent_files: Mapping[str, str],
    *,
    exported: set[str],
    limits: Limits,
    settings: Settings,
) -> Differential:
    """Plan the inputs and run them side by side, then a second round chosen from what the
    first showed (`follow_up`), all within the time budget."""
    started = time.monotonic()
    deadline = started + settings.differential_seconds
    plan = plan_inputs(files, parent_files, exported=exported, count=settings.differential_examples)
    generated = time.monotonic()
    side_by_side = SideBySide(
        pool, *dirs, _call_limits(limits, settings), parent_key=files_key(parent_files)
    )
    report = side_by_side.run(plan.cases, deadline=deadline)
    branches = {
        "parent": Branches(parent_files.get(ENTRY_FILE, "")),
        "new": Branches(files.get(ENTRY_FILE, "")),
    }
    if settings.differential_follow_up and time.monotonic() < deadline:
        differing = {c.function for c in report.differences}
        runs: dict[str, list[Ran]] = {}
        for run in report.runs:
            if run.function not in differing:  # found already: no need to look further
                runs.setdefault(run.function, []).append(run)
        more = follow_up(plan, runs, branches, settings.differential_follow_up)
        for name, tagged in more.items():
            plan.add(name, tagged)
        cases = {name: [args for args, _ in tagged] for name, tagged in more.items()}
        if cases:
            report.merge(side_by_side.run(cases, deadline=deadline))
    return Differential(
        plan=plan,
        report=report,
        branches=branches,
        generate_seconds=round(generated - started, 3),
        seconds=round(time.monotonic() - started, 3),
    )
