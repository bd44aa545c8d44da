"""Preference of a refactor, judged against its parent.

A change meant to keep behaviour (a refactor) is judged on what it changed: the parent is
scored with the same measured signals, and each sub-score is compared (better, same, worse,
within PREFERENCE_SAME_WITHIN). A refactor no worse than its parent on any sub-score passes
preference even when the parent itself was below the threshold: renaming badly written code
must not fail because the code was bad before the change. New code (a change of behaviour,
a creation) keeps the absolute threshold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

BETTER, SAME, WORSE = "better", "same", "worse"


@dataclass
class ParentComparison:
    """The refactor's measured sub-scores against its parent's, one verdict per sub-score."""

    scores: dict[str, float]
    parent_scores: dict[str, float]
    tolerance: float
    verdicts: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, score in self.scores.items():
            difference = score - self.parent_scores[name]
            if abs(difference) <= self.tolerance:
                self.verdicts[name] = SAME
            else:
                self.verdicts[name] = BETTER if difference > 0 else WORSE

    @property
    def no_worse(self) -> bool:
        return WORSE not in self.verdicts.values()

    @property
    def parent_score(self) -> float:
        return round(sum(self.parent_scores.values()) / len(self.parent_scores), 4)

    def describe(self) -> str:
        """'same as the parent on readability (0.58 vs 0.58); better on documentation (...)'."""
        groups = []
        for verdict, lead in (
            (SAME, "same as the parent on"),
            (BETTER, "better on"),
            (WORSE, "worse on"),
        ):
            names = [name for name, said in self.verdicts.items() if said == verdict]
            if names:
                listed = ", ".join(
                    f"{name} ({self.scores[name]:.2f} vs {self.parent_scores[name]:.2f})"
                    for name in names
                )
                groups.append(f"{lead} {listed}")
        return "; ".join(groups)

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "parent_score": self.parent_score,
            "no_worse": self.no_worse,
        }


def compare(
    scores: Mapping[str, float], parent_scores: Mapping[str, float], tolerance: float
) -> ParentComparison:
    return ParentComparison(dict(scores), dict(parent_scores), tolerance)


def relative_verdict(
    score: float, comparison: ParentComparison, threshold: float
) -> tuple[float, str]:
    """The refactor's preference score and the reason line that says why.

    No worse than the parent: the score is at least the threshold (it passes). Worse on
    something: its own score stands, and the absolute threshold decides.
    """
    said = f"against the parent (a refactor): {comparison.describe()}"
    if comparison.no_worse and score < threshold:
        return threshold, (
            f"{said}; no worse than the parent (its score {comparison.parent_score:.2f}), so it "
            f"passes preference as a refactor: {score:.2f} counts as the threshold {threshold:.2f}"
        )
    if comparison.no_worse:
        return score, f"{said}; no worse than the parent (its score {comparison.parent_score:.2f})"
    return score, (
        f"{said}; worse than the parent, so the absolute threshold {threshold:.2f} applies"
    )
