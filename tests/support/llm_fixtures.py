"""Pytest fixtures for LLM tests; a test module loads them with
`pytest_plugins = ["tests.support.llm_fixtures"]`.

`llm_server` starts the scripted OpenAI-compatible server and points the settings at it;
`no_llm` makes sure no LLM is configured (whatever the developer's environment holds).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from backend import config
from backend.config import Settings
from tests.support.llm_server import ScriptedLLMServer

LLM_SETTINGS = [name.upper() for name in Settings.model_fields if name.startswith("llm_")] + [
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
]


def _clear_llm_settings(patch: pytest.MonkeyPatch) -> None:
    for name in LLM_SETTINGS:
        patch.delenv(name, raising=False)
    # An empty value beats a developer's .env file, which the settings also read.
    patch.setenv("OPENAI_API_KEY", "")
    patch.setenv("OPENAI_BASE_URL", "")


# Each fixture patches the environment in its own context, so undoing it leaves the database
# fixtures' settings alone, whichever order pytest tears them down in.


@pytest.fixture
def no_llm() -> Iterator[None]:
    """Settings with no LLM configured."""
    with pytest.MonkeyPatch.context() as patch:
        _clear_llm_settings(patch)
        config.reload_settings()
        yield
    config.reload_settings()


@pytest.fixture
def llm_server() -> Iterator[ScriptedLLMServer]:
    """A scripted LLM server on 127.0.0.1, with the settings pointed at it (no API key)."""
    server = ScriptedLLMServer().start()
    with pytest.MonkeyPatch.context() as patch:
        _clear_llm_settings(patch)
        patch.setenv("OPENAI_BASE_URL", server.base_url)
        patch.setenv("LLM_PLANNER_MODEL", "test-planner")
        patch.setenv("LLM_CODER_MODEL", "test-coder")
        patch.setenv("LLM_JUDGE_MODEL", "test-judge")
        # Known prices, so the tests can check the cost arithmetic.
        patch.setenv("LLM_PROMPT_PRICE_PER_1K", "0.001")
        patch.setenv("LLM_COMPLETION_PRICE_PER_1K", "0.002")
        # A hung request fails the test within seconds instead of the default minute.
        patch.setenv("LLM_TIMEOUT_SECONDS", "10")
        config.reload_settings()
        try:
            yield server
        finally:
            server.stop()
    config.reload_settings()


@pytest.fixture
def scripted_llm(llm_server: ScriptedLLMServer) -> Iterator[ScriptedLLMServer]:
    """The scripted server with the LLM judges off (so every answer is scripted: the planner's,
    then the coder's per attempt) and at most two attempts."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LLM_JUDGES", "0")
        patch.setenv("MAX_ATTEMPTS", "2")
        config.reload_settings()
        yield llm_server
    config.reload_settings()
