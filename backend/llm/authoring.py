"""Asking the LLM to plan and write changes: thin wrappers that build the prompt.

The callers (the pipelines) gather the data from the store: the object's files and API
schema, the plan, the feedback of the last evaluation and the reasons people gave when they
rejected earlier changes to the object.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from backend.llm import prompts
from backend.llm.client import Role
from backend.llm.schemas import CodeChange, CreationPlan, ModificationPlan
from backend.llm.structured import structured


def plan_modification(
    request: str,
    files: Mapping[str, str],
    api_schema: Mapping[str, Any] | None,
    *,
    name: str = "",
    description: str = "",
    rejections: Iterable[str] = (),
    modification_id: int | None = None,
) -> ModificationPlan:
    """A plan for the change a person asked for, with the constraints it must keep."""
    messages = [
        prompts.system(prompts.PLANNER_SYSTEM),
        prompts.user(
            prompts.section("Object", f"{name}: {description}".strip(": ")),
            prompts.section("What the person asks for", request),
            prompts.section("Current API (main.py)", prompts.render_api(api_schema)),
            prompts.section("Current files", prompts.render_files(files)),
            prompts.render_feedback(rejections=rejections),
            "Plan the change.",
        ),
    ]
    return structured(
        Role.PLANNER,
        ModificationPlan,
        messages,
        modification_id=modification_id,
        what="planning the change",
    )


def generate_change(
    request: str,
    plan: ModificationPlan | CreationPlan | Mapping[str, Any],
    files: Mapping[str, str],
    api_schema: Mapping[str, Any] | None,
    *,
    feedback: str = "",
    rejections: Iterable[str] = (),
    attempt: int = 1,
    modification_id: int | None = None,
) -> CodeChange:
    """The files that carry out the plan; `feedback` is the last evaluation's, if any.

    With no files, this writes a new object from a CreationPlan.
    """
    task = (
        "Write the object's files: main.py, tests/test_main.py and a short README.md."
        if not files
        else "Write the change."
    )
    if attempt > 1:
        task += f" This is attempt {attempt}; the previous one was rejected."
    messages = [
        prompts.system(prompts.CODER_SYSTEM),
        prompts.user(
            prompts.section("What the person asks for", request),
            prompts.section("Plan", prompts.render_plan(plan)),
            prompts.section("Current API (main.py)", prompts.render_api(api_schema))
            if files
            else "",
            prompts.section("Current files", prompts.render_files(files)) if files else "",
            prompts.render_feedback(feedback, rejections),
            task,
        ),
    ]
    return structured(
        Role.CODER,
        CodeChange,
        messages,
        modification_id=modification_id,
        what=f"writing the change (attempt {attempt})",
    )


def plan_creation(
    name: str,
    description: str,
    requirements: str,
    *,
    rejections: Iterable[str] = (),
    modification_id: int | None = None,
) -> CreationPlan:
    """A plan for a new object: its files, its API and the requirements it must meet."""
    messages = [
        prompts.system(prompts.PLANNER_SYSTEM),
        prompts.user(
            prompts.section("New object", f"{name}: {description}".strip(": ")),
            prompts.section("Requirements", requirements),
            prompts.render_feedback(rejections=rejections),
            "Plan the new object.",
        ),
    ]
    return structured(
        Role.PLANNER,
        CreationPlan,
        messages,
        modification_id=modification_id,
        what="planning the new object",
    )
