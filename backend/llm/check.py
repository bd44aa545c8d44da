"""`python -m backend llm check`: does the configured LLM server answer, and in which modes?

Servers differ in how they take a request for structure (LLM_MODE): llama-cpp-python answers
a tool call but refuses `response_format` json_schema with HTTP 500, vLLM and Ollama take
both, a bare completion server only follows a JSON block in text. The check asks every role
a tiny question once in the configured mode (and, with `all_modes`, each other mode once per
model) and reports what worked. It also sees whether the server keeps system messages (some
chat templates drop them silently, and with them every instruction and every "fix the
errors" retry): a long system prompt must cost prompt tokens.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import Field

from backend.config import Settings
from backend.llm.client import MODES, Role, model_for, require_llm
from backend.llm.errors import LLMError
from backend.llm.lenient import Answer
from backend.llm.structured import ask

QUESTION = "What is 2 + 3?"
RIGHT = 5
SYSTEM = "You add numbers. Answer with the sum only."
#: A system prompt long enough (about 2,000 characters) that keeping it must cost tokens.
LONG_SYSTEM = SYSTEM + "".join(
    f"\nRule {n}: answer only with the structure asked for, no prose, no markdown."
    for n in range(1, 28)
)
#: Fewer extra prompt tokens than this for LONG_SYSTEM means the server dropped it.
KEPT_AT_LEAST = 100


class Sum(Answer):
    """The sum of the numbers in the question."""

    total: int = Field(description="The sum, as a number.")


@dataclass
class Trial:
    """One question in one mode to one model (for the roles listed)."""

    mode: str
    roles: list[str]
    model: str
    ok: bool
    result: str
    seconds: float


@dataclass
class Report:
    base_url: str
    configured_mode: str
    trials: list[Trial] = field(default_factory=list)
    system_messages: str = "not checked"
    system_kept: bool | None = None

    @property
    def ok(self) -> bool:
        """Whether the configured mode worked for every role."""
        return all(trial.ok for trial in self.trials if trial.mode == self.configured_mode)

    def working_modes(self) -> list[str]:
        tried = dict.fromkeys(trial.mode for trial in self.trials)
        return [m for m in tried if all(t.ok for t in self.trials if t.mode == m)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "configured_mode": self.configured_mode,
            "ok": self.ok,
            "working_modes": self.working_modes(),
            "system_messages": self.system_messages,
            "system_kept": self.system_kept,
            "trials": [asdict(trial) for trial in self.trials],
        }

    def text(self) -> str:
        rows = [("MODE", "ROLES", "MODEL", "RESULT")] + [
            (
                t.mode,
                ", ".join(t.roles),
                t.model,
                f"{'ok' if t.ok else 'FAILED'} ({t.seconds:.1f} s): {t.result}",
            )
            for t in self.trials
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        lines = [f"LLM server: {self.base_url} (LLM_MODE={self.configured_mode})"]
        lines += [
            "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True))
            + "  "
            + row[3]
            for row in rows
        ]
        warn = "WARNING: " if self.system_kept is False else ""
        lines.append(f"{warn}system messages: {self.system_messages}")
        working = self.working_modes()
        lines.append(f"modes that worked: {', '.join(working) if working else 'none'}")
        if self.ok:
            lines.append(f"the configured mode ({self.configured_mode}) works for every role")
        else:
            failed = [
                ", ".join(t.roles)
                for t in self.trials
                if t.mode == self.configured_mode and not t.ok
            ]
            others = [m for m in working if m != self.configured_mode]
            advice = (
                f"set LLM_MODE to {' or '.join(others)}"
                if others
                else "run with --all-modes to try the others"
            )
            lines.append(
                f"the configured mode ({self.configured_mode}) FAILED for "
                f"{'; '.join(failed)}: {advice}"
            )
        return "\n".join(lines)


def _try(mode: str, roles: list[Role], settings: Settings) -> Trial:
    role = roles[0]
    started = time.monotonic()
    try:
        answer, _ = ask(
            role,
            Sum,
            [{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}],
            what=f"the {role.value} check in mode {mode}",
            mode=mode,
            validation_retries=0,
        )
    except LLMError as exc:
        ok, result = False, str(exc)
    else:
        ok = True
        result = f"answered {answer.total}" + (
            " (right)" if answer.total == RIGHT else " (wrong: the mode works, the model is weak)"
        )
    return Trial(
        mode,
        [r.value for r in roles],
        model_for(role, settings),
        ok,
        result,
        round(time.monotonic() - started, 2),
    )


def _system_messages(mode: str) -> tuple[bool | None, str]:
    """Whether the server keeps a system message: compare the prompt tokens it counts."""
    counts = []
    for system in (SYSTEM, LONG_SYSTEM):
        try:
            _, usage = ask(
                Role.PLANNER,
                Sum,
                [{"role": "system", "content": system}, {"role": "user", "content": QUESTION}],
                what="the system-message check",
                mode=mode,
                validation_retries=0,
            )
        except LLMError as exc:
            return None, f"not known (the check failed: {exc})"
        if usage.estimated:
            return None, "not known (the server sends no token counts)"
        counts.append(usage.prompt_tokens)
    added = counts[1] - counts[0]
    size = f"a {len(LONG_SYSTEM):,}-character system prompt added {added} prompt tokens"
    if added >= KEPT_AT_LEAST:
        return True, f"kept ({size})"
    return False, (
        f"DROPPED ({size}): the server's chat template throws system messages away, and with "
        "them the product's instructions and its requests to fix an answer; use a template "
        "that keeps them (llama-cpp-python: --chat_format chatml-function-calling)"
    )


def check_server(*, all_modes: bool = False) -> Report:
    """Ask the configured server once per role in LLM_MODE (and once per model in each other
    mode with `all_modes`); see the module docstring."""
    settings = require_llm("checking the LLM server")
    report = Report(settings.openai_base_url or "the OpenAI API", settings.llm_mode)
    by_model: dict[str, list[Role]] = {}
    for role in Role:
        by_model.setdefault(model_for(role, settings), []).append(role)
    report.trials = [_try(settings.llm_mode, [role], settings) for role in Role]
    if all_modes:
        report.trials += [
            _try(mode, roles, settings)
            for mode in MODES
            if mode != settings.llm_mode
            for roles in by_model.values()
        ]
    if report.ok:
        report.system_kept, report.system_messages = _system_messages(settings.llm_mode)
    else:
        report.system_messages = "not checked (the configured mode failed)"
    return report
