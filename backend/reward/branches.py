"""Branch coverage of the differential check's inputs, per function, by coverage.py's rules.

The sandbox traces each input's call (the arcs between lines it ran, see
`SandboxPool.call_many(trace=True)`); here coverage.py's static analysis of a version's
main.py says which arcs are branches (those leaving a line with more than one way out: an
`if`, a loop, a `while`), grouped by the top-level function whose lines they leave from.
A function's coverage is the share of its branch arcs that some input took. The tracer
stops following a frame after many lines (a long loop), so coverage is a lower bound.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from typing import Any

from coverage.parser import PythonParser

from backend import syntax
from backend.reward.code import parse

Arc = tuple[int, int]


class Branches:
    """The branch arcs of one version's main.py, per top-level function."""

    def __init__(self, source: str) -> None:
        self.by_function: dict[str, frozenset[Arc]] = {}
        self._parser: PythonParser | None = None
        tree = parse(source, "main.py")
        if tree is None:
            return
        try:
            with syntax.LOCK:
                parser = PythonParser(text=source, filename="main.py")
                parser.parse_source()
                arcs, exits = parser.arcs(), parser.exit_counts()
        except Exception:  # coverage.py refuses some code; then nothing is measured
            return
        self._parser = parser
        deciding = {line for line, count in exits.items() if count > 1}
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                start, end = node.lineno, node.end_lineno or node.lineno
                self.by_function[node.name] = frozenset(
                    arc for arc in arcs if arc[0] in deciding and start <= arc[0] <= end
                )

    def taken(self, function: str, measured: Iterable[Arc]) -> frozenset[Arc]:
        """The function's branch arcs among `measured` (raw arcs from the tracer)."""
        possible = self.by_function.get(function, frozenset())
        if self._parser is None or not possible:
            return frozenset()
        return frozenset(self._parser.translate_arcs(set(measured))) & possible

    def missing(self, function: str, measured: Iterable[Arc]) -> frozenset[Arc]:
        return self.by_function.get(function, frozenset()) - self.taken(function, measured)

    def first_line(self, line: int) -> int:
        """The first line of the statement holding `line` (how arcs are counted)."""
        return self._parser.first_line(line) if self._parser else line

    def summary(self, function: str, measured: Iterable[Arc]) -> dict[str, Any] | None:
        """{"covered", "total"} for the function, or None when it isn't in this version."""
        if self._parser is None or function not in self.by_function:
            return None
        return {
            "covered": len(self.taken(function, measured)),
            "total": len(self.by_function[function]),
        }


def main_arcs(raw: Any) -> set[Arc]:
    """The arcs in main.py from a call's traced arcs (see CallResult.arcs), shape-checked:
    the child's answer is the object's own word."""
    found: set[Arc] = set()
    items = raw.get("main.py") if isinstance(raw, dict) else None
    for arc in items if isinstance(items, list) else []:
        if isinstance(arc, list | tuple) and len(arc) == 2 and all(type(n) is int for n in arc):
            found.add((arc[0], arc[1]))
    return found
