"""What every judge returns, so the judger and the Evaluation row treat them alike."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from backend.llm.errors import LLMBadAnswer, LLMUnavailable


@dataclass
class DimensionResult:
    """One dimension's verdict on a version.

    `reasons` explain the score to a person (one line each); `problems` are the lines that
    say what is wrong (failed checks, low sub-scores), which become the feedback of the next
    attempt; `details` hold the measurements behind them.
    """

    dimension: str
    score: float
    reasons: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"{self.dimension} score {self.score} is outside [0, 1]")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def clamp(value: float, low: float = 0.0, high: float = 1.0) -> float:
    return max(low, min(high, value))


R = TypeVar("R", bound=DimensionResult)


def unparsable(
    result_type: type[R], dimension: str, syntax_error: str, started: float, **details: Any
) -> R:
    """The result for code that doesn't parse: it can't be read, measured or run, so it
    scores 0 with the parse error as the reason (and as the problem to fix first)."""
    return result_type(
        dimension=dimension,
        score=0.0,
        reasons=[f"{dimension} 0.00: the code does not parse: {syntax_error}"],
        problems=[f"does not parse: {syntax_error}; fix the syntax first"],
        details={"syntax_error": syntax_error, **details},
        seconds=round(time.monotonic() - started, 4),
    )


A = TypeVar("A")


@dataclass
class NoAnswer:
    """Why an LLM judge gave nothing to use: the reason line, and the error for the details."""

    error: str

    @property
    def reason(self) -> str:
        return (
            f"the LLM judge gave no usable answer ({self.error}); scored from measured signals only"
        )


def ask_judge(question: Callable[[], A]) -> A | NoAnswer:
    """The LLM judge's answer, or NoAnswer when it gave none that could be used (the server
    failed, timed out, or answered with something that never validated).

    One judge that can't answer must not end a modification: its dimension falls back to the
    measured signals and says so. A spent budget, a passed deadline or a missing LLM are not
    the judge's failure and propagate.
    """
    try:
        return question()
    except (LLMUnavailable, LLMBadAnswer) as exc:
        return NoAnswer(str(exc))
