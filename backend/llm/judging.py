"""Asking the LLM to judge a change: the layer on top of the measured signals in reward/."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from backend.llm import prompts
from backend.llm.client import Role
from backend.llm.schemas import ConstraintJudgment, FactualityJudgment, PreferenceJudgment
from backend.llm.structured import structured


def judge_preference(
    files: Mapping[str, str],
    parent_files: Mapping[str, str] | None = None,
    *,
    measured: str = "",
    modification_id: int | None = None,
) -> PreferenceJudgment:
    """Readability, maintainability, elegance and documentation as a reviewer sees them.

    `measured` is the summary of the measured signals, so the judge can weigh them.
    """
    messages = [
        prompts.system(prompts.JUDGE_SYSTEM),
        prompts.user(
            prompts.section("Files after the change", prompts.render_files(files)),
            prompts.section("The change", prompts.render_diff(parent_files, files)),
            prompts.section("Measured signals", measured),
            "Score readability, maintainability, elegance and documentation in [0, 1].",
        ),
    ]
    return structured(
        Role.JUDGE,
        PreferenceJudgment,
        messages,
        modification_id=modification_id,
        what="judging code quality",
    )


def judge_constraints(
    constraints: Sequence[str],
    files: Mapping[str, str],
    parent_files: Mapping[str, str] | None = None,
    *,
    request: str = "",
    modification_id: int | None = None,
) -> ConstraintJudgment:
    """Whether each constraint of the plan (and the original code) still holds."""
    listed = "\n".join(f"{index}. {text}" for index, text in enumerate(constraints, 1))
    messages = [
        prompts.system(prompts.JUDGE_SYSTEM),
        prompts.user(
            prompts.section("What the person asked for", request),
            prompts.section("Constraints to check", listed),
            prompts.section("The change", prompts.render_diff(parent_files, files)),
            prompts.section("Files after the change", prompts.render_files(files)),
            "Check each constraint, in order, one check per constraint.",
        ),
    ]
    return structured(
        Role.JUDGE,
        ConstraintJudgment,
        messages,
        modification_id=modification_id,
        what="checking the plan's constraints",
    )


def judge_factuality(
    files: Mapping[str, str],
    *,
    request: str = "",
    plan: Any = None,
    test_report: str = "",
    modification_id: int | None = None,
) -> FactualityJudgment:
    """A review of the algorithms and domain facts in the code (tests run separately)."""
    messages = [
        prompts.system(prompts.JUDGE_SYSTEM),
        prompts.user(
            prompts.section("What the person asked for", request),
            prompts.section("Plan", prompts.render_plan(plan)),
            prompts.section("Files", prompts.render_files(files)),
            prompts.section("Test results", test_report),
            "Are the algorithms and the domain facts in this code correct?",
        ),
    ]
    return structured(
        Role.JUDGE,
        FactualityJudgment,
        messages,
        modification_id=modification_id,
        what="reviewing correctness",
    )
