"""Constraints: does the new version keep what it must? Checked on the syntax tree.

- The parent's API holds unless the plan says the API changes: losing an exported function,
  losing a parameter, a new required parameter, a parameter losing its default or becoming
  positional-only, or a changed return annotation each fail, by name.
- Tests are not deleted or weakened: no test file or test function removed, no test with
  fewer asserts or fewer parametrized cases, no test newly skipped.
- Nothing the sandbox forbids is used (FORBIDDEN_MODULES and FORBIDDEN_CALLS below; this
  module is the one place that lists them for the evaluator), and every Python file parses.
- The constraints listed in the plan hold, as judged by the LLM when one is configured.

Each check has a name, passed, a reason and a weight; the score is the weighted fraction
passed. A failed hard check (an API break, a lost or weakened test, a forbidden import) also
caps the score at HARD_FAILURE_CAP, below any sensible threshold, however many other checks
pass: one broken caller is enough to refuse a change. Code that doesn't parse scores 0, as
on every dimension: nothing it promises can be shown to hold.
"""

from __future__ import annotations

import ast
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from pydantic import BaseModel

from backend.llm import is_configured, judge_constraints
from backend.objects.files import ENTRY_FILE
from backend.objects.schema import analyse_files, function_signature
from backend.reward.code import parse, python_files
from backend.reward.results import DimensionResult, NoAnswer, ask_judge

HARD_FAILURE_CAP = 0.5
HARD_WEIGHT = 3.0
SOFT_WEIGHT = 1.0

# What the sandbox refuses at run time (see backend/sandbox/runtime/seccomp_policy.py), so
# the evaluator can say so before anything runs. A module matches itself and its submodules;
# a call matches every name it starts (os.exec: os.execv, os.execlp, ...).
FORBIDDEN_MODULES: dict[str, str] = {
    "socket": "network access",
    "socketserver": "network access",
    "ssl": "network access",
    "http.client": "network access",
    "http.server": "network access",
    "urllib.request": "network access",
    "ftplib": "network access",
    "smtplib": "network access",
    "poplib": "network access",
    "imaplib": "network access",
    "xmlrpc": "network access",
    "requests": "network access",
    "httpx": "network access",
    "urllib3": "network access",
    "aiohttp": "network access",
    "subprocess": "starting processes",
    "multiprocessing": "starting processes",
    "concurrent.futures.process": "starting processes",
    "pty": "starting processes",
    "asyncio.subprocess": "starting processes",
    "ctypes": "native code that bypasses the sandbox's checks",
    "cffi": "native code that bypasses the sandbox's checks",
    "signal": "signals",
}
FORBIDDEN_CALLS: dict[str, str] = {
    "os.system": "starting processes",
    "os.popen": "starting processes",
    "os.fork": "starting processes",
    "os.forkpty": "starting processes",
    "os.kill": "signals",
    "os.killpg": "signals",
    "os.exec": "starting processes",
    "os.spawn": "starting processes",
    "os.posix_spawn": "starting processes",
}


@dataclass
class Check:
    name: str
    passed: bool
    reason: str
    hard: bool = False
    weight: float = SOFT_WEIGHT


class ConstraintsResult(DimensionResult):
    """A DimensionResult whose details hold the `checks`."""

    @property
    def checks(self) -> list[Check]:
        return [Check(**check) for check in self.details["checks"]]


# The API ------------------------------------------------------------------------------------


def _param_problems(name: str, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What breaks a caller of `old` (objects are called with JSON keyword arguments)."""
    problems = []
    old_params = {p["name"]: p for p in old["params"]}
    new_params = {p["name"]: p for p in new["params"]}
    for param, before in old_params.items():
        after = new_params.get(param)
        if after is None:
            problems.append(f"function {name!r} lost parameter {param!r}")
            continue
        if after["required"] and not before["required"]:
            problems.append(f"parameter {param!r} of {name!r} lost its default")
        if after["kind"] == "positional_only" and before["kind"] != "positional_only":
            problems.append(
                f"parameter {param!r} of {name!r} became positional-only "
                "(JSON callers can't pass it)"
            )
    for param, after in new_params.items():
        if param not in old_params and after["required"]:
            problems.append(f"function {name!r} has a new required parameter {param!r}")
    if old["returns"] != new["returns"]:
        problems.append(
            f"function {name!r} changed its return annotation from "
            f"{old['returns'] or 'none'} to {new['returns'] or 'none'}"
        )
    return problems


def api_checks(
    parent_schema: Mapping[str, Any], schema: Mapping[str, Any], *, api_may_change: bool
) -> list[Check]:
    """One check per exported function of the parent."""
    new_functions = {f["name"]: f for f in schema.get("functions", [])}
    checks = []
    for old in parent_schema.get("functions", []):
        name = old["name"]
        new = new_functions.get(name)
        problems = (
            [f"exported function {name!r} was removed"]
            if new is None
            else _param_problems(name, old, new)
        )
        if not problems:
            reason = f"{function_signature(old)} kept its signature"
            checks.append(Check(f"api:{name}", True, reason, hard=True, weight=HARD_WEIGHT))
        elif api_may_change:
            reason = "; ".join(problems) + " (allowed: the plan changes the API)"
            checks.append(Check(f"api:{name}", True, reason, weight=SOFT_WEIGHT))
        else:
            reason = "; ".join(problems) + f" (was {function_signature(old)})"
            checks.append(Check(f"api:{name}", False, reason, hard=True, weight=HARD_WEIGHT))
    return checks


# Tests --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TestShape:
    """How much a test checks: its asserts, its parametrized cases, whether it is skipped."""

    __test__ = False  # not a pytest test class, despite the name

    asserts: int
    cases: int
    skipped: bool


def _is_assertion(node: ast.AST) -> bool:
    if isinstance(node, ast.Assert):
        return True
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        # self.assertEqual, mock.assert_called_once, pytest.raises / pytest.warns
        return name.startswith("assert") or name in ("raises", "warns", "fail")
    return False


def _cases(decorators: list[ast.expr]) -> int:
    cases = 1
    for decorator in decorators:
        if (
            isinstance(decorator, ast.Call)
            and ast.unparse(decorator.func).endswith("parametrize")
            and len(decorator.args) >= 2
            and isinstance(decorator.args[1], ast.List | ast.Tuple)
        ):
            cases *= max(len(decorator.args[1].elts), 1)
    return cases


def _skipped(decorators: list[ast.expr]) -> bool:
    text = " ".join(ast.unparse(d) for d in decorators)
    return "skip" in text or "xfail" in text


def tests_in(tree: ast.Module) -> dict[str, TestShape]:
    """Test functions (and methods of Test* classes) by name, with what they assert."""
    found: dict[str, TestShape] = {}

    def add(node: ast.FunctionDef | ast.AsyncFunctionDef, prefix: str, outer: list) -> None:
        if node.name.startswith("test"):
            found[prefix + node.name] = TestShape(
                asserts=sum(1 for child in ast.walk(node) if _is_assertion(child)),
                cases=_cases(node.decorator_list),
                skipped=_skipped(outer + node.decorator_list),
            )

    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            add(node, "", [])
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    add(item, f"{node.name}.", node.decorator_list)
    return found


def kept_tests_checks(
    parent_files: Mapping[str, str], files: Mapping[str, str], *, hard: bool
) -> list[Check]:
    """One check per test file of the parent."""
    weight = HARD_WEIGHT if hard else SOFT_WEIGHT
    checks = []
    for path, old_text in python_files(parent_files, tests=True).items():
        old_tree = parse(old_text, path)
        if old_tree is None:
            continue
        if path not in files:
            reason = f"test file {path!r} was deleted"
            checks.append(Check(f"tests:{path}", False, reason, hard=hard, weight=weight))
            continue
        new_tree = parse(files[path], path)
        if new_tree is None:
            continue  # the syntax check reports it
        old_tests, new_tests = tests_in(old_tree), tests_in(new_tree)
        problems = []
        for name, before in old_tests.items():
            after = new_tests.get(name)
            if after is None:
                problems.append(f"test {name!r} in {path} was removed")
                continue
            if after.asserts < before.asserts:
                problems.append(
                    f"test {name!r} in {path} has fewer asserts ({before.asserts} -> "
                    f"{after.asserts})"
                )
            if after.cases < before.cases:
                problems.append(
                    f"test {name!r} in {path} has fewer cases ({before.cases} -> {after.cases})"
                )
            if after.skipped and not before.skipped:
                problems.append(f"test {name!r} in {path} is now skipped")
        if problems:
            checks.append(
                Check(f"tests:{path}", False, "; ".join(problems), hard=hard, weight=weight)
            )
        else:
            reason = f"{len(old_tests)} tests in {path} kept, none weakened"
            checks.append(Check(f"tests:{path}", True, reason, hard=hard, weight=weight))
    return checks


# What the sandbox forbids -----------------------------------------------------------------


def _forbidden_module(module: str) -> str | None:
    for name, why in FORBIDDEN_MODULES.items():
        if module == name or module.startswith(name + "."):
            return why
    return None


def _forbidden_call(dotted: str) -> str | None:
    for name, why in FORBIDDEN_CALLS.items():
        if dotted.startswith(name):  # a prefix: os.exec covers os.execv, os.execlp, ...
            return why
    return None


def _aliases(tree: ast.Module) -> dict[str, str]:
    """Local names of imported modules: `import ctypes as native` gives native -> ctypes."""
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                aliases[alias.asname or top] = alias.name if alias.asname else top
    return aliases


def _imported(node: ast.AST) -> list[str]:
    """What an import statement or a dynamic import with a literal name brings in."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and not node.level:
        return [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
    if (
        isinstance(node, ast.Call)
        and ast.unparse(node.func) in ("__import__", "importlib.import_module")
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return [node.args[0].value]
    return []


def _called(node: ast.AST, aliases: dict[str, str]) -> str | None:
    """The dotted name of a called attribute, with the module alias resolved."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return None
    head, _, rest = ast.unparse(node.func).partition(".")
    return f"{aliases.get(head, head)}.{rest}"


def forbidden_uses(path: str, tree: ast.Module) -> list[str]:
    """Each use of something the sandbox refuses, as 'main.py line 3: uses socket (...)'."""
    aliases = _aliases(tree)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        for module in _imported(node):
            why = _forbidden_module(module) or _forbidden_call(module)
            if why:
                found.append((line, f"{path} line {line}: uses {module} ({why})"))
                break
        called = _called(node, aliases)
        why = _forbidden_call(called) if called else None
        if why:
            found.append((line, f"{path} line {line}: calls {called} ({why})"))
    return [text for _, text in sorted(found)]


def sandbox_checks(files: Mapping[str, str]) -> list[Check]:
    found = []
    for path, text in python_files(files).items():
        tree = parse(text, path)
        if tree is not None:
            found.extend(forbidden_uses(path, tree))
    if found:
        reason = "uses what the sandbox refuses: " + "; ".join(found)
        return [Check("sandbox", False, reason, hard=True, weight=HARD_WEIGHT)]
    return [Check("sandbox", True, "nothing the sandbox refuses is used")]


# The plan's constraints (LLM) --------------------------------------------------------------


def _plan_field(plan: BaseModel | Mapping[str, Any] | None, name: str, default: Any) -> Any:
    if plan is None:
        return default
    if isinstance(plan, BaseModel):
        return getattr(plan, name, default)
    return plan.get(name, default)


def plan_checks(
    constraints: list[str],
    files: Mapping[str, str],
    parent_files: Mapping[str, str] | None,
    *,
    request: str,
    modification_id: int | None,
) -> list[Check] | NoAnswer:
    """A check per constraint as the LLM judge sees it (NoAnswer: it gave none to use)."""
    judgment = ask_judge(
        lambda: judge_constraints(
            constraints, files, parent_files, request=request, modification_id=modification_id
        )
    )
    if isinstance(judgment, NoAnswer):
        return judgment
    by_text = {check.constraint.strip(): check for check in judgment.checks}
    checks = []
    for index, constraint in enumerate(constraints):
        answer = by_text.get(constraint.strip())
        if answer is None and index < len(judgment.checks):
            answer = judgment.checks[index]  # the judge reworded it; same order was asked for
        if answer is None:
            checks.append(Check(f"plan:{constraint}", False, "the LLM judge did not check it"))
        else:
            checks.append(Check(f"plan:{constraint}", answer.passed, f"LLM: {answer.reason}"))
    return checks


# The judge ---------------------------------------------------------------------------------


def score_checks(checks: list[Check]) -> float:
    """Weighted fraction passed, capped at HARD_FAILURE_CAP when a hard check failed."""
    total = sum(check.weight for check in checks)
    if not total:
        return 1.0
    score = sum(check.weight for check in checks if check.passed) / total
    if any(check.hard and not check.passed for check in checks):
        score = min(score, HARD_FAILURE_CAP)
    return round(score, 4)


def evaluate_constraints(
    files: Mapping[str, str],
    parent_files: Mapping[str, str] | None = None,
    *,
    plan: BaseModel | Mapping[str, Any] | None = None,
    request: str = "",
    use_llm: bool | None = None,
    modification_id: int | None = None,
) -> ConstraintsResult:
    """Check `files` against their parent (if any) and the plan.

    `use_llm` None means "when one is configured"; without an LLM the plan's constraints are
    listed as not checked, and don't count; so are they when the LLM judge gives no usable
    answer (the reasons say so). A spent budget propagates.
    """
    started = time.monotonic()
    schema, syntax_error = analyse_files(dict(files))
    checks: list[Check] = []
    if syntax_error:
        checks.append(Check("syntax", False, f"does not parse: {syntax_error}", True, HARD_WEIGHT))
    else:
        checks.append(Check("syntax", True, "every Python file parses"))
    if ENTRY_FILE not in files:
        checks.append(Check("entry", False, f"{ENTRY_FILE} is missing", True, HARD_WEIGHT))
    entry_parses = parse(files.get(ENTRY_FILE, ""), ENTRY_FILE) is not None
    if parent_files is not None and entry_parses:
        parent_schema, _ = analyse_files(dict(parent_files))
        api_may_change = bool(_plan_field(plan, "changes_api", False))
        checks += api_checks(parent_schema, schema, api_may_change=api_may_change)
    if parent_files is not None:
        behaviour_changes = bool(_plan_field(plan, "changes_behaviour", False))
        checks += kept_tests_checks(parent_files, files, hard=not behaviour_changes)
    checks += sandbox_checks(files)

    constraints = [c for c in _plan_field(plan, "constraints", []) or [] if c.strip()]
    reasons_extra = []
    if constraints:
        if syntax_error:  # not worth an LLM call: the change is refused whatever it says
            reasons_extra.append(
                f"{len(constraints)} constraints of the plan not checked (the code does not "
                "parse): " + "; ".join(constraints)
            )
        elif is_configured() if use_llm is None else use_llm:
            judged = plan_checks(
                constraints,
                files,
                parent_files,
                request=request,
                modification_id=modification_id,
            )
            if isinstance(judged, NoAnswer):
                reasons_extra.append(
                    f"{len(constraints)} constraints of the plan not checked: {judged.reason}: "
                    + "; ".join(constraints)
                )
            else:
                checks += judged
        else:
            reasons_extra.append(
                f"{len(constraints)} constraints of the plan not checked (no LLM configured): "
                + "; ".join(constraints)
            )

    failed = [check for check in checks if not check.passed]
    reasons = [
        f"{'passed' if check.passed else 'FAILED'} {check.name}: {check.reason}" for check in checks
    ]
    return ConstraintsResult(
        dimension="constraints",
        score=0.0 if syntax_error else score_checks(checks),
        reasons=reasons + reasons_extra,
        problems=[f"{check.name}: {check.reason}" for check in failed],
        details={"checks": [asdict(check) for check in checks], "api_schema": schema},
        seconds=round(time.monotonic() - started, 4),
    )
