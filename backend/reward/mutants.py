"""Small mutants of a version's code, for measuring how strong its tests are.

Each mutant changes one token of a non-test Python file, the kind of slip a person makes:
an arithmetic operator (`+` and `-`, `*` and `/`, `//` and `/`, `%` and `//`), an integer
constant plus one, a comparison flipped at its boundary (`<` and `<=`, `==` and `!=`, `in` and
`not in`, `is` and `is not`), `and` and `or`, and a returned boolean negated. Sites are
found in source order and, when there are more than wanted, picked evenly across the code,
so the same version always gives the same mutants.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from backend.reward.code import parse, python_files

ARITHMETIC: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Mod: ast.FloorDiv,
}
COMPARISONS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
SYMBOLS = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%",
    ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
    ast.In: "in", ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not",
    ast.And: "and", ast.Or: "or",
}  # fmt: skip
BOOLEAN_RESULTS = (ast.Compare, ast.BoolOp)


@dataclass(frozen=True)
class Mutant:
    """One mutated version: the files with one token changed, and what was changed."""

    path: str
    line: int
    change: str  # e.g. "`+` -> `-`"
    files: dict[str, str]

    def describe(self) -> str:
        return f"{self.path}:{self.line} {self.change}"


@dataclass(frozen=True)
class _Site:
    line: int
    column: int
    change: str
    apply: Callable[[ast.AST], None]  # mutates the node in place
    index: int  # the node's position in ast.walk order, to find it again in a copy


def _sites_of(node: ast.AST, index: int) -> list[_Site]:
    """The mutation sites of one node (none, one, or one per comparison operator)."""
    line, column = getattr(node, "lineno", 0), getattr(node, "col_offset", 0)
    sites: list[_Site] = []
    if isinstance(node, ast.BinOp | ast.AugAssign) and type(node.op) in ARITHMETIC:
        new = ARITHMETIC[type(node.op)]
        change = f"`{SYMBOLS[type(node.op)]}` -> `{SYMBOLS[new]}`"
        sites.append(_Site(line, column, change, lambda n, new=new: setattr(n, "op", new()), index))
    elif isinstance(node, ast.Compare):
        for position, op in enumerate(node.ops):
            if type(op) in COMPARISONS:
                new = COMPARISONS[type(op)]

                def flip(n: ast.AST, position: int = position, new: type = new) -> None:
                    n.ops[position] = new()  # type: ignore[attr-defined]

                change = f"`{SYMBOLS[type(op)]}` -> `{SYMBOLS[new]}`"
                sites.append(_Site(line, column, change, flip, index))
    elif isinstance(node, ast.BoolOp):
        new = ast.Or if isinstance(node.op, ast.And) else ast.And
        change = f"`{SYMBOLS[type(node.op)]}` -> `{SYMBOLS[new]}`"
        sites.append(_Site(line, column, change, lambda n, new=new: setattr(n, "op", new()), index))
    elif (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int)
        and not isinstance(node.value, bool)
    ):
        change = f"`{node.value}` -> `{node.value + 1}`"
        sites.append(_Site(line, column, change, lambda n: setattr(n, "value", n.value + 1), index))
    elif isinstance(node, ast.Return) and _returns_boolean(node.value):
        sites.append(_Site(line, column, "returned boolean negated", _negate_return, index))
    return sites


def _returns_boolean(value: ast.expr | None) -> bool:
    if isinstance(value, ast.Constant):
        return isinstance(value.value, bool)
    return isinstance(value, BOOLEAN_RESULTS) or (
        isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.Not)
    )


def _negate_return(node: ast.AST) -> None:
    value = node.value  # type: ignore[attr-defined]
    if isinstance(value, ast.Constant):
        value.value = not value.value
    else:
        node.value = ast.UnaryOp(op=ast.Not(), operand=value)  # type: ignore[attr-defined]


def _skipped_nodes(tree: ast.Module) -> set[int]:
    """ids of nodes never mutated: annotations (not behaviour) and `if __name__` blocks."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        annotations: list[ast.AST | None] = []
        if isinstance(node, ast.arg | ast.AnnAssign):
            annotations.append(node.annotation)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            annotations.append(node.returns)
        for annotation in annotations:
            if annotation is not None:
                skipped.update(id(n) for n in ast.walk(annotation))
    return skipped


def _sites(tree: ast.Module) -> list[_Site]:
    skipped = _skipped_nodes(tree)
    found = [
        site
        for index, node in enumerate(ast.walk(tree))
        if id(node) not in skipped
        for site in _sites_of(node, index)
    ]
    return sorted(found, key=lambda s: (s.line, s.column, s.index, s.change))


def _spread(count: int, wanted: int) -> list[int]:
    """`wanted` indices out of `count`, evenly spaced (all of them when there are fewer)."""
    if count <= wanted:
        return list(range(count))
    return [i * count // wanted for i in range(wanted)]


def make_mutants(files: Mapping[str, str], limit: int) -> tuple[list[Mutant], int]:
    """At most `limit` mutants of the non-test Python files, and how many sites there were."""
    trees = {
        path: tree
        for path, text in python_files(files, tests=False).items()
        if (tree := parse(text, path)) is not None
    }
    sites = [(path, site) for path, tree in trees.items() for site in _sites(tree)]
    mutants = []
    for chosen in _spread(len(sites), limit):
        path, site = sites[chosen]
        tree = parse(files[path], path)  # a fresh tree: parsing is faster than deepcopy
        assert tree is not None  # it parsed a moment ago
        site.apply(next(itertools.islice(ast.walk(tree), site.index, None)))
        mutated = ast.unparse(tree)  # needs no locations, so the new nodes have none
        mutants.append(Mutant(path, site.line, site.change, {**files, path: mutated}))
    return mutants, len(sites)
