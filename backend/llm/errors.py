"""What can go wrong with an LLM request, each with a message meant for a person."""

from __future__ import annotations

from backend.errors import ProductError


def counted(number: int, one: str, many: str) -> str:
    """'1 try', '3 tries': a count with its noun, for messages."""
    return f"{number} {one if number == 1 else many}"


class LLMError(ProductError):
    """An LLM request could not give an answer."""


class LLMNotConfigured(LLMError):
    """No LLM server is configured, so nothing that needs one can run."""

    def __init__(self, what: str = "this") -> None:
        super().__init__(
            f"{what} needs an LLM, and none is configured: set OPENAI_BASE_URL (any "
            "OpenAI-compatible server, e.g. a local Ollama or vLLM) or OPENAI_API_KEY (OpenAI)"
        )


class LLMUnavailable(LLMError):
    """The LLM server could not be reached, timed out, or refused the request."""


class LLMBadAnswer(LLMError):
    """The LLM server answered, but not with what was asked for, even after retries."""


class DeadlineExceeded(LLMError):
    """Work ran past its wall-clock deadline (MODIFICATION_DEADLINE_SECONDS); it stops there.

    Not an LLMUnavailable: a step that may go on without the LLM (a judge) must not go on
    once the time is up.
    """


class BudgetExceeded(LLMError):
    """A modification has spent its LLM budget; it pauses and can resume with a higher one."""

    def __init__(self, modification_id: int, spent_usd: float, budget_usd: float) -> None:
        self.modification_id = modification_id
        self.spent_usd = spent_usd
        self.budget_usd = budget_usd
        super().__init__(
            f"modification {modification_id} has spent ${spent_usd:.4f} of its "
            f"${budget_usd:.2f} LLM budget; it is paused until it is resumed with a higher budget"
        )
