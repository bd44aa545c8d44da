"""The LLM client: the official `openai` SDK, wrapped by `instructor` for structured answers.

OPENAI_BASE_URL points it at any OpenAI-compatible server (OpenAI, gateways, Ollama, vLLM,
llama.cpp's server); with only a base URL set, a placeholder key is sent, since local servers
ignore it and the SDK insists on one. LLM_MODE picks how instructor asks for structure
(a tool call, a JSON schema, JSON mode, a JSON block in text): servers differ in what they
accept (`python -m backend llm check` tries them). Timeouts and connection retries are the
SDK's own, set per request from LLM_TIMEOUT_SECONDS and LLM_MAX_RETRIES and bounded by the
deadline of the work in progress (`deadline`).
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from backend.config import Settings, get_settings
from backend.llm.errors import LLMNotConfigured

if TYPE_CHECKING:
    import instructor
    import openai

PLACEHOLDER_API_KEY = "not-needed"


class Role(StrEnum):
    """What an LLM request is for; each role has its own model setting."""

    PLANNER = "planner"
    CODER = "coder"
    JUDGE = "judge"
    PARSER = "parser"


#: Roles asked at temperature 0: a judge or a parser should read the same input the same way.
DETERMINISTIC = frozenset({Role.JUDGE, Role.PARSER})
#: LLM_MODE values and the instructor modes they stand for.
MODES = {"tools": "TOOLS", "json_schema": "JSON_SCHEMA", "json": "JSON", "md_json": "MD_JSON"}


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


def max_tokens_for(role: Role | str, settings: Settings | None = None) -> int:
    """The most tokens an answer for `role` may have (LLM_MAX_TOKENS_*; 0: none sent)."""
    settings = settings or get_settings()
    return getattr(settings, f"llm_max_tokens_{Role(role).value}")


def sampling_for(role: Role | str, settings: Settings | None = None) -> dict[str, Any]:
    """The request's sampling options for a role: its max_tokens, and temperature 0 for
    the judges and the parser (the same code or words should get the same reading)."""
    options: dict[str, Any] = {}
    limit = max_tokens_for(role, settings)
    if limit:
        options["max_tokens"] = limit
    if Role(role) in DETERMINISTIC:
        options["temperature"] = 0
    return options


def instructor_mode(name: str) -> instructor.Mode:
    """The instructor mode for an LLM_MODE value."""
    import instructor

    if name not in MODES:
        raise ValueError(f"unknown LLM_MODE {name!r}; valid: {', '.join(MODES)}")
    return getattr(instructor.Mode, MODES[name])


@lru_cache(maxsize=4)
def raw_client(base_url: str, api_key: str) -> openai.OpenAI:
    """The plain SDK client for a server (one per configuration).

    Its HTTP transport bounds each whole answer by the request's timeout (`transport`);
    timeouts and retries are set per request (`request_options`).
    """
    # Imported on first use: the openai package takes over a second to import, and most
    # commands and pages never talk to an LLM.
    import openai

    from backend.llm.transport import BoundedTransport

    return openai.OpenAI(
        base_url=base_url or None,
        api_key=api_key or PLACEHOLDER_API_KEY,
        http_client=openai.DefaultHttpxClient(transport=BoundedTransport()),
    )


def get_client(settings: Settings | None = None) -> openai.OpenAI:
    """The SDK client for the current settings."""
    settings = settings or require_llm()
    return raw_client(settings.openai_base_url, settings.openai_api_key)


def request_options(settings: Settings, time_left: float | None) -> tuple[float, int]:
    """(timeout, connection retries) of one request: LLM_TIMEOUT_SECONDS and LLM_MAX_RETRIES,
    fewer and shorter when a deadline leaves less time than they would take."""
    timeout, retries = settings.llm_timeout_seconds, settings.llm_max_retries
    if time_left is not None:
        timeout = max(min(timeout, time_left), 0.001)
        retries = min(retries, max(int(time_left // timeout) - 1, 0))
    return timeout, retries
