"""What a person approving a change should see first, from the details of an evaluation.

Shared by the evaluation page (from the stored Evaluation row) and `evaluate --json` (from
the results in hand): the preference comparison with the parent, the mutation score, and
per function the inputs the differential check ran (by source and branch coverage, when the
differential report has them) and the first differing input in full. Fields a report
doesn't have are left out, never an error: older evaluations stored fewer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _function_summary(name: str, function: Mapping[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {"function": name, "inputs": function.get("compared", 0)}
    if isinstance(function.get("inputs"), list):
        summary["planned"] = len(function["inputs"])
    for key in ("differences", "inputs_by_source", "branch_coverage"):
        if function.get(key) is not None:
            summary[key] = function[key]
    return summary


def _call(difference: Mapping[str, Any]) -> str:
    args = ", ".join(f"{k}={v!r}" for k, v in (difference.get("args") or {}).items())
    return (
        f"{difference.get('function', '?')}({args}): parent {difference.get('parent', '?')}, "
        f"new version {difference.get('new', '?')}"
    )


def highlights(
    preference: Mapping[str, Any], factuality: Mapping[str, Any], *, accepted: bool
) -> dict[str, Any]:
    """The highlights from the two dimensions' details (plain data, for JSON and the page)."""
    out: dict[str, Any] = {}
    if preference.get("parent"):
        out["parent_comparison"] = preference["parent"]
    mutation = factuality.get("mutation") or {}
    if mutation:
        out["mutation"] = mutation
    differential = factuality.get("differential") or {}
    functions = differential.get("functions") or {}
    if functions:
        out["functions"] = [_function_summary(n, f) for n, f in sorted(functions.items())]
    for key in ("inputs_by_source", "branch_coverage"):
        if differential.get(key) is not None:
            out[key] = differential[key]
    differences = differential.get("differences") or []
    if differences:
        out["first_difference"] = {**differences[0], "described": _call(differences[0])}
    warnings = []
    if accepted and mutation.get("weak"):
        warnings.append(
            f"accepted with weak tests: they kill {mutation.get('killed')} of "
            f"{mutation.get('ran')} mutants ({mutation.get('score', 0):.0%}, below "
            f"{mutation.get('weak_below', 0):.0%}); check the change by hand before approving"
        )
    out["warnings"] = warnings
    return out


def _sources(by_source: Any) -> str:
    if isinstance(by_source, Mapping):
        return ", ".join(f"{source} {count}" for source, count in by_source.items())
    return str(by_source)


def _branches(side: Any) -> tuple[int, int] | None:
    if not isinstance(side, Mapping):
        return None
    covered, total = side.get("covered"), side.get("total")
    if isinstance(covered, int) and isinstance(total, int):
        return covered, total
    return None


def _coverage(value: Any) -> str:
    """Branch coverage in words: per version ("7/8 (88%) new, 8/8 parent", from
    {"new": {"covered": 7, "total": 8}, "parent": {...}}), or a share (0.5 -> "50%") as
    older evaluations stored it."""
    if isinstance(value, Mapping):
        new, parent = _branches(value.get("new")), _branches(value.get("parent"))
        if new is None and parent is None:
            return str(dict(value))
        if (new or (0, 0))[1] == 0 and (parent or (0, 0))[1] == 0:
            return "no branches to cover"
        parts = []
        if new is not None:
            covered, total = new
            share = f"{covered}/{total} ({covered / total:.0%}) new" if total else ""
            parts.append(share or "no branches in the new version")
        if parent is not None:
            share = f"{parent[0]}/{parent[1]} parent" if parent[1] else ""
            parts.append(share or "no branches in the parent")
        return ", ".join(parts)
    if isinstance(value, float) and value <= 1:
        return f"{value:.0%}"
    return str(value)


def _inputs(function: Mapping[str, Any]) -> str:
    """One function's inputs in words: how many ran (of how many planned, when the check
    stopped early), how many differed, and where the planned ones came from."""
    compared, planned = function["inputs"], function.get("planned")
    text = f"{compared} inputs compared"
    if planned is not None and planned != compared:
        text = f"{compared} of {planned} inputs compared"
    if function.get("differences"):
        text += f", {function['differences']} differed"
    if function.get("inputs_by_source"):
        text += f"; by source: {_sources(function['inputs_by_source'])}"
    return text


def highlight_lines(found: Mapping[str, Any]) -> list[str]:
    """The highlights as lines for a person (the page's evaluation box)."""
    lines = []
    parent = found.get("parent_comparison")
    if parent:
        verdict = "no worse than" if parent.get("no_worse") else "worse than"
        lines.append(f"against the parent: {verdict} it ({parent.get('parent_score', 0):.2f})")
    mutation = found.get("mutation") or {}
    if mutation.get("skipped"):
        lines.append(f"mutation score: none ({mutation['skipped']})")
    elif mutation.get("ran"):
        lines.append(
            f"mutation score: tests kill {mutation['killed']} of {mutation['ran']} mutants "
            f"({mutation['score']:.0%})"
        )
    for function in found.get("functions") or []:
        text = f"{function['function']}(): {_inputs(function)}"
        if "branch_coverage" in function:
            text += f"; branch coverage {_coverage(function['branch_coverage'])}"
        lines.append(text)
    if "inputs_by_source" in found:
        lines.append(f"inputs by source: {_sources(found['inputs_by_source'])}")
    if "branch_coverage" in found:
        lines.append(f"branch coverage: {_coverage(found['branch_coverage'])}")
    if found.get("first_difference"):
        lines.append(f"first differing input: {found['first_difference']['described']}")
    return lines
