"""An Evaluation row as people see it: bars per dimension with thresholds, and reasons."""

from __future__ import annotations

import dataclasses
from typing import Any

from backend.background import jobs
from backend.db import session_scope
from backend.enums import TaskStatus
from backend.models import Evaluation
from backend.reward.highlights import highlight_lines, highlights

DIMENSIONS = ("preference", "constraints", "factuality")


@dataclasses.dataclass
class ScoreBar:
    """One bar: a dimension (or a preference sub-score) with its score and threshold in [0, 1].

    `threshold` < 0 means none applies (sub-scores have no threshold of their own).
    """

    label: str
    score: float
    threshold: float = -1.0
    passed: bool = True
    indent: bool = False


@dataclasses.dataclass
class EvaluationView:
    """One scored attempt (or a manual edit's evaluation), ready for the browser."""

    attempt: int = 0
    verdict: str = ""
    overall: str = ""
    bars: list[ScoreBar] = dataclasses.field(default_factory=list)
    reasons: list[str] = dataclasses.field(default_factory=list)
    feedback: str = ""
    # The parent comparison, mutation score, inputs and first difference, one line each;
    # and what the person approving must know (weak tests of an accepted change).
    highlights: list[str] = dataclasses.field(default_factory=list)
    warnings: list[str] = dataclasses.field(default_factory=list)


def _bars(evaluation: Evaluation) -> list[ScoreBar]:
    bars: list[ScoreBar] = []
    for name in DIMENSIONS:
        column: dict[str, Any] = getattr(evaluation, name) or {}
        score = float(getattr(evaluation, f"{name}_score") or 0.0)
        threshold = float(column.get("threshold", (evaluation.thresholds or {}).get(name, -1.0)))
        if column.get("evaluated") is False:
            bars.append(ScoreBar(label=f"{name} (not run)", score=0.0, threshold=threshold))
            continue
        bars.append(
            ScoreBar(
                label=name,
                score=round(score, 3),
                threshold=threshold,
                passed=threshold < 0 or score >= threshold,
            )
        )
        subs = (column.get("details") or {}).get("sub_scores") or {}
        for sub, value in subs.items():
            bars.append(ScoreBar(label=sub, score=round(float(value), 3), indent=True))
    return bars


def _reasons(evaluation: Evaluation) -> list[str]:
    reasons: list[str] = []
    for name in DIMENSIONS:
        column: dict[str, Any] = getattr(evaluation, name) or {}
        reasons.extend(f"{name}: {reason}" for reason in column.get("reasons") or [])
    return reasons


def _highlights(evaluation: Evaluation) -> dict[str, Any]:
    def details(name: str) -> dict[str, Any]:
        return (getattr(evaluation, name) or {}).get("details") or {}

    accepted = str(evaluation.verdict) == "accept"
    return highlights(details("preference"), details("factuality"), accepted=accepted)


def evaluation_view(evaluation: Evaluation) -> EvaluationView:
    found = _highlights(evaluation)
    return EvaluationView(
        highlights=highlight_lines(found),
        warnings=found["warnings"],
        attempt=evaluation.attempt,
        verdict=str(evaluation.verdict),
        overall=f"{evaluation.overall_score:.2f}",
        bars=_bars(evaluation),
        reasons=_reasons(evaluation),
        feedback=evaluation.feedback or "",
    )


@dataclasses.dataclass
class EvaluationJob:
    """How a version's evaluation job stands: running (with progress), or its verdict."""

    finished: bool = False
    progress: int = 0
    message: str = ""
    error: str = ""  # why it failed, when it did
    evaluation: EvaluationView | None = None


def read_evaluation_job(task_id: int) -> EvaluationJob:
    """The evaluation job `task_id` (see `backend.pipeline.review.save_version`)."""
    with session_scope() as session:
        task = jobs.get_task(session, task_id)
        if task.status not in jobs.FINISHED_STATUSES:
            return EvaluationJob(progress=task.progress, message=task.message)
        if task.status == TaskStatus.FAILED:
            return EvaluationJob(finished=True, progress=task.progress, error=task.error or "")
        evaluation = session.get(Evaluation, int((task.result or {}).get("evaluation_id", 0)))
        if evaluation is None:
            return EvaluationJob(finished=True, error="the evaluation's result was not found")
        return EvaluationJob(finished=True, progress=100, evaluation=evaluation_view(evaluation))
