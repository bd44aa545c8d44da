"""Estimated prices of LLM tokens, to turn usage into dollars for budgets and reports.

Prices are USD per 1000 tokens (prompt, completion), list prices at the time of writing; they
are estimates for budgeting, not invoices. A model name matches the longest table entry it
starts with, so dated variants ("gpt-4o-2024-08-06") find their family. LLM_PRICES adds or
overrides entries; anything else costs LLM_PROMPT_PRICE_PER_1K / LLM_COMPLETION_PRICE_PER_1K.
"""

from __future__ import annotations

from backend.config import Settings, get_settings

PRICES_PER_1K: dict[str, tuple[float, float]] = {
    "gpt-4o": (0.0025, 0.01),
    "gpt-4o-mini": (0.00015, 0.0006),
    "gpt-4.1": (0.002, 0.008),
    "gpt-4.1-mini": (0.0004, 0.0016),
    "gpt-4.1-nano": (0.0001, 0.0004),
    "gpt-4-turbo": (0.01, 0.03),
    "gpt-3.5-turbo": (0.0005, 0.0015),
    "o1": (0.015, 0.06),
    "o1-mini": (0.0011, 0.0044),
    "o3": (0.002, 0.008),
    "o3-mini": (0.0011, 0.0044),
    "o4-mini": (0.0011, 0.0044),
}


def price_per_1k(model: str, settings: Settings | None = None) -> tuple[float, float]:
    """(prompt, completion) USD per 1000 tokens for this model."""
    settings = settings or get_settings()
    table = {**PRICES_PER_1K, **settings.llm_prices}
    name = model.lower()
    matches = [key for key in table if name == key.lower() or name.startswith(key.lower() + "-")]
    if not matches:
        return settings.llm_prompt_price_per_1k, settings.llm_completion_price_per_1k
    return table[max(matches, key=len)]


def estimate_cost(
    model: str, prompt_tokens: int, completion_tokens: int, settings: Settings | None = None
) -> float:
    """Estimated USD for this many tokens of this model."""
    prompt_price, completion_price = price_per_1k(model, settings)
    return (prompt_tokens * prompt_price + completion_tokens * completion_price) / 1000
