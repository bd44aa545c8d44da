"""API schema derivation from the syntax tree, file validation, diffs and status rules."""

from __future__ import annotations

import pytest

from backend.errors import Conflict, InvalidInput
from backend.objects.diff import diff_files, render
from backend.objects.files import validate_files, validate_path
from backend.objects.schema import analyse_files, derive_api_schema, function_signature
from backend.objects.slugs import validate_slug
from backend.objects.status import check_transition

SOURCE = '''
"""A counter."""
import os

LIMIT = 10

def increment(by: int = 1, /, *, note: str | None = None) -> int:
    """Add `by` to the counter."""
    return by

async def fetch(key: str, *rest, **options) -> dict[str, int]:
    return {}

def total(values: list[float]):
    return sum(values)

def _helper():
    pass

class Thing:
    def method(self):
        pass
'''


def test_schema_lists_public_top_level_functions_with_their_signatures():
    schema = derive_api_schema(SOURCE)
    assert schema["doc"] == "A counter."
    names = [f["name"] for f in schema["functions"]]
    assert names == ["increment", "fetch", "total"]
    increment, fetch, total = schema["functions"]
    assert increment["doc"] == "Add `by` to the counter."
    assert increment["returns"] == "int"
    assert increment["params"] == [
        {
            "name": "by",
            "kind": "positional_only",
            "annotation": "int",
            "required": False,
            "default": "1",
        },
        {
            "name": "note",
            "kind": "keyword_only",
            "annotation": "str | None",
            "required": False,
            "default": "None",
        },
    ]
    assert fetch["is_async"] is True
    assert [p["kind"] for p in fetch["params"]] == [
        "positional_or_keyword",
        "var_positional",
        "var_keyword",
    ]
    assert fetch["params"][0]["required"] is True
    assert total["returns"] is None
    assert total["params"][0]["annotation"] == "list[float]"


def test_signatures_read_like_python():
    functions = derive_api_schema(SOURCE)["functions"]
    assert [function_signature(f) for f in functions] == [
        "increment(by: int = 1, /, *, note: str | None = None) -> int",
        "fetch(key: str, *rest, **options) -> dict[str, int]",
        "total(values: list[float])",
    ]


def test_literal_dunder_all_decides_what_is_exported():
    schema = derive_api_schema("__all__ = ['b', '_c']\ndef a(): ...\ndef b(): ...\ndef _c(): ...")
    assert [f["name"] for f in schema["functions"]] == ["b", "_c"]


def test_schema_never_runs_the_code(tmp_path):
    marker = tmp_path / "ran"
    source = f"open({str(marker)!r}, 'w').write('x')\ndef f(): ...\n"
    schema, error = analyse_files({"main.py": source})
    assert error is None
    assert [f["name"] for f in schema["functions"]] == ["f"]
    assert not marker.exists()


def test_syntax_errors_are_recorded_per_file():
    schema, error = analyse_files(
        {"main.py": "def f(:\n  pass\n", "util.py": "x = (\n", "notes.txt": "def ("}
    )
    assert schema["functions"] == []
    assert error.startswith("main.py line 1:")
    assert "util.py line 1:" in error
    assert "notes.txt" not in error


@pytest.mark.parametrize(
    "path",
    ["/etc/passwd", "../up.py", "a/../../b.py", ".hidden", "a\\b.py", "", "dir/.git/x", "a b.py"],
)
def test_unsafe_file_paths_are_refused(path):
    with pytest.raises(InvalidInput):
        validate_path(path)


def test_files_need_a_main_py_and_nested_paths_are_normalised():
    assert validate_path("lib//util.py") == "lib/util.py"
    with pytest.raises(InvalidInput, match=r"main\.py"):
        validate_files({"other.py": "x = 1\n"})
    with pytest.raises(InvalidInput, match="at least one file"):
        validate_files({})
    with pytest.raises(InvalidInput, match="given twice"):
        validate_files({"main.py": "", "lib/u.py": "", "lib//u.py": ""})
    with pytest.raises(InvalidInput, match="limit"):
        validate_files({"main.py": "x" * 1_000_001})


@pytest.mark.parametrize("slug", ["Counter", "a_b", "-a", "a-", "a--b", "", "x" * 65, "é"])
def test_bad_slugs_are_refused(slug):
    with pytest.raises(InvalidInput):
        validate_slug(slug)


def test_good_slugs_pass():
    assert validate_slug("order-counter-2") == "order-counter-2"


def test_diff_reports_added_removed_and_changed_files():
    old = {"main.py": "a = 1\nb = 2\n", "gone.py": "x\n", "same.py": "s\n"}
    new = {"main.py": "a = 1\nb = 3\n", "new.py": "y\n", "same.py": "s\n"}
    diffs = {d.path: d for d in diff_files(old, new, labels=("v1", "v2"))}
    assert set(diffs) == {"main.py", "gone.py", "new.py"}
    assert diffs["gone.py"].change == "removed"
    assert diffs["new.py"].change == "added"
    assert diffs["main.py"].change == "changed"
    assert (diffs["main.py"].added_lines, diffs["main.py"].removed_lines) == (1, 1)
    assert "--- v1/main.py\n+++ v2/main.py\n" in diffs["main.py"].diff
    assert "-b = 2\n+b = 3\n" in diffs["main.py"].diff
    assert diffs["new.py"].diff.startswith("--- /dev/null\n+++ v2/new.py\n")
    assert render(list(diffs.values())).count("+++") == 3


def test_diff_marks_a_missing_final_newline():
    (change,) = diff_files({"main.py": "a"}, {"main.py": "b"})
    assert "\\ No newline at end of file" in change.diff


@pytest.mark.parametrize(
    ("current", "new", "allowed"),
    [
        ("draft", "deployed", True),
        ("draft", "failed", True),
        ("deployed", "deployed", True),
        ("deployed", "draft", False),
        ("deployed", "failed", False),
        ("failed", "deployed", True),
        ("deprecated", "deployed", False),
        ("deprecated", "draft", True),
    ],
)
def test_status_transitions(current, new, allowed):
    if allowed:
        assert check_transition(current, new) == new
    else:
        with pytest.raises(Conflict, match=f"can't become {new}"):
            check_transition(current, new)


def test_unknown_status_is_invalid_input():
    with pytest.raises(InvalidInput, match="valid: draft"):
        check_transition("draft", "exploded")
