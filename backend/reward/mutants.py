"""Small mutants of a version's code, for measuring how strong its tests are.

Each mutant changes one token of a non-test Python file, the kind of slip a person makes:
an arithmetic operator (`+` and `-`, `*` and `/`, `//` and `/`, `%` and `//`), an integer
constant plus one, a comparison flipped at its boundary (`<` and `<=`, `==` and `!=`, `in` and
`not in`, `is` and `is not`), `and` and `or`, and a returned boolean negated. Sites are
found in source order and, when there are more than wanted, picked evenly across the code,
so the same version always gives the same mutants.

A mutant is the file's own text with just that token replaced (comments, quotes and layout
kept, so its lines are the original's): the syntax tree finds the sites, and its nodes'
positions (line numbers and UTF-8 byte columns) say where the token is. An operator is the
one token left between its operands once spaces, parentheses, comments and line
continuations are set aside; a negated result becomes `not (...)`. Where a token isn't found
where the positions say, that mutant is made from the tree instead (`ast.unparse` of the
mutated tree: the same change, the file reformatted).
"""

from __future__ import annotations

import ast
import itertools
import re
import string
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

_LINE_BREAK = re.compile(rb"\r\n|\r|\n")  # the parser's, for text as for files
# Between two operands: spaces, parentheses, comments and line continuations, and the operator.
_TRIVIA = re.compile(rb"(?:[ \t\f\r\n()]+|\\(?:\r\n|\r|\n)|#[^\r\n]*)*")
_TOKEN = re.compile(rb"[A-Za-z_]\w*|[^\w\s()\\#]+")
_INTEGER = re.compile(rb"[0-9][0-9A-Za-z_]*")
# Bytes a word or number can't be put next to without a space (non-ASCII: in a name).
_WORD = frozenset((string.ascii_letters + string.digits + "_.").encode() + bytes(range(128, 256)))
_Edit = tuple[int, int, bytes]  # bytes start:end of the file's UTF-8 text, and what replaces them


@dataclass(frozen=True)
class Mutant:
    """One mutated version: the files with one token changed, and what was changed."""

    path: str
    line: int
    change: str  # e.g. "`+` -> `-`"
    files: dict[str, str]

    def describe(self) -> str:
        return f"{self.path}:{self.line} {self.change}"


class _Unlocated(Exception):
    """A site's token isn't where its node's position says: that mutant is made from the tree."""


class _Source:
    """A file's text as the parser's positions count it: lines, and UTF-8 bytes in a line."""

    def __init__(self, text: str) -> None:
        self.data = text.encode()
        self.line_starts = [0, *(match.end() for match in _LINE_BREAK.finditer(self.data))]

    def _offset(self, line: int | None, column: int | None) -> int:
        if line is None or column is None or not 0 < line <= len(self.line_starts):
            raise _Unlocated
        offset = self.line_starts[line - 1] + column
        if not 0 <= offset <= len(self.data):
            raise _Unlocated
        return offset

    def span(self, node: ast.AST) -> tuple[int, int]:
        """Where a node's text starts and ends (without the parentheses around it)."""
        start = self._offset(getattr(node, "lineno", None), getattr(node, "col_offset", None))
        end = self._offset(getattr(node, "end_lineno", None), getattr(node, "end_col_offset", None))
        if end < start:
            raise _Unlocated
        return start, end

    def operator(self, left: ast.AST, right: ast.AST, symbol: str) -> list[tuple[int, int]]:
        """Where `symbol`'s words are between two operands: the only tokens there once spaces,
        parentheses, comments and line continuations are set aside."""
        position, end = self.span(left)[1], self.span(right)[0]
        tokens: list[tuple[int, int]] = []
        while (position := self._after_trivia(position, end)) < end:
            token = _TOKEN.match(self.data, position, end)
            if token is None:
                raise _Unlocated
            tokens.append(token.span())
            position = token.end()
        if [self.data[a:b] for a, b in tokens] != symbol.encode().split():
            raise _Unlocated
        return tokens

    def _after_trivia(self, position: int, end: int) -> int:
        trivia = _TRIVIA.match(self.data, position, end)
        assert trivia is not None  # it matches nothing at worst
        return trivia.end()

    def replace(self, start: int, end: int, new: str) -> _Edit:
        """An edit putting `new` for the bytes start:end, with a space where it would otherwise
        run into a neighbouring name or number (`return-a<b` -> `return not (-a<b)`)."""
        text = new.encode()
        before = self.data[start - 1] if start > 0 else None
        after = self.data[end] if end < len(self.data) else None
        if text and text[0] in _WORD and before in _WORD:
            text = b" " + text
        if text and text[-1] in _WORD and after in _WORD:
            text += b" "
        if not text and before in _WORD and after in _WORD:  # `1not in x` -> `1 in x`
            text = b" "
        return start, end, text

    def edited(self, edits: list[_Edit]) -> str:
        """The text with the edits made (they don't overlap)."""
        parts, position = [], 0
        for start, end, text in sorted(edits):
            if start < position:
                raise _Unlocated
            parts += [self.data[position:start], text]
            position = end
        parts.append(self.data[position:])
        try:
            return b"".join(parts).decode()
        except UnicodeDecodeError:  # a position inside a character: not where the token is
            raise _Unlocated from None


@dataclass(frozen=True)
class _Site:
    line: int
    column: int
    change: str
    apply: Callable[[ast.AST], None]  # mutates the node in place
    index: int  # the node's position in ast.walk order, to find it again in a copy
    node: ast.AST  # the node itself, in the tree the sites were found in
    position: int = 0  # which operator of a comparison


def _sites_of(node: ast.AST, index: int) -> list[_Site]:
    """The mutation sites of one node (none, one, or one per comparison operator)."""
    line, column = getattr(node, "lineno", 0), getattr(node, "col_offset", 0)
    sites: list[_Site] = []
    if isinstance(node, ast.BinOp | ast.AugAssign) and type(node.op) in ARITHMETIC:
        new = ARITHMETIC[type(node.op)]
        change = f"`{SYMBOLS[type(node.op)]}` -> `{SYMBOLS[new]}`"
        sites.append(_Site(line, column, change, _setting_op(new), index, node))
    elif isinstance(node, ast.Compare):
        for position, op in enumerate(node.ops):
            if type(op) in COMPARISONS:
                new = COMPARISONS[type(op)]

                def flip(n: ast.AST, position: int = position, new: type = new) -> None:
                    n.ops[position] = new()  # type: ignore[attr-defined]

                change = f"`{SYMBOLS[type(op)]}` -> `{SYMBOLS[new]}`"
                sites.append(_Site(line, column, change, flip, index, node, position))
    elif isinstance(node, ast.BoolOp):
        new = ast.Or if isinstance(node.op, ast.And) else ast.And
        change = f"`{SYMBOLS[type(node.op)]}` -> `{SYMBOLS[new]}`"
        sites.append(_Site(line, column, change, _setting_op(new), index, node))
    elif (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int)
        and not isinstance(node.value, bool)
    ):
        change = f"`{node.value}` -> `{node.value + 1}`"
        sites.append(_Site(line, column, change, _plus_one, index, node))
    elif isinstance(node, ast.Return) and _returns_boolean(node.value):
        change = "returned boolean negated"
        sites.append(_Site(line, column, change, _negate_return, index, node))
    return sites


def _text_edits(site: _Site, source: _Source) -> list[_Edit]:
    """The site's change as edits of the file's text; raises _Unlocated when its token isn't
    where the node's position says."""
    node = site.node
    if isinstance(node, ast.BinOp | ast.AugAssign):
        old, new = SYMBOLS[type(node.op)], SYMBOLS[ARITHMETIC[type(node.op)]]
        if isinstance(node, ast.AugAssign):  # `+=` between the target and the value
            [(start, end)] = source.operator(node.target, node.value, old + "=")
            return [source.replace(start, end, new + "=")]
        [(start, end)] = source.operator(node.left, node.right, old)
        return [source.replace(start, end, new)]
    if isinstance(node, ast.Compare):
        op = type(node.ops[site.position])
        old, new = SYMBOLS[op], SYMBOLS[COMPARISONS[op]]
        operands = [node.left, *node.comparators]
        words = source.operator(operands[site.position], operands[site.position + 1], old)
        if len(words) == 1:  # `in` -> `not in`, `is` -> `is not` too
            [(start, end)] = words
            return [source.replace(start, end, new)]
        # `not in` -> `in`, `is not` -> `is`: `not` goes, and the spaces between the words
        (first_start, first_end), (second_start, second_end) = words
        if source.data[first_end:second_start].strip(b" \t"):  # a comment or a line break
            start, end = words[0] if old == "not in" else words[1]
        else:
            start, end = (first_start, second_start) if old == "not in" else (first_end, second_end)
        return [source.replace(start, end, "")]
    if isinstance(node, ast.BoolOp):  # every operator: `a and b and c` is one node
        old = SYMBOLS[type(node.op)]
        new = "or" if old == "and" else "and"
        spans = [source.operator(a, b, old)[0] for a, b in itertools.pairwise(node.values)]
        return [source.replace(start, end, new) for start, end in spans]
    if isinstance(node, ast.Constant):  # the digits only: `-5` is `-` and `5`, and becomes `-6`
        start, end = source.span(node)
        text = source.data[start:end]
        if not _INTEGER.fullmatch(text) or int(text.replace(b"_", b""), 0) != node.value:
            raise _Unlocated
        return [source.replace(start, end, str(node.value + 1))]
    assert isinstance(node, ast.Return) and node.value is not None
    value = node.value
    start, end = source.span(value)
    if isinstance(value, ast.Constant):  # `True` <-> `False`
        if source.data[start:end] != str(value.value).encode():
            raise _Unlocated
        return [source.replace(start, end, str(not value.value))]
    return [source.replace(start, start, "not ("), source.replace(end, end, ")")]


def _setting_op(new: type[ast.AST]) -> Callable[[ast.AST], None]:
    return lambda n: setattr(n, "op", new())


def _plus_one(node: ast.AST) -> None:
    node.value += 1  # type: ignore[attr-defined]


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
    sources: dict[str, _Source] = {}
    mutants = []
    for chosen in _spread(len(sites), limit):
        path, site = sites[chosen]
        if path not in sources:
            sources[path] = _Source(files[path])
        source = sources[path]
        try:
            mutated = source.edited(_text_edits(site, source))
        except _Unlocated:
            mutated = _unparsed(files[path], path, site)
        mutants.append(Mutant(path, site.line, site.change, {**files, path: mutated}))
    return mutants, len(sites)


def _unparsed(text: str, path: str, site: _Site) -> str:
    """The mutant made from the tree: the file reformatted (comments dropped, quotes changed)."""
    tree = parse(text, path)  # a fresh tree: parsing is faster than deepcopy
    assert tree is not None  # it parsed a moment ago
    site.apply(next(itertools.islice(ast.walk(tree), site.index, None)))
    return ast.unparse(tree)  # needs no locations, so the new nodes have none
