"""One structured LLM request: budget check, the request, accounting, errors a person can read.

`structured()` is the only place that talks to the LLM server. Whatever happens, it either
returns a validated answer or raises an `LLMError` subclass whose message says what went
wrong and what to do; every request that reached the server is recorded with its tokens and
estimated cost (see `accounting.py`).
"""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from backend.config import Settings
from backend.llm.accounting import Usage, check_budget, record_call
from backend.llm.client import Role, get_client, model_for, require_llm
from backend.llm.errors import LLMBadAnswer, LLMError, LLMUnavailable
from backend.llm.prices import estimate_cost

if TYPE_CHECKING:
    import openai

# openai and instructor are imported inside the functions that use them: importing openai
# takes over a second, which commands that never call an LLM shouldn't pay.

T = TypeVar("T", bound=BaseModel)
Messages = list[dict[str, Any]]

log = logging.getLogger(__name__)
# instructor logs every failed attempt at ERROR; this module reports them as one clear error.
logging.getLogger("instructor").addHandler(logging.NullHandler())

_CHARS_PER_TOKEN = 4  # rough, for servers that send no usage block


def structured(
    role: Role | str,
    response_model: type[T],
    messages: Messages,
    *,
    modification_id: int | None = None,
    what: str | None = None,
) -> T:
    """Ask the model for `role` for an answer that validates as `response_model`.

    `what` names the step for error messages ("planning the change"). Raises
    LLMNotConfigured, BudgetExceeded (before any request), LLMUnavailable or LLMBadAnswer.
    """
    from instructor.core.hooks import HookName, Hooks

    role = Role(role)
    what = what or f"the {role.value} step"
    settings = require_llm(what)
    if modification_id is not None:
        check_budget(modification_id)
    model = model_for(role, settings)
    usage = Usage()
    sent: dict[str, Any] = {"messages": messages}
    hooks = Hooks()
    hooks.on(HookName.COMPLETION_KWARGS, lambda *_, **kwargs: _attempt(usage, sent, kwargs))
    hooks.on(HookName.COMPLETION_RESPONSE, lambda response: _count(usage, sent, response))

    started = time.monotonic()
    error: str | None = "interrupted"
    try:
        answer = get_client(settings).chat.completions.create(
            model=model,
            response_model=response_model,
            messages=messages,
            max_retries=settings.llm_validation_retries,
            hooks=hooks,
        )
        error = None
        # A plain copy, without the raw completion instructor attaches (it breaks ==).
        return response_model.model_validate(answer.model_dump())
    except Exception as exc:
        problem = _explain(exc, what=what, model=model, settings=settings, usage=usage)
        error = str(problem)
        raise problem from exc
    finally:
        if usage.attempts:
            record_call(
                modification_id=modification_id,
                role=role.value,
                model=model,
                response_model=response_model.__name__,
                usage=usage,
                cost_usd=estimate_cost(
                    model, usage.prompt_tokens, usage.completion_tokens, settings
                ),
                duration_ms=round((time.monotonic() - started) * 1000),
                error=error,
            )


def _attempt(usage: Usage, sent: dict[str, Any], kwargs: dict[str, Any]) -> None:
    usage.attempts += 1
    sent["messages"] = kwargs.get("messages", sent["messages"])


def _count(usage: Usage, sent: dict[str, Any], response: Any) -> None:
    """Add one response's tokens (called before instructor folds them into its totals)."""
    tokens = getattr(response, "usage", None)
    prompt = getattr(tokens, "prompt_tokens", None)
    completion = getattr(tokens, "completion_tokens", None)
    if isinstance(prompt, int) and isinstance(completion, int):
        usage.prompt_tokens += prompt
        usage.completion_tokens += completion
        return
    usage.estimated = True
    usage.prompt_tokens += len(json.dumps(sent["messages"], default=str)) // _CHARS_PER_TOKEN
    usage.completion_tokens += len(_answer_text(response)) // _CHARS_PER_TOKEN


def _answer_text(response: Any) -> str:
    try:
        message = response.choices[0].message
    except (AttributeError, IndexError, TypeError):
        return str(response)
    calls = getattr(message, "tool_calls", None) or []
    parts = [getattr(call.function, "arguments", "") or "" for call in calls]
    return (message.content or "") + "".join(parts)


def _api_error(exc: BaseException) -> openai.APIError | None:
    """The SDK error behind an exception (instructor wraps them), if there is one."""
    import openai

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, openai.APIError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _first_lines(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _validation_summary(exc: BaseException) -> str:
    cause = exc
    failed = getattr(exc, "failed_attempts", None)
    if failed:
        cause = failed[-1].exception
    if isinstance(cause, ValidationError):
        problems = [
            f"{'.'.join(str(p) for p in error['loc']) or 'answer'}: {error['msg']}"
            for error in cause.errors()[:3]
        ]
        return "; ".join(problems)
    if isinstance(cause, json.JSONDecodeError):
        return f"not valid JSON ({cause.msg} at position {cause.pos})"
    return _first_lines(f"{type(cause).__name__}: {cause}")


def _explain(
    exc: Exception, *, what: str, model: str, settings: Settings, usage: Usage
) -> LLMError:
    """Turn whatever the SDK or instructor raised into one of our errors."""
    import openai
    from instructor.core.exceptions import IncompleteOutputException, InstructorError

    if isinstance(exc, LLMError):
        return exc
    where = settings.openai_base_url or "the OpenAI API"
    tries = f"{settings.llm_max_retries + 1} tries"
    api_error = _api_error(exc)
    if isinstance(api_error, openai.APITimeoutError):
        return LLMUnavailable(
            f"{what} failed: the LLM server at {where} did not answer within "
            f"{settings.llm_timeout_seconds:g} s ({tries}; LLM_TIMEOUT_SECONDS sets the limit)"
        )
    if isinstance(api_error, openai.APIConnectionError):
        return LLMUnavailable(
            f"{what} failed: cannot reach the LLM server at {where} ({tries}): "
            f"{_first_lines(str(api_error.__cause__ or api_error), 160)}"
        )
    if isinstance(api_error, openai.APIStatusError):
        return LLMUnavailable(_status_message(api_error, what=what, where=where, model=model))
    if isinstance(api_error, openai.APIResponseValidationError):
        return LLMBadAnswer(
            f"{what} failed: the LLM server at {where} sent a response that is not a chat "
            f"completion: {_first_lines(str(api_error))}"
        )
    if isinstance(exc, IncompleteOutputException):
        return LLMBadAnswer(
            f"{what} failed: the answer of {model!r} was cut off at its length limit"
        )
    if not isinstance(exc, InstructorError | ValidationError | ValueError):
        # Not a known way for an answer to be wrong: keep the traceback for whoever debugs it.
        log.exception("unexpected error from the LLM client")
    attempts = max(usage.attempts, 1)
    return LLMBadAnswer(
        f"{what} failed: the model {model!r} gave no usable answer in {attempts} "
        f"attempt{'s' if attempts != 1 else ''}; last problem: {_validation_summary(exc)}"
    )


def _status_message(error: openai.APIStatusError, *, what: str, where: str, model: str) -> str:
    status = error.status_code
    detail = _first_lines(_error_detail(error), 200)
    if status in (401, 403):
        hint = "the API key was refused; check OPENAI_API_KEY"
    elif status == 404:
        hint = (
            f"the server does not know model {model!r} (or the URL is wrong); "
            "check the LLM_*_MODEL settings and OPENAI_BASE_URL"
        )
    elif status == 429:
        hint = "rate limit or quota reached; try again later"
    elif status >= 500:
        hint = "the server failed"
    else:
        hint = "the server refused the request"
    return f"{what} failed: {hint} (HTTP {status} from {where}): {detail}"


def _error_detail(error: openai.APIStatusError) -> str:
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        return json.dumps(body)
    return str(body or error.message)
