"""What real LLM servers do wrong, replayed by the fault-injecting server in
tests/support/llm_server.py,
through the real openai + instructor path: each case the product met against llama-cpp-python
and a small local model (issue 19), and what it now does with it."""

from __future__ import annotations

import json

import pytest

import cli.main as cli
from backend import config
from backend.commands import parse
from backend.commands.grammar import parse_grammar
from backend.enums import Intent
from backend.llm import (
    CodeChange,
    FactualityJudgment,
    LLMBadAnswer,
    LLMUnavailable,
    ModificationPlan,
    PreferenceJudgment,
    Role,
    structured,
)
from tests.support.llm_scenarios import GOOD, PLAN
from tests.support.llm_server import closed_port

pytest_plugins = ["tests.support.llm_fixtures"]

ASK = [{"role": "user", "content": "answer"}]
JUDGMENT = {
    "readability": 0.8,
    "maintainability": 0.8,
    "elegance": 0.8,
    "documentation": 0.8,
    "reasons": ["fine"],
}


def _settings(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    config.reload_settings()


# Brittle structured output ------------------------------------------------------------------


def test_raw_newlines_inside_strings_are_repaired(sqlite_db, llm_server):
    raw = json.dumps(PLAN).replace("Add sub(x, y).", "Add sub(x, y).\nThen\ttest it.")
    assert "\n" in raw  # a raw newline inside a JSON string, as a grammar-bound server sends
    llm_server.push_raw(raw)
    plan = structured(Role.PLANNER, ModificationPlan, ASK)
    assert plan.summary == "Add sub(x, y).\nThen\ttest it."
    assert len(llm_server.requests) == 1, "repaired, not sent back"


def test_only_control_characters_inside_strings_are_escaped():
    from backend.llm.lenient import escape_control_characters

    text = '{\n\t"a": "say \\"hi\\"\n\tthen\u0001 go",\n "b": "\\\\"\n}'
    repaired = escape_control_characters(text)
    assert json.loads(repaired) == {"a": 'say "hi"\n\tthen\u0001 go', "b": "\\"}
    assert repaired.startswith('{\n\t"a"'), "whitespace between tokens is left alone"
    valid = json.dumps({"a": "x\ny"}, indent=2)
    assert escape_control_characters(valid) == valid


def test_scores_out_of_range_are_clamped_when_clear_and_refused_when_not(sqlite_db, llm_server):
    llm_server.push_json({**JUDGMENT, "readability": 85, "elegance": 1.02, "documentation": -0.01})
    judged = structured(Role.JUDGE, PreferenceJudgment, ASK)
    assert (judged.readability, judged.elegance, judged.documentation) == (0.85, 1.0, 0.0)

    llm_server.push_json({"score": 2596.5, "summary": "ok"})
    llm_server.push_json({"score": 7, "summary": "ok"})
    llm_server.push_json({"score": 0.9, "summary": "ok"})
    assert structured(Role.JUDGE, FactualityJudgment, ASK).score == 0.9
    # Each refusal went back to the model with words it can act on.
    first_retry, second_retry = (llm_server.requests[i]["messages"][-1] for i in (2, 3))
    assert "2596.5 is not a score: give a number from 0 to 1" in first_retry["content"]
    assert "is it out of 5, 10 or 100?" in second_retry["content"]

    for _ in range(3):
        llm_server.push_json({"score": 2596.5, "summary": "ok"})
    with pytest.raises(LLMBadAnswer) as caught:
        structured(Role.JUDGE, FactualityJudgment, ASK, what="reviewing correctness")
    message = str(caught.value)
    assert message.startswith("reviewing correctness failed: the model 'test-judge' gave no ")
    assert "in 3 attempts: attempt 1: score: 2596.5 is not a score" in message
    assert "attempt 3: score: 2596.5" in message


def test_files_may_come_as_a_mapping(sqlite_db, llm_server):
    llm_server.push_json({"files": {"main.py": "x = 1\n"}, "explanation": "e"})
    change = structured(Role.CODER, CodeChange, ASK)
    assert change.as_dict() == {"main.py": "x = 1\n"}


# Runaway generations ------------------------------------------------------------------------


def test_every_role_has_max_tokens_and_judges_and_the_parser_temperature_0(
    sqlite_db, llm_server, monkeypatch
):
    _settings(monkeypatch, LLM_MAX_TOKENS_PLANNER="300", LLM_MAX_TOKENS_PARSER="0")
    llm_server.default = {"total": 5}
    from backend.llm.check import Sum

    for role in Role:
        structured(role, Sum, ASK)
    sent = {role: request for role, request in zip(Role, llm_server.requests, strict=True)}
    assert sent[Role.PLANNER]["max_tokens"] == 300
    assert sent[Role.CODER]["max_tokens"] == 4096
    assert sent[Role.JUDGE]["max_tokens"] == 1024
    assert "max_tokens" not in sent[Role.PARSER], "0 sends none"
    assert sent[Role.JUDGE]["temperature"] == 0 and sent[Role.PARSER]["temperature"] == 0
    assert "temperature" not in sent[Role.CODER] and "temperature" not in sent[Role.PLANNER]


def test_an_answer_cut_at_max_tokens_says_so_whatever_finish_reason_claims(
    sqlite_db, llm_server, monkeypatch
):
    _settings(monkeypatch, LLM_MAX_TOKENS_CODER="20")
    for _ in range(3):
        llm_server.push_json(GOOD)  # cut to 80 characters; finish_reason still "tool_calls"
    with pytest.raises(LLMBadAnswer) as caught:
        structured(Role.CODER, CodeChange, ASK, what="writing the change")
    message = str(caught.value)
    assert llm_server.requests[0]["max_tokens"] == 20
    assert (
        "attempt 1: the answer was cut off at its length limit of 20 tokens "
        "(LLM_MAX_TOKENS_CODER; the server said finish_reason 'tool_calls')"
    ) in message
    assert "raise LLM_MAX_TOKENS_CODER" in message

    llm_server.truthful_length = True
    llm_server.push_json(GOOD)
    with pytest.raises(LLMBadAnswer, match=r"cut off at its length limit \(20 tokens; raise "):
        structured(Role.CODER, CodeChange, ASK)


def test_a_prompt_and_max_tokens_too_long_for_the_context_name_the_setting(sqlite_db, llm_server):
    llm_server.push_error(
        400,
        '{"error": {"message": "This model\'s maximum context length is 8192 tokens. However, '
        'you requested 9000 tokens (4904 in the messages, 4096 in the completion)."}}',
    )
    with pytest.raises(LLMUnavailable) as caught:
        structured(Role.CODER, CodeChange, ASK, what="writing the change")
    assert "the prompt and the answer's 4096 tokens (LLM_MAX_TOKENS_CODER) don't fit" in str(
        caught.value
    )


def test_a_never_ending_answer_is_cut_off_at_the_timeout(sqlite_db, llm_server, monkeypatch):
    _settings(monkeypatch, LLM_TIMEOUT_SECONDS="1", LLM_MAX_RETRIES="0")
    llm_server.push_stall()
    with pytest.raises(LLMUnavailable) as caught:
        structured(Role.CODER, CodeChange, ASK, what="writing the change")
    assert "did not answer within 1 s (1 try; LLM_TIMEOUT_SECONDS sets the limit)" in str(
        caught.value
    )


def test_a_deadline_bounds_each_request_and_stops_the_next(sqlite_db, llm_server):
    from backend.llm.deadline import deadline
    from backend.llm.errors import DeadlineExceeded

    llm_server.push_json(PLAN, delay=5)
    with deadline(1, work="modification 7", setting="MODIFICATION_DEADLINE_SECONDS"):
        with pytest.raises(DeadlineExceeded) as caught:
            structured(Role.PLANNER, ModificationPlan, ASK, what="planning the change")
        assert "modification 7 ran out of time: its limit of 1 s" in str(caught.value)
        assert "while planning the change" in str(caught.value)
        with pytest.raises(DeadlineExceeded, match="while judging"):
            structured(Role.JUDGE, ModificationPlan, ASK, what="judging")
    assert len(llm_server.requests) == 1, "no request once the time is up"


# Messages -----------------------------------------------------------------------------------


def test_a_timeout_after_bad_answers_tells_every_attempt_in_order(
    sqlite_db, llm_server, monkeypatch
):
    _settings(monkeypatch, LLM_TIMEOUT_SECONDS="1", LLM_MAX_RETRIES="0")
    llm_server.push_json({"score": 2596.5, "summary": "s"})
    llm_server.push_raw('{"score": 0.5, "summary": ')
    llm_server.push_stall()
    with pytest.raises(LLMUnavailable) as caught:
        structured(Role.JUDGE, FactualityJudgment, ASK, what="reviewing correctness")
    message = str(caught.value)
    assert message.startswith("reviewing correctness failed after 3 attempts; in order: ")
    first = message.index("attempt 1: score: 2596.5 is not a score")
    second = message.index("attempt 2: the answer stops in the middle of its JSON")
    third = message.index("attempt 3: the LLM server at http://127.0.0.1:")
    assert first < second < third
    assert message.endswith("did not answer within 1 s (1 try; LLM_TIMEOUT_SECONDS sets the limit)")


def test_one_try_is_one_try(sqlite_db, monkeypatch):
    _settings(
        monkeypatch,
        OPENAI_BASE_URL=f"http://127.0.0.1:{closed_port()}/v1",
        OPENAI_API_KEY="",
        LLM_MAX_RETRIES="0",
    )
    with pytest.raises(LLMUnavailable, match=r"\(1 try\)"):
        structured(Role.PLANNER, ModificationPlan, ASK)


# LLM_MODE -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "shape"),
    [
        ("tools", lambda r: r["tool_choice"]["function"]["name"] == "ModificationPlan"),
        ("json_schema", lambda r: r["response_format"]["type"] == "json_schema"),
        ("json", lambda r: r["response_format"] == {"type": "json_object"}),
        ("md_json", lambda r: "tools" not in r and "response_format" not in r),
    ],
)
def test_each_llm_mode_asks_in_its_own_way(sqlite_db, llm_server, monkeypatch, mode, shape):
    _settings(monkeypatch, LLM_MODE=mode)
    llm_server.push_json(PLAN)
    assert structured(Role.PLANNER, ModificationPlan, ASK) == ModificationPlan(**PLAN)
    assert shape(llm_server.requests[0])


def test_a_refused_mode_names_the_setting(sqlite_db, llm_server, monkeypatch):
    _settings(monkeypatch, LLM_MODE="json_schema", LLM_MAX_RETRIES="0")
    llm_server.refuse_response_format = ("json_schema",)
    llm_server.push_json(PLAN)
    with pytest.raises(LLMUnavailable) as caught:
        structured(Role.PLANNER, ModificationPlan, ASK, what="planning the change")
    message = str(caught.value)
    assert "the server does not accept LLM_MODE=json_schema" in message
    assert "python -m backend llm check" in message and "HTTP 500" in message
    assert "Input should be 'text' or 'json_object'" in message


def test_llm_check_says_which_modes_work_and_what_the_server_drops(
    migrated_db, llm_server, monkeypatch, capsys
):
    llm_server.default = {"total": 5}
    llm_server.refuse_response_format = ("json_schema",)
    llm_server.count_prompt_tokens = True
    llm_server.drop_system = True  # like --chat_format gemma
    _settings(monkeypatch, LLM_MAX_RETRIES="0")

    assert cli.main(["llm", "check", "--all-modes", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["configured_mode"] == "tools"
    assert report["working_modes"] == ["tools", "json", "md_json"]
    assert report["system_kept"] is False
    planner = [t for t in report["trials"] if t["mode"] == "tools"]
    assert [t["roles"] for t in planner] == [["planner"], ["coder"], ["judge"], ["parser"]]
    assert all(t["result"] == "answered 5 (right)" for t in planner)
    # The other modes are tried once per model, not once per role.
    assert len(report["trials"]) == 4 + 3 * 4

    llm_server.drop_system = False
    _settings(monkeypatch, LLM_MODE="json_schema")
    assert cli.main(["llm", "check", "--all-modes"]) == 1
    out, err = capsys.readouterr()
    assert "the configured mode (json_schema) FAILED for planner; coder; judge; parser" in err
    assert "set LLM_MODE to tools or json or md_json" in err
    assert "system messages: not checked" in err

    _settings(monkeypatch, LLM_MODE="tools")
    assert cli.main(["llm", "check"]) == 0
    out = capsys.readouterr().out
    assert "the configured mode (tools) works for every role" in out
    assert "system messages: kept (a " in out


# The parser ---------------------------------------------------------------------------------


UNSURE = "purple monkey dishwasher"


@pytest.mark.parametrize(
    ("answer", "kept"),
    [
        ({"intent": "create", "confidence": 0.0, "name": "x"}, "grammar"),  # less confident
        ({"intent": "create", "confidence": 0.9}, "grammar"),  # no name, no description
        ({"intent": "modify", "confidence": 0.9, "instruction": "faster"}, "grammar"),  # no target
        ({"intent": "create", "confidence": 0.9, "name": "Dishwasher"}, "llm"),
    ],
)
def test_the_llm_reading_wins_only_when_more_confident_and_complete(
    sqlite_db, llm_server, answer, kept
):
    grammar = parse_grammar(UNSURE)
    assert (grammar.intent, grammar.confidence) == (Intent.UNKNOWN, 0.2)
    llm_server.push_json({**answer, "text": UNSURE})
    reading = parse.refine(UNSURE, grammar)
    assert len(llm_server.requests) == 1
    if kept == "grammar":
        assert reading == grammar
    else:
        assert (reading.intent, reading.name, reading.confidence) == ("create", "Dishwasher", 0.9)
