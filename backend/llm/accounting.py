"""LLM spending: one `LLMCall` row per request, sums per Modification, and the budget check.

Both functions use their own short transaction rather than the caller's: money spent on a
request stays recorded even when the work that asked for it is rolled back, and the budget
check sees every committed call. Callers should not hold an open write transaction on the
modification while they call the LLM (they shouldn't anyway: a request can take a minute).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session

from backend.config import get_settings
from backend.db import session_scope
from backend.errors import NotFound
from backend.llm.errors import BudgetExceeded
from backend.models import LLMCall, Modification


@dataclass
class Usage:
    """What one structured request used, over all of its attempts."""

    attempts: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated: bool = False  # some answer had no usage block; tokens were estimated from text


def budget_of(modification: Modification) -> float:
    """The modification's own budget, or the LLM_BUDGET_USD setting when it has none."""
    if modification.budget_usd is not None:
        return modification.budget_usd
    return get_settings().llm_budget_usd


def spending(session: Session, modification_id: int) -> tuple[float, float]:
    """(spent, budget) in USD for a modification."""
    modification = session.get(Modification, modification_id)
    if modification is None:
        raise NotFound(f"no modification with id {modification_id}")
    return modification.cost_usd, budget_of(modification)


def check_budget(modification_id: int) -> None:
    """Raise BudgetExceeded when the modification has spent its budget (no request is sent)."""
    with session_scope() as session:
        spent, budget = spending(session, modification_id)
    if spent >= budget:
        raise BudgetExceeded(modification_id, spent, budget)


def record_call(
    *,
    modification_id: int | None,
    role: str,
    model: str,
    response_model: str,
    usage: Usage,
    cost_usd: float,
    duration_ms: int,
    error: str | None,
) -> LLMCall:
    """Store one request and add its tokens and cost to its modification, atomically."""
    call = LLMCall(
        modification_id=modification_id,
        role=role,
        model=model[:200],
        response_model=response_model[:100],
        attempts=usage.attempts,
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        usage_estimated=usage.estimated,
        cost_usd=cost_usd,
        duration_ms=duration_ms,
        ok=error is None,
        error=error,
    )
    with session_scope() as session:
        session.add(call)
        if modification_id is not None:
            # An increment in SQL, so concurrent calls for one modification never lose a sum.
            session.execute(
                update(Modification)
                .where(Modification.id == modification_id)
                .values(
                    cost_usd=Modification.cost_usd + cost_usd,
                    prompt_tokens=Modification.prompt_tokens + usage.prompt_tokens,
                    completion_tokens=Modification.completion_tokens + usage.completion_tokens,
                )
            )
    return call
