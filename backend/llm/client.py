"""The LLM client: the official `openai` SDK, wrapped by `instructor` for structured answers.

OPENAI_BASE_URL points it at any OpenAI-compatible server (OpenAI, gateways, Ollama, vLLM,
llama.cpp's server); with only a base URL set, a placeholder key is sent, since local servers
ignore it and the SDK insists on one. Timeouts and connection retries are the SDK's own,
set from LLM_TIMEOUT_SECONDS and LLM_MAX_RETRIES.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING

from backend.config import Settings, get_settings
from backend.llm.errors import LLMNotConfigured

if TYPE_CHECKING:
    import instructor

PLACEHOLDER_API_KEY = "not-needed"


class Role(StrEnum):
    """What an LLM request is for; each role has its own model setting."""

    PLANNER = "planner"
    CODER = "coder"
    JUDGE = "judge"
    PARSER = "parser"


def is_configured(settings: Settings | None = None) -> bool:
    """Whether an LLM server is configured (a base URL or an API key)."""
    return bool((settings or get_settings()).features["llm"]["configured"])


def require_llm(what: str = "this") -> Settings:
    """The settings, or LLMNotConfigured saying which setting to set."""
    settings = get_settings()
    if not is_configured(settings):
        raise LLMNotConfigured(what)
    return settings


def unconfigured_reason(what: str = "this") -> str:
    """Why `what` can't run ("" when an LLM is configured): the sentence `require_llm` raises,
    for a page to say before anyone asks."""
    return "" if is_configured() else str(LLMNotConfigured(what))


def model_for(role: Role | str, settings: Settings | None = None) -> str:
    """The model name configured for a role."""
    settings = settings or get_settings()
    return getattr(settings, f"llm_{Role(role).value}_model")


@lru_cache(maxsize=4)
def _client(base_url: str, api_key: str, timeout: float, max_retries: int) -> instructor.Instructor:
    # Imported on first use: the openai package takes over a second to import, and most
    # commands and pages never talk to an LLM.
    import instructor
    import openai

    raw = openai.OpenAI(
        base_url=base_url or None,
        api_key=api_key or PLACEHOLDER_API_KEY,
        timeout=timeout,
        max_retries=max_retries,
    )
    return instructor.from_openai(raw, mode=instructor.Mode.TOOLS)


def get_client(settings: Settings | None = None) -> instructor.Instructor:
    """The instructor-wrapped client for the current settings (one per configuration)."""
    settings = settings or require_llm()
    return _client(
        settings.openai_base_url,
        settings.openai_api_key,
        settings.llm_timeout_seconds,
        settings.llm_max_retries,
    )
