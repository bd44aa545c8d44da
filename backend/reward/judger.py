"""The judger: a weighted total, a threshold per dimension, a verdict, and the feedback.

A change is accepted only when every required dimension reaches its threshold (settings
THRESHOLD_*); the weighted total (settings WEIGHT_*) ranks attempts and is shown to people,
but never outvotes a dimension that fell short. On reject, the feedback lists every problem
of every dimension (failed checks, low sub-scores, failed tests) for the next attempt.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from backend.config import Settings, get_settings
from backend.enums import Verdict
from backend.reward.results import DimensionResult

DIMENSIONS = ("preference", "constraints", "factuality")


@dataclass
class Judgement:
    verdict: Verdict
    overall_score: float
    scores: dict[str, float]
    thresholds: dict[str, float]
    weights: dict[str, float]
    below_threshold: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    feedback: str = ""

    @property
    def accepted(self) -> bool:
        return self.verdict == Verdict.ACCEPT

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "verdict": self.verdict.value}


def thresholds(settings: Settings | None = None) -> dict[str, float]:
    settings = settings or get_settings()
    return {name: getattr(settings, f"threshold_{name}") for name in DIMENSIONS}


def weights(settings: Settings | None = None) -> dict[str, float]:
    settings = settings or get_settings()
    return {name: getattr(settings, f"weight_{name}") for name in DIMENSIONS}


def judge(
    results: Iterable[DimensionResult],
    *,
    require: Iterable[str] = DIMENSIONS,
    settings: Settings | None = None,
) -> Judgement:
    """The verdict on one attempt from its dimension results.

    A dimension in `require` that has no result rejects the change (it was not shown to be
    good); pass a smaller `require` where a dimension cannot be evaluated on purpose.
    """
    by_name = {result.dimension: result for result in results}
    unknown = set(by_name) - set(DIMENSIONS)
    if unknown:
        raise ValueError(f"unknown dimensions {sorted(unknown)}; expected {DIMENSIONS}")
    limits, all_weights = thresholds(settings), weights(settings)
    scores = {name: result.score for name, result in by_name.items()}
    used = {name: all_weights[name] for name in scores}
    total_weight = sum(used.values())
    overall = (
        sum(scores[name] * used[name] for name in scores) / total_weight if total_weight else 0.0
    )
    below = [name for name in DIMENSIONS if name in scores and scores[name] < limits[name]]
    missing = [name for name in require if name not in scores]
    verdict = Verdict.REJECT if below or missing else Verdict.ACCEPT
    judgement = Judgement(
        verdict=verdict,
        overall_score=round(overall, 4),
        scores=scores,
        thresholds=limits,
        weights=used,
        below_threshold=below,
        missing=missing,
    )
    if verdict == Verdict.REJECT:
        judgement.feedback = feedback_text(judgement, by_name)
    return judgement


def feedback_text(judgement: Judgement, results: dict[str, DimensionResult]) -> str:
    """What the next attempt must fix: every shortfall, then every problem, by dimension."""
    shortfalls = [
        f"{name} {judgement.scores[name]:.2f} is below its threshold "
        f"{judgement.thresholds[name]:.2f}"
        for name in judgement.below_threshold
    ]
    shortfalls += [f"{name} was not evaluated" for name in judgement.missing]
    lines = [f"The change was rejected: {'; '.join(shortfalls)}."]
    problems = [
        f"- [{name}] {problem}"
        for name in DIMENSIONS
        if name in results
        for problem in results[name].problems
    ]
    if problems:
        lines.append("Fix every point below:")
        lines += problems
    return "\n".join(lines)
