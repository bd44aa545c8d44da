"""The modification and creation pipelines against the scripted LLM server (real SDK path).

The LLM judges are switched off here (LLM_JUDGES=0) so each scenario scripts exactly the
planner's and the coder's answers; tests/test_reward.py covers the judges themselves.
"""

from __future__ import annotations

import json
import os
import uuid

import pytest
from sqlmodel import select

import cli.main as cli
from backend import db
from backend.audit import Actor
from backend.enums import EventName, ModificationStatus
from backend.errors import Conflict, InvalidInput
from backend.models import Evaluation, Event, LLMCall, ObjectVersion, Task
from backend.objects import store
from backend.pipeline import modifications
from tests.llm_scenarios import API_BREAK, GOOD, GOOD_MAIN, GOOD_TESTS, MAIN, PLAN, TESTS
from tests.llm_server import closed_port

pytest_plugins = ["tests.llm_fixtures"]

ADA = Actor.operator("ada@example.com")
S = ModificationStatus


@pytest.fixture
def llm(migrated_db, scripted_llm):
    with db.session_scope() as session:
        store.create_object(
            session,
            slug="calc",
            name="Calc",
            files={"main.py": MAIN, "test_main.py": TESTS},
            actor=ADA,
        )
    return scripted_llm


def _versions() -> int:
    with db.session_scope() as session:
        return len(session.exec(select(ObjectVersion)).all())


def _request(prompt: str = "add a sub function", **kwargs):
    return modifications.request_modification("calc", prompt, actor=ADA, **kwargs)


def test_accepted_first_time_then_approved_and_deployed(llm):
    llm.push_json(PLAN)
    llm.push_json(GOOD)
    seen: list[tuple[int, str]] = []
    modification = modifications.run(_request().id, progress=lambda p, m: seen.append((p, m)))

    assert modification.status == S.AWAITING_APPROVAL, modification.error
    assert modification.attempts == 1
    assert _versions() == 1, "nothing is written to the store before approval"
    assert [p for p, _ in seen] == sorted(p for p, _ in seen), "progress only goes forward"
    assert seen[-1][0] == 100 and "approve" in seen[-1][1]
    assert any("running the tests" in message for _, message in seen)
    with db.session_scope() as session:
        (evaluation,) = session.exec(select(Evaluation)).all()
        assert evaluation.verdict == "accept" and evaluation.factuality_score >= 0.8
        event = session.exec(
            select(Event).where(Event.name == EventName.MODIFICATION_AWAITING_APPROVAL)
        ).one()
        assert event.payload["modification_id"] == modification.id
        calls = session.exec(select(LLMCall)).all()
        assert [c.role for c in calls] == ["planner", "coder"]

    applied, deployment = modifications.approve(modification.id, actor=ADA, deploy=True)
    assert applied.status == S.APPLIED
    assert deployment.status == "live"
    with db.session_scope() as session:
        version = store.get_version(session, "calc")
        assert version.number == 2 and version.files["main.py"] == GOOD_MAIN
        assert version.author == "model:test-coder"
        assert "Add sub(x, y)." in version.message
    with pytest.raises(Conflict, match="not awaiting approval"):
        modifications.approve(modification.id, actor=ADA)


def test_rejected_attempt_feeds_back_into_the_next_prompt(llm):
    llm.push_json(PLAN)
    llm.push_json(API_BREAK)
    llm.push_json(GOOD)
    modification = modifications.run(_request().id)

    assert modification.status == S.AWAITING_APPROVAL, modification.error
    assert modification.attempts == 2
    second_attempt_prompt = llm.prompt_text(2)
    assert "function 'add' lost parameter 'y'" in second_attempt_prompt
    assert "attempt 2" in second_attempt_prompt
    with db.session_scope() as session:
        verdicts = [e.verdict for e in modifications.evaluations_of(session, modification.id)]
    assert verdicts == ["reject", "accept"]


def test_attempts_exhausted_fails_with_the_last_feedback(llm):
    llm.push_json(PLAN)
    llm.push_json(API_BREAK)
    llm.push_json(API_BREAK)
    modification = modifications.run(_request().id)
    assert modification.status == S.FAILED
    assert "after 2 attempts" in modification.error and "lost parameter 'y'" in modification.error
    assert _versions() == 1


def test_malformed_answers_fail_clearly_and_write_no_version(llm):
    llm.push_json(PLAN)
    for _ in range(3):
        llm.push_raw("{this is not json")
    modification = modifications.run(_request().id)
    assert modification.status == S.FAILED
    assert "attempt" in modification.error.lower()
    assert _versions() == 1


def test_server_down_fails_the_modification(llm, monkeypatch):
    from backend import config

    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{closed_port()}/v1")
    config.reload_settings()
    modification = modifications.run(_request().id)
    assert modification.status == S.FAILED
    assert "127.0.0.1" in modification.error or "reach" in modification.error.lower()


def test_budget_reached_pauses_and_resume_carries_on(llm):
    # The plan costs 100*0.001/1000 + 20*0.002/1000 = 0.00014 USD: more than this budget.
    llm.push_json(PLAN)
    paused = modifications.run(_request(budget_usd=0.0001).id)
    assert paused.status == S.PAUSED_BUDGET
    assert "budget" in paused.error.lower()
    assert len(llm.requests) == 1, "no request is sent once the budget is spent"

    with pytest.raises(InvalidInput, match="more than what was spent"):
        modifications.resume(paused.id, budget_usd=0.0001, actor=ADA)
    modifications.resume(paused.id, budget_usd=1.0, actor=ADA)
    llm.push_json(GOOD)
    resumed = modifications.run(paused.id)
    assert resumed.status == S.AWAITING_APPROVAL, resumed.error
    assert len(llm.requests) == 2, "the plan made before the pause is kept"


def test_rejection_reasons_reach_later_plans(llm):
    llm.push_json(PLAN)
    llm.push_json(GOOD)
    first = modifications.run(_request().id)
    with pytest.raises(InvalidInput, match="reason is required"):
        modifications.reject(first.id, "  ", actor=ADA)
    modifications.reject(first.id, "never name it sub, call it subtract", actor=ADA)

    llm.push_json(PLAN)
    llm.push_json(GOOD)
    modifications.run(_request("add subtraction").id)
    assert "never name it sub, call it subtract" in llm.prompt_text(2)


def test_creation_from_scratch_makes_a_draft_object(llm, data_dir):
    llm.push_json(
        {
            "summary": "A greeter.",
            "files": [
                {"path": "main.py", "purpose": "the greet function"},
                {"path": "test_main.py", "purpose": "its tests"},
            ],
            "api": [{"name": "greet", "signature": "greet(name: str) -> str", "description": "hi"}],
            "constraints": ["greets by name"],
        }
    )
    llm.push_json(
        {
            "files": [
                {
                    "path": "main.py",
                    "content": '"""Greetings."""\n\n\ndef greet(name: str) -> str:\n'
                    '    """Say hello to name."""\n    return f"Hello, {name}!"\n',
                },
                {
                    "path": "test_main.py",
                    "content": "from main import greet\n\n\ndef test_greet():\n"
                    "    assert greet('Ada') == 'Hello, Ada!'\n",
                },
                {"path": "README.md", "content": "# Greeter\n\nSays hello.\n"},
            ],
            "explanation": "A greeter.",
        }
    )
    request = modifications.request_creation(
        slug="greeter", name="Greeter", requirements="greet people by name", actor=ADA
    )
    done = modifications.run(request.id)
    assert done.status == S.APPLIED, done.error
    with db.session_scope() as session:
        obj = store.get_object(session, "greeter")
        assert obj.status == "draft" and obj.current_version == 1
    assert (data_dir / "objects" / "greeter" / "v1" / "README.md").read_text() == (
        "# Greeter\n\nSays hello.\n"
    )
    with pytest.raises(Conflict, match="already exists"):
        modifications.request_creation(slug="greeter", name="Again", requirements="x", actor=ADA)


def test_no_llm_configured_says_so_and_writes_nothing(migrated_db, no_llm, tmp_path, capsys):
    with db.session_scope() as session:
        store.create_object(session, slug="calc", name="C", files={"main.py": MAIN}, actor=ADA)
    assert cli.main(["objects", "modify", "calc", "--prompt", "add sub", "--wait"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "OPENAI_BASE_URL" in err
    with db.session_scope() as session:
        assert modifications.list_modifications(session) == []


def test_cli_modify_wait_approve_and_evaluate(llm, capsys):
    llm.push_json(PLAN)
    llm.push_json(GOOD)
    assert cli.main(["objects", "modify", "calc", "--prompt", "add sub", "--wait", "--json"]) == 0
    out, err = capsys.readouterr()
    shown = json.loads(out)
    assert shown["status"] == "awaiting_approval"
    assert "attempt 1 of 2" in err and "[100%]" in err
    with db.session_scope() as session:
        task = session.exec(select(Task)).one()
        assert (task.kind, task.status, task.progress) == ("modification.run", "succeeded", 100)

    assert cli.main(["modifications", "list", "--status", "awaiting_approval", "--json"]) == 0
    assert [m["id"] for m in json.loads(capsys.readouterr().out)] == [shown["id"]]
    assert cli.main(["modifications", "show", str(shown["id"])]) == 0
    assert "+def sub(x: int, y: int) -> int:" in capsys.readouterr().out
    assert cli.main(["modifications", "approve", str(shown["id"])]) == 0
    capsys.readouterr()

    assert cli.main(["evaluate", "calc", "--version", "2", "--intent", "refactor", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "accept"
    assert set(report["dimensions"]) == {"preference", "constraints", "factuality"}


def test_cli_failed_modification_exits_1_and_fails_its_task(llm, capsys):
    llm.push_json(PLAN)
    llm.push_json(API_BREAK)
    llm.push_json(API_BREAK)
    assert cli.main(["objects", "modify", "calc", "--prompt", "add sub", "--wait"]) == 1
    assert "rejected by the evaluator after 2 attempts" in capsys.readouterr().err
    with db.session_scope() as session:
        task = session.exec(select(Task)).one()
    assert task.status == "failed" and "after 2 attempts" in task.error


@pytest.mark.slow
def test_cli_modify_runs_as_a_background_job_in_a_real_worker(llm, tmp_path, capsys, monkeypatch):
    from backend import config
    from tests.test_jobs import _start_worker, _stop, _wait_finished

    monkeypatch.setenv("CELERY_QUEUE", f"pipeline-{uuid.uuid4().hex[:8]}")
    config.reload_settings()
    worker = _start_worker(dict(os.environ), tmp_path / "worker.log", "embedded")
    try:
        llm.push_json(PLAN)
        llm.push_json(GOOD)
        assert cli.main(["objects", "modify", "calc", "--prompt", "add sub", "--json"]) == 0
        started = json.loads(capsys.readouterr().out)
        task = _wait_finished(worker, started["task_id"], timeout=90)
    finally:
        _stop(worker.process)
    assert (task.status, task.progress) == ("succeeded", 100), task.error
    assert task.result["status"] == "awaiting_approval"
    with db.session_scope() as session:
        modification = modifications.get_modification(session, started["modification_id"])
    assert modification.status == S.AWAITING_APPROVAL


def test_auto_apply_makes_the_version_without_waiting(llm, capsys):
    assert cli.main(["objects", "auto-apply", "calc", "on"]) == 0
    llm.push_json(PLAN)
    llm.push_json(GOOD)
    modification = modifications.run(_request().id)
    assert modification.status == S.APPLIED, modification.error
    with db.session_scope() as session:
        version = store.get_version(session, "calc")
        names = session.exec(select(Event.name)).all()
    assert version.number == 2 and version.files["test_main.py"] == GOOD_TESTS
    assert EventName.MODIFICATION_AWAITING_APPROVAL not in names


def test_a_version_saved_as_a_refactor_is_evaluated_as_one(llm, tmp_path, capsys, monkeypatch):
    """`objects edit --intent refactor` keeps the intent on the version; `evaluate` without
    --intent judges it as a refactor (side by side with its parent), --intent change not."""
    monkeypatch.chdir(tmp_path)
    changed = MAIN.replace("return x + y", "return x + y if x >= 0 else x - y")
    (tmp_path / "main.py").write_text(changed)
    args = ["objects", "edit", "calc", "--file", "main.py", "--intent", "refactor"]
    assert cli.main([*args, "--no-evaluate", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["intent"] == "refactor"

    assert cli.main(["evaluate", "calc", "--json"]) == 0
    as_saved = json.loads(capsys.readouterr().out)
    assert cli.main(["evaluate", "calc", "--intent", "change", "--json"]) == 0
    as_change = json.loads(capsys.readouterr().out)
    assert as_saved["verdict"] == "reject" and as_change["verdict"] == "accept"
    factuality = as_saved["dimensions"]["factuality"]
    assert factuality["score"] < as_change["dimensions"]["factuality"]["score"]
    assert any("differ" in reason for reason in factuality["reasons"]), factuality["reasons"]
