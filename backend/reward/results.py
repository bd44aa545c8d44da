"""What every judge returns, so the judger and the Evaluation row treat them alike."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


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
