"""Ordinary use of the sandbox, in every tier: calls, storage, errors, limits, tests, imports."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.sandbox import Limits, SandboxPool
from tests.support.sandbox_helpers import ECHO, FAST, TIERS, start_pool, write_object

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=TIERS)
def pool(request: pytest.FixtureRequest) -> Iterator[SandboxPool]:
    with start_pool(request.param) as pool:
        yield pool


@pytest.fixture
def echo(tmp_path: Path) -> Path:
    return write_object(tmp_path / "echo", ECHO)


@pytest.mark.parametrize(
    "value",
    [None, True, 3, -2.5, "héllo ✓", [1, [2, [3]]], {"a": {"b": [None, False]}}, 10**30],
)
def test_a_call_returns_its_argument(pool: SandboxPool, echo: Path, value: object) -> None:
    result = pool.call(echo, "echo", {"value": value})
    assert result.ok, result
    assert result.value == value
    assert result.error_kind is None and result.storage_writes == []
    assert result.duration_ms > 0


COUNTER = """
import storage
from storage import get, put, delete, list_keys

def bump(by=1):
    count = get("count", 0) + by
    put("count", count)
    put("history", get("history", []) + [count])
    storage.storage.put("count", count)  # the object form; the last write per key wins
    return count

def tidy():
    delete("history")
    return storage.list()

def keys(prefix=""):
    return list_keys(prefix)

def bump_then_fail():
    put("count", -1)
    raise RuntimeError("changed my mind")

def put_a_set():
    put("bad", {1, 2})
"""


def test_storage_is_seeded_and_writes_come_back(pool: SandboxPool, tmp_path: Path) -> None:
    code = write_object(tmp_path / "counter", COUNTER)
    result = pool.call(code, "bump", {"by": 2}, storage={"count": 40, "other": "kept"})
    assert result.ok, result
    assert result.value == 42
    assert result.storage_writes == [
        {"op": "put", "key": "count", "value": 42},
        {"op": "put", "key": "history", "value": [42]},
    ]
    tidy = pool.call(code, "tidy", {}, storage={"count": 1, "history": [1]})
    assert tidy.value == ["count"]
    assert tidy.storage_writes == [{"op": "delete", "key": "history"}]
    keys = pool.call(code, "keys", {"prefix": "a"}, storage={"ab": 1, "b": 2, "aa": 3})
    assert keys.value == ["aa", "ab"] and keys.storage_writes == []


def test_a_failing_call_returns_no_writes(pool: SandboxPool, tmp_path: Path) -> None:
    code = write_object(tmp_path / "counter", COUNTER)
    result = pool.call(code, "bump_then_fail", {}, storage={"count": 1})
    assert not result.ok
    assert result.error_kind == "error" and result.error_type == "RuntimeError"
    assert result.storage_writes == []


def test_storage_values_must_be_json(pool: SandboxPool, tmp_path: Path) -> None:
    code = write_object(tmp_path / "counter", COUNTER)
    result = pool.call(code, "put_a_set", {})
    assert result.error_kind == "error" and result.error_type == "TypeError"
    assert "JSON" in result.message


HELPERS = """
def check(x):
    if x < 0:
        raise ValueError(f"{x} < 0")
    return x
"""


def test_an_exception_reports_type_message_and_place(pool: SandboxPool, tmp_path: Path) -> None:
    code = write_object(
        tmp_path / "raiser",
        """
        from helpers import check

        def divide(a, b):
            return check(a) / b
        """,
        extra={"helpers.py": HELPERS},
    )
    zero = pool.call(code, "divide", {"a": 1, "b": 0})
    assert (zero.error_kind, zero.error_type) == ("error", "ZeroDivisionError")
    assert zero.message == "division by zero"
    assert zero.where == "main.py:5 in divide"
    negative = pool.call(code, "divide", {"a": -1, "b": 1})
    assert (negative.error_type, negative.message) == ("ValueError", "-1 < 0")
    assert negative.where == "helpers.py:4 in check"
    for result in (zero, negative):
        assert "Traceback" not in result.message + result.logs
        assert "/runtime/" not in result.message + result.where + result.logs
    assert zero.describe() == "ZeroDivisionError: division by zero (main.py:5 in divide)"


@pytest.mark.parametrize(
    ("function", "args", "error_type"),
    [
        ("missing", {}, "UnknownFunction"),
        ("_private", {}, "BadArguments"),
        ("helper", {"value": 1}, "UnknownFunction"),  # imported, not defined in main
        ("echo", {}, "BadArguments"),
        ("echo", {"value": 1, "extra": 2}, "BadArguments"),
        ("echo", ["not", "a", "dict"], "BadArguments"),
        ("echo", {"value": {1, 2}}, "BadArguments"),
        ("echo", {"value": float("nan")}, "BadArguments"),
        ("echo", {"value": "x" * (2 << 20)}, "BadArguments"),
    ],
)
def test_bad_calls_are_input_errors(
    pool: SandboxPool, tmp_path: Path, function: str, args: object, error_type: str
) -> None:
    code = write_object(
        tmp_path / "api",
        "from json import dumps as helper\n" + ECHO + "\ndef _private():\n    pass\n",
    )
    result = pool.call(code, function, args)  # type: ignore[arg-type]
    assert not result.ok
    assert (result.error_kind, result.error_type) == ("input", error_type), result


def test_exports_follow_dunder_all(pool: SandboxPool, tmp_path: Path) -> None:
    code = write_object(
        tmp_path / "api", "__all__ = ['a']\ndef a():\n    return 1\ndef b():\n    return 2\n"
    )
    assert pool.call(code, "a", {}).value == 1
    assert pool.call(code, "b", {}).error_kind == "input"


def test_a_result_too_large_is_an_output_error(pool: SandboxPool, tmp_path: Path) -> None:
    code = write_object(tmp_path / "big", "def big(n):\n    return 'x' * n\n")
    small = FAST.replace(output_bytes=1000)
    assert pool.call(code, "big", {"n": 900}, limits=small).ok
    result = pool.call(code, "big", {"n": 5000}, limits=small)
    assert (result.error_kind, result.error_type) == ("output", "ResultTooLarge")
    huge = pool.call(code, "big", {"n": 50 << 20}, limits=FAST.replace(memory_mb=512))
    assert huge.error_kind == "output"


@pytest.mark.parametrize("expression", ["{1, 2}", "float('inf')", "object()", "lambda: 1"])
def test_a_result_that_is_not_json_is_an_output_error(
    pool: SandboxPool, tmp_path: Path, expression: str
) -> None:
    code = write_object(tmp_path / "odd", f"def odd():\n    return {expression}\n")
    result = pool.call(code, "odd", {})
    assert result.error_kind == "output", result
    assert "JSON" in result.message


def test_printed_output_is_returned_as_logs(pool: SandboxPool, tmp_path: Path) -> None:
    code = write_object(
        tmp_path / "chatty",
        """
        import sys

        def talk():
            print("to stdout")
            print("to stderr", file=sys.stderr)
            return 1
        """,
    )
    result = pool.call(code, "talk", {})
    assert result.ok
    assert "to stdout" in result.logs and "to stderr" in result.logs


def test_threads_work_inside_a_call(pool: SandboxPool, tmp_path: Path) -> None:
    code = write_object(
        tmp_path / "threads",
        """
        from concurrent.futures import ThreadPoolExecutor

        def squares(n):
            with ThreadPoolExecutor(4) as executor:
                return list(executor.map(lambda x: x * x, range(n)))
        """,
    )
    assert pool.call(code, "squares", {"n": 5}).value == [0, 1, 4, 9, 16]


def test_the_standard_library_is_there(pool: SandboxPool, tmp_path: Path) -> None:
    code = write_object(
        tmp_path / "stdlib",
        """
        import datetime, decimal, hashlib, json, math, re, sqlite3, statistics, zoneinfo

        def run():
            db = sqlite3.connect(":memory:")
            db.execute("create table t (x)")
            db.execute("insert into t values (2)")
            when = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
            return [
                db.execute("select x * 21 from t").fetchone()[0],
                str(decimal.Decimal("1.10") + decimal.Decimal("2.20")),
                hashlib.sha256(b"a").hexdigest()[:8],
                when.isoformat(),
                statistics.mean([1, 2, 3]),
            ]
        """,
    )
    result = pool.call(code, "run", {})
    assert result.value == [42, "3.30", "ca978112", "2024-01-01T00:00:00+00:00", 2], result


def test_scratch_is_writable(pool: SandboxPool, tmp_path: Path) -> None:
    code = write_object(
        tmp_path / "scratch",
        """
        import os, tempfile

        def run():
            with open("a.txt", "w") as handle:
                handle.write("hi")
            os.mkdir("sub")
            fd, name = tempfile.mkstemp(dir="sub")
            os.close(fd)
            return open("a.txt").read()
        """,
    )
    assert pool.call(code, "run", {}).value == "hi"


def test_calls_to_different_objects_run_in_parallel(pool: SandboxPool, tmp_path: Path) -> None:
    code = [
        write_object(
            tmp_path / f"sleeper{i}", "import time\ndef nap():\n    time.sleep(0.5)\n    return 1\n"
        )
        for i in range(2)
    ]
    pool.call(code[0], "nap", {})  # both workers warm and both versions cached
    pool.call(code[1], "nap", {})
    results = []
    started = time.monotonic()
    threads = [
        threading.Thread(target=lambda c=c: results.append(pool.call(c, "nap", {}))) for c in code
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    assert [r.value for r in results] == [1, 1]
    assert elapsed < 0.95, f"two 0.5 s calls took {elapsed:.2f} s"


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("while True:\n        pass", "timeout"),
        ("return len(bytearray(2 << 30))", "memory"),
        ("import os\n    os.fork()", "forbidden"),
    ],
    ids=["timeout", "memory", "forbidden"],
)
def test_a_worker_is_replaced_after_a_limit(
    tmp_path: Path, tier: str, body: str, kind: str
) -> None:
    code = write_object(tmp_path / "limit", f"def run():\n    {body}\n")
    echo = write_object(tmp_path / "echo", ECHO)
    with start_pool(tier, size=1) as single:
        assert single.call(echo, "echo", {"value": 1}).ok
        before = single.worker_pids()
        result = single.call(code, "run", {}, limits=FAST)
        assert result.error_kind == kind, result
        after = single.call(echo, "echo", {"value": 2})
        assert after.ok and after.value == 2
        assert single.worker_pids() and single.worker_pids() != before


def test_smoke_import_lists_the_exported_functions(pool: SandboxPool, tmp_path: Path) -> None:
    code = write_object(
        tmp_path / "api",
        "import json\nfrom os import path\n\ndef add(a, b=1):\n    return a + b\n\n"
        "def ping():\n    return 'pong'\n\ndef _hidden():\n    pass\n",
    )
    report = pool.smoke_import(code)
    assert report.ok, report
    assert report.functions == {"add": ["a", "b"], "ping": []}
    assert report.value == ["add", "ping"]


@pytest.mark.parametrize(
    ("source", "kind", "error_type"),
    [
        ("def broken(:\n    pass\n", "error", "SyntaxError"),
        ("import not_a_module\n", "error", "ModuleNotFoundError"),
        ("raise RuntimeError('at import')\n", "error", "RuntimeError"),
        ("while True:\n    pass\n", "timeout", "CpuTimeLimit"),
    ],
)
def test_smoke_import_reports_a_broken_main(
    pool: SandboxPool, tmp_path: Path, source: str, kind: str, error_type: str
) -> None:
    code = write_object(tmp_path / "broken", source)
    report = pool.smoke_import(code, FAST.replace(wall_seconds=5))
    assert not report.ok
    assert report.error is not None
    assert (report.error.error_kind, report.error.error_type) == (kind, error_type)


OBJECT_WITH_TESTS = {
    "test_main.py": """
        from main import add

        def test_adds():
            assert add(2, 3) == 5

        def test_wrong():
            assert add(2, 2) == 5

        def test_message():
            assert add(1, 1) == 3, "one and one"

        def test_raises():
            {}["missing"]

        def test_uses_storage():
            import storage
            storage.put("k", 1)
            assert storage.get("k") == 1

        def helper_not_a_test():
            raise AssertionError("never collected")
    """,
    "tests/test_slow.py": """
        def test_forever():
            while True:
                pass

        def test_fixture(tmp_path):
            pass
    """,
    "tests/test_broken.py": "import nowhere\n",
}


def test_run_tests_reports_each_test(pool: SandboxPool, tmp_path: Path) -> None:
    code = write_object(
        tmp_path / "tested", "def add(a, b):\n    return a + b\n", extra=OBJECT_WITH_TESTS
    )
    seen = []
    report = pool.run_tests(code, FAST, on_test=seen.append)
    outcomes = {test.name: test for test in report.tests}
    assert [t.name for t in seen] == [t.name for t in report.tests]
    assert sorted(outcomes) == [
        "test_adds", "test_fixture", "test_forever", "test_message", "test_raises",
        "test_uses_storage", "test_wrong",
    ]  # fmt: skip
    assert outcomes["test_adds"].passed and outcomes["test_uses_storage"].passed
    assert outcomes["test_wrong"].message == "assert add(2, 2) == 5"
    assert outcomes["test_wrong"].where == "test_main.py:8 in test_wrong"
    assert outcomes["test_message"].message == "one and one"
    assert (outcomes["test_raises"].error_type, outcomes["test_raises"].message) == (
        "KeyError",
        "'missing'",
    )
    assert outcomes["test_forever"].error_kind == "timeout"
    assert "fixtures are not supported" in outcomes["test_fixture"].message
    assert outcomes["test_forever"].file == "tests/test_slow.py"
    assert [e.error_type for e in report.errors] == ["ModuleNotFoundError"]
    assert "tests/test_broken.py" in report.errors[0].message
    assert (report.passed_count, report.failed_count, report.passed) == (2, 5, False)
    assert report.lines()[-1] == "2 passed, 5 failed, 1 files failed to load"


def test_run_tests_with_only_passing_tests(pool: SandboxPool, tmp_path: Path) -> None:
    code = write_object(
        tmp_path / "good",
        "def add(a, b):\n    return a + b\n",
        extra={
            "test_main.py": "from main import add\n\ndef test_add():\n    assert add(1, 2) == 3\n"
        },
    )
    report = pool.run_tests(code)
    assert report.passed and report.ok
    assert report.lines() == ["PASS test_main.py::test_add", "1 passed, 0 failed"]


def test_limits_can_be_set_per_call(pool: SandboxPool, tmp_path: Path) -> None:
    code = write_object(
        tmp_path / "nap", "import time\ndef nap(s):\n    time.sleep(s)\n    return s\n"
    )
    assert pool.call(code, "nap", {"s": 0.3}, limits=FAST).ok
    short = pool.call(code, "nap", {"s": 0.3}, limits=Limits(1, 0.1, 128, 1000))
    assert short.error_kind == "timeout"
