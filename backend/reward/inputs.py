"""Inputs for differential testing: JSON arguments drawn from a function's type hints.

Annotations in an API schema are source text (the code is parsed, never imported), so
`typing` can't be consulted; instead the JSON-shaped annotations that
callers can send (int, float, str, bool, None, list, dict, list[X], dict[str, X], X | Y,
Optional[X], Union[...], Literal[...], Any; no annotation counts as Any, since a caller may
send any JSON there) map to strategies here. Anything else (a class, tuple, datetime...) is
not generatable: a required parameter of that kind skips its function, an optional one is
left to its default.

Each function's inputs are, in order: the worked examples in its docstring (see
`examples`), the tests' own calls made only of literals, then rounds of the literals that
concern it (see `literals`; the examples' values join them), then values drawn by the
parameters' generators. An unannotated parameter that the docstring examples show takes
values shaped like theirs (a string, a list of ints) before any JSON value. Every input is
tagged with its source (SOURCES), so a report can say where its inputs came from.

The draws come from `draws` (seeded generators, no testing engine), seeded by the
function's parameters, so the same code always gets the same inputs.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from backend import syntax
from backend.objects.arguments import check_value
from backend.objects.files import ENTRY_FILE
from backend.objects.schema import derive_api_schema
from backend.reward import draws
from backend.reward.draws import Gen, draw
from backend.reward.examples import docstring_calls, function_docstrings
from backend.reward.literals import FunctionLiterals, LiteralIndex, key, unique

MAX_ITEMS = draws.MAX_ITEMS
LITERAL_SHARE = 0.25  # of drawn values that are one of the parameter's literals
_ANY_NAMES = {"Any", "typing.Any", "object"}
_SCALARS: dict[str, Callable[[], Gen]] = {
    "int": draws.integers,
    "float": draws.floats,
    "str": draws.text,
    "bool": draws.booleans,
    "None": draws.none,
}
# Where an input came from: a docstring example, a call in the tests, the literals of the
# code and tests, draws by the type hints, or from the shapes of the examples
# for unannotated parameters, or from any JSON value (no hint and no example).
SOURCES = ("docstring", "test", "literal", "type", "shape", "random")


class NotGeneratable(ValueError):
    """An annotation whose values can't be generated as JSON."""


def _name(node: ast.expr) -> str:
    return ast.unparse(node).removeprefix("typing.")


def _union(nodes: list[ast.expr]) -> Gen:
    return draws.one_of(*(_strategy(node) for node in nodes))


def _subscript(node: ast.Subscript) -> Gen:
    outer = _name(node.value)
    inner = node.slice
    items = inner.elts if isinstance(inner, ast.Tuple) else [inner]
    if outer == "Optional":
        return draws.one_of(draws.none(), _strategy(inner))
    if outer == "Union":
        return _union(items)
    if outer in ("list", "List", "Sequence", "Iterable") and len(items) == 1:
        return draws.lists(_strategy(items[0]), max_size=MAX_ITEMS)
    if outer in ("dict", "Dict", "Mapping") and len(items) == 2 and _name(items[0]) == "str":
        return draws.dictionaries(draws.text(8), _strategy(items[1]), max_size=MAX_ITEMS)
    if outer == "Literal":
        values = [value for ok, value in map(_literal, items) if ok]
        if values and len(values) == len(items):
            return draws.sampled_from(values)
    raise NotGeneratable(ast.unparse(node))


def _literal(node: ast.expr) -> tuple[bool, Any]:
    try:
        value = ast.literal_eval(node)
    except ValueError:
        return False, None
    return isinstance(value, str | int | float | bool | None), value


def _strategy(node: ast.expr) -> Gen:
    if isinstance(node, ast.Constant) and node.value is None:
        return draws.none()
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return strategy_for(node.value)  # a forward reference: "list[int]"
    if isinstance(node, ast.Name | ast.Attribute):
        name = ast.unparse(node)
        if name in _ANY_NAMES:
            return draws.json_values()
        name = name.removeprefix("typing.")
        if name in _SCALARS:
            return _SCALARS[name]()
        if name in ("list", "List"):
            return draws.lists(draws.json_values(), max_size=MAX_ITEMS)
        if name in ("dict", "Dict"):
            return draws.dictionaries(draws.text(8), draws.json_values(), max_size=MAX_ITEMS)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return draws.one_of(_strategy(node.left), _strategy(node.right))
    if isinstance(node, ast.Subscript):
        return _subscript(node)
    raise NotGeneratable(ast.unparse(node))


def strategy_for(annotation: str | None) -> Gen:
    """The strategy for an annotation's source text; raises NotGeneratable."""
    if not annotation:
        return draws.json_values()
    try:
        node = syntax.parse(annotation, mode="eval").body
    except SyntaxError as exc:
        raise NotGeneratable(annotation) from exc
    return _strategy(node)


def shape_strategy(value: Any) -> Gen | None:
    """Values shaped like `value` (a str gives strings, a list of ints lists of ints...):
    how an unannotated parameter's type is learned from the docstring examples."""
    if isinstance(value, bool):
        return draws.booleans()
    if isinstance(value, int):
        return _SCALARS["int"]()
    if isinstance(value, float):
        return _SCALARS["float"]()
    if isinstance(value, str):
        return draws.text()
    if isinstance(value, list | dict):
        items = value if isinstance(value, list) else list(value.values())
        inner = [s for item in items[:3] if (s := shape_strategy(item)) is not None]
        element = draws.one_of(*inner) if inner else draws.json_values()
        if isinstance(value, list):
            return draws.lists(element, max_size=MAX_ITEMS)
        return draws.dictionaries(draws.text(8), element, max_size=MAX_ITEMS)
    return None


def _learn_shapes(params: list[Param], examples: list[dict[str, Any]]) -> list[Param]:
    """Unannotated parameters take the shapes of the values the examples give them."""
    learned = []
    for param in params:
        shown = [s for args in examples if (s := shape_strategy(args.get(param.name))) is not None]
        if shown and not param.typed:
            param = replace(param, strategy=draws.one_of(*shown))
        learned.append(param)
    return learned


@dataclass(frozen=True)
class Param:
    """A parameter the inputs may set: its strategy, whether it must be given, and the
    annotation each version declares (an input must fit both)."""

    name: str
    strategy: Gen
    required: bool
    annotations: tuple[str | None, ...]

    @property
    def typed(self) -> bool:
        return any(self.annotations)

    def fits(self, value: Any) -> bool:
        return all(check_value(annotation, value) for annotation in self.annotations)


def plan_params(parent: dict[str, Any], new: dict[str, Any]) -> tuple[list[Param], str | None]:
    """The parameters to generate for a function in both versions (schema dicts), or the
    reason it can't be tested. Inputs follow the parent's annotations, the contract its
    callers rely on, falling back to the new version's where the parent has none."""
    shape = [(p["name"], p["kind"]) for p in parent["params"]]
    if shape != [(p["name"], p["kind"]) for p in new["params"]]:
        return [], "its parameters differ between the versions"
    if parent.get("is_async") or new.get("is_async"):
        return [], "it is async (the sandbox runs plain functions only)"
    params = []
    for old, now in zip(parent["params"], new["params"], strict=True):
        if old["kind"] in ("var_positional", "var_keyword"):
            continue  # left empty: JSON callers pass keyword arguments only
        required = old["required"] or now["required"]
        if required and old["kind"] == "positional_only":
            return [], f"parameter {old['name']!r} is positional-only (JSON can't pass it)"
        annotation = old["annotation"] or now["annotation"]
        try:
            strategy = strategy_for(annotation)
        except NotGeneratable:
            if required:
                return [], (
                    f"parameter {old['name']!r} is annotated {annotation}, which can't be "
                    "generated as JSON"
                )
            continue  # optional: always left to its default
        annotations = (old["annotation"], now["annotation"])
        params.append(Param(old["name"], strategy, required, annotations))
    return params, None


def _literal_rounds(
    params: list[Param], candidates: dict[str, list[Any]], bases: list[dict[str, Any]], count: int
) -> list[dict[str, Any]]:
    """Inputs built from the literals: round i starts from a drawn example and gives
    parameter j its (i + j)-th candidate, so each candidate of each parameter appears once
    before any repeats; optional parameters take a literal on odd rounds only."""
    longest = max((len(candidates[p.name]) for p in params), default=0)
    inputs = []
    for index in range(min(longest, count)):
        args = dict(bases[index % len(bases)]) if bases else {}
        for position, param in enumerate(params):
            values = candidates[param.name]
            if values and (param.required or index % 2):
                args[param.name] = values[(index + position) % len(values)]
        if all(param.name in args for param in params if param.required):
            inputs.append(args)
    return inputs


@dataclass
class FunctionInputs:
    """How one function's inputs are made: its parameters (with the shapes its docstring
    examples teach), the examples, the tests' literal calls and each parameter's literals."""

    params: list[Param]
    examples: list[dict[str, Any]]
    calls: list[dict[str, Any]]
    candidates: dict[str, list[Any]]
    # The types the examples give each untyped parameter: the literals its draws mix in.
    shown_types: dict[str, set[type]] = field(default_factory=dict)

    @classmethod
    def build(
        cls, params: list[Param], literals: FunctionLiterals, examples: list[dict[str, Any]]
    ) -> FunctionInputs:
        made = cls(params, [], [], {})
        made.examples = [args for args in examples if made.fits(args)]
        shown = {p.name: [a[p.name] for a in made.examples if p.name in a] for p in params}
        made.candidates = {
            p.name: [
                value
                for value in unique([*shown[p.name], *literals.candidates(p.name)])
                if p.fits(value)
            ]
            for p in params
        }
        made.calls = [call for call in literals.calls if made.fits(call)]
        made.params = _learn_shapes(params, made.examples)
        made.shown_types = {
            p.name: {type(value) for value in shown[p.name]}
            for p in params
            if shown[p.name] and not p.typed
        }
        return made

    def fits(self, args: dict[str, Any]) -> bool:
        by_name = {param.name: param for param in self.params}
        return {p.name for p in self.params if p.required} <= set(args) and all(
            name in by_name and by_name[name].fits(value) for name, value in args.items()
        )

    def literals(self, name: str) -> list[Any]:
        """A parameter's literals; for an untyped one the examples show, those of the
        types they give it (a string parameter isn't given the code's numbers)."""
        shown = self.shown_types.get(name)
        values = self.candidates[name]
        return [value for value in values if type(value) in shown] if shown else values

    @property
    def draw_source(self) -> str:
        """What the drawn inputs are called (SOURCES): by type, by shape, or random."""
        if all(param.typed for param in self.params):
            return "type"
        return "shape" if self.examples else "random"

    def draw(
        self,
        count: int,
        *,
        seed: str = "",
        generators: Mapping[str, Gen] | None = None,
        like: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """`count` distinct drawn inputs that fit; `generators` replace some parameters',
        and those in `like` take only literals of the same type as its value."""
        generators, like = generators or {}, like or {}

        def literals(name: str) -> list[Any]:
            if name in like:
                return [v for v in self.candidates[name] if type(v) is type(like[name])]
            return self.literals(name)

        # The draws take a literal now and then, so the values the code singles out also
        # meet values of the other parameters that no literal round pairs them with.
        each = {
            p.name: draws.sometimes(
                literals(p.name), generators.get(p.name, p.strategy), LITERAL_SHARE
            )
            for p in self.params
        }
        strategy = draws.fixed_dictionaries(
            {p.name: each[p.name] for p in self.params if p.required},
            {p.name: each[p.name] for p in self.params if not p.required},
        )
        strategy = draws.sized(strategy, *self._counts_and_sized())
        seed = ",".join([seed, *(f"{p.name}:{p.annotations}" for p in self.params)])
        return [args for args in draw(strategy, count, seed=seed) if self.fits(args)]

    def _counts_and_sized(self) -> tuple[list[str], list[str]]:
        """The typed parameters that count (int) and those that have a length (str, list)."""
        typed = [p for p in self.params if p.typed]
        return (
            [p.name for p in typed if p.fits(3) and not p.fits("3")],
            [p.name for p in typed if p.fits("ab") or p.fits([1])],
        )

    def _measured(self, bases: list[dict[str, Any]], most: int) -> list[dict[str, Any]]:
        """A string or list literal with a count parameter set to its length: where a width
        or a limit meets the text it measures (`len(line) <= width`)."""
        counts, sized = self._counts_and_sized()
        found = []
        for count_name in counts:
            for name in sized:
                for value in self.literals(name):
                    if isinstance(value, str | list) and len(value) > 1 and len(found) < most:
                        args = dict(bases[len(found) % len(bases)]) if bases else {}
                        found.append({**args, name: value, count_name: len(value)})
        return [args for args in found if self.fits(args)]

    def first_round(self, count: int) -> list[tuple[dict[str, Any], str]]:
        """Up to `count` distinct inputs, each with its source (see SOURCES): the docstring's
        examples, the tests' literal calls, then literal rounds (at most half of `count`
        together), then values drawn by type or shape."""
        if count <= 0:
            return []
        drawn = self.draw(count)
        literals = {param.name: self.literals(param.name) for param in self.params}
        rounds = _literal_rounds(self.params, literals, drawn, count)
        first = [
            *((args, "docstring") for args in self.examples[: max(count // 4, 1)]),
            *((args, "test") for args in self.calls[: max(count // 4, 1)]),
            *((args, "literal") for args in self._measured(drawn, max(count // 8, 1))),
            *((args, "literal") for args in rounds),
        ]
        first = _unique_tagged(first)[: max(count // 2, 1)]
        # A small domain (a bool) leaves room after the drawn examples: more literal rounds.
        rest = [*((args, self.draw_source) for args in drawn), *((a, "literal") for a in rounds)]
        return _unique_tagged([*first, *rest])[:count]


def _unique_tagged(inputs: list[tuple[dict[str, Any], str]]) -> list[tuple[dict[str, Any], str]]:
    """The first of each input, with the source it came from first."""
    seen: set[str] = set()
    result = []
    for args, source in inputs:
        if (k := key(args)) not in seen:
            seen.add(k)
            result.append((args, source))
    return result


@dataclass
class Plan:
    """What the differential check will run: inputs per function, and the functions it
    can't test with the reason for each."""

    cases: dict[str, list[dict[str, Any]]]
    skipped: dict[str, str]
    # Each function's inputs' sources (SOURCES), parallel to `cases`.
    sources: dict[str, list[str]] = field(default_factory=dict)
    # How each function's inputs are made, for more of them later (`follow_up`).
    makers: dict[str, FunctionInputs] = field(default_factory=dict)

    def add(self, name: str, tagged: list[tuple[dict[str, Any], str]]) -> None:
        """More inputs for a function (after a first round ran)."""
        self.cases.setdefault(name, []).extend(args for args, _ in tagged)
        self.sources.setdefault(name, []).extend(source for _, source in tagged)

    def inputs_by_source(self, name: str | None = None) -> dict[str, int]:
        """How many inputs came from each source, for one function or all of them."""
        counts: dict[str, int] = {}
        for function, sources in self.sources.items():
            if name is None or function == name:
                for source in sources:
                    counts[source] = counts.get(source, 0) + 1
        return counts


def plan_inputs(
    files: Mapping[str, str],
    parent_files: Mapping[str, str],
    *,
    exported: set[str],
    count: int,
) -> Plan:
    """Inputs for every function of the parent's API that both versions export (`exported`:
    what both actually export when imported) with the same parameters."""
    parent_api = {f["name"]: f for f in derive_api_schema(parent_files[ENTRY_FILE])["functions"]}
    new_api = {f["name"]: f for f in derive_api_schema(files[ENTRY_FILE])["functions"]}
    index = LiteralIndex(files, parent_files)
    plan = Plan({}, {})
    for name, parent in parent_api.items():
        if name not in new_api or name not in exported:
            plan.skipped[name] = "it is not exported by both versions"
            continue
        params, reason = plan_params(parent, new_api[name])
        if reason:
            plan.skipped[name] = reason
            continue
        names = [p["name"] for p in parent["params"]]
        literals = index.for_function(name, names)
        docstrings = function_docstrings(index.entry_trees, name)
        examples = docstring_calls(docstrings, name, names)
        made = FunctionInputs.build(params, literals, examples)
        tagged = made.first_round(count)
        plan.makers[name] = made
        plan.cases[name] = [args for args, _ in tagged]
        plan.sources[name] = [source for _, source in tagged]
    return plan
