"""The evaluator (agentic reward modeling): preference, constraints, factuality, the judger.

Each judge returns a `DimensionResult` (score in [0, 1], reasons, problems, details); the
judger weighs them against the thresholds in settings; `record_evaluation` stores the lot.
"""

from backend.reward.constraints import (
    FORBIDDEN_CALLS,
    FORBIDDEN_MODULES,
    Check,
    ConstraintsResult,
    evaluate_constraints,
)
from backend.reward.evaluations import record_evaluation
from backend.reward.factuality import FactualityResult, evaluate_factuality
from backend.reward.judger import DIMENSIONS, Judgement, judge
from backend.reward.lint import MeasurementError, Problem, problems
from backend.reward.preference import PreferenceResult, evaluate_preference
from backend.reward.results import DimensionResult

__all__ = [
    "DIMENSIONS",
    "FORBIDDEN_CALLS",
    "FORBIDDEN_MODULES",
    "Check",
    "ConstraintsResult",
    "DimensionResult",
    "FactualityResult",
    "Judgement",
    "MeasurementError",
    "PreferenceResult",
    "Problem",
    "evaluate_constraints",
    "evaluate_factuality",
    "evaluate_preference",
    "judge",
    "problems",
    "record_evaluation",
]
