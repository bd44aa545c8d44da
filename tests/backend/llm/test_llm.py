"""The LLM layer through the real openai + instructor path, against a scripted local server."""

from __future__ import annotations

import time

import pytest
from sqlmodel import select

from backend import config
from backend.db import session_scope
from backend.llm import (
    BudgetExceeded,
    CodeChange,
    LLMBadAnswer,
    LLMNotConfigured,
    LLMUnavailable,
    ModificationPlan,
    Role,
    generate_change,
    judge_factuality,
    judge_preference,
    plan_creation,
    plan_modification,
    structured,
)
from backend.llm.prices import estimate_cost, price_per_1k
from backend.models import LLMCall, Modification
from backend.objects.schema import derive_api_schema
from tests.support.llm_server import closed_port

pytest_plugins = ["tests.support.llm_fixtures"]

MAIN = '''"""Arithmetic."""


def add(x: int, y: int) -> int:
    """Sum of x and y."""
    return x + y
'''
FILES = {
    "main.py": MAIN,
    "tests/test_main.py": "from main import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n",
}
PLAN = {
    "summary": "Add subtraction.",
    "steps": ["add sub(x, y) to main.py", "test it"],
    "constraints": ["add keeps its signature"],
    "changes_api": True,
    "changes_behaviour": False,
}
CHANGE = {
    "files": [
        {
            "path": "main.py",
            "content": MAIN + "\n\ndef sub(x: int, y: int) -> int:\n    return x - y\n",
        }
    ],
    "explanation": "Added sub.",
}
# Prices set by the llm_server fixture: $0.001 / 1k prompt tokens, $0.002 / 1k completion.
ONE_CALL_COST = (100 * 0.001 + 20 * 0.002) / 1000


def _modification(**fields) -> int:
    with session_scope() as session:
        modification = Modification(prompt="add subtraction", **fields)
        session.add(modification)
        session.flush()
        return modification.id


def _calls() -> list[LLMCall]:
    with session_scope() as session:
        return list(session.exec(select(LLMCall).order_by(LLMCall.id)))


def _get(modification_id: int) -> Modification:
    with session_scope() as session:
        return session.get(Modification, modification_id)


def test_answers_are_parsed_and_each_call_is_accounted(migrated_db, llm_server):
    modification_id = _modification()
    llm_server.push_json(PLAN)
    llm_server.push_json(CHANGE, prompt_tokens=300, completion_tokens=80)

    plan = plan_modification(
        "please add a sub function",
        FILES,
        derive_api_schema(MAIN),
        name="Calculator",
        rejections=["used floats where ints were asked for"],
        modification_id=modification_id,
    )
    assert plan == ModificationPlan(**PLAN)
    change = generate_change(
        "please add a sub function",
        plan,
        FILES,
        derive_api_schema(MAIN),
        feedback="constraints 0.50 < 0.70: function 'add' lost parameter 'y'",
        attempt=2,
        modification_id=modification_id,
    )
    assert isinstance(change, CodeChange)
    assert "def sub(" in change.apply_to(FILES)["main.py"]
    assert change.apply_to(FILES)["tests/test_main.py"] == FILES["tests/test_main.py"]

    # What the server received: the model per role, instructor's tool, and the prompt's parts.
    first, second = llm_server.requests
    assert first["model"] == "test-planner" and second["model"] == "test-coder"
    assert first["tools"][0]["function"]["name"] == "ModificationPlan"
    assert second["tool_choice"]["function"]["name"] == "CodeChange"
    planner_prompt = llm_server.prompt_text(0)
    assert "please add a sub function" in planner_prompt
    assert "add(x: int, y: int) -> int  # Sum of x and y." in planner_prompt
    assert "### tests/test_main.py" in planner_prompt
    assert "used floats where ints were asked for" in planner_prompt
    coder_prompt = llm_server.prompt_text(1)
    assert "function 'add' lost parameter 'y'" in coder_prompt
    assert "attempt 2" in coder_prompt
    assert "add sub(x, y) to main.py" in coder_prompt

    calls = _calls()
    assert [(c.role, c.model, c.response_model, c.ok) for c in calls] == [
        ("planner", "test-planner", "ModificationPlan", True),
        ("coder", "test-coder", "CodeChange", True),
    ]
    assert [(c.prompt_tokens, c.completion_tokens, c.attempts) for c in calls] == [
        (100, 20, 1),
        (300, 80, 1),
    ]
    assert calls[0].cost_usd == pytest.approx(ONE_CALL_COST)
    assert all(c.modification_id == modification_id and c.duration_ms >= 0 for c in calls)
    modification = _get(modification_id)
    assert (modification.prompt_tokens, modification.completion_tokens) == (400, 100)
    assert modification.cost_usd == pytest.approx(sum(c.cost_usd for c in calls))


def test_a_wrong_answer_is_sent_back_with_the_error_and_fixed(sqlite_db, llm_server):
    llm_server.push_json({"summary": "no steps"})
    llm_server.push_json(PLAN)
    plan = structured(Role.PLANNER, ModificationPlan, [{"role": "user", "content": "plan"}])
    assert plan.summary == "Add subtraction."
    retry = llm_server.requests[1]["messages"]
    assert retry[-1]["role"] == "tool" and "steps" in retry[-1]["content"]
    (call,) = _calls()
    assert call.ok and call.attempts == 2
    assert (call.prompt_tokens, call.completion_tokens) == (200, 40)
    assert call.modification_id is None


def test_creation_plans_need_an_entry_point_and_judgments_parse(sqlite_db, llm_server):
    api = [{"name": "area", "signature": "area(w: float, h: float) -> float", "description": "w*h"}]
    without_main = {"summary": "s", "files": [{"path": "util.py", "purpose": "p"}], "api": api}
    llm_server.push_json(without_main)
    llm_server.push_json({**without_main, "files": [{"path": "main.py", "purpose": "the API"}]})
    plan = plan_creation("Area", "rectangles", "compute the area of a rectangle")
    assert [f.path for f in plan.files] == ["main.py"] and plan.api[0].name == "area"
    assert "must include main.py" in llm_server.prompt_text(1)
    assert "compute the area of a rectangle" in llm_server.prompt_text(0)

    llm_server.push_json({"score": 0.4, "issues": ["uses 3.14 for pi"], "summary": "imprecise"})
    judgment = judge_factuality(
        FILES, request="area of a circle", test_report="1 failed: test_area"
    )
    assert judgment.score == 0.4 and judgment.issues == ["uses 3.14 for pi"]
    assert "1 failed: test_area" in llm_server.prompt_text()
    assert llm_server.requests[-1]["model"] == "test-judge"


def test_malformed_answers_fail_clearly_after_bounded_retries(sqlite_db, llm_server):
    modification_id = _modification()
    for _ in range(3):
        llm_server.push_raw("{this is not json")
    llm_server.push_json(PLAN)  # never reached: retries are bounded

    with pytest.raises(LLMBadAnswer) as caught:
        plan_modification("x", FILES, None, modification_id=modification_id)
    message = str(caught.value)
    assert "planning the change failed" in message
    assert "3 attempts" in message and "Invalid JSON" in message, message
    assert len(llm_server.requests) == 3  # LLM_VALIDATION_RETRIES=2 after the first try
    (call,) = _calls()
    assert not call.ok and call.error == message and call.attempts == 3
    modification = _get(modification_id)
    # The tokens were spent and are counted; nothing of the answer was written anywhere.
    assert modification.prompt_tokens == 300
    assert modification.plan is None and modification.proposed_files is None


def test_a_path_outside_the_object_is_refused_by_validation(sqlite_db, llm_server):
    bad = {"files": [{"path": "../etc/passwd", "content": "x"}], "explanation": "e"}
    for _ in range(3):
        llm_server.push_json(bad)
    with pytest.raises(LLMBadAnswer, match=r"files\.0\.path"):
        structured(Role.CODER, CodeChange, [{"role": "user", "content": "write"}])


def test_server_errors_are_retried_a_bounded_number_of_times(sqlite_db, llm_server, monkeypatch):
    monkeypatch.setenv("LLM_MAX_RETRIES", "1")
    config.reload_settings()
    llm_server.push_error(500)
    llm_server.push_error(503, '{"error": {"message": "model is loading"}}')
    llm_server.push_json(PLAN)

    with pytest.raises(LLMUnavailable) as caught:
        plan_creation("Calc", "a calculator", "adds numbers")
    assert len(llm_server.requests) == 2
    assert "the server failed (HTTP 503" in str(caught.value)
    assert "model is loading" in str(caught.value)
    (call,) = _calls()
    assert not call.ok and call.prompt_tokens == 0


def test_refusals_name_the_setting_to_check(sqlite_db, llm_server):
    llm_server.push_error(401, '{"error": {"message": "bad key"}}')
    with pytest.raises(LLMUnavailable, match="OPENAI_API_KEY"):
        structured(Role.PLANNER, ModificationPlan, [{"role": "user", "content": "x"}])
    llm_server.push_error(404, '{"error": {"message": "model not found"}}')
    with pytest.raises(LLMUnavailable, match="does not know model 'test-judge'"):
        structured(Role.JUDGE, ModificationPlan, [{"role": "user", "content": "x"}])
    assert len(llm_server.requests) == 2  # 4xx answers are not retried


def test_a_server_that_is_down_is_reported_quickly(sqlite_db, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{closed_port()}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "")
    config.reload_settings()
    started = time.monotonic()
    with pytest.raises(LLMUnavailable) as caught:
        structured(Role.PLANNER, ModificationPlan, [{"role": "user", "content": "x"}])
    assert time.monotonic() - started < 6
    assert "cannot reach the LLM server at http://127.0.0.1:" in str(caught.value)
    assert "3 tries" in str(caught.value)
    (call,) = _calls()
    assert not call.ok and call.cost_usd == 0


def test_a_spent_budget_stops_calls_before_any_request(migrated_db, llm_server):
    modification_id = _modification(budget_usd=ONE_CALL_COST * 1.5)
    llm_server.push_json(PLAN)
    llm_server.push_json(PLAN)
    plan_modification("x", FILES, None, modification_id=modification_id)  # within budget

    llm_server.push_json(PLAN)
    plan_modification("x", FILES, None, modification_id=modification_id)  # crosses it
    requests_so_far = len(llm_server.requests)
    with pytest.raises(BudgetExceeded) as caught:
        plan_modification("x", FILES, None, modification_id=modification_id)
    assert len(llm_server.requests) == requests_so_far == 2, "no request once spent"
    assert caught.value.modification_id == modification_id
    assert caught.value.spent_usd == pytest.approx(2 * ONE_CALL_COST)
    assert "budget" in str(caught.value) and "higher budget" in str(caught.value)
    assert len(_calls()) == 2

    # Resumed with a higher budget, it goes on.
    with session_scope() as session:
        session.get(Modification, modification_id).budget_usd = 1.0
    plan_modification("x", FILES, None, modification_id=modification_id)
    assert len(llm_server.requests) == 3


def test_the_budget_setting_applies_when_the_modification_sets_none(
    sqlite_db, llm_server, monkeypatch
):
    monkeypatch.setenv("LLM_BUDGET_USD", "0")
    config.reload_settings()
    modification_id = _modification()
    with pytest.raises(BudgetExceeded, match=r"\$0.00 LLM budget"):
        judge_preference(FILES, modification_id=modification_id)
    assert llm_server.requests == []


def test_without_an_llm_the_error_names_the_setting(sqlite_db, no_llm):
    with pytest.raises(LLMNotConfigured) as caught:
        plan_modification("x", FILES, None)
    assert "OPENAI_BASE_URL" in str(caught.value) and "OPENAI_API_KEY" in str(caught.value)
    assert "planning the change needs an LLM" in str(caught.value)
    assert _calls() == []


def test_answers_without_usage_get_estimated_tokens(sqlite_db, llm_server):
    llm_server.push_without_usage(PLAN)
    structured(Role.PLANNER, ModificationPlan, [{"role": "user", "content": "x" * 400}])
    (call,) = _calls()
    assert call.usage_estimated and call.prompt_tokens >= 100 and call.completion_tokens > 10


def test_prices_match_model_families_and_settings_override(monkeypatch):
    settings = config.Settings(_env_file=None)
    assert price_per_1k("gpt-4o-mini-2024-07-18", settings) == (0.00015, 0.0006)
    assert price_per_1k("gpt-4o-2024-08-06", settings) == (0.0025, 0.01)
    unknown = (settings.llm_prompt_price_per_1k, settings.llm_completion_price_per_1k)
    assert price_per_1k("llama3.1:8b", settings) == unknown
    monkeypatch.setenv("LLM_PRICES", '{"llama3.1": [0, 0]}')
    local = config.Settings(_env_file=None)
    assert estimate_cost("llama3.1:8b", 1000, 1000, local) == unknown[0] + unknown[1]
    assert estimate_cost("llama3.1-8b", 1000, 1000, local) == 0
    assert estimate_cost("gpt-4o", 2000, 1000, settings) == pytest.approx(0.015)
