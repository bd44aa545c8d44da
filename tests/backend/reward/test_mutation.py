"""Strength of an object's tests, by mutation (issue 13, item 4)."""

from __future__ import annotations

import ast
import io
import tokenize
from collections import Counter

import pytest

from backend.config import Settings
from backend.reward import mutants as mutants_module
from backend.reward.factuality import evaluate_factuality
from backend.reward.mutants import Mutant, make_mutants
from backend.sandbox import get_pool
from tests.support.sandbox_helpers import require_default_pool

MAIN = '''"""Small helpers."""


def add(x: int, y: int = 1) -> int:
    """x plus y."""
    return x + y


def is_small(n: int) -> bool:
    """Between -10 and 10, both excluded."""
    return n < 10 and n > -10


def ratio(a: float, b: float) -> float:
    """a over b, 0 when b is 0."""
    if b == 0:
        return 0.0
    return a / b
'''
STRONG_TESTS = """from main import add, is_small, ratio


def test_add():
    assert add(2, 3) == 5
    assert add(2) == 3


def test_is_small():
    assert is_small(9) and is_small(-9) and is_small(0)
    assert not is_small(10) and not is_small(-10) and not is_small(100)


def test_ratio():
    assert ratio(6.0, 3.0) == 2.0
    assert ratio(1.0, 0) == 0.0
"""
WEAK_TESTS = """from main import add, is_small, ratio


def test_it_runs():
    add(2, 3)
    is_small(3)
    ratio(1.0, 2.0)
"""


def test_mutants_are_bounded_deterministic_and_change_one_token():
    files = {"main.py": MAIN, "tests/test_main.py": STRONG_TESTS}
    mutants, sites = make_mutants(files, 20)
    assert sites > 5 and len(mutants) == min(sites, 20)
    again, _ = make_mutants(files, 20)
    assert [m.files for m in mutants] == [m.files for m in again]
    changes = {m.change for m in mutants}
    assert {"`+` -> `-`", "`<` -> `<=`", "`and` -> `or`", "`/` -> `*`", "`0` -> `1`"} <= changes
    assert "returned boolean negated" in changes
    for mutant in mutants:
        assert mutant.files["tests/test_main.py"] == STRONG_TESTS  # tests are never mutated
        assert ast.dump(ast.parse(mutant.files["main.py"])) != ast.dump(ast.parse(MAIN))
    few, _ = make_mutants(files, 3)
    assert len(few) == 3 and len({m.describe() for m in few}) == 3


AWKWARD = '''"""Awkward formatting: a mutant must be this file with one token changed."""

import math  # a + b - c < d in a comment is not an operator

LIMIT = -5  # a negative number: a minus applied to 5
SIZES = [1_000 + 0x1F, -(2), 3 - -4]


def total(items: list[int], start: int = 0) -> int:
    """Sums `a + b`: # in a string is not a comment, and neither is this -."""
    result = start
    for item in items:
        result += item  # += in a comment
    result = (result  # the left operand, a comment with - and +, then the operator
              + 1)
    scale = ((result) *
             (2))  # parentheses around both operands
    scale //= 3
    return (scale
            # a comment line between the operands: % 2
            % 4)


def label(word: str, n: int) -> str:
    return "héllo wörld ✓ → " + word * n if n > 0 else "ünï" + word - "€"  # non-ASCII first


def check(x: int, names: dict[str, int]) -> bool:
    if 0 < x <= 10 < x + 1:  # a chained comparison
        return True
    if "é" not in names and x is not None and x is  not names:
        return False
    if ("ä" in names) or x is None or (x == 3 and x != 4):  # nested: and inside or
        return (x >= 1 and  # `and` at the end of a line
                x < 100)
    if (x not  # a comment between the words of `not in`
            in names):
        return x \\
            > 5
    return(x<=2)


def short(a, b, c):
    return a and b or c and not a


def negative(a, b):
    return-a<b


def fmt(value: float, width: int) -> str:
    return f"{value + 1:>{width - 2}} é {value * 2!r}"


def continued(a, b):
    total = a - \\
        b
    total %= 7
    return not total
'''
HELPERS = """# Helpers.
def twice(x):
    return x * 2  # doubled
"""


class _FlatBoolOps(ast.NodeTransformer):
    """`a and (b and c)` as `a and b and c`: the same, and what the text of either parses to."""

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.BoolOp:
        self.generic_visit(node)
        values: list[ast.expr] = []
        for value in node.values:
            same = isinstance(value, ast.BoolOp) and type(value.op) is type(node.op)
            values.extend(value.values if same else [value])  # type: ignore[attr-defined]
        node.values = values
        return node


def _meaning(text: str) -> str:
    return ast.dump(_FlatBoolOps().visit(ast.parse(text)))


def _tokens(text: str) -> list[tokenize.TokenInfo]:
    return list(tokenize.generate_tokens(io.StringIO(text).readline))


def _from_the_tree(monkeypatch: pytest.MonkeyPatch, files: dict[str, str], limit: int):
    """The mutants as the tree alone makes them (every text edit given up)."""

    def unlocated(site, source):
        raise mutants_module._Unlocated

    with monkeypatch.context() as patch:
        patch.setattr(mutants_module, "_text_edits", unlocated)
        return make_mutants(files, limit)


def _token_change(original: str, mutated: str) -> tuple[Counter, Counter, set[int]]:
    """The tokens taken out and put in (comments are tokens; numbers by value, `0x1F` as `31`),
    and the lines they are on."""

    def text(token: tokenize.TokenInfo) -> str:
        number = token.type == tokenize.NUMBER
        return str(ast.literal_eval(token.string)) if number else token.string

    before, after = _tokens(original), _tokens(mutated)
    start = 0
    while text(before[start]) == text(after[start]):
        start += 1
    end = 0
    while text(before[-1 - end]) == text(after[-1 - end]):
        end += 1
    middle_before, middle_after = before[start : len(before) - end], after[start : len(after) - end]
    taken = Counter(map(text, middle_before)) - Counter(map(text, middle_after))
    put = Counter(map(text, middle_after)) - Counter(map(text, middle_before))
    if [t.type for t in [*middle_before, *middle_after]] == [tokenize.STRING] * 2:
        # Inside an f-string (one token before Python 3.12): the characters that differ.
        old, new = middle_before[0].string, middle_after[0].string
        same = _same_start(old, new)
        left = _same_start(old[same:][::-1], new[same:][::-1])
        taken, put = (
            Counter(old[same : len(old) - left].split()),
            Counter(new[same : len(new) - left].split()),
        )
    lines = {line for t in [*middle_before, *middle_after] for line in (t.start[0], t.end[0])}
    return taken, put, lines


def _same_start(a: str, b: str) -> int:
    """How many characters two strings start with in common."""
    same = 0
    while same < min(len(a), len(b)) and a[same] == b[same]:
        same += 1
    return same


def _expected_change(mutant: Mutant) -> tuple[Counter, Counter] | None:
    """What one mutant takes out and puts in, by its description (None: either of two)."""
    if mutant.change == "returned boolean negated":
        return None
    old, new = mutant.change.replace("`", "").split(" -> ")
    return Counter(old.split()) - Counter(new.split()), Counter(new.split()) - Counter(old.split())


def test_a_mutant_is_the_file_with_one_token_changed(monkeypatch):
    files = {"main.py": AWKWARD, "helpers.py": HELPERS, "tests/test_main.py": STRONG_TESTS}
    mutants, sites = make_mutants(files, 1000)
    from_tree, _ = _from_the_tree(monkeypatch, files, 1000)
    assert len(mutants) == sites == len(from_tree) > 70
    original_lines = {path: text.splitlines(keepends=True) for path, text in files.items()}
    for mutant, reference in zip(mutants, from_tree, strict=True):
        assert mutant.describe() == reference.describe()
        for path, text in files.items():
            if path != mutant.path:
                assert mutant.files[path] is text
        original, mutated = files[mutant.path], mutant.files[mutant.path]
        # The change the tree makes (an `and` inside an `and` reads the same either way).
        assert _meaning(mutated) == _meaning(reference.files[mutant.path]) != _meaning(original)
        # Just the mutated tokens changed: comments kept, and every other line byte for byte.
        taken, put, token_lines = _token_change(original, mutated)
        expected = _expected_change(mutant)
        boolean = mutant.change in ("`and` -> `or`", "`or` -> `and`")
        if expected is None:  # a returned boolean: `True` <-> `False`, or `not (...)`
            assert (taken, put) in [
                (Counter(["True"]), Counter(["False"])),
                (Counter(["False"]), Counter(["True"])),
                (Counter(), Counter(["not", "(", ")"])),
            ], mutant.describe()
        elif boolean:  # each operator of the node: `a and b and c` is one node
            assert (set(taken), set(put)) == (set(expected[0]), set(expected[1]))
            assert sum(taken.values()) == sum(put.values()) >= 1
        else:  # `+` -> `-` is `+=` -> `-=` in an augmented assignment
            augmented = tuple(Counter({f"{k}=": n for k, n in c.items()}) for c in expected)
            assert (taken, put) in (expected, augmented), mutant.describe()
        lines = mutated.splitlines(keepends=True)
        assert len(lines) == len(original_lines[mutant.path])
        changed = {
            number
            for number, (old, new) in enumerate(
                zip(original_lines[mutant.path], lines, strict=True), 1
            )
            if old != new
        }
        assert changed and changed <= token_lines and min(changed) >= mutant.line
        if expected is not None and not boolean:
            assert len(changed) == 1, mutant.describe()  # one token, on one line
        comments = [(t.start[0], t.string) for t in _tokens(original) if t.type == tokenize.COMMENT]
        assert [
            (t.start[0], t.string) for t in _tokens(mutated) if t.type == tokenize.COMMENT
        ] == comments
    again, _ = make_mutants(files, 1000)
    assert [m.files for m in again] == [m.files for m in mutants]
    # Windows line ends stay as they are.
    crlf = {path: text.replace("\n", "\r\n") for path, text in files.items()}
    assert [m.files[m.path] for m in make_mutants(crlf, 1000)[0]] == [
        m.files[m.path].replace("\n", "\r\n") for m in mutants
    ]


NEGATED = "returned boolean negated"


@pytest.mark.parametrize(
    ("source", "change", "mutated"),
    [
        ("x = (a  # a + b\n     + b)\n", "`+` -> `-`", "x = (a  # a + b\n     - b)\n"),
        ("x = -5 + é\n", "`5` -> `6`", "x = -6 + é\n"),
        ('s = "é✓" + t\n', "`+` -> `-`", 's = "é✓" - t\n'),
        ("x //= 2\n", "`//` -> `/`", "x /= 2\n"),
        ("y = x  not  in z\n", "`not in` -> `in`", "y = x  in z\n"),
        ("y = x is not z\n", "`is not` -> `is`", "y = x is z\n"),
        ("y = (x) in(z)\n", "`in` -> `not in`", "y = (x) not in(z)\n"),
        ("y = a and (b or c) and d\n", "`and` -> `or`", "y = a or (b or c) or d\n"),
        ("def f(a):\n return(a<2)\n", NEGATED, "def f(a):\n return(not (a<2))\n"),
        ("def f(a):\n return-a<2\n", NEGATED, "def f(a):\n return not (-a<2)\n"),
        ("def f():\n return True  # yes\n", NEGATED, "def f():\n return False  # yes\n"),
    ],
)  # fmt: skip
def test_mutants_change_only_the_token(source, change, mutated):
    [mutant] = [m for m in make_mutants({"m.py": source}, 100)[0] if m.change == change]
    assert mutant.files["m.py"] == mutated


def test_a_token_not_found_where_the_tree_says_gives_the_mutant_the_tree_makes(monkeypatch):
    text_edits = mutants_module._text_edits

    def only_constants(site, source):
        if site.change[1].isdigit():
            return text_edits(site, source)
        raise mutants_module._Unlocated

    monkeypatch.setattr(mutants_module, "_text_edits", only_constants)
    mutants, _ = make_mutants({"main.py": AWKWARD}, 1000)
    unparsed = 0
    for mutant in mutants:
        text = mutant.files["main.py"]
        if mutant.change[1].isdigit():  # edited: the comments are still there
            assert "# a chained comparison" in text
        else:  # made from the tree: parsed, mutated and unparsed, so reformatted
            assert text == ast.unparse(ast.parse(text))
            assert not any(token.type == tokenize.COMMENT for token in _tokens(text))
            unparsed += 1
        assert _meaning(text) != _meaning(AWKWARD)
    assert unparsed > 30


@pytest.fixture(scope="module")
def sandbox() -> None:
    require_default_pool()


def _factuality(tests: str | None, **settings):
    files = {"main.py": MAIN} | ({"tests/test_main.py": tests} if tests else {})
    return evaluate_factuality(
        files,
        parent_files=None,
        keeps_behaviour=False,
        use_llm=False,
        settings=Settings(**settings),
    )


def test_strong_tests_kill_most_mutants_and_the_reasons_say_how_many(sandbox):
    result = _factuality(STRONG_TESTS)
    mutation = result.mutation
    assert mutation["ran"] == mutation["made"] > 5 and not mutation["weak"]
    assert mutation["score"] >= 0.7
    line = f"tests kill {mutation['killed']} of {mutation['ran']} mutants"
    assert any(reason.startswith(line) for reason in result.reasons)
    assert result.score == 1.0


def test_weak_tests_are_flagged_for_the_person_approving(sandbox):
    result = _factuality(WEAK_TESTS)
    mutation = result.mutation
    assert mutation["weak"] and mutation["score"] < 0.5 and mutation["survivors"]
    assert any(reason.startswith("weak tests: they kill only") for reason in result.reasons)
    assert result.score == 1.0  # reported, not scored: the tests did pass


def test_without_tests_mutation_testing_is_skipped_saying_why(sandbox):
    result = _factuality(None)
    assert result.mutation["skipped"] == "skipped: the object has no tests to kill mutants"
    assert "mutation testing skipped: the object has no tests" in " ".join(result.reasons)


def test_mutation_testing_keeps_to_its_budget_and_says_how_many_ran(sandbox):
    result = _factuality(STRONG_TESTS, mutation_seconds=0.001)
    mutation = result.mutation
    assert mutation["ran"] < mutation["made"]
    assert "left out at the time budget" in " ".join(result.reasons) or mutation["skipped"]


REACH_MAIN = '''"""Prices."""

RATE = 0.2


def net(amount: float) -> float:
    return amount * (1 - RATE)


def gross(amount: float) -> float:
    return round(net(amount) + fee(amount), 2)


def fee(amount: float) -> float:
    return 1.0 if amount < 10 else 0.0
'''
REACH_TESTS = """from main import gross, net


def check(value):
    return gross(value) > 0


def test_net():
    assert net(10.0) == 8.0


def test_gross_through_a_helper():
    assert check(5.0)


def test_nothing():
    assert True
"""


def test_a_mutant_runs_only_the_tests_that_reach_its_line_likeliest_killers_first():
    from backend.reward.test_reach import TestReach

    files = {"main.py": REACH_MAIN, "tests/test_main.py": REACH_TESTS}
    tests = [("tests/test_main.py", name) for name in ("test_net", "test_gross_through_a_helper")]
    reach = TestReach(files, [*tests, ("tests/test_main.py", "test_nothing")])
    lines = REACH_MAIN.splitlines()

    def line_of(text: str) -> int:
        return next(i for i, line in enumerate(lines, 1) if text in line)

    # net() is named by test_net and reached by gross(), which a helper of the other test calls.
    assert reach.tests_for("main.py", line_of("amount * (1 - RATE)")) == tests
    # fee() only through gross(): the helper's test; a constant through the functions using it.
    assert reach.tests_for("main.py", line_of("1.0 if amount")) == [tests[1]]
    assert reach.tests_for("main.py", line_of("RATE = 0.2")) == tests
    # Anywhere else (another file) every test runs.
    assert len(reach.tests_for("helpers.py", 1)) == 3


def test_run_tests_runs_a_selection_in_order_and_can_stop_at_the_first_failure(sandbox, tmp_path):
    (tmp_path / "main.py").write_text("def one():\n    return 1\n")
    (tmp_path / "test_main.py").write_text(
        "from main import one\n\n\ndef test_a():\n    assert one() == 1\n\n\n"
        "def test_b():\n    assert one() == 2\n\n\ndef test_c():\n    assert one() == 1\n"
    )
    pool = get_pool()
    every = pool.run_tests(tmp_path)
    assert [t.name for t in every.tests] == ["test_a", "test_b", "test_c"]
    chosen = pool.run_tests(tmp_path, only=[("test_main.py", "test_c"), ("test_main.py", "test_a")])
    assert [t.name for t in chosen.tests] == ["test_c", "test_a"] and chosen.passed
    stopped = pool.run_tests(tmp_path, stop_at_failure=True)
    assert [(t.name, t.passed) for t in stopped.tests] == [("test_a", True), ("test_b", False)]
    unknown = pool.run_tests(tmp_path, only=[("test_main.py", "test_zzz")])
    assert [(t.name, t.passed) for t in unknown.tests] == [("test_zzz", False)]
