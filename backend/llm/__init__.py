"""The LLM layer: an OpenAI-compatible client with instructor schemas, accounting, budgets.

Every LLM request of the product goes through `structured()`; the helpers below build the
prompts for each step.
"""

from backend.llm.authoring import generate_change, plan_creation, plan_modification
from backend.llm.client import Role, is_configured, model_for
from backend.llm.errors import (
    BudgetExceeded,
    LLMBadAnswer,
    LLMError,
    LLMNotConfigured,
    LLMUnavailable,
)
from backend.llm.judging import judge_constraints, judge_factuality, judge_preference
from backend.llm.schemas import (
    CodeChange,
    ConstraintCheck,
    ConstraintJudgment,
    CreationPlan,
    FactualityJudgment,
    FileContent,
    ModificationPlan,
    PlannedFile,
    PlannedFunction,
    PreferenceJudgment,
)
from backend.llm.structured import structured

__all__ = [
    "BudgetExceeded",
    "CodeChange",
    "ConstraintCheck",
    "ConstraintJudgment",
    "CreationPlan",
    "FactualityJudgment",
    "FileContent",
    "LLMBadAnswer",
    "LLMError",
    "LLMNotConfigured",
    "LLMUnavailable",
    "ModificationPlan",
    "PlannedFile",
    "PlannedFunction",
    "PreferenceJudgment",
    "Role",
    "generate_change",
    "is_configured",
    "judge_constraints",
    "judge_factuality",
    "judge_preference",
    "model_for",
    "plan_creation",
    "plan_modification",
    "structured",
]
