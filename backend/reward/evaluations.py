"""Storing an evaluation: one Evaluation row per scored attempt, with everything behind it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlmodel import Session

from backend.models import Evaluation
from backend.reward.judger import DIMENSIONS, Judgement
from backend.reward.results import DimensionResult


def record_evaluation(
    session: Session,
    *,
    modification_id: int | None,
    version_id: int | None,
    attempt: int,
    results: Iterable[DimensionResult],
    judgement: Judgement,
    timings: Mapping[str, float] | None = None,
) -> Evaluation:
    """Add the Evaluation row (the caller commits): scores, reasons, thresholds, timings.

    `timings` adds the caller's own steps (e.g. "generate") to each dimension's seconds.
    """
    by_name = {result.dimension: result for result in results}
    columns = {}
    for name in DIMENSIONS:
        result = by_name.get(name)
        columns[name] = (
            {
                **result.to_dict(),
                "threshold": judgement.thresholds[name],
                "weight": judgement.weights.get(name, 0.0),
            }
            if result
            else {"evaluated": False}
        )
    spent = {name: result.seconds for name, result in by_name.items()}
    spent.update(timings or {})
    spent["total"] = round(sum(spent.values()), 4)
    evaluation = Evaluation(
        modification_id=modification_id,
        version_id=version_id,
        attempt=attempt,
        preference=columns["preference"],
        constraints=columns["constraints"],
        factuality=columns["factuality"],
        preference_score=judgement.scores.get("preference", 0.0),
        constraints_score=judgement.scores.get("constraints", 0.0),
        factuality_score=judgement.scores.get("factuality", 0.0),
        overall_score=judgement.overall_score,
        thresholds=judgement.thresholds,
        verdict=judgement.verdict.value,
        feedback=judgement.feedback,
        timings=spent,
    )
    session.add(evaluation)
    session.flush()
    return evaluation
