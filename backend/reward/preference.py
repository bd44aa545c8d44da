"""Preference: would a person like this code? Readability, maintainability, elegance, docs.

Measured signals first, each mapped to [0, 1] by a simple curve so the reasons can say why:
- readability: style lint findings (ruff) per 100 lines, and the longest function;
- maintainability: radon's maintainability index and cyclomatic complexity;
- elegance: structural lint findings (needless branches, nested ifs, too many returns),
  the deepest nesting, and the size of the change against the parent;
- documentation: docstrings on public functions, the module docstring, type hints on the API.
When an LLM is configured, its judgement is blended into each sub-score with weight
PREFERENCE_LLM_WEIGHT. The score is the mean of the four sub-scores. Code that doesn't parse
scores 0 on each, with the parse error as the reason (nothing of it can be measured).

A refactor (`relative=True`) is also judged against its parent (`relative`): no worse than
the parent on every measured sub-score, it passes whatever the parent's own level was.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from backend.config import Settings, get_settings
from backend.llm import PreferenceJudgment, is_configured, judge_preference
from backend.objects.files import ENTRY_FILE
from backend.reward.code import parse, syntax_errors
from backend.reward.relative import ParentComparison, compare, relative_verdict
from backend.reward.results import DimensionResult, NoAnswer, ask_judge, clamp, unparsable
from backend.reward.signals import Finding, measure

SUB_SCORES = ("readability", "maintainability", "elegance", "documentation")
# Findings with these prefixes are about structure (counted under elegance); the others are
# about style and correctness of the text (counted under readability).
STRUCTURE_PREFIXES = ("B", "SIM", "C4", "C90", "RET", "PLR")


class PreferenceResult(DimensionResult):
    """A DimensionResult whose details hold `sub_scores` and `signals`."""

    @property
    def sub_scores(self) -> dict[str, float]:
        return self.details["sub_scores"]

    @property
    def signals(self) -> dict[str, Any]:
        """The measured signals ({} for code that doesn't parse: nothing was measured)."""
        return self.details.get("signals", {})


# Scoring -----------------------------------------------------------------------------------


def _per_100(count: int, lines: int) -> float:
    # Small files would swing wildly per 100 lines; count them as at least 20 lines.
    return count * 100 / max(lines, 20)


def _lint_score(per_100: float, half_at: float) -> float:
    """1 with no findings, 0.5 at `half_at` findings per 100 lines, towards 0 beyond."""
    return 1 / (1 + per_100 / half_at)


def _describe_findings(findings: list[Finding], limit: int = 5) -> str:
    """'E501 Line too long (120 > 100) (x2), F401 (x2): `os` ... | `sys` ...', most common first."""
    messages: dict[str, list[str]] = {}
    for finding in findings:
        messages.setdefault(finding.code, []).append(finding.message)
    parts = []
    for code, said in sorted(messages.items(), key=lambda item: -len(item[1]))[:limit]:
        distinct = list(dict.fromkeys(said))
        count = f" (x{len(said)})" if len(said) > 1 else ""
        if len(distinct) == 1:
            parts.append(f"{code} {distinct[0]}{count}")
        else:
            parts.append(f"{code}{count}: " + " | ".join(distinct[:3]))
    more = len(messages) - limit
    return ", ".join(parts) + (f", and {more} more kinds" if more > 0 else "")


def _readability(signals: dict[str, Any], findings: list[Finding]) -> tuple[float, str, str]:
    style = [f for f in findings if not f.code.startswith(STRUCTURE_PREFIXES)]
    per_100 = _per_100(len(style), signals["lines"])
    lint_score = _lint_score(per_100, half_at=6)
    longest = max(signals["functions"], key=lambda f: f["lines"], default=None)
    length = longest["lines"] if longest else 0
    length_score = 1.0 if length <= 30 else clamp(1 - (length - 30) / 60, 0.2)
    score = 0.7 * lint_score + 0.3 * length_score
    lint_text = (
        f"{per_100:.1f} style findings per 100 lines: {_describe_findings(style)}"
        if style
        else "no style findings"
    )
    reason = f"readability {score:.2f}: {lint_text}"
    if longest:
        reason += f"; longest function {longest['name']!r} has {length} lines"
    fix = "; ".join(str(f) for f in style[:10])
    if length > 30:
        fix += f"{'; ' if fix else ''}split {longest['name']!r} ({length} lines)"
    return score, reason, fix


def _complexity_score(value: float) -> float:
    """1 up to complexity 5 (radon rank A), 0.5 at 10, 0 from 15."""
    return clamp(1 - (value - 5) / 10)


def _maintainability(signals: dict[str, Any]) -> tuple[float, str, str]:
    functions = signals["functions"]
    mi = signals["maintainability_index"]
    mi_score = 1.0 if mi is None else clamp((mi - 20) / 50)  # 1 from MI 70, 0 at MI 20
    if functions:
        worst = max(functions, key=lambda f: f["complexity"])
        mean = sum(f["complexity"] for f in functions) / len(functions)
        cc_score = 0.5 * _complexity_score(mean) + 0.5 * _complexity_score(worst["complexity"])
        cc_text = (
            f"cyclomatic complexity mean {mean:.1f}, max {worst['complexity']} ({worst['name']!r})"
        )
    else:
        worst, cc_score, cc_text = None, 1.0, "no functions"
    score = 0.5 * mi_score + 0.5 * cc_score
    mi_text = "no code" if mi is None else f"maintainability index {mi:.0f}/100"
    fix = ""
    if worst and worst["complexity"] > 5:
        fix = f"simplify {worst['name']!r} (complexity {worst['complexity']}; aim for 5 or less)"
    return score, f"maintainability {score:.2f}: {mi_text}; {cc_text}", fix


def _elegance(signals: dict[str, Any], findings: list[Finding]) -> tuple[float, str, str]:
    structure = [f for f in findings if f.code.startswith(STRUCTURE_PREFIXES)]
    per_100 = _per_100(len(structure), signals["lines"])
    parts = [_lint_score(per_100, half_at=3)]
    texts = [
        f"{len(structure)} structural findings: {_describe_findings(structure)}"
        if structure
        else "no structural findings"
    ]
    deepest = max(signals["functions"], key=lambda f: f["depth"], default=None)
    if deepest:
        parts.append(clamp(1 - 0.25 * (deepest["depth"] - 2)))
        levels = "level" if deepest["depth"] == 1 else "levels"
        texts.append(f"deepest nesting {deepest['depth']} {levels} ({deepest['name']!r})")
    change = signals["change"]
    if change:
        changed = change["added"] + change["removed"]
        churn = changed / max(change["parent_lines"], 1)
        # A full rewrite counts 200% (every line removed and added); beyond that the change
        # is larger than the code it changes, which is rarely the simplest way.
        parts.append(clamp(1 - (churn - 2) / 4, 0.5))
        texts.append(
            f"changed {changed} lines against {change['parent_lines']} in the parent ({churn:.0%})"
        )
    score = sum(parts) / len(parts)
    fix = "; ".join(str(f) for f in structure[:10])
    if deepest and deepest["depth"] > 2:
        fix += f"{'; ' if fix else ''}flatten {deepest['name']!r} (early returns, helpers)"
    return score, f"elegance {score:.2f}: " + "; ".join(texts), fix


def _documentation(signals: dict[str, Any]) -> tuple[float, str, str]:
    public, documented = signals["public_functions"], signals["documented"]
    coverage = documented / public if public else 1.0
    hints = signals["annotated"] / signals["annotatable"] if signals["annotatable"] else 1.0
    module = 1.0 if signals["module_docstring"] else 0.0
    score = 0.6 * coverage + 0.2 * module + 0.2 * hints
    missing = signals["missing_docstrings"]
    texts = [f"{documented} of {public} public functions have a docstring"]
    if missing:
        texts[0] += " (missing: " + ", ".join(repr(m) for m in missing) + ")"
    texts.append(f"{ENTRY_FILE} {'has' if module else 'lacks'} a module docstring")
    texts.append(f"{signals['annotated']} of {signals['annotatable']} parameters and returns typed")
    fixes = []
    if missing:
        fixes.append("add docstrings to " + ", ".join(repr(m) for m in missing))
    if not module:
        fixes.append(f"add a module docstring to {ENTRY_FILE}")
    if hints < 1:
        fixes.append("add type hints to every parameter and return of the public functions")
    return score, f"documentation {score:.2f}: " + "; ".join(texts), "; ".join(fixes)


def _blend(
    sub_scores: dict[str, float], judgment: PreferenceJudgment, weight: float
) -> tuple[dict[str, float], str]:
    """Each sub-score with the LLM's share mixed in, and the reason line for the LLM judge."""
    llm_scores = {name: getattr(judgment, name) for name in SUB_SCORES}
    blended = {
        name: round((1 - weight) * sub_scores[name] + weight * llm_scores[name], 4)
        for name in SUB_SCORES
    }
    reason = (
        "LLM judge ("
        + ", ".join(f"{name} {llm_scores[name]:.2f}" for name in SUB_SCORES)
        + f"; weight {weight:g}): "
        + "; ".join(judgment.reasons)
    )
    return blended, reason


def _problems(
    sub_scores: dict[str, float],
    measured: dict[str, tuple[float, str, str]],
    threshold: float,
    judgment: PreferenceJudgment | None,
) -> list[str]:
    """A line per sub-score below the threshold: why it is low and what would fix it."""
    problems = []
    for name in SUB_SCORES:
        if sub_scores[name] >= threshold:
            continue
        _, reason, fix = measured[name]
        if judgment is not None:
            reason = f"{name} {sub_scores[name]:.2f} with the LLM judge; measured: {reason}"
        problems.append(f"{reason}. To fix: {fix or 'see the reasons of the LLM judge'}")
    if problems and judgment is not None:
        problems.append("LLM judge: " + "; ".join(judgment.reasons))
    return problems


def _measure(
    files: Mapping[str, str], parent_files: Mapping[str, str] | None
) -> tuple[dict[str, Any], dict[str, tuple[float, str, str]]]:
    """The signals and, per sub-score, (score, reason, what would fix it)."""
    signals = measure(files, parent_files)
    return signals, _score(signals)


def _score(signals: dict[str, Any]) -> dict[str, tuple[float, str, str]]:
    findings = [Finding(**f) for f in signals["lint"]]
    return {
        "readability": _readability(signals, findings),
        "maintainability": _maintainability(signals),
        "elegance": _elegance(signals, findings),
        "documentation": _documentation(signals),
    }


def _rounded(measured: dict[str, tuple[float, str, str]]) -> dict[str, float]:
    return {name: round(value[0], 4) for name, value in measured.items()}


def _against_parent(
    signals: dict[str, Any],
    parent_files: Mapping[str, str] | None,
    settings: Settings,
) -> ParentComparison | None:
    """The measured sub-scores against the parent's (None: no parent to score).

    Both sides are scored without the size of the change (elegance counts it for the new
    version only; the parent has no change of its own), so like is compared with like.
    """
    if parent_files is None or any(
        parse(text, path) is None for path, text in parent_files.items() if path.endswith(".py")
    ):
        return None
    _, parent_measured = _measure(parent_files, None)
    own = _rounded(_score({**signals, "change": None}))
    return compare(own, _rounded(parent_measured), settings.preference_same_within)


def evaluate_preference(
    files: Mapping[str, str],
    parent_files: Mapping[str, str] | None = None,
    *,
    use_llm: bool | None = None,
    modification_id: int | None = None,
    relative: bool = False,
    settings: Settings | None = None,
) -> PreferenceResult:
    """Score `files` (against `parent_files`, when there is a parent) for human preference.

    `relative` judges a refactor against its parent (see the module docstring); the
    comparison is in the details under "parent". `use_llm` None means "when one is
    configured". A judge that gives no usable answer leaves the measured sub-scores alone and
    the reasons say so; a spent budget (BudgetExceeded) propagates.
    """
    started = time.monotonic()
    syntax_error = syntax_errors(files)
    if syntax_error:
        zeros = dict.fromkeys(SUB_SCORES, 0.0)
        return unparsable(
            PreferenceResult, "preference", syntax_error, started, sub_scores=zeros, measured=zeros
        )
    settings = settings or get_settings()
    signals, measured = _measure(files, parent_files)
    sub_scores = {name: round(value[0], 4) for name, value in measured.items()}
    reasons = [value[1] for value in measured.values()]
    details: dict[str, Any] = {"measured": dict(sub_scores), "signals": signals}

    judgment = None
    if is_configured(settings) if use_llm is None else use_llm:
        answer = ask_judge(
            lambda: judge_preference(
                files,
                parent_files,
                measured="\n".join(f"- {reason}" for reason in reasons),
                modification_id=modification_id,
            )
        )
        if isinstance(answer, NoAnswer):
            reasons.append(answer.reason)
            details["llm"] = {"error": answer.error}
        else:
            judgment = answer
            weight = settings.preference_llm_weight
            sub_scores, llm_reason = _blend(sub_scores, judgment, weight)
            reasons.append(llm_reason)
            details["llm"] = {"weight": weight, **judgment.model_dump()}

    details["sub_scores"] = sub_scores
    score = round(sum(sub_scores.values()) / len(sub_scores), 4)
    comparison = _against_parent(signals, parent_files, settings) if relative else None
    if comparison is not None:
        details["own_score"] = score
        score, reason = relative_verdict(score, comparison, settings.threshold_preference)
        reasons.append(reason)
        details["parent"] = comparison.to_dict()
    return PreferenceResult(
        dimension="preference",
        score=score,
        reasons=reasons,
        problems=_problems(sub_scores, measured, settings.threshold_preference, judgment),
        details=details,
        seconds=round(time.monotonic() - started, 4),
    )
