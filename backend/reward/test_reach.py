"""Which of an object's tests can reach a line of main.py: the tests worth running on a mutant.

A mutant changes one line. A test can only kill it by running that line, so a mutant inside
a function of main.py runs only the tests that mention that function or one of the
functions of main.py that call it, directly or through others (read from the syntax trees;
nothing is run); a mutant of a module-level constant, the tests that reach a function using
it. The tests that name the function itself go first: they are the likeliest to fail, and
one failure is enough. A mutant anywhere else (other module-level code, a class, another
file) may be reached from anywhere, so every test runs.

A test that reaches a function only in ways the syntax doesn't show (a name built at run
time) is missed, and a mutant it alone would kill counts as a survivor: the score errs on the
side of calling the tests weaker than they are.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping

from backend.objects.files import ENTRY_FILE
from backend.reward.code import parse, python_files
from backend.reward.literals import names_in

TestId = tuple[str, str]  # (file, test function), as the sandbox collects them


class TestReach:
    def __init__(self, files: Mapping[str, str], tests: list[TestId]) -> None:
        self.tests = tests
        tree = parse(files.get(ENTRY_FILE, ""), ENTRY_FILE)
        self._spans: list[tuple[int, int, str]] = []
        mentions: dict[str, set[str]] = {}
        # Module-level constants (`LIMIT = 1000`) count as what they name: a mutant of one
        # is reached through the functions that use it.
        self._constants: list[tuple[int, int, set[str]]] = []
        for node in tree.body if tree else []:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self._spans.append((node.lineno, node.end_lineno or node.lineno, node.name))
                mentions[node.name] = names_in(node)
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if all(isinstance(target, ast.Name) for target in targets):
                    names = {target.id for target in targets if isinstance(target, ast.Name)}
                    self._constants.append((node.lineno, node.end_lineno or node.lineno, names))
        self._mentions = mentions
        self._callers = {
            name: {caller for caller, names in mentions.items() if name in names and caller != name}
            for name in mentions
        }
        self._test_names: dict[TestId, set[str]] = {}
        for path, text in python_files(files, tests=True).items():
            test_tree = parse(text, path)
            local = {
                node.name: names_in(node)
                for node in (test_tree.body if test_tree else [])
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            }
            for name in local:
                self._test_names[(path, name)] = _closure(name, local)

    def function_at(self, path: str, line: int) -> str | None:
        """The top-level function of main.py holding `line` (None: elsewhere)."""
        if path != ENTRY_FILE:
            return None
        return next((name for start, end, name in self._spans if start <= line <= end), None)

    def _reaching(self, function: str) -> set[str]:
        """`function` and every function of main.py that calls it, however indirectly."""
        found, todo = {function}, [function]
        while todo:
            for caller in self._callers.get(todo.pop(), ()):
                if caller not in found:
                    found.add(caller)
                    todo.append(caller)
        return found

    def _named_at(self, path: str, line: int) -> set[str] | None:
        """The function, or the constants, defined at `line` of main.py (None: neither)."""
        function = self.function_at(path, line)
        if function is not None:
            return {function}
        if path == ENTRY_FILE:
            for start, end, names in self._constants:
                if start <= line <= end:
                    return names
        return None

    def tests_for(self, path: str, line: int) -> list[TestId]:
        """The tests to run on a mutant of `path` at `line`, likeliest killers first."""
        named = self._named_at(path, line)
        if named is None:
            return list(self.tests)
        users = {name for name, mentioned in self._mentions.items() if mentioned & named}
        reaching = set().union(named, *(self._reaching(user) for user in users | named))
        direct, indirect = [], []
        for test in self.tests:
            names = self._test_names.get(test, set())
            if names & (named | users):
                direct.append(test)
            elif names & reaching:
                indirect.append(test)
        return direct + indirect


def _closure(name: str, local: dict[str, set[str]]) -> set[str]:
    """The names a test file's function mentions, with those of the file's own helpers it
    calls (however indirectly)."""
    found, todo, seen = set(local[name]), [name], {name}
    while todo:
        for other in local[todo.pop()] & local.keys():
            if other not in seen:
                seen.add(other)
                found |= local[other]
                todo.append(other)
    return found
