"""Scoring one version on the three dimensions and judging it: the step every change shares.

Used by the modification and creation pipelines, by manual edits, and by `evaluate` in the
CLI, so a version is judged the same way whichever door it came in by.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from backend.config import get_settings
from backend.llm.deadline import check as check_deadline
from backend.models import Evaluation
from backend.pipeline.progress import Progress, no_progress
from backend.reward import (
    DimensionResult,
    Judgement,
    evaluate_constraints,
    evaluate_factuality,
    evaluate_preference,
    judge,
    record_evaluation,
)
from backend.reward.highlights import highlights


@dataclass
class Assessment:
    results: list[DimensionResult]
    judgement: Judgement
    seconds: float

    @property
    def accepted(self) -> bool:
        return self.judgement.accepted

    def highlights(self) -> dict[str, Any]:
        """The parent comparison, mutation score, inputs and first difference (`highlights`)."""
        details = {r.dimension: r.details for r in self.results}
        return highlights(
            details.get("preference", {}), details.get("factuality", {}), accepted=self.accepted
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.judgement.verdict.value,
            "overall_score": self.judgement.overall_score,
            "scores": self.judgement.scores,
            "thresholds": self.judgement.thresholds,
            "feedback": self.judgement.feedback,
            "dimensions": {
                r.dimension: {"score": r.score, "reasons": r.reasons, "problems": r.problems}
                for r in self.results
            },
            "highlights": self.highlights(),
            "seconds": round(self.seconds, 3),
        }


def assess(
    files: Mapping[str, str],
    parent_files: Mapping[str, str] | None,
    *,
    keeps_behaviour: bool,
    plan: Any = None,
    request: str = "",
    modification_id: int | None = None,
    use_llm: bool | None = None,
    progress: Progress = no_progress,
    progress_span: tuple[int, int] = (0, 100),
) -> Assessment:
    """Preference, constraints and factuality of `files` against `parent_files`, judged.

    A judge that gives no usable answer is left out, and the reasons say so (each dimension
    falls back to its measured signals); a spent budget and a passed deadline propagate.
    """
    started = time.monotonic()
    if use_llm is None and not get_settings().llm_judges:
        use_llm = False
    low, high = progress_span
    share = (high - low) / 3

    def step(done: int, doing: str) -> None:
        check_deadline(doing)  # the work's deadline (a modification's), if one is in force
        progress(int(low + done * share), doing)

    step(0, "checking the API and constraints")
    constraints = evaluate_constraints(
        files,
        parent_files,
        plan=plan,
        request=request,
        use_llm=use_llm,
        modification_id=modification_id,
    )
    step(1, "scoring readability and maintainability")
    preference = evaluate_preference(
        files,
        parent_files,
        use_llm=use_llm,
        modification_id=modification_id,
        relative=keeps_behaviour,  # a refactor is judged against its parent
    )
    step(2, "running the tests in the sandbox")
    factuality = evaluate_factuality(
        dict(files),
        parent_files=dict(parent_files) if parent_files is not None else None,
        keeps_behaviour=keeps_behaviour,
        plan=plan,
        request=request,
        modification_id=modification_id,
        use_llm=use_llm,
    )
    results: list[DimensionResult] = [preference, constraints, factuality]
    return Assessment(results, judge(results), time.monotonic() - started)


def record(
    session: Session,
    assessment: Assessment,
    *,
    modification_id: int | None,
    version_id: int | None,
    attempt: int,
    timings: Mapping[str, float] | None = None,
) -> Evaluation:
    """Store the assessment as an Evaluation row in the caller's transaction."""
    return record_evaluation(
        session,
        modification_id=modification_id,
        version_id=version_id,
        attempt=attempt,
        results=assessment.results,
        judgement=assessment.judgement,
        timings=timings,
    )
