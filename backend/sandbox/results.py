"""What a sandboxed call, test run or import reports, and the checks that build it.

The worker's answer is untrusted: every field is checked for type and size here, and
anything out of shape becomes a failed result rather than an exception in the host.

Error kinds (`CallResult.error_kind`):
- "input": the function doesn't exist or the arguments don't fit (or aren't JSON);
- "error": the object's code raised (its exception type and message), or its process died;
- "timeout": wall-clock or CPU time limit reached;
- "memory": the memory limit was reached;
- "forbidden": the object tried something the sandbox refuses (files outside its folders,
  sockets, processes, signals); the call was stopped;
- "output": the result is too large or not JSON.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, NotRequired, TypedDict

from backend.sandbox.runtime.storage import MAX_KEY_LENGTH
from backend.sandbox.runtime.tracer import clean_arcs

ErrorKind = Literal["input", "error", "timeout", "memory", "forbidden", "output"]
ERROR_KINDS: frozenset[str] = frozenset(
    {"input", "error", "timeout", "memory", "forbidden", "output"}
)
MAX_TYPE = 200
MAX_MESSAGE = 2000


class StorageWrite(TypedDict):
    """One net change to an object's durable storage: put a JSON value, or delete a key.

    Plain dicts (`{"op": "put", "key": k, "value": v}` / `{"op": "delete", "key": k}`), one
    per key written, in the order keys were first written; ready to store or send as JSON."""

    op: Literal["put", "delete"]
    key: str
    value: NotRequired[Any]


@dataclass(frozen=True)
class CallResult:
    ok: bool
    value: Any = None
    error_kind: ErrorKind | None = None
    error_type: str = ""
    message: str = ""
    where: str = ""  # the object's own file:line where it failed, when it raised
    storage_writes: list[StorageWrite] = field(default_factory=list)
    duration_ms: float = 0.0
    logs: str = ""
    # With `call_many(..., trace=True)`: per object source file that ran (its path relative
    # to the code folder), the distinct line arcs [from, to] of the function call, in
    # coverage.py's conventions (negative: entering or leaving a code object). A lower bound
    # when capped; the object's own word, for reporting only. None when not traced, when
    # the function wasn't called or its process didn't answer, or when out of shape.
    arcs: dict[str, list[list[int]]] | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.arcs is None:
            del data["arcs"]
        return data

    def describe(self) -> str:
        """One line for logs and error responses: "timeout: the call ran past ...",
        "ZeroDivisionError: division by zero (main.py:5 in divide)".

        An exception the code raised is named by its type alone: "error: ZeroDivisionError"
        read as "error: error: ZeroDivisionError" behind a door's own "error:".
        """
        if self.ok:
            return "ok"
        raised = self.error_kind == "error" and self.error_type
        text = "" if raised else f"{self.error_kind}: "
        if self.error_kind in ("error", "input", "forbidden", "memory") and self.error_type:
            text += f"{self.error_type}: "
        text += self.message or "(no message)"
        return f"{text} ({self.where})" if self.where else text


@dataclass(frozen=True)
class TestOutcome:
    __test__ = False  # not a pytest test class

    file: str
    name: str
    passed: bool
    error_kind: ErrorKind | None = None
    error_type: str = ""
    message: str = ""
    where: str = ""
    duration_ms: float = 0.0
    logs: str = ""


@dataclass(frozen=True)
class TestReport:
    """The object's tests, each run in its own confined process with the given limits."""

    __test__ = False  # not a pytest test class

    tests: list[TestOutcome]
    errors: list[CallResult]  # test files that failed to import, or a failed collection
    duration_ms: float

    @property
    def passed_count(self) -> int:
        return sum(1 for test in self.tests if test.passed)

    @property
    def failed_count(self) -> int:
        return len(self.tests) - self.passed_count

    @property
    def passed(self) -> bool:
        """Every test passed and every test file loaded (vacuously true with no tests)."""
        return not self.errors and self.failed_count == 0

    ok = passed

    def lines(self) -> list[str]:
        """A readable log: one line per test and per file that failed to load, then a total."""
        lines = [f"collection: {error.describe()}" for error in self.errors]
        for test in self.tests:
            name = f"{test.file}::{test.name}"
            if test.passed:
                lines.append(f"PASS {name}")
            else:
                detail = f"{test.error_type}: {test.message}" if test.error_type else test.message
                where = f" ({test.where})" if test.where else ""
                lines.append(f"FAIL {name}: {test.error_kind}: {detail}{where}")
        lines.append(
            f"{self.passed_count} passed, {self.failed_count} failed"
            + (f", {len(self.errors)} files failed to load" if self.errors else "")
        )
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "errors": [error.to_dict() for error in self.errors],
            "passed": self.passed,
            "passed_count": self.passed_count,
            "failed_count": self.failed_count,
        }


@dataclass(frozen=True)
class ImportReport:
    """Whether main.py imports in the sandbox, and the functions it exports (name -> params)."""

    ok: bool
    functions: dict[str, list[str]]
    error: CallResult | None
    duration_ms: float

    @property
    def value(self) -> list[str]:
        """The exported function names (what a call's `value` would be)."""
        return list(self.functions)

    def describe(self) -> str:
        if self.ok:
            return f"ok: {', '.join(self.functions) or 'no functions'}"
        return self.error.describe() if self.error else "failed"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "error": self.error.to_dict() if self.error else None}


def _text(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def failure(
    kind: ErrorKind, error_type: str, message: str, *, duration_ms: float = 0.0, logs: str = ""
) -> CallResult:
    return CallResult(
        ok=False,
        error_kind=kind,
        error_type=error_type,
        message=message,
        duration_ms=duration_ms,
        logs=logs,
    )


def _writes(raw: Any) -> list[StorageWrite] | None:
    if not isinstance(raw, list):
        return None
    writes: list[StorageWrite] = []
    for item in raw:
        if not isinstance(item, dict):
            return None
        op, key = item.get("op"), item.get("key")
        if op not in ("put", "delete") or not isinstance(key, str):
            return None
        if not key or len(key) > MAX_KEY_LENGTH:
            return None
        if op == "put":
            if "value" not in item:
                return None
            writes.append({"op": "put", "key": key, "value": item["value"]})
        else:
            writes.append({"op": "delete", "key": key})
    return writes


def call_result(frame: dict[str, Any], duration_ms: float, *, with_writes: bool) -> CallResult:
    """Check a worker's answer and turn it into a CallResult."""
    logs = _text(frame.get("logs"), 1 << 20)
    kind = frame.get("kind")
    if kind == "ok":
        writes = _writes(frame.get("writes", [])) if with_writes else []
        if writes is None:
            return failure(
                "output",
                "MalformedResult",
                "the storage writes were malformed",
                logs=logs,
                duration_ms=duration_ms,
            )
        return CallResult(
            ok=True,
            value=frame.get("value"),
            storage_writes=writes,
            duration_ms=duration_ms,
            logs=logs,
        )
    if kind not in ERROR_KINDS:
        return failure(
            "error",
            "SandboxError",
            _text(frame.get("message"), MAX_MESSAGE) or "sandbox failure",
            duration_ms=duration_ms,
            logs=logs,
        )
    return CallResult(
        ok=False,
        error_kind=kind,
        error_type=_text(frame.get("error_type"), MAX_TYPE),
        message=_text(frame.get("message"), MAX_MESSAGE),
        where=_text(frame.get("where"), 500),
        duration_ms=duration_ms,
        logs=logs,
    )


def traced_arcs(raw: Any, files: Collection[str]) -> dict[str, list[list[int]]] | None:
    """A batch answer's arcs, when in shape and only about the object's own files."""
    arcs = clean_arcs(raw)
    if arcs is None or not all(path in files for path in arcs):
        return None
    return arcs


def parse_test_outcome(entry: Any) -> TestOutcome | None:
    if not isinstance(entry, dict):
        return None
    file, name = entry.get("file"), entry.get("name")
    if not isinstance(file, str) or not isinstance(name, str):
        return None
    result = call_result(entry, duration(entry), with_writes=False)
    return TestOutcome(
        file=file[:500],
        name=name[:200],
        passed=result.ok,
        error_kind=result.error_kind,
        error_type=result.error_type,
        message=result.message,
        where=result.where,
        duration_ms=result.duration_ms,
        logs=result.logs,
    )


def duration(entry: dict[str, Any]) -> float:
    """The child's time for one test or batch input, as the worker measured it."""
    value = entry.get("child_ms")
    return float(value) if isinstance(value, int | float) else 0.0


def collection_errors(raw: Any) -> list[CallResult]:
    if not isinstance(raw, list):
        return []
    errors = []
    for item in raw[:500]:
        if isinstance(item, dict):
            file = _text(item.get("file"), 500)
            message = _text(item.get("message"), MAX_MESSAGE)
            errors.append(
                CallResult(
                    ok=False,
                    error_kind="error",
                    error_type=_text(item.get("type"), MAX_TYPE),
                    message=f"{file}: {message}" if file else message,
                    where=_text(item.get("where"), 500),
                )
            )
    return errors


def functions_listing(value: Any) -> dict[str, list[str]] | None:
    if not isinstance(value, dict):
        return None
    listing: dict[str, list[str]] = {}
    for name, params in value.items():
        if not isinstance(name, str) or not isinstance(params, list):
            return None
        if not all(isinstance(p, str) for p in params):
            return None
        listing[name] = list(params)
    return listing
