"""One structured LLM request: budget check, the request, accounting, errors a person can read.

`structured()` (and `ask()`, which also returns the tokens used) is the only place that talks
to the LLM server. Whatever happens, it either returns a validated answer or raises an
`LLMError` subclass whose message says what went wrong, attempt by attempt, and what to do;
every request that reached the server is recorded with its tokens and estimated cost (see
`accounting.py`). Each request carries its role's max_tokens (temperature 0 for judges and
the parser) and waits at most LLM_TIMEOUT_SECONDS, or the time left before the deadline of
the work in progress (`deadline`), whichever is shorter.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from backend.config import Settings
from backend.llm import deadline
from backend.llm.accounting import Usage, check_budget, record_call
from backend.llm.client import (
    Role,
    get_client,
    instructor_mode,
    max_tokens_for,
    model_for,
    request_options,
    require_llm,
    sampling_for,
)
from backend.llm.errors import LLMBadAnswer, LLMError, LLMUnavailable, counted
from backend.llm.prices import estimate_cost

if TYPE_CHECKING:
    import openai

# openai and instructor are imported inside the functions that use them: importing openai
# takes over a second, which commands that never call an LLM shouldn't pay.

T = TypeVar("T", bound=BaseModel)
E = TypeVar("E", bound=BaseException)
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
    LLMNotConfigured, BudgetExceeded (before any request), DeadlineExceeded, LLMUnavailable
    or LLMBadAnswer.
    """
    answer, _ = ask(role, response_model, messages, modification_id=modification_id, what=what)
    return answer


def ask(
    role: Role | str,
    response_model: type[T],
    messages: Messages,
    *,
    modification_id: int | None = None,
    what: str | None = None,
    mode: str | None = None,
    validation_retries: int | None = None,
) -> tuple[T, Usage]:
    """`structured`, also returning what the request used; `mode` (an LLM_MODE value) and
    `validation_retries` override the settings (the server check tries each mode once)."""
    import instructor
    from instructor.core.hooks import HookName, Hooks

    role = Role(role)
    what = what or f"the {role.value} step"
    settings = require_llm(what)
    deadline.check(what)
    if modification_id is not None:
        check_budget(modification_id)
    model = model_for(role, settings)
    mode = mode or settings.llm_mode
    usage = Usage()
    sent: dict[str, Any] = {"messages": messages}
    hooks = Hooks()
    hooks.on(HookName.COMPLETION_KWARGS, lambda *_, **kwargs: _attempt(usage, sent, kwargs))
    hooks.on(HookName.COMPLETION_RESPONSE, lambda response: _count(usage, sent, response))
    client = get_client(settings)

    def send(**kwargs: Any) -> Any:
        """One request, with the timeout and retries the time left allows."""
        left = deadline.time_left()
        if left is not None and left <= 0:
            raise deadline.current().exceeded(what)
        sent["timeout"], sent["retries"] = request_options(settings, left)
        bounded = client.with_options(timeout=sent["timeout"], max_retries=sent["retries"])
        return bounded.chat.completions.create(**kwargs)

    started = time.monotonic()
    error: str | None = "interrupted"
    try:
        answer = instructor.patch(create=send, mode=instructor_mode(mode))(
            model=model,
            response_model=response_model,
            messages=messages,
            max_retries=settings.llm_validation_retries
            if validation_retries is None
            else validation_retries,
            hooks=hooks,
            **sampling_for(role, settings),
        )
        error = None
        # A plain copy, without the raw completion instructor attaches (it breaks ==).
        return response_model.model_validate(answer.model_dump()), usage
    except Exception as exc:
        problem = _explain(
            exc,
            Asked(what=what, model=model, role=role, mode=mode, settings=settings, sent=sent),
            usage,
        )
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


@dataclass
class Asked:
    """What a failed request asked for, to explain its failure."""

    what: str
    model: str
    role: Role
    mode: str
    settings: Settings
    sent: dict[str, Any]

    @property
    def where(self) -> str:
        return self.settings.openai_base_url or "the OpenAI API"

    @property
    def max_tokens(self) -> int:
        return max_tokens_for(self.role, self.settings)

    @property
    def max_tokens_setting(self) -> str:
        return f"LLM_MAX_TOKENS_{self.role.value.upper()}"


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


def _cause(exc: BaseException, kind: type[E] | tuple[type, ...]) -> E | None:
    """The exception of `kind` behind `exc` (instructor wraps them), if there is one."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current  # type: ignore[return-value]
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _first_lines(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _completion_facts(completion: Any) -> tuple[int | None, str]:
    """(completion tokens, finish_reason) of a raw completion, where it says."""
    tokens = getattr(getattr(completion, "usage", None), "completion_tokens", None)
    try:
        finish = str(completion.choices[0].finish_reason)
    except (AttributeError, IndexError, TypeError):
        finish = ""
    return (tokens if isinstance(tokens, int) else None), finish


def _problem(cause: BaseException, completion: Any, asked: Asked) -> str:
    """One failed attempt, in words a person (and the model) can act on."""
    from instructor.core.exceptions import ResponseParsingError

    if isinstance(cause, ValidationError):
        errors = cause.errors()
        cut = [e for e in errors if e["type"] == "json_invalid" and "EOF" in e["msg"]]
        if cut:
            tokens, finish = _completion_facts(completion)
            if asked.max_tokens and tokens is not None and tokens >= asked.max_tokens:
                return (
                    f"the answer was cut off at its length limit of {asked.max_tokens} tokens "
                    f"({asked.max_tokens_setting}; the server said finish_reason {finish!r}), "
                    f"so its JSON is incomplete: raise {asked.max_tokens_setting}"
                )
            return f"the answer stops in the middle of its JSON ({cut[0]['msg']})"
        problems = [
            f"{'.'.join(str(p) for p in error['loc']) or 'answer'}: "
            + str(error["msg"]).removeprefix("Value error, ")
            for error in errors[:3]
        ]
        more = len(errors) - 3
        return "; ".join(problems) + (f"; and {counted(more, 'more', 'more')}" if more > 0 else "")
    if isinstance(cause, json.JSONDecodeError):
        return f"not valid JSON ({cause.msg} at position {cause.pos})"
    if isinstance(cause, ResponseParsingError) and asked.mode == "tools":
        return (
            "the model answered without calling the tool it was given (LLM_MODE=tools); "
            "`python -m backend llm check` shows which LLM_MODE the server handles"
        )
    return _first_lines(f"{type(cause).__name__}: {cause}")


def _history(exc: BaseException, asked: Asked) -> list[str]:
    """Each attempt that answered but not usably, in order."""
    failed = getattr(_cause(exc, _retry_exception()), "failed_attempts", None) or []
    return [_problem(attempt.exception, attempt.completion, asked) for attempt in failed]


def _retry_exception() -> type[BaseException]:
    from instructor.core.exceptions import InstructorRetryException

    return InstructorRetryException


def _in_order(what: str, history: list[str], last: str) -> str:
    """'<what> failed: <last>', or every attempt in order when earlier ones answered badly."""
    if not history:
        return f"{what} failed: {last}"
    steps = [f"attempt {number}: {problem}" for number, problem in enumerate(history, 1)]
    steps.append(f"attempt {len(history) + 1}: {last}")
    return f"{what} failed after {len(steps)} attempts; in order: " + "; ".join(steps)


def _explain(exc: Exception, asked: Asked, usage: Usage) -> LLMError:
    """Turn whatever the SDK or instructor raised into one of our errors."""
    import openai
    from instructor.core.exceptions import IncompleteOutputException, InstructorError

    ours = exc if isinstance(exc, LLMError) else _cause(exc, LLMError)
    if ours is not None:
        return ours
    what, where, settings = asked.what, asked.where, asked.settings
    history = _history(exc, asked)
    tries = counted(asked.sent.get("retries", settings.llm_max_retries) + 1, "try", "tries")
    api_error = _cause(exc, openai.APIError)
    if isinstance(api_error, openai.APITimeoutError):
        now = deadline.current()
        if now is not None and now.left() <= 0:
            return now.exceeded(what)
        timeout = asked.sent.get("timeout", settings.llm_timeout_seconds)
        return LLMUnavailable(
            _in_order(
                what,
                history,
                f"the LLM server at {where} did not answer within {timeout:g} s ({tries}; "
                "LLM_TIMEOUT_SECONDS sets the limit)",
            )
        )
    if isinstance(api_error, openai.APIConnectionError):
        return LLMUnavailable(
            _in_order(
                what,
                history,
                f"cannot reach the LLM server at {where} ({tries}): "
                f"{_first_lines(str(api_error.__cause__ or api_error), 160)}",
            )
        )
    if isinstance(api_error, openai.APIStatusError):
        return LLMUnavailable(_in_order(what, history, _status_message(api_error, asked)))
    if isinstance(api_error, openai.APIResponseValidationError):
        return LLMBadAnswer(
            _in_order(
                what,
                history,
                f"the LLM server at {where} sent a response that is not a chat completion: "
                f"{_first_lines(str(api_error))}",
            )
        )
    incomplete = _cause(exc, IncompleteOutputException)
    if incomplete is not None:
        return LLMBadAnswer(
            _in_order(
                what,
                history,
                f"the answer of {asked.model!r} was cut off at its length limit "
                f"({asked.max_tokens or 'the server default'} tokens; raise "
                f"{asked.max_tokens_setting})",
            )
        )
    if not isinstance(exc, InstructorError | ValidationError | ValueError):
        # Not a known way for an answer to be wrong: keep the traceback for whoever debugs it.
        log.exception("unexpected error from the LLM client")
    if not history:
        history = [_problem(exc, None, asked)]
    attempts = max(usage.attempts, len(history), 1)
    return LLMBadAnswer(
        f"{what} failed: the model {asked.model!r} gave no usable answer in "
        f"{counted(attempts, 'attempt', 'attempts')}: "
        + "; ".join(f"attempt {n}: {problem}" for n, problem in enumerate(history, 1))
    )


#: Words in a server's refusal that show it is the way structure was asked for (LLM_MODE).
MODE_WORDS = {
    "tools": ("tool",),
    "json_schema": ("response_format", "json_schema", "json_object"),
    "json": ("response_format", "json_object"),
    "md_json": (),
}


def _status_message(error: openai.APIStatusError, asked: Asked) -> str:
    status, model = error.status_code, asked.model
    detail = _first_lines(_error_detail(error), 200)
    if any(word in detail.lower() for word in MODE_WORDS.get(asked.mode, ())):
        hint = (
            f"the server does not accept LLM_MODE={asked.mode}; `python -m backend llm check` "
            "shows which modes it handles (llama-cpp-python: tools)"
        )
    elif "context" in detail.lower() and asked.max_tokens:
        hint = (
            f"the prompt and the answer's {asked.max_tokens} tokens ({asked.max_tokens_setting}) "
            f"don't fit the model's context; lower {asked.max_tokens_setting} or serve the "
            "model with a longer context"
        )
    elif status in (401, 403):
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
    return f"{hint} (HTTP {status} from {asked.where}): {detail}"


def _error_detail(error: openai.APIStatusError) -> str:
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        return json.dumps(body)
    return str(body or error.message)
